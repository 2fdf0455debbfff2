"""The remote store's reads cost what the layout promises, its cache keeps its bound
and survives deletion, its manifest keeps every writer's lines, and damage — remote
or cached — is CorruptObject or a fetch again, never wrong bytes."""

import os
import shutil
import threading

import pytest

from store.base import BLOB, TREE, VERSION
from store.errors import CorruptObject, ObjectNotFound
from store.ids import EMPTY_BLOB, hash_bytes
from store.pack import BadPack
from store.place import RAW_ABOVE, encode
from store.remote import layout
from store.remote import store as remote_store
from store.remote.transport import NotARemoteStore, PreconditionFailed
from tests.remote.stores import Where, dir_remote, make_where, new_store, requests


@pytest.fixture(params=["dir", "s3", "http"])
def where(request, tmp_path) -> Where:
    return make_where(request.param, request, tmp_path)


@pytest.fixture(params=["dir", "s3"])
def writable(request, tmp_path) -> Where:
    return make_where(request.param, request, tmp_path)


def pushed(where, tmp_path):
    pusher = new_store(where, tmp_path / "pusher", create=True)
    blobs = {hash_bytes(b"blob %d" % i): b"blob %d" % i for i in range(2000)}
    pusher.upload_pack([(BLOB, oid, data) for oid, data in blobs.items()], layout.HISTORY)
    return where, blobs


@pytest.fixture
def remote(where, tmp_path):
    """A remote with one history pack of 2,000 blobs (about 8 per slice) pushed."""
    return pushed(where, tmp_path)


@pytest.fixture
def writable_remote(writable, tmp_path):
    """The same over the remotes that list and write (a directory, S3)."""
    return pushed(writable, tmp_path)


@pytest.fixture
def dir_pushed(tmp_path):
    """The same over a directory only (for what no transport changes)."""
    return pushed(dir_remote(tmp_path / "remote"), tmp_path)


def disk_usage(path) -> int:
    """Bytes of every file below ``path`` (measured here, not by the cache)."""
    return sum(os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(path)
               for n in names)


def same_slice(blobs) -> tuple[str, str]:
    """Two blob ids sharing their first byte (so one index slice)."""
    by_first: dict[str, str] = {}
    for oid in sorted(blobs):
        if oid[:2] in by_first:
            return by_first[oid[:2]], oid
        by_first[oid[:2]] = oid
    raise AssertionError("no two ids share a byte")


# --- what lookups cost ------------------------------------------------------------------
def test_one_ranged_get_per_object_once_its_slice_is_local(remote, tmp_path):
    where, blobs = remote
    a, b = same_slice(blobs)
    store = new_store(where, tmp_path / "cache")
    assert requests(store) == 2                 # verfs-remote, manifest
    assert store.get(BLOB, a) == blobs[a]
    assert requests(store) == 5                 # + the fan, the slice, the object
    assert store.get(BLOB, b) == blobs[b]
    assert requests(store) == 6                 # the slice is local: the object only
    assert store.get(BLOB, a) == blobs[a]
    assert requests(store) == 6                 # fetched once, kept


def test_a_new_store_over_the_same_cache_asks_only_whether_the_manifest_changed(
        remote, tmp_path):
    """Opening asks the manifest once, conditionally (a 304 when unchanged): a remote
    emptied and pushed to again is never taken for the one the cache saw."""
    where, blobs = remote
    a, b = same_slice(blobs)
    first = new_store(where, tmp_path / "cache")
    assert first.get(BLOB, a) == blobs[a] and first.get(BLOB, b) == blobs[b]
    again = new_store(where, tmp_path / "cache")
    assert again.get(BLOB, a) == blobs[a] and again.get(BLOB, b) == blobs[b]
    assert again.contains(BLOB, a)
    assert requests(again) == 1


