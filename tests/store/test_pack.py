"""Packs: the format, batches written as packs, repacking, and readers that keep up."""

import contextlib
import os
import threading

import pytest

from store import BLOB, DIRS, KINDS, TREE, VERSION, CorruptObject, DiskStore, ObjectNotFound
from store.disk import PACK_MIN, PLAIN, RAW_ABOVE, encode
from store.ids import hash_bytes
from store.pack import HEADER, RECORD, TRAILER, BadPack, Pack, PackSet, PackWriter
from store.testing import sample_objects, sample_tree


@pytest.fixture
def store(tmp_path):
    return DiskStore(str(tmp_path / "s"), create=True)


def loose_files(store) -> list[str]:
    return sorted(os.path.join(d, f) for kind in KINDS
                  for d, _, fs in os.walk(os.path.join(store.root, DIRS[kind]))
                  for f in fs)


def pack_files(store) -> list[str]:
    try:
        return sorted(os.listdir(store.packs.directory))
    except FileNotFoundError:
        return []


def put_many(store, n: int, tag: bytes = b"obj") -> list[str]:
    return [store.put_blob(b"%s %d\n" % (tag, i) * 3) for i in range(n)]


@contextlib.contextmanager
def meanwhile(step, threads: int = 1):
    """Run ``step(i)`` for i = 0, 1, ... in other threads while the block runs; the
    exceptions it raised (a list, complete once the block has ended)."""
    errors, stop = [], threading.Event()

    def loop():
        i = 0
        while not stop.is_set():
            try:
                step(i)
            except Exception as exc:    # noqa: BLE001 - reported to the test
                errors.append(exc)
            i += 1
    running = [threading.Thread(target=loop) for _ in range(threads)]
    for t in running:
        t.start()
    try:
        yield errors
    finally:
        stop.set()
        for t in running:
            t.join()


def write_pack(directory, objects: dict[tuple[str, str], bytes]) -> str:
    w = PackWriter(directory)
    for (kind, oid), raw in objects.items():
        w.add(kind, oid, raw)
    return w.finish(directory)


# --- the format -----------------------------------------------------------------------
def test_pack_round_trip_and_layout(tmp_path):
    objs = {(kind, hash_bytes(data)): encode(kind, data)
            for kind, data in sample_objects().items()}
    path = write_pack(str(tmp_path), objs)
    with open(path, "rb") as f:
        raw = f.read()
    assert raw.startswith(HEADER)
    assert os.path.basename(path) == hash_bytes(raw) + ".pack"
    index, count, magic = TRAILER.unpack(raw[-TRAILER.size:])
    assert (count, magic) == (len(objs), b"verfs-pk")
    assert index + count * RECORD.size + TRAILER.size == len(raw)
    pack = Pack(path)
    assert pack.check() is None
    for (kind, oid), enc in objs.items():
        assert pack.read(*pack.find(kind, oid)) == enc
        assert list(pack.ids(kind)) == [oid]
        assert list(pack.ids(kind, oid[:5])) == [oid]
        assert list(pack.ids(kind, oid[:1])) == [oid]
    blob = hash_bytes(sample_objects()[BLOB])
    assert pack.find(TREE, blob) is None                 # kinds are separate
    assert pack.find(BLOB, "0" * 64) is None
    assert sorted((k, o) for k, o, _ in pack.entries()) == sorted(objs)


def test_prefix_listing_in_a_big_pack(tmp_path):
    oids = sorted(hash_bytes(b"%d" % i) for i in range(2000))
    pack = Pack(write_pack(str(tmp_path), {(BLOB, o): b"r" for o in oids}))
    assert list(pack.ids(BLOB)) == oids
    for prefix in ("a", "ab", "abc", "0f0", oids[700][:7]):
        assert list(pack.ids(BLOB, prefix)) == [o for o in oids if o.startswith(prefix)]
    assert all(pack.find(BLOB, o) for o in oids[::97])


@pytest.mark.parametrize("damage", ["truncate", "header", "trailer", "empty"])
def test_a_damaged_pack_file_is_refused(tmp_path, damage):
    path = write_pack(str(tmp_path), {(BLOB, hash_bytes(b"x")): encode(BLOB, b"x")})
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.truncate()
        f.write({"truncate": data[:-5], "header": b"X" + data[1:],
                 "trailer": data[:-8] + b"garbage!", "empty": b""}[damage])
    with pytest.raises(BadPack):
        Pack(path)


