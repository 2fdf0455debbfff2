"""The local cache's files: atomic, touched on use, checked where they have no check
of their own, safe to delete, and bounded in bytes across processes sharing them."""

import os
import shutil

from store.remote.cache import LOW_WATER, LocalCache


def test_files_round_trip_and_a_deleted_directory_is_only_empty(tmp_path):
    cache = LocalCache(str(tmp_path / "c"), 1 << 20)
    cache.write("remote/fans/x", b"fan")
    assert cache.read("remote/fans/x") == b"fan"
    assert cache.read("remote/fans/y") is None
    shutil.rmtree(tmp_path / "c")
    assert cache.read("remote/fans/x") is None
    cache.write("remote/fans/x", b"again")
    assert cache.read("remote/fans/x") == b"again"
    assert not [n for n in os.listdir(tmp_path / "c" / "remote" / "fans") if n != "x"]


def test_a_damaged_checked_file_is_dropped(tmp_path):
    cache = LocalCache(str(tmp_path), 1 << 20)
    cache.write_checked("s", b"slice bytes")
    assert cache.read_checked("s") == b"slice bytes"
    with open(tmp_path / "s", "r+b") as f:
        f.write(b"S")
    assert cache.read_checked("s") is None
    assert cache.damaged == 1 and not (tmp_path / "s").exists()
    (tmp_path / "short").write_bytes(b"x")
    assert cache.read_checked("short") is None


def test_a_read_touches_the_file(tmp_path):
    cache = LocalCache(str(tmp_path), 1 << 20)
    cache.write("f", b"x")
    os.utime(tmp_path / "f", (1000, 1000))
    cache.read("f")
    assert os.stat(tmp_path / "f").st_mtime > 1000


def test_the_least_recently_used_go_first_and_some_never(tmp_path):
    """(Files of whole 4 KiB blocks: the bound is on the disk used, so a file counts
    at least a block.)"""
    cache = LocalCache(str(tmp_path), 40_960)
    for i in range(8):
        cache.write(f"objects/{i}", b"x" * 4096)
        os.utime(tmp_path / "objects" / str(i), (1000 + i, 1000 + i))
    os.makedirs(tmp_path / "cache" / "v2")
    (tmp_path / "cache" / "v2" / "index.sqlite").write_bytes(b"d" * 4096)
    (tmp_path / "objects" / ".tmp-partial").write_bytes(b"t" * 4096)
    os.makedirs(tmp_path / "derived" / ".staging-x")
    (tmp_path / "derived" / ".staging-x" / "pack").write_bytes(b"s" * 20480)
    cache.write("objects/new", b"n" * 8192)         # 48 KiB in view: trim to 30 KiB
    left = sorted(os.listdir(tmp_path / "objects"))
    assert left == [".tmp-partial", "5", "6", "7", "new"]
    assert (tmp_path / "cache" / "v2" / "index.sqlite").exists()
    assert (tmp_path / "derived" / ".staging-x" / "pack").exists()   # not counted either
    assert cache.usage() <= 40_960 * LOW_WATER
    assert cache.evicted == 5 and cache.trims == 1


def test_the_file_just_written_is_kept_even_if_alone_it_passes_the_bound(tmp_path):
    cache = LocalCache(str(tmp_path), 1000)
    cache.write("a", b"a" * 500)
    cache.write("big", b"b" * 5000)
    assert cache.read("big") == b"b" * 5000 and cache.read("a") is None


def test_processes_sharing_a_directory_keep_its_bound(tmp_path):
    """Two caches over one directory (two processes): each measures the directory
    again once it added half the room left, so what the other wrote is counted too —
    the directory never holds much more than the bound."""
    limit, size = 400_000, 4096
    caches = [LocalCache(str(tmp_path), limit) for _ in range(2)]
    worst = 0
    for i in range(600):
        caches[i % 2].write(f"objects/{i}", os.urandom(size))
        worst = max(worst, caches[0].usage())
    assert worst <= limit + limit // 64 + size
    assert sum(c.trims for c in caches) > 0
