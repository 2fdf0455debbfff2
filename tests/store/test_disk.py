"""DiskStore beyond the contract: files, encodings, corruption, batches, its cache."""

import contextlib
import os
import random
import shutil
import zlib

import pytest

from store import BLOB, TREE, CorruptObject, DiskStore, StoreError
from store.disk import PLAIN, RAW, RAW_ABOVE, ZLIB
from store.diskcache import DiskCache
from store.ids import hash_bytes
from store.testing import sample_tree

MIB = 1 << 20


@pytest.fixture
def store(tmp_path):
    return DiskStore(str(tmp_path / "s"), create=True)


def all_files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def temp_files(root) -> list[str]:
    return [f for f in all_files(root) if os.path.basename(f).startswith(".")]


def stored_path(store, kind, oid) -> str:
    """The object's file, tagged or plain."""
    path = store.path(kind, oid)
    return path if os.path.exists(path) else path + PLAIN


def raw_file(store, kind, oid) -> bytes:
    with open(stored_path(store, kind, oid), "rb") as f:
        return f.read()


def write_file(store, kind, oid, data: bytes) -> None:
    with open(stored_path(store, kind, oid), "wb") as f:
        f.write(data)


def random_bytes(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


# --- layout -------------------------------------------------------------------------
def test_objects_fan_out_by_first_two_hex_digits(store):
    oid = store.put_blob(b"hello")
    assert store.path(BLOB, oid) == os.path.join(store.root, "blobs", oid[:2], oid[2:])
    assert os.path.isfile(store.path(BLOB, oid))
    tid = store.put_tree(sample_tree())
    assert os.path.isfile(os.path.join(store.root, "trees", tid[:2], tid[2:]))


def test_opening_a_non_store_fails(tmp_path):
    with pytest.raises(StoreError, match="not a verfs store"):
        DiskStore(str(tmp_path / "nothing"))


def test_reopened_store_sees_objects(store):
    oid = store.put_blob(b"kept")
    again = DiskStore(store.root)
    assert again.get_blob(oid) == b"kept"
    assert list(again.iter_ids(BLOB)) == [oid]


def test_putting_an_existing_object_writes_nothing(store):
    oid = store.put_blob(b"once")
    before = os.stat(store.path(BLOB, oid))
    files = all_files(store.root)
    assert store.put_blob(b"once") == oid
    after = os.stat(store.path(BLOB, oid))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert all_files(store.root) == files


def test_writes_leave_no_temp_files(store):
    for i in range(50):
        store.put_blob(b"%d" % i)
    assert temp_files(store.root) == []


def test_iter_ids_ignores_temp_files(store):
    oid = store.put_blob(b"x")
    stray = os.path.join(os.path.dirname(store.path(BLOB, oid)), ".tmp-crashed")
    with open(stray, "wb") as f:
        f.write(b"half")
    assert list(store.iter_ids(BLOB)) == [oid]
    assert store.resolve(BLOB, oid[:4]) == oid


# --- encodings ----------------------------------------------------------------------
def test_compressible_blob_is_stored_zlib(store):
    data = b"compress me " * 1000
    oid = store.put_blob(data)
    stored = raw_file(store, BLOB, oid)
    assert stored[:1] == ZLIB
    assert zlib.decompress(stored[1:]) == data
    assert len(stored) < len(data) // 10


def test_incompressible_blob_is_stored_raw(store):
    data = random_bytes(4096)
    oid = store.put_blob(data)
    assert raw_file(store, BLOB, oid) == RAW + data


def test_large_blob_is_stored_plain_even_if_compressible(store):
    """A plain blob is exactly its bytes, beside where a tagged file would be: it can
    be read by range, and handed to the kernel as it is (FUSE passthrough)."""
    data = b"a" * (RAW_ABOVE + 1)
    oid = store.put_blob(data)
    assert not os.path.exists(store.path(BLOB, oid))
    with open(store.path(BLOB, oid) + PLAIN, "rb") as f:
        assert f.read() == data
    assert store.get_blob(oid) == data
    assert store.contains(BLOB, oid) and store.where(BLOB, oid).endswith(PLAIN)
    assert list(store.iter_ids(BLOB)) == [oid]
    assert store.resolve(BLOB, oid[:6]) == oid
    assert store.plain_blob(oid) == store.path(BLOB, oid) + PLAIN


def test_small_blob_has_no_plain_file(store):
    oid = store.put_blob(b"small")
    assert store.plain_blob(oid) is None
    assert store.plain_blob(hash_bytes(b"absent")) is None


def test_raw_large_blob_of_an_older_store_still_reads(store, big_data):
    """Stores written before plain blobs kept large blobs tagged raw: still read, and
    still by range."""
    oid = hash_bytes(big_data)
    os.makedirs(os.path.dirname(store.path(BLOB, oid)), exist_ok=True)
    with open(store.path(BLOB, oid), "wb") as f:
        f.write(RAW + big_data)
    assert store.get_blob(oid) == big_data
    assert store.blob_size(oid) == len(big_data)
    assert store.read_blob_range(oid, MIB - 3, 10) == big_data[MIB - 3:MIB + 7]
    assert store.plain_blob(oid) is None


@pytest.mark.parametrize("batched", ["alone", "in-batch", "both-in-batch"])
def test_adopting_a_plain_blob_links_it(tmp_path, big_data, batched):
    """The durable store takes a large blob from the derived one by a hard link: one
    copy on disk — also when both are in batches, as an import writes."""
    durable = DiskStore(str(tmp_path / "d"), create=True)
    derived = durable.states.top
    with contextlib.ExitStack() as stack:
        if batched == "both-in-batch":
            stack.enter_context(derived.batch())
        oid = derived.put_blob(big_data)
        if batched != "alone":
            stack.enter_context(durable.batch())
        durable.adopt(BLOB, oid, durable.states)
        assert durable.get_blob(oid) == big_data
    mine, theirs = durable.path(BLOB, oid) + PLAIN, derived.path(BLOB, oid) + PLAIN
    assert os.path.samefile(mine, theirs)
    assert durable.read_blob_range(oid, 7, 9) == big_data[7:16]
    assert temp_files(durable.root) == []
    shutil.rmtree(os.path.join(durable.root, "cache"))
    assert DiskStore(durable.root).get_blob(oid) == big_data


def test_adopting_a_corrupt_plain_blob_refuses(tmp_path, big_data):
    durable = DiskStore(str(tmp_path / "d"), create=True)
    derived = durable.states.top
    oid = derived.put_blob(big_data)
    write_file(derived, BLOB, oid, big_data[:-1] + b"?")
    with pytest.raises(CorruptObject):
        durable.adopt(BLOB, oid, durable.states)
    assert not durable.contains(BLOB, oid)


def test_adopting_a_small_blob_copies_it(tmp_path):
    durable = DiskStore(str(tmp_path / "d"), create=True)
    derived = durable.states.top
    oid = derived.put_blob(b"small blob")
    durable.adopt(BLOB, oid, durable.states)
    assert not os.path.samefile(durable.path(BLOB, oid), derived.path(BLOB, oid))
    assert durable.get_blob(oid) == b"small blob"


def test_text_objects_are_always_zlib(store):
    tid = store.put_tree(sample_tree())
    assert raw_file(store, TREE, tid)[:1] == ZLIB


def test_hash_is_of_uncompressed_bytes(store):
    data = b"compress me " * 100
    assert store.put_blob(data) == hash_bytes(data)


# --- corruption ---------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"compress me " * 100, random_bytes(3000)],
                         ids=["zlib", "raw"])