def test_a_miss_refreshes_the_manifest_before_it_is_final(remote, tmp_path):
    """A reader that opened before a push finds the pushed objects: a miss reads the
    manifest again, and is final only when it did not change."""
    where, _ = remote
    reader = new_store(where, tmp_path / "reader")
    writer = new_store(where, tmp_path / "writer", write=True)
    oid = writer.upload_pack([(TREE, hash_bytes(b"t"), b"t")], layout.HISTORY) and \
        hash_bytes(b"t")
    assert reader.get(TREE, oid) == b"t"
    before = requests(reader)
    with pytest.raises(ObjectNotFound):
        reader.get(TREE, hash_bytes(b"never"))
    assert requests(reader) - before == 2       # the loose object, the manifest (unchanged)


def test_not_a_remote_store(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NotARemoteStore, match="holds no verfs store"):
        new_store(tmp_path / "empty", tmp_path / "cache")


# --- tables -----------------------------------------------------------------------------
def test_tables_answer_the_derived_cache_a_bucket_at_a_time(remote, tmp_path):
    where, _ = remote
    pusher = new_store(where, tmp_path / "pusher", write=True)
    entries = {hash_bytes(b"v%d" % i): hash_bytes(b"r%d" % i) for i in range(3000)}
    name = pusher.upload_table("roots", entries)
    assert pusher.table_entries(name) == entries

    reader = new_store(where, tmp_path / "reader")
    keys = sorted(entries)[:40] + [hash_bytes(b"absent")]
    buckets = {k[:3] for k in keys}
    before = requests(reader)
    found = reader.cache.get_many("roots", keys)
    assert found == {k: entries[k] for k in keys[:40]}
    assert requests(reader) - before <= 1 + len(buckets)     # the header, each bucket once
    before = requests(reader)
    assert reader.cache.get_many("roots", keys) == found
    assert reader.cache.get("roots", keys[0]) == entries[keys[0]]
    assert reader.cache.get("stamps", keys[0]) is None      # another area: no table
    assert requests(reader) == before
    again = new_store(where, tmp_path / "reader")
    assert again.cache.get_many("roots", keys) == found
    assert requests(again) == 1                 # the manifest's check, at opening


def test_a_damaged_table_line_is_dropped_the_rest_served(remote, tmp_path):
    where, _ = remote
    pusher = new_store(where, tmp_path / "pusher", write=True)
    entries = {hash_bytes(b"v%d" % i): hash_bytes(b"r%d" % i) for i in range(50)}
    name = pusher.upload_table("roots", entries)
    victim, other = sorted(entries)[:2]
    key = layout.table_key(name)
    data = pusher.transport.get(key)[0]
    wrong = hash_bytes(b"wrong")
    data = data.replace(entries[victim].encode(), wrong.encode())
    pusher.transport.put(key, data)
    reader = new_store(where, tmp_path / "reader")
    got = reader.cache.get_many("roots", [victim, other])
    assert got == {other: entries[other]}
    assert reader.dropped == 1
    assert victim not in reader.table_entries(name)


def test_first_writer_wins_gives_way_to_the_remote_tables(dir_pushed, tmp_path):
    where, _ = dir_pushed
    pusher = new_store(where, tmp_path / "pusher", write=True)
    k = hash_bytes(b"k")
    pusher.upload_table("stamps", {k: "100"})
    reader = new_store(where, tmp_path / "reader")
    reader.cache.put_many([], if_absent=[("stamps", k, "200")])
    assert reader.cache.get("stamps", k) == "100"


# --- writers ----------------------------------------------------------------------------
def gated(transport, barrier):
    """``transport`` (a real one), whose first read of the manifest once ``armed``
    waits at ``barrier`` — so that two writers both read it before either writes it —
    and which counts the conditional writes it lost (``lost``)."""
    get, put = transport.get, transport.put
    transport.armed, transport.lost = False, 0

    def gated_get(key):
        got = get(key)
        if key == layout.MANIFEST_KEY and transport.armed:
            transport.armed = False
            barrier.wait(timeout=30)
        return got

    def counted_put(key, data, **kw):
        try:
            return put(key, data, **kw)
        except PreconditionFailed:
            transport.lost += 1
            raise

    transport.get, transport.put = gated_get, counted_put
    return transport


