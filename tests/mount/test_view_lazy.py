"""Laziness and caching: mounting reconstructs nothing; a version's tree is built on
first look, once, however many threads look at once; later looks — in this mount or
the next — replay no patch; large files are read by range."""

import shutil
import threading

import pytest

from store import DiskStore
from store.disk import RAW_ABOVE
from store.overlay import OverlayStore
from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR, put
from tests.treestate import tree_state
from verfs import ops
from verfs.history import History
from verfs.mount.view import View


def drop_derived_cache(sample) -> None:
    shutil.rmtree(sample.repo.store.root + "/cache", ignore_errors=True)


def test_listing_and_stat_reconstruct_nothing(sample):
    drop_derived_cache(sample)
    view = fresh_view(sample)
    for path in ("/", "/versions", "/info", "/history", "/tags", "/head"):
        view.lookup(path)
    for name, _, _ in view.readdir("/versions"):
        view.lookup(f"/versions/{name}")
        view.read(view.open(f"/info/{name}"), 0, 4096)
    view.readdir("/history")
    assert view.history.replayed == 0
    assert not (sample.root / ".verfs/store/cache").exists()


def test_a_tree_is_built_once_then_cached_in_memory_and_in_the_store(sample):
    drop_derived_cache(sample)
    vid = sample.named["binary"]
    view = fresh_view(sample)
    view.readdir(f"/versions/{vid}")
    built = view.history.replayed
    assert built > 0
    view.read(view.open(f"/versions/{vid}/src/lib/util.c"), 0, 100)
    view.readdir(f"/versions/{vid}/src/lib")
    assert view.history.replayed == built
    again = fresh_view(sample)                  # a new mount of the same store
    again.readdir(f"/versions/{vid}/src")
    assert again.history.replayed == 0


def test_concurrent_first_looks_build_once(sample, monkeypatch):
    drop_derived_cache(sample)
    vid = sample.chain[-1]
    view = fresh_view(sample)
    calls = []
    real = view.history.root_tree

    def slow_root_tree(v):
        calls.append(v)
        threading.Event().wait(0.2)          # let every thread arrive meanwhile
        return real(v)
    monkeypatch.setattr(view.history, "root_tree", slow_root_tree)
    results, errors = [], []

    def look():
        try:
            results.append(view.readdir(f"/versions/{vid}/src"))
        except Exception as exc:          # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8 and all(r == results[0] for r in results)
    assert calls == [vid]


def test_versions_share_subtree_cache_entries(sample):
    view = fresh_view(sample)
    a, b = sample.named["rename"], sample.named["binary"]
    view.readdir(f"/versions/{a}/src/lib")
    misses = view.states._trees.misses
    view.readdir(f"/versions/{b}/src/lib")
    assert view.states._trees.misses == misses + 1     # only b's root tree was new
    assert view.lookup(f"/versions/{a}/src").oid == view.lookup(f"/versions/{b}/src").oid


def test_large_files_are_read_by_range(sample, monkeypatch):
    big = bytes(range(256)) * ((3 * RAW_ABOVE) // 256 + 7)
    put(sample.root, "big.bin", big)
    vid = ops.record(sample.repo, "a big file", AUTHOR, "20240120000000")
    view = fresh_view(sample, blob_cache_bytes=4 << 20)
    node = view.lookup(f"/versions/{vid}/big.bin")
    assert node.size == len(big)
    for store in (view.store, view.states):
        monkeypatch.setattr(store, "get_blob", lambda oid: pytest.fail("loaded whole"))
    for offset, size in ((0, 4096), (RAW_ABOVE - 10, 20), (2 * RAW_ABOVE + 5, 131072),
                         (len(big) - 100, 4096), (len(big), 10)):
        assert view.read(node, offset, size) == big[offset:offset + size]
    assert view.blobs.pieces.nbytes <= 4 << 20


def test_an_unwritable_store_still_reconstructs_in_memory(sample):
    drop_derived_cache(sample)
    disk = DiskStore(sample.repo.store.root)
    store = OverlayStore(disk)
    before = sorted(p.name for p in (sample.root / ".verfs/store/trees").rglob("*"))
    view = View(store, History(store))
    for vid in sample.chain:
        view.readdir(f"/versions/{vid}")
        assert tree_state(store, view.root_tree(vid)) == tree_state(
            sample.repo.store, sample.repo.history.root_tree(vid))
    assert view.history.replayed > 0
    after = sorted(p.name for p in (sample.root / ".verfs/store/trees").rglob("*"))
    assert before == after


def test_the_blob_cache_is_bounded(sample):
    view = fresh_view(sample, blob_cache_bytes=1000)
    vid = sample.named["start"]
    data = view.read(view.open(f"/versions/{vid}/logo.bin"), 0, 10_000)
    assert len(data) > 700 and view.blobs.pieces.nbytes <= 1000
