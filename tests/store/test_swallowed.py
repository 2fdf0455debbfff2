"""Failures the store goes on from on purpose are never silent: each is counted (an
integer a test reads) and logged to 'verfs.store' — once per kind, however often it
happens on a hot path."""

import logging
import os
import shutil

from store import DiskStore
from store import staging as store_staging
from store.disk import RAW_ABOVE
from store.diskcache import DiskCache
from store.staging import Staging, clean_abandoned

KEY, VALUE = "a" * 64, "b" * 64


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "verfs.store"]


def test_a_damaged_cache_file_is_set_aside_said_and_counted(tmp_path, caplog):
    cache = DiskCache(str(tmp_path))
    cache.put("roots", KEY, VALUE)
    cache.close()
    with open(cache.path, "wb") as f:
        f.write(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING, "verfs.store"):
        assert DiskCache(str(tmp_path)).get("roots", KEY) is None
    assert os.path.exists(cache.path + ".damaged")
    said = _said(caplog)
    assert len(said) == 1 and "set aside" in said[0]


def test_an_unusable_cache_is_said_once_and_counted_every_time(tmp_path, caplog):
    root = tmp_path / "s"
    DiskStore(str(root), create=True)
    shutil.rmtree(root / "cache", ignore_errors=True)
    (root / "cache").write_text("a file where the cache directory should be")
    cache = DiskCache(str(root))
    with caplog.at_level(logging.WARNING, "verfs.store"):
        for _ in range(5):
            cache.get("roots", KEY)
        cache.put("roots", KEY, VALUE)
        (root / "cache").unlink()
        (root / "cache").mkdir()
        (root / "cache" / "v2").write_text("a file where the cache's directory should be")
        for _ in range(5):
            assert cache.get("roots", KEY) is None
    assert cache.swallowed.count >= 5
    assert len(_said(caplog)) == len(set(_said(caplog))) >= 1      # once per kind


def test_a_damaged_block_list_is_said_and_counted(tmp_path, caplog):
    store = DiskStore(str(tmp_path / "s"), create=True)
    data = os.urandom(2 * RAW_ABOVE + 5)
    oid = store.put_blob(data)
    store.read_blob_range(oid, 0, 1)                    # verified whole, list kept
    path = os.path.join(store.cache.base, "blocks", oid[:2], oid[2:])
    with open(path, "r+b") as f:
        f.write(b"X")
    again = DiskStore(store.root)
    with caplog.at_level(logging.WARNING, "verfs.store"):
        assert again.read_blob_range(oid, 7, 3) == data[7:10]
    assert again.blocks.swallowed.count == 1
    assert any("damaged one was dropped" in m for m in _said(caplog))


def test_block_lists_that_cannot_be_kept_are_said_and_counted(tmp_path, caplog):
    store = DiskStore(str(tmp_path / "s"), create=True)
    data = os.urandom(2 * RAW_ABOVE + 5)
    oid = store.put_blob(data)
    blocks = os.path.join(store.cache.base, "blocks")
    shutil.rmtree(blocks, ignore_errors=True)
    os.makedirs(os.path.dirname(blocks), exist_ok=True)
    with open(blocks, "w") as f:
        f.write("a file where the block lists' directory should be")
    again = DiskStore(store.root)
    with caplog.at_level(logging.WARNING, "verfs.store"):
        assert again.read_blob_range(oid, 0, 4) == data[:4]
    assert again.blocks.swallowed.count == 1
    assert any("cannot keep one on disk" in m for m in _said(caplog))


def test_a_leftover_that_cannot_be_removed_is_said_and_counted(tmp_path, monkeypatch,
                                                                caplog):
    """An unremovable file inside an abandoned staging directory (os.unlink refuses it,
    as a read-only directory would for a non-root user)."""
    root = str(tmp_path / "s")
    left = Staging(root)
    with open(os.path.join(left.path, "stuck"), "w") as f:
        f.write("x")
    os.close(left._fd)                  # its owner died
    left._fd = None
    real_unlink = os.unlink

    def unlink(path, *args, **kw):
        if os.fsdecode(path).endswith("stuck"):
            raise PermissionError(1, "Operation not permitted", path)
        return real_unlink(path, *args, **kw)
    monkeypatch.setattr(os, "unlink", unlink)
    before = store_staging.swallowed.count
    with caplog.at_level(logging.WARNING, "verfs.store"):
        assert clean_abandoned(root) == 0           # not removed: not counted as removed
    assert store_staging.swallowed.count == before + 1
    assert os.path.exists(left.path)
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert clean_abandoned(root) == 1               # the next cleaner tries again