@pytest.mark.parametrize("first_push", [False, True])
def test_two_writers_growing_the_manifest_keep_both_lines(writable, tmp_path, first_push):
    where = writable
    setup = new_store(where, tmp_path / "setup", create=True)
    if not first_push:
        setup.upload_pack([(BLOB, hash_bytes(b"old"), b"old")], layout.HISTORY)
    barrier = threading.Barrier(2)
    writers = [new_store(where, tmp_path / f"w{i}",
                         transport=gated(where.writer(), barrier)) for i in (0, 1)]
    names, errors = [None, None], []
    for w in writers:
        w.transport.armed = True

    def push(i):
        try:
            names[i] = writers[i].upload_pack([(BLOB, hash_bytes(b"w%d" % i), b"w%d" % i)],
                                              layout.HISTORY)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(w.transport.lost for w in writers) == 1      # one lost the race, retried
    final = layout.parse_manifest(setup.transport.get(layout.MANIFEST_KEY)[0])
    assert set(names) <= set(final.pack_names())
    reader = new_store(where, tmp_path / "reader")
    assert reader.get(BLOB, hash_bytes(b"w0")) == b"w0"
    assert reader.get(BLOB, hash_bytes(b"w1")) == b"w1"


def test_a_batch_is_one_pack(writable, tmp_path):
    store = new_store(writable, tmp_path / "cache", create=True)
    with store.batch():
        oids = [store.put(BLOB, b"%d" % i) for i in range(100)]
    assert len(store.pack_names()) == 1
    assert not list(store.transport.list("objects/"))
    reader = new_store(writable, tmp_path / "reader")
    assert [reader.get(BLOB, o) for o in oids] == [b"%d" % i for i in range(100)]


def test_a_failed_batch_uploads_nothing(writable, tmp_path):
    store = new_store(writable, tmp_path / "cache", create=True)
    with pytest.raises(RuntimeError), store.batch():
        oid = store.put(BLOB, b"lost")
        raise RuntimeError
    assert store.pack_names() == []
    assert not store.contains(BLOB, oid)


def test_head_moves_only_from_what_its_writer_read(writable, tmp_path):
    store = new_store(writable, tmp_path / "cache", create=True)
    assert store.read_head() == (None, None)
    v1, v2, v3 = (hash_bytes(x) for x in (b"1", b"2", b"3"))
    e1 = store.write_head(v1, None)
    assert store.read_head() == (v1, e1)
    with pytest.raises(PreconditionFailed):
        store.write_head(v2, None)              # someone made a head meanwhile
    e2 = store.write_head(v2, e1)
    with pytest.raises(PreconditionFailed):
        store.write_head(v3, e1)                # stale
    assert store.read_head() == (v2, e2)
    store.write_head(v3, e1, force=True)
    assert store.read_head()[0] == v3
    store.write_head(None, store.read_head()[1])
    assert store.read_head()[0] is None


def test_fetch_pack_is_verified(remote, tmp_path):
    where, blobs = remote
    store = new_store(where, tmp_path / "cache")
    name = store.pack_names("history")[0]
    dest = tmp_path / "got" / f"{name}.pack"
    store.fetch_pack(name, str(dest))
    assert hash_bytes(dest.read_bytes()) == name
    key = layout.pack_key(name)
    writer = where.writer()
    data = bytearray(writer.get(key)[0])
    data[100] ^= 1
    writer.put(key, bytes(data))
    with pytest.raises(BadPack, match="does not match"):
        store.fetch_pack(name, str(tmp_path / "bad.pack"))
    assert not (tmp_path / "bad.pack").exists()