def test_a_pack_whose_bytes_changed_fails_its_check(tmp_path):
    path = write_pack(str(tmp_path), {(BLOB, hash_bytes(b"xy")): encode(BLOB, b"xy")})
    with open(path, "r+b") as f:
        f.seek(len(HEADER))
        f.write(b"?")
    assert Pack(path).check() == "content does not match its name"


# --- batches ----------------------------------------------------------------------------
def test_a_batch_becomes_one_pack(store):
    with store.batch():
        oids = put_many(store, PACK_MIN + 10)
        tid = store.put_tree(sample_tree())
        assert pack_files(store) == []          # nothing in view until the batch ends
        assert store.get_tree(tid) == sample_tree()
    assert len(pack_files(store)) == 1
    assert loose_files(store) == []
    again = DiskStore(store.root)
    assert [again.get_blob(o) for o in oids] == [store.get_blob(o) for o in oids]
    assert again.get_tree(tid) == sample_tree()
    assert set(again.iter_ids(BLOB)) == set(oids)
    assert again.resolve(BLOB, oids[3][:10]) == oids[3]
    assert again.where(BLOB, oids[0]).startswith(store.packs.directory)
    assert [n for n in os.listdir(store.root) if n.startswith(".")] == []


def test_a_small_batch_stays_loose(store):
    with store.batch():
        oids = put_many(store, PACK_MIN - 1)
    assert pack_files(store) == []
    assert all(os.path.isfile(store.path(BLOB, o)) for o in oids)


def test_a_failed_batch_leaves_no_pack(store):
    with pytest.raises(RuntimeError), store.batch():
        put_many(store, PACK_MIN * 2)
        raise RuntimeError("crash")
    assert pack_files(store) == [] and loose_files(store) == []
    assert not [n for n in os.listdir(store.root) if n.startswith(".")]


def test_large_blobs_in_a_batch_stay_plain_files(store):
    big = b"b" * (RAW_ABOVE + 1)
    with store.batch():
        oid = store.put_blob(big)
        put_many(store, PACK_MIN)
        assert store.plain_blob(oid) is not None
    assert os.path.isfile(store.path(BLOB, oid) + PLAIN)
    assert store.read_blob_range(oid, 3, 4) == b"bbbb"


# --- repacking ---------------------------------------------------------------------------
def test_repack_gathers_loose_objects_and_packs_into_one(store):
    with store.batch():
        first = put_many(store, PACK_MIN, b"first")
    loose = put_many(store, 20, b"loose") + [store.put(VERSION, sample_objects()[VERSION])]
    with store.batch():
        second = put_many(store, PACK_MIN, b"second")
    assert len(pack_files(store)) == 2
    before = {oid: store.get_blob(oid) for oid in first + second + loose[:-1]}
    done = store.repack()
    assert (done.objects, done.loose, done.packs) == (len(before) + 1, len(loose), 2)
    assert len(pack_files(store)) == 1 and loose_files(store) == []
    again = DiskStore(store.root)
    assert {oid: again.get_blob(oid) for oid in before} == before
    assert again.get(VERSION, loose[-1]) == sample_objects()[VERSION]
    assert store.repack().objects == 0          # nothing left to do


def test_repack_without_everything_leaves_packs_alone(store):
    with store.batch():
        put_many(store, PACK_MIN, b"packed")
    put_many(store, 5)
    done = store.repack(everything=False)
    assert (done.objects, done.loose, done.packs) == (5, 5, 0)
    assert len(pack_files(store)) == 2


def test_repack_keeps_plain_blobs_loose(store):
    big = b"p" * (RAW_ABOVE + 1)
    oid = store.put_blob(big)
    put_many(store, 3)
    store.repack()
    assert os.path.isfile(store.path(BLOB, oid) + PLAIN)
    assert store.get_blob(oid) == big


def test_repack_stops_at_a_corrupt_object_changing_nothing(store):
    oids = put_many(store, 10)
    path = store.path(BLOB, oids[4])
    with open(path, "wb") as f:
        f.write(encode(BLOB, b"something else"))
    files = loose_files(store)
    with pytest.raises(CorruptObject) as info:
        store.repack()
    assert info.value.oid == oids[4]
    assert loose_files(store) == files and pack_files(store) == []
    assert [n for n in os.listdir(store.packs.directory) if n.startswith(".")] == []


def test_repack_of_derived_objects_drops_the_corrupt_ones(store):
    derived = store.derived
    oids = put_many(derived, 10)
    with open(derived.path(BLOB, oids[2]), "wb") as f:
        f.write(b"z not zlib")
    done = derived.repack(drop_corrupt=True)
    assert done.dropped == [f"blob {oids[2]}"] and done.objects == 9
    assert not derived.contains(BLOB, oids[2])      # absent: rebuilt when needed
    assert derived.get_blob(oids[3]) == b"obj 3\n" * 3


