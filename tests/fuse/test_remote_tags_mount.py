"""``verfs mount --store URL`` shows the remote's tag references under ``tags/``, as a
repository's mount shows its own: a tag imported off git's first-parent line (a
chain reachable through its reference alone) has its tree there, as ``git archive``
of the tag holds it, and a tag pushed while mounted appears after a poll.  Over a
directory (file://) and a real S3 server (SeaweedFS)."""

import os
import shutil
from pathlib import Path

import pytest

from tests.compat.gitrepo import archive_state
from tests.compat.test_import_all_tags_git import build
from tests.conftest import run_verfs, verfs_env
from tests.fuse.mounting import wait_for
from verfs import heads

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(180)]



def mounted_state(top: Path) -> dict:
    """A directory's tree in ``archive_state``'s form."""
    out: dict = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, top)
            if os.path.islink(p):
                out[rel] = ("link", os.fsencode(os.readlink(p)))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            else:
                out[rel] = ("file", Path(p).read_bytes(), bool(os.stat(p).st_mode & 0o100))
    return out


def test_a_remote_mount_shows_and_follows_the_remote_tags(mount, url, tmp_path):
    g = build(tmp_path / "git")
    src = tmp_path / "src"
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "cache-pusher"))
    run_verfs("import", "git", g.top, "--all", "--into", src, env=env)
    run_verfs("push", url, cwd=src, env=env)
    m = mount("--store", url, "--cache", tmp_path / "cache", "--log", tmp_path / "m.log",
              "--poll", "0.2")
    refs = heads.tag_refs(os.path.join(src, ".verfs"))
    assert sorted(os.listdir(m / "tags")) == sorted(refs)
    assert "branches" not in os.listdir(m.path)
    for verfs_name, git_name in (("v1.0.2", "v1.0.2"), ("release-1.0.2", "release/1.0.2"),
                                 ("wip-1", "wip-1"), ("v2.0", "v2.0")):
        assert mounted_state(m / "tags" / verfs_name) == archive_state(g.top, git_name)
    # a tag pushed elsewhere, off the line (head does not move): seen after a poll
    g.git("checkout", "-q", "maint")
    g.write("NEWS", "1.0.3\n")
    g.commit("1.0.3 on maint")
    g.git("tag", "v1.0.3")
    g.git("checkout", "-q", "main")
    run_verfs("import", "git", g.top, "--all", "--into", src, env=env)
    run_verfs("push", url, cwd=src, env=env)
    assert wait_for(lambda: "v1.0.3" in os.listdir(m / "tags"), 20)
    assert mounted_state(m / "tags" / "v1.0.3") == archive_state(g.top, "v1.0.3")
    assert (m / "tags" / "v1.0.3" / "NEWS").read_text() == "1.0.3\n"
    shutil.rmtree(tmp_path / "cache-pusher")