# --- damage -----------------------------------------------------------------------------
def test_a_corrupt_remote_object_is_corrupt_never_wrong_bytes(remote, tmp_path):
    where, blobs = remote
    store = new_store(where, tmp_path / "cache")
    oid = sorted(blobs)[7]
    name, offset, length = store._find_packed(BLOB, oid)
    key = layout.pack_key(name)
    writer = where.writer()
    data = bytearray(writer.get(key)[0])
    data[offset:offset + length] = encode(BLOB, b"blob 8")[:length].ljust(length, b"x")
    writer.put(key, bytes(data))
    for _ in range(2):          # and not kept: the second read fails as the first
        with pytest.raises(CorruptObject) as info:
            store.get(BLOB, oid)
        assert key in str(info.value) and store.transport.label in str(info.value)
    assert not store.fetched.contains(BLOB, oid)


def test_a_corrupt_cached_copy_is_dropped_and_fetched_again(dir_pushed, tmp_path):
    where, blobs = dir_pushed
    oid = sorted(blobs)[3]
    store = new_store(where, tmp_path / "cache")
    assert store.get(BLOB, oid) == blobs[oid]
    path = store.fetched.loose.exists(BLOB, oid)
    with open(path, "wb") as f:
        f.write(encode(BLOB, b"not the blob"))
    again = new_store(where, tmp_path / "cache")
    assert again.get(BLOB, oid) == blobs[oid]
    assert again.dropped == 1 and requests(again) == 2      # the manifest's check; the object


def test_damaged_cached_fans_and_slices_are_fetched_again(dir_pushed, tmp_path):
    where, blobs = dir_pushed
    oid = sorted(blobs)[5]
    store = new_store(where, tmp_path / "cache")
    assert store.get(BLOB, oid) == blobs[oid]
    shutil.rmtree(tmp_path / "cache" / "objects")
    for sub in ("fans", "slices"):
        for dirpath, _, files in os.walk(tmp_path / "cache" / "remote" / sub):
            for name in files:
                with open(os.path.join(dirpath, name), "r+b") as f:
                    f.seek(20)
                    f.write(b"\xff\xff")
    again = new_store(where, tmp_path / "cache")
    assert again.get(BLOB, oid) == blobs[oid]
    assert again.dropped == 2
    assert not again.unreadable_parts()


def test_a_damaged_remote_fan_makes_a_miss_cannot_tell(remote, tmp_path):
    from store.errors import CannotTell
    where, blobs = remote
    store = new_store(where, tmp_path / "cache")
    name = store.pack_names()[0]
    where.writer().put(layout.fan_key(name), b"verfs-fan 1\nnonsense")
    with pytest.raises(CannotTell):
        store.get(BLOB, sorted(blobs)[0])
    assert "unreadable pack" in store.unreadable_parts()[0]


# --- the cache directory ----------------------------------------------------------------
def test_deleting_the_cache_under_a_live_store(dir_pushed, tmp_path):
    where, blobs = dir_pushed
    store = new_store(where, tmp_path / "cache")
    some = sorted(blobs)[:20]
    assert all(store.get(BLOB, o) == blobs[o] for o in some)
    store.cache.put("roots", some[0], some[1])
    tree = store.states.put(TREE, b"derived tree")
    shutil.rmtree(tmp_path / "cache")
    assert all(store.get(BLOB, o) == blobs[o] for o in some)
    assert store.cache.get("roots", some[0]) is None        # derived: simply absent
    store.cache.put("roots", some[0], some[1])
    assert store.cache.get("roots", some[0]) == some[1]
    assert not store.states.contains(TREE, tree)
    assert store.states.put(TREE, b"derived tree") == tree
    assert store.states.get(TREE, tree) == b"derived tree"
    assert not list(store.transport.list("objects/"))      # states stay local