def test_a_corrupt_packed_object_is_corrupt_not_wrong_bytes(store):
    oids = put_many(store, 3)
    store.repack()
    (name,) = pack_files(store)
    path = os.path.join(store.packs.directory, name)
    offset = int(store.where(BLOB, oids[1]).rsplit(" ", 1)[1])
    with open(path, "r+b") as f:
        f.seek(offset + 3)
        byte = f.read(1)
        f.seek(offset + 3)
        f.write(bytes([byte[0] ^ 0xFF]))
    fresh = DiskStore(store.root)
    with pytest.raises(CorruptObject) as info:
        fresh.get_blob(oids[1])
    assert name in str(info.value)
    assert fresh.get_blob(oids[0]) == b"obj 0\n" * 3
    assert fresh.packs.problems() == [f"corrupt pack {path}: content does not match its name"]


def test_an_unreadable_pack_is_named_when_an_object_is_missing(store):
    oids = put_many(store, 3)
    store.repack()
    (name,) = pack_files(store)
    with open(os.path.join(store.packs.directory, name), "r+b") as f:
        f.truncate(20)
    fresh = DiskStore(store.root)
    with pytest.raises(ObjectNotFound, match="is unreadable"):
        fresh.get_blob(oids[0])
    assert "unreadable pack" in fresh.packs.problems()[0]


# --- readers that keep up ------------------------------------------------------------------
def test_a_reader_finds_objects_another_process_packed(store):
    """The mount reads while ``verfs gc`` runs in another process: an object whose
    loose file went is found in the pack that replaced it."""
    reader = DiskStore(store.root)
    oids = put_many(store, 30)
    assert reader.get_blob(oids[0]) == b"obj 0\n" * 3      # reader has seen no packs
    DiskStore(store.root).repack()
    assert loose_files(store) == []
    assert all(reader.contains(BLOB, o) for o in oids)
    assert reader.get_blob(oids[29]) == b"obj 29\n" * 3
    DiskStore(store.root).repack()          # and once more: packs replaced by packs
    other = DiskStore(store.root)
    with other.batch():
        new = put_many(other, PACK_MIN, b"new")
    assert reader.get_blob(new[0]) == b"new 0\n" * 3
    assert set(new) <= set(reader.iter_ids(BLOB))


def test_reads_during_repeated_repacks_never_fail(tmp_path):
    """A mount's threads share one store, which has seen packs that are then replaced."""
    store = DiskStore(str(tmp_path / "s"), create=True, durable=False)
    oids = put_many(store, 200)
    reader = DiskStore(store.root)

    def read(_):
        for oid in oids[::7]:
            reader.get_blob(oid)
    with meanwhile(read, threads=3) as errors:
        for i in range(15):
            put_many(store, 3, b"round %d" % i)
            DiskStore(store.root).repack()
    assert errors == []


def test_pack_if_needed_packs_many_loose_objects_and_merges_many_packs(tmp_path, monkeypatch):
    import store.repack as repack
    store = DiskStore(str(tmp_path / "s"), create=True, durable=False)
    monkeypatch.setattr(repack, "AUTO_LOOSE", 64)
    monkeypatch.setattr(repack, "AUTO_PACKS", 3)
    put_many(store, 10)
    assert store.pack_if_needed() is None           # few loose objects: nothing to do
    put_many(store, 400, b"more")
    done = store.pack_if_needed()
    assert done is not None and done.loose == 410 and done.packs == 0
    for i in range(2):
        put_many(store, 400, b"again %d" % i)
        store.pack_if_needed()
    assert len(pack_files(store)) == 3
    put_many(store, 400, b"last")
    done = store.pack_if_needed()       # a fourth pack would be one too many: merge
    assert done.packs == 3 and len(pack_files(store)) == 1


def test_packset_ignores_other_files(tmp_path):
    d = tmp_path / "packs"
    d.mkdir()
    (d / ".tmp-pack-123").write_bytes(b"half a pack")
    (d / "notes.txt").write_bytes(b"x")
    s = PackSet(str(d))
    assert s.packs() == [] and s.broken == {} and s.problems() == []


def test_record_struct_sizes():
    """The sizes docs/FORMAT.md gives."""
    assert (RECORD.size, TRAILER.size) == (45, 24)