def test_flipped_byte_is_corrupt_naming_object_and_path(store, data):
    oid = store.put_blob(data)
    stored = bytearray(raw_file(store, BLOB, oid))
    stored[len(stored) // 2] ^= 0x01
    write_file(store, BLOB, oid, bytes(stored))
    with pytest.raises(CorruptObject) as info:
        store.get_blob(oid)
    assert info.value.oid == oid
    assert info.value.path == store.path(BLOB, oid)
    assert oid in str(info.value) and store.path(BLOB, oid) in str(info.value)


@pytest.mark.parametrize("mangle", [
    lambda b: b[:len(b) // 2],          # truncated
    lambda b: b[:1],                    # only the tag survived
    lambda b: b"",                      # empty file (crash before any write)
    lambda b: b"\x00" * len(b),         # zeroed blocks
    lambda b: b"q" + b[1:],             # unknown encoding tag
    lambda b: ZLIB + b"garbage" * 10,   # not zlib at all
    lambda b: RAW + b"garbage",         # raw but other bytes
], ids=["truncated", "tag-only", "empty", "zeros", "bad-tag", "bad-zlib", "wrong-raw"])
@pytest.mark.parametrize("data", [b"compress me " * 100, random_bytes(3000)],
                         ids=["zlib", "raw"])
def test_damaged_file_is_corrupt_never_wrong_bytes(store, data, mangle):
    oid = store.put_blob(data)
    write_file(store, BLOB, oid, mangle(raw_file(store, BLOB, oid)))
    with pytest.raises(CorruptObject) as info:
        store.get_blob(oid)
    assert info.value.path == store.path(BLOB, oid)


def test_damaged_tree_is_corrupt(store):
    tid = store.put_tree(sample_tree())
    write_file(store, TREE, tid, raw_file(store, TREE, tid)[:-3])
    with pytest.raises(CorruptObject, match="tree"):
        store.get_tree(tid)


# --- blobs by range -----------------------------------------------------------------
@pytest.fixture(scope="module")
def big_data():
    return random_bytes(3 * MIB + 12345, seed=7)


def test_read_blob_range_of_large_blob(store, big_data):
    oid = store.put_blob(big_data)
    assert raw_file(store, BLOB, oid) == big_data
    assert store.blob_size(oid) == len(big_data)
    for offset, size in [(0, 1), (0, 4096), (MIB - 10, 20), (2 * MIB, MIB),
                         (len(big_data) - 5, 100), (len(big_data), 10), (len(big_data) + 9, 1)]:
        assert store.read_blob_range(oid, offset, size) == big_data[offset:offset + size]


def test_read_blob_range_detects_corruption(store, big_data):
    oid = store.put_blob(big_data)
    path = stored_path(store, BLOB, oid)
    with open(path, "r+b") as f:
        f.seek(2 * MIB)
        byte = f.read(1)
        f.seek(2 * MIB)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(CorruptObject) as info:
        store.read_blob_range(oid, 0, 10)       # far from the damage: still caught
    assert info.value.path == path


def test_read_blob_range_detects_truncation(store, big_data):
    oid = store.put_blob(big_data)
    with open(stored_path(store, BLOB, oid), "r+b") as f:
        f.truncate(MIB)
    with pytest.raises(CorruptObject):
        store.read_blob_range(oid, 0, 10)


def test_read_blob_range_of_zlib_blob(store):
    data = b"0123456789" * 1000
    oid = store.put_blob(data)
    assert store.read_blob_range(oid, 5, 20) == data[5:25]
    assert store.blob_size(oid) == len(data)


# --- batches ------------------------------------------------------------------------
def test_batch_objects_invisible_on_disk_until_it_ends(store):
    with store.batch():
        oids = [store.put_blob(b"batch %d" % i) for i in range(10)]
        tid = store.put_tree(sample_tree())
        for oid in oids:
            assert not os.path.exists(store.path(BLOB, oid))
        assert not os.path.exists(store.path(TREE, tid))
        other = DiskStore(store.root)       # another process sees nothing yet
        assert not any(other.contains(BLOB, oid) for oid in oids)
        assert list(other.iter_ids(BLOB)) == []
    for oid in oids:
        assert os.path.isfile(store.path(BLOB, oid))
    assert DiskStore(store.root).get_tree(tid) == sample_tree()
    assert temp_files(store.root) == []


def test_exception_in_batch_leaves_nothing_behind(store):
    kept = store.put_blob(b"before the batch")
    with pytest.raises(RuntimeError), store.batch():
        lost = [store.put_blob(b"lost %d" % i) for i in range(10)]
        raise RuntimeError("crash")
    assert all(not store.contains(BLOB, oid) for oid in lost)
    assert list(store.iter_ids(BLOB)) == [kept]
    assert all_files(store.root) == [os.path.relpath(store.path(BLOB, kept), store.root)]


def test_batch_then_plain_writes(store):
    """After a batch the store writes durably one object at a time again."""
    with store.batch():
        store.put_blob(b"a")
    oid = store.put_blob(b"b")
    assert os.path.isfile(store.path(BLOB, oid))


# --- derived cache ------------------------------------------------------------------
KEY = hash_bytes(b"version")
VALUE = hash_bytes(b"tree")


def test_disk_cache_persists_across_instances(store):
    store.cache.put("roots", KEY, VALUE)
    assert DiskStore(store.root).cache.get("roots", KEY) == VALUE


def test_disk_cache_lives_apart_from_objects(store):
    store.cache.put("roots", KEY, VALUE)
    assert list(store.iter_ids(BLOB)) == []
    assert os.path.commonpath([store.cache.base, store.root]) == store.root
    assert os.path.basename(os.path.dirname(store.cache.base)) == "cache"


@pytest.mark.parametrize("garbage", ["", "two\nlines", "nul\x00"])
def test_disk_cache_unprintable_value_reads_as_none(store, garbage):
    store.cache.put("roots", KEY, garbage)
    assert store.cache.get("roots", KEY) is None


def test_disk_cache_entries_share_one_file(store):
    """10,000 versions' roots are one file, not 10,000 blocks of 4 KiB."""
    keys = [hash_bytes(b"%d" % i) for i in range(2000)]
    store.cache.put_many(("roots", k, VALUE) for k in keys)
    assert all(DiskStore(store.root).cache.get("roots", k) == VALUE for k in keys[::50])
    files = all_files(store.cache.base)
    assert files == ["index.sqlite"]


@pytest.mark.parametrize("garbage", [b"", b"not a database at all" * 100, b"\x00" * 8192])
def test_a_damaged_disk_cache_reads_as_empty_and_starts_afresh(store, garbage):
    store.cache.put("roots", KEY, VALUE)
    store.cache.close()
    with open(store.cache.path, "wb") as f:
        f.write(garbage)
    fresh = DiskStore(store.root).cache
    assert fresh.get("roots", KEY) is None
    fresh.put("roots", KEY, VALUE)
    assert DiskStore(store.root).cache.get("roots", KEY) == VALUE


def test_disk_cache_area_can_be_cleared(store):
    store.cache.put("roots", KEY, VALUE)
    store.cache.put("verified", KEY, VALUE)
    store.cache.clear("roots")
    assert store.cache.get("roots", KEY) is None
    assert store.cache.get("verified", KEY) == VALUE


def test_disk_cache_can_be_deleted(store):
    store.cache.put("roots", KEY, VALUE)
    shutil.rmtree(os.path.join(store.root, "cache"))
    assert store.cache.get("roots", KEY) is None
    store.cache.put("roots", KEY, VALUE)
    assert store.cache.get("roots", KEY) == VALUE


def test_unwritable_cache_still_serves(tmp_path):
    """A store on read-only media reads fine, just without caching."""
    root = tmp_path / "s"
    DiskStore(str(root), create=True)
    (root / "cache").write_text("a file where the cache directory should be")
    cache = DiskCache(str(root))
    cache.put("roots", KEY, VALUE)      # must not raise
    assert cache.get("roots", KEY) is None
    assert not cache.writable


def test_a_large_blob_is_hashed_once_across_processes(store):
    """The whole-file check of a large blob leaves its block list in the cache area: a
    new store object (a new mount) reads by range hashing only the blocks it reads."""
    data = random_bytes(2 * RAW_ABOVE + 3)
    oid = store.put_blob(data)
    assert store.read_blob_range(oid, 5, 10) == data[5:15]
    assert store.blocks.full_checks == 1
    again = DiskStore(store.root)
    assert again.read_blob_range(oid, RAW_ABOVE, 7) == data[RAW_ABOVE:RAW_ABOVE + 7]
    assert again.blocks.full_checks == 0


def test_a_large_blob_changed_after_its_check_is_corrupt(store):
    data = random_bytes(2 * RAW_ABOVE + 3)
    oid = store.put_blob(data)
    assert store.read_blob_range(oid, 0, 4) == data[:4]
    raw = bytearray(raw_file(store, BLOB, oid))
    raw[-1] ^= 1
    os.chmod(stored_path(store, BLOB, oid), 0o644)
    write_file(store, BLOB, oid, bytes(raw))        # same size, new mtime and ctime
    for s in (store, DiskStore(store.root)):
        with pytest.raises(CorruptObject):
            s.read_blob_range(oid, len(data) - 4, 4)


def flip_in_place(path: str, at: int) -> None:
    """Bit rot: one byte changed, the file's mtime and atime as they were (its ctime
    cannot be kept from user space)."""
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x10]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_bit_rot_in_a_large_blob_is_corrupt_whatever_its_file_says(store, big_data):
    """A byte flipped on disk after the blob was verified changes none of the file's
    size, inode or mtime: the blocks a read touches are hashed again, so it is
    CorruptObject, never the rotten bytes.  (An entry of the old ``verified`` area
    naming the file as it is now models rot that changed its ctime neither.)"""
    oid = store.put_blob(big_data)
    assert store.read_blob_range(oid, 0, 10) == big_data[:10]     # verified whole
    path = stored_path(store, BLOB, oid)
    flip_in_place(path, 2 * MIB + 5)
    st = os.stat(path)
    store.cache.put("verified", oid, f"{st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}")
    for s in (store, DiskStore(store.root)):
        with pytest.raises(CorruptObject) as info:
            s.read_blob_range(oid, 2 * MIB, 4096)
        assert info.value.path == path and "block" in info.value.why
        assert s.read_blob_range(oid, 0, 10) == big_data[:10]     # an intact block


def test_handing_a_plain_blob_over_checks_it_against_its_block_list(store, big_data):
    """Before the kernel reads a plain blob itself (passthrough), every block is checked
    against the list the first whole verification left, not hashed twice over again."""
    oid = store.put_blob(big_data)
    assert store.plain_blob(oid) is not None
    assert store.blocks.full_checks == 1
    again = DiskStore(store.root)
    assert again.plain_blob(oid) == stored_path(store, BLOB, oid)
    assert again.blocks.full_checks == 0


def test_handing_over_a_rotten_plain_blob_is_corrupt(store, big_data):
    oid = store.put_blob(big_data)
    store.plain_blob(oid)
    path = stored_path(store, BLOB, oid)
    flip_in_place(path, len(big_data) - 1)
    for s in (store, DiskStore(store.root)):
        with pytest.raises(CorruptObject) as info:
            s.plain_blob(oid)
        assert info.value.path == path and "block 24 " in info.value.why


def block_list_path(store, oid) -> str:
    return os.path.join(store.cache.base, "blocks", oid[:2], oid[2:])


@pytest.mark.parametrize("damage", ["flipped", "truncated", "another-blob's", "empty"])
def test_a_bad_block_list_is_dropped_and_made_again(store, big_data, damage):
    oid = store.put_blob(big_data)
    other = store.put_blob(big_data[::-1])
    store.read_blob_range(oid, 0, 1)
    store.read_blob_range(other, 0, 1)
    path = block_list_path(store, oid)
    with open(path, "rb") as f:
        good = f.read()
    bad = {"flipped": good[:40] + bytes([good[40] ^ 1]) + good[41:], "truncated": good[:-1],
           "empty": b""}.get(damage)
    if bad is None:
        with open(block_list_path(store, other), "rb") as f:
            bad = f.read()
    with open(path, "wb") as f:
        f.write(bad)
    again = DiskStore(store.root)
    assert again.read_blob_range(oid, MIB, 9) == big_data[MIB:MIB + 9]
    assert again.blocks.full_checks == 1        # not trusted: verified whole again
    with open(path, "rb") as f:
        assert f.read() == good


def test_a_truncated_large_blob_is_corrupt_after_its_check(store, big_data):
    oid = store.put_blob(big_data)
    store.read_blob_range(oid, 0, 1)
    with open(stored_path(store, BLOB, oid), "r+b") as f:
        f.truncate(2 * MIB)
    with pytest.raises(CorruptObject, match="bytes where the blob has"):
        DiskStore(store.root).read_blob_range(oid, 0, 1)


def test_block_checked_reads_of_every_alignment(store, big_data):
    from store.blocks import BLOCK
    oid = store.put_blob(big_data)
    for offset, size in [(0, BLOCK), (BLOCK - 1, 2), (BLOCK, BLOCK), (3, 3 * BLOCK),
                         (len(big_data) - BLOCK - 7, 2 * BLOCK), (len(big_data) - 1, 1)]:
        assert store.read_blob_range(oid, offset, size) == big_data[offset:offset + size]