def test_the_cache_keeps_its_bound(tmp_path):
    limit = 200 << 10
    pusher = new_store(tmp_path / "remote", tmp_path / "pusher", create=True)
    blobs = {}
    for i in range(120):
        data = os.urandom(4000) + b"%d" % i         # incompressible: 4 KB each on disk
        blobs[hash_bytes(data)] = data
    pusher.upload_pack([(BLOB, o, d) for o, d in blobs.items()], layout.HISTORY)
    store = new_store(tmp_path / "remote", tmp_path / "cache", cache_size=limit)
    for oid, data in blobs.items():
        assert store.get(BLOB, oid) == data
        assert disk_usage(tmp_path / "cache") <= limit
    for _ in range(3):
        for oid, data in blobs.items():
            assert store.states.get(BLOB, oid) == data
    for i in range(80):                 # derived objects count as much as fetched ones
        store.states.put(TREE, os.urandom(4000) + b"%d" % i)
        assert disk_usage(tmp_path / "cache") <= limit
    assert store.local.trims > 0 and store.local.evicted > 0
    assert disk_usage(tmp_path / "cache") <= limit


def test_a_large_blob_is_fetched_once_then_read_by_range(tmp_path):
    data = os.urandom(RAW_ABOVE + 300_000)
    oid = hash_bytes(data)
    pusher = new_store(tmp_path / "remote", tmp_path / "pusher", create=True)
    pusher.upload_pack([(BLOB, oid, data)], layout.HISTORY)
    store = new_store(tmp_path / "remote", tmp_path / "cache")
    assert store.read_blob_range(oid, 1000, 50) == data[1000:1050]
    before = requests(store)
    assert store.blob_size(oid) == len(data)
    assert store.read_blob_range(oid, RAW_ABOVE, 10_000) == data[RAW_ABOVE:RAW_ABOVE + 10_000]
    assert requests(store) == before
    plain = store.fetched.plain_blob(oid)
    assert plain is not None
    with open(plain, "r+b") as f:                   # a byte of the cached copy flipped
        f.seek(RAW_ABOVE + 5)
        byte = f.read(1)
        f.seek(RAW_ABOVE + 5)
        f.write(bytes([byte[0] ^ 1]))
    assert store.read_blob_range(oid, RAW_ABOVE, 100) == data[RAW_ABOVE:RAW_ABOVE + 100]
    assert store.dropped == 1 and requests(store) == before + 1


