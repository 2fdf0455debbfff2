"""Through a real mount, derived data is rebuilt rather than trusted or failed: a
damaged derived cache entry, and derived objects deleted or corrupt."""

import os
import shutil

from store import BLOB, TREE
from tests.cachefile import swap_roots
from tests.mount.histories import BINARY


def _entry(sample, vid: str, path: str):
    states = sample.repo.history.states
    tree = states.get_tree(sample.repo.history.root_tree(vid))
    *dirs, name = path.split("/")
    for d in dirs:
        tree = states.get_tree(tree.get(d).oid)
    return tree.get(name)


def _loose_derived(sample, kind: str, oid: str) -> str:
    path = sample.repo.store.derived.where(kind, oid)
    assert path and os.path.exists(path) and " at " not in path, path
    return path


def test_swapped_roots_serve_each_version_its_own_tree(sample, mount):
    start, rename = sample.named["start"], sample.named["rename"]
    swap_roots(sample.repo.store.cache.path, start, rename)
    m = mount("--repo", sample.root)
    assert sorted(os.listdir(m / "versions" / start / "docs")) == ["guide.txt"]
    assert sorted(os.listdir(m / "versions" / rename / "docs")) == ["manual.txt"]
    assert "dropped the damaged entry roots/" in m.log.read_text()


def test_deleted_derived_objects_are_rebuilt(sample, mount):
    edit = sample.named["edit"]
    os.unlink(_loose_derived(sample, BLOB, _entry(sample, edit, "README").oid))
    os.unlink(_loose_derived(sample, TREE, _entry(sample, edit, "src/lib").oid))
    m = mount("--repo", sample.root)
    assert (m / "versions" / edit / "README").read_bytes() == b"A sample project.\n"
    util = (m / "versions" / edit / "src/lib/util.c").read_bytes()
    assert b"line five, edited\n" in util


def test_a_corrupt_derived_blob_is_rebuilt_not_served(sample, mount):
    start = sample.named["start"]
    with open(_loose_derived(sample, BLOB, _entry(sample, start, "README").oid), "wb") as f:
        f.write(b"rA sample projecT.\n")
    m = mount("--repo", sample.root)
    assert (m / "versions" / start / "README").read_bytes() == b"A sample project.\n"
    assert "is corrupt" in m.log.read_text()


def test_the_cache_deleted_under_a_mount_that_has_read_it(sample, mount):
    """The mount knows a version's root (in memory) when cache/ goes; the files it
    has not read yet are rebuilt, not lost."""
    vid = sample.named["binary"]
    m = mount("--repo", sample.root)
    assert (m / "versions" / vid / "README").read_bytes() == b"A sample project.\n"
    shutil.rmtree(sample.root / ".verfs/store/cache")
    assert (m / "versions" / vid / "logo.bin").read_bytes() == BINARY[::-1]
    assert b"line five, edited\n" in (m / "versions" / vid / "src/lib/util.c").read_bytes()
    assert (m / "versions" / vid / "docs/manual.txt").read_bytes().startswith(b"How to use")
