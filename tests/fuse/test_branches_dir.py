"""``branches/`` and ``tags/`` through a real mount: every branch a directory beside
``head`` (the checked-out one's is head), following a branch made, moved, deleted
or switched to while mounted — with the kernel caching what it may, a held directory
too — and tag references (tags on no branch's chain) in ``tags/``.  A remote store's
mount has no ``branches/``."""

import os

import pytest

from tests.conftest import run_verfs, verfs_env
from tests.fuse.mounting import version_at, wait_for
from tests.fuse.remotes import publish
from verfs import heads

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


@pytest.fixture(params=["2", "3"])
def libfuse(request):
    return verfs_env(VERFS_LIBFUSE=request.param)


def names(path) -> list[str]:
    return sorted(os.listdir(path))


def test_branches_follow_the_repository(sample, mount, libfuse):
    d = str(sample.root / ".verfs")
    head = sample.repo.head()
    m = mount("--repo", sample.root, env=libfuse)
    assert names(m.path) == ["branches", "files", "head", "history", "info", "tags",
                             "versions"]
    assert names(m / "branches") == ["main"]
    assert version_at(m / "branches" / "main") == head
    assert names(m / "branches" / "main") == names(m / "head")

    heads.write_branch(d, "topic", sample.chain[1])                   # made
    assert wait_for(lambda: names(m / "branches") == ["main", "topic"])
    assert version_at(m / "branches" / "topic") == sample.chain[1]
    held = os.open(m / "branches" / "topic", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert sorted(os.listdir(held)) == names(m / "versions" / sample.chain[1])
        heads.write_branch(d, "topic", sample.chain[0])               # moved
        assert wait_for(lambda: version_at(m / "branches" / "topic") == sample.chain[0])
        assert wait_for(lambda: sorted(os.listdir(held))
                        == names(m / "versions" / sample.chain[0]))
    finally:
        os.close(held)

    run_verfs("switch", "topic", "--repo", sample.root)                # switched to
    assert heads.current_branch(d) == "topic"
    assert wait_for(lambda: version_at(m / "head") == sample.chain[0])
    assert wait_for(lambda: version_at(m / "branches" / "topic") == sample.chain[0])
    assert wait_for(lambda: version_at(m / "branches" / "main") == head)
    assert (m / "branches" / "main" / "notes" / "todo.txt").read_bytes() == b"write more\n"

    run_verfs("switch", "main", "--repo", sample.root)
    run_verfs("branch", "-d", "topic", "--repo", sample.root)          # deleted
    assert wait_for(lambda: names(m / "branches") == ["main"])
    # (libfuse 2 lists anew at once; the kernel's entry goes within the follower's look)
    assert wait_for(lambda: not (m / "branches" / "topic").exists())
    assert version_at(m / "head") == head


def test_tags_show_references(sample, mount, libfuse):
    """A tag reference to a version on no branch's chain (as an import of a git tag
    off the first-parent line leaves one) is a directory of tags/; one made while
    mounted appears, one moved shows its new version."""
    d = str(sample.root / ".verfs")
    side = sample.named["unlink"]           # commuted away: on no chain
    assert side not in sample.chain
    heads.write_tag_ref(d, "side", side)
    m = mount("--repo", sample.root, env=libfuse)
    assert names(m / "tags") == ["side", "v1.0"]
    assert version_at(m / "tags" / "side") == side
    assert names(m / "tags" / "side") == names(m / "versions" / side)
    heads.write_tag_ref(d, "later", sample.chain[1])
    assert wait_for(lambda: names(m / "tags") == ["later", "side", "v1.0"])
    assert version_at(m / "tags" / "later") == sample.chain[1]
    heads.write_tag_ref(d, "later", sample.chain[0])
    assert wait_for(lambda: version_at(m / "tags" / "later") == sample.chain[0])


def test_a_remote_mount_has_no_branches(sample, mount, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    publish(sample.repo, url, tmp_path / "pub-cache")
    m = mount("--store", url, "--cache", tmp_path / "cache")
    assert names(m.path) == ["files", "head", "history", "info", "tags", "versions"]
    assert not (m / "branches").exists()
    assert names(m / "tags") == ["v1.0"]