def test_many_threads_reading_a_cold_cache_agree(remote, tmp_path):
    where, blobs = remote
    store = new_store(where, tmp_path / "cache")
    oids = sorted(blobs)[:400]
    barrier = threading.Barrier(8)
    errors, wrong = [], []

    def read(part):
        barrier.wait(timeout=30)
        try:
            for oid in part:
                if store.get(BLOB, oid) != blobs[oid]:
                    wrong.append(oid)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(oids[i::8] + oids[:50],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not wrong


def test_listing_and_prefixes_over_packs_and_loose(writable_remote, tmp_path):
    where, blobs = writable_remote
    store = new_store(where, tmp_path / "cache")
    loose = store.put(BLOB, b"loose one")
    assert list(store.iter_ids(BLOB)) == sorted({*blobs, loose})
    assert list(store.iter_ids(VERSION)) == []
    oid = sorted(blobs)[10]
    assert store.resolve(BLOB, oid[:10]) == oid
    assert store.resolve(BLOB, loose[:10]) == loose
    assert store.where(BLOB, oid).startswith(store.transport.label + "/packs/")


def test_derived_objects_are_written_locally_without_asking_the_remote(dir_pushed, tmp_path):
    """Reconstruction asks ``contains`` of every tree it makes: of the states store
    that costs no loose look-up and no manifest read (a pack with no trees: nothing)."""
    where, blobs = dir_pushed
    store = new_store(where, tmp_path / "cache")
    store.states.get(BLOB, sorted(blobs)[0])                # the fan is local now
    before = requests(store)
    trees = [store.states.put(TREE, b"tree %d" % i) for i in range(50)]
    assert requests(store) == before
    assert store.states.get(TREE, trees[0]) == b"tree 0"
    assert store.states.blob_size(sorted(blobs)[0]) == len(blobs[sorted(blobs)[0]])
    assert store.states.cache is store.cache


@pytest.mark.parametrize("compressible", [False, True])
def test_a_large_blob_is_streamed_into_the_cache(tmp_path, monkeypatch, compressible):
    """Above STREAM_ABOVE a packed blob is fetched by ranges, inflated and hashed as it
    comes, and put in place only once it checks; damaged, it is never kept."""
    monkeypatch.setattr(remote_store, "STREAM_ABOVE", RAW_ABOVE)
    monkeypatch.setattr(remote_store, "FETCH_CHUNK", 200_000)
    data = os.urandom(3_000_000)
    if compressible:                                # 4 bits a byte: zlib, still large
        data = data.translate(bytes(i & 15 for i in range(256)))
    oid = hash_bytes(data)
    pusher = new_store(tmp_path / "remote", tmp_path / "pusher", create=True)
    pusher.upload_pack([(BLOB, oid, data)], layout.HISTORY)
    store = new_store(tmp_path / "remote", tmp_path / "cache")
    _, offset, length = store._find_packed(BLOB, oid)
    assert (length < 0.9 * len(data)) == compressible and length > RAW_ABOVE
    before = requests(store)
    assert store.read_blob_range(oid, 1_500_000, 1000) == data[1_500_000:1_501_000]
    assert requests(store) - before == -(-length // 200_000)    # its ranges, no more
    assert store.blob_size(oid) == len(data)

    key = layout.pack_key(store.pack_names()[0])
    raw = bytearray(store.transport.get(key)[0])
    raw[offset + length - 10] ^= 1
    store.transport.put(key, bytes(raw))
    cold = new_store(tmp_path / "remote", tmp_path / "cold")
    with pytest.raises(CorruptObject, match=key):
        cold.read_blob_range(oid, 0, 10)
    assert not cold.fetched.contains(BLOB, oid)


def test_a_cache_that_cannot_be_written_still_reads(dir_pushed, tmp_path):
    """A cache directory that cannot be made (below a file: so even for root) is only
    a slower cache: objects are read, large blobs too, and states stay in memory."""
    where, blobs = dir_pushed
    (tmp_path / "file").write_bytes(b"")
    store = new_store(where, tmp_path / "file" / "cache")
    oid = sorted(blobs)[0]
    assert store.get(BLOB, oid) == blobs[oid]
    assert store.read_blob_range(oid, 1, 3) == blobs[oid][1:4]
    assert store.blob_size(oid) == len(blobs[oid])
    tree = store.states.put(TREE, b"in memory")
    assert store.states.get(TREE, tree) == b"in memory"
    store.cache.put("roots", oid, oid)          # a derived cache that keeps nothing
    assert store.get(BLOB, oid) == blobs[oid]


def test_a_lookup_tries_first_the_pack_of_the_last_hit(tmp_path):
    """Objects read together were pushed together: after a hit in one pack, the next
    look-up of that kind asks that pack's slice first, not every pack's before it."""
    pusher = new_store(tmp_path / "remote", tmp_path / "pusher", create=True)
    packs = {}
    for p in range(4):
        items = [(BLOB, hash_bytes(b"%d-%d" % (p, i)), b"%d-%d" % (p, i)) for i in range(3000)]
        packs[pusher.upload_pack(items, layout.HISTORY)] = [(oid, d) for _, oid, d in items]
    store = new_store(tmp_path / "remote", tmp_path / "cache")
    searched_last = packs[store.pack_names()[-1]]
    assert store.get(BLOB, searched_last[0][0]) == searched_last[0][1]
    before = requests(store)
    for oid, data in searched_last[1:21]:
        assert store.get(BLOB, oid) == data
    assert requests(store) - before <= 2 * 20       # its slice and the object, each


def test_the_empty_blob_needs_no_object(tmp_path):
    store = new_store(tmp_path / "remote", tmp_path / "cache", create=True)
    before = requests(store)
    assert store.blob_size(EMPTY_BLOB) == 0
    assert store.read_blob_range(EMPTY_BLOB, 0, 10) == b""
    assert store.states.read_blob_range(EMPTY_BLOB, 0, 10) == b""
    assert store.get(BLOB, EMPTY_BLOB) == b""
    assert store.plain_blob(EMPTY_BLOB) is None
    assert requests(store) == before
