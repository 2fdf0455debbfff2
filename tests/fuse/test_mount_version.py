"""``verfs mount --version V``: that version's tree as the mount's root, nothing
beside it — ``diff -r`` of the mount and a checkout of the version on disk finds
nothing, modes and links included — for any VERSION (a tag, ``head~N``, a branch, a
hash prefix), from a repository, a bare store and a remote store; and a VERSION that
names nothing is one line, exit 1, nothing mounted."""

import os
import subprocess

import pytest

from tests.conftest import one_line_error, run_verfs
from tests.fuse.mounting import is_mounted, version_at
from tests.fuse.remotes import publish
from tests.mount.histories import clone_at
from verfs import heads

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


def same_tree(mounted, checkout) -> None:
    """``diff -r`` finds nothing (it compares symbolic links as links, with
    --no-dereference), and every entry has the checkout's kind and exec bit."""
    proc = subprocess.run(["diff", "-r", "--no-dereference", str(checkout), str(mounted)],
                          capture_output=True)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")

    def kinds(top):
        out = {}
        for dirpath, dirs, files in os.walk(top):
            for name in dirs + files:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                out[os.path.relpath(p, top)] = (st.st_mode & 0o170000, st.st_mode & 0o111 != 0)
        return out
    assert kinds(mounted) == kinds(checkout)


@pytest.mark.parametrize("spec", ["v1.0", "head~2", "topic", "prefix"])
def test_a_version_alone(sample, mount, tmp_path, spec):
    heads.write_branch(str(sample.root / ".verfs"), "topic", sample.chain[1])
    vid = {"v1.0": sample.named["tag"], "head~2": sample.chain[-3],
           "topic": sample.chain[1], "prefix": sample.chain[2]}[spec]
    given = vid[:8] if spec == "prefix" else spec
    m = mount("--repo", sample.root, "--version", given)
    assert version_at(m.path) == vid
    same_tree(m.path, clone_at(sample, vid, tmp_path / "checkout"))
    for name in ("head", "versions", "history", "tags", "branches", "info", "files"):
        assert not (m / name).exists()


def test_a_version_of_a_bare_store_and_of_a_remote(sample, mount, tmp_path):
    vid = sample.chain[3]
    checkout = clone_at(sample, vid, tmp_path / "checkout")
    m = mount("--store", sample.root / ".verfs" / "store", "--version", vid[:6])
    same_tree(m.path, checkout)
    url = f"file://{tmp_path / 'remote'}"
    publish(sample.repo, url, tmp_path / "pub-cache")
    r = mount("--store", url, "--cache", tmp_path / "cache", "--version", "head~3")
    assert version_at(r.path) == sample.chain[-4]
    same_tree(r.path, clone_at(sample, sample.chain[-4], tmp_path / "checkout2"))


def test_an_unknown_version_mounts_nothing(sample, tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    for spec in ("nosuch", "head~99", "abcdef12"):
        proc = run_verfs("mount", "--repo", sample.root, "--version", spec, mp, check=False)
        one_line_error(proc, 1)
        assert not is_mounted(mp)
    proc = run_verfs("mount", "--store", "file:///nowhere", "--version", "head", "--poll",
                     "1", mp, check=False)
    one_line_error(proc, 2)