def test_repack_removes_the_fan_outs_it_emptied_and_writes_go_on(store):
    oids = put_many(store, 40)
    big = store.put_blob(b"q" * (RAW_ABOVE + 1))
    store.repack()
    fans = os.listdir(os.path.join(store.root, "blobs"))
    assert fans == [big[:2]]            # only the plain blob's fan-out is left
    again = store.put_blob(b"after the repack")
    assert os.path.isfile(store.path(BLOB, again))
    assert store.get_blob(oids[0]) == b"obj 0\n" * 3


def test_writes_during_repeated_repacks_are_never_lost(tmp_path):
    """A daemon writes derived objects while ``verfs gc`` packs them (and removes the
    fan-out directories it empties): every object written is there at the end."""
    root = str(tmp_path / "s")
    writer = DiskStore(root, create=True, durable=False)
    written, wrote = [], threading.Event()

    def write(i):
        written.append(writer.put_blob(b"w %d" % i))
        wrote.set()
    with meanwhile(write) as errors:
        packer = DiskStore(root, durable=False)
        rounds = 0
        while len(written) < 500 or rounds <= 10:
            # A gate, not a count race: each round waits for a write since the last
            # one, so a loaded machine cannot starve the writer into too few writes.
            assert wrote.wait(120), "the writer made no progress"
            wrote.clear()
            packer.repack()
            rounds += 1
    assert errors == [] and len(written) >= 500 and rounds > 10
    fresh = DiskStore(root)
    assert all(fresh.get_blob(oid) == b"w %d" % i for i, oid in enumerate(written))


def test_other_threads_write_and_read_through_batches_that_end(tmp_path):
    """A mount's long walk runs in a batch while its other FUSE threads write and
    read the same store: an object written by another thread is readable at once,
    whether its write joined the batch, met it ending, or came after — and is kept."""
    store = DiskStore(str(tmp_path / "s"), create=True, durable=False)
    written = []

    def write_and_read(i):
        data = b"thread %d" % i
        oid = store.put_blob(data)
        assert store.get_blob(oid) == data, f"wrong bytes for {oid}"
        written.append((oid, data))
    with meanwhile(write_and_read) as errors:
        rounds = 0
        while (len(written) < 1500 or rounds <= 10) and rounds < 300:
            with store.batch():
                put_many(store, PACK_MIN + rounds % 5 * 20, b"batch %d" % rounds)
            rounds += 1
    assert errors == [] and rounds > 10
    fresh = DiskStore(store.root)
    assert all(fresh.get_blob(oid) == data for oid, data in written)


REPACKER = """
import sys
from store import DiskStore
store = DiskStore(sys.argv[1], durable=False)
sys.stdin.readline()                    # the readers are running
for i in range(int(sys.argv[2])):
    for j in range(3):
        store.put_blob(b"child round %d %d" % (i, j))
    store.repack()
    print("round", i, flush=True)
"""


def test_reads_while_another_process_repacks_never_fail(tmp_path):
    """``verfs gc`` (or a command's automatic packing) in another process replaces
    packs again and again while a mount's threads read: no object is ever missing."""
    import subprocess
    import sys
    store = DiskStore(str(tmp_path / "s"), create=True, durable=False)
    oids = put_many(store, 200)
    store.repack()
    oids += put_many(store, 50, b"loose")       # some loose, some packed, at the start
    reader = DiskStore(store.root)
    reads = []

    def read(_):
        for oid in oids[::7]:
            reader.get_blob(oid)
        assert reader.contains(BLOB, oids[-1])
        reads.append(1)
    child = subprocess.Popen([sys.executable, "-c", REPACKER, store.root, "25"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with meanwhile(read, threads=3) as errors:
        child.stdin.write(b"go\n")
        child.stdin.flush()
        rounds = child.stdout.read().count(b"round")
        assert child.wait() == 0
    assert errors == [] and rounds == 25 and reads
    assert all(reader.get_blob(oid) for oid in oids)


@pytest.mark.parametrize("n", [3, PACK_MIN + 3])
def test_a_batch_is_made_durable_without_syncing_every_file_system(store, monkeypatch, n):
    """``os.sync`` flushes every file system of the machine: a batch fsyncs the files
    it wrote and the directories it renamed them into instead."""
    def no_sync():
        raise AssertionError("os.sync called")
    monkeypatch.setattr(os, "sync", no_sync)
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    with store.batch():
        big = store.put_blob(b"L" * (RAW_ABOVE + 1))
        oids = put_many(store, n)
    assert store.get_blob(big) and all(store.get_blob(o) for o in oids)
    assert len(synced) >= (2 if n > PACK_MIN else n + 1)
