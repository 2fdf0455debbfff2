"""fsck tells the truth about derived data and about the store proper, and derived
data heals: the derived cache's entries check themselves, ``--verify-data`` replays
the history, the history's own blobs must be in the store proper alone, and absent
or corrupt derived objects are rebuilt by readers."""

import os
import random
import shutil

import pytest

from store import BLOB
from store.diskcache import DiskCache
from tests.cachefile import swap_roots
from verfs import ops
from verfs.history import ROOTS
from verfs.repo import Repository

AUTHOR = "T <t@example.com>"
BIG = random.Random(9).randbytes(3 << 20) + b"\0"      # binary, stored plain (> 1 MiB)


@pytest.fixture
def two(repo_dir):
    """A repository of two versions with different files, and their roots."""
    repo = Repository(repo_dir)
    (repo_dir / "a.txt").write_text("first\n")
    v1 = ops.record(repo, "one", AUTHOR, "20260101000000")
    (repo_dir / "a.txt").write_text("second\n")
    (repo_dir / "sub").mkdir()
    (repo_dir / "sub" / "b.txt").write_text("bee\n")
    v2 = ops.record(repo, "two", AUTHOR, "20260102000000")
    return repo, v1, v2


def _cache(repo: Repository):
    return os.path.join(repo.store.root, "cache")


# --- 1. self-checking entries --------------------------------------------------------
def test_swapped_roots_are_reported_and_never_served(verfs, two):
    repo, v1, v2 = two
    swap_roots(repo.store.cache.path, v1, v2)
    proc = verfs("fsck", cwd=repo.root, check=False)
    assert proc.returncode == 3
    out = proc.stdout.decode()
    assert f"damaged derived cache entry roots/{v1}" in out
    assert f"damaged derived cache entry roots/{v2}" in out
    assert verfs("show", f"{v1}:a.txt", cwd=repo.root).stdout == b"first\n"
    assert verfs("show", f"{v2}:a.txt", cwd=repo.root).stdout == b"second\n"
    assert verfs("fsck", cwd=repo.root).returncode == 0       # dropped, then rebuilt


# --- 2. --verify-data ---------------------------------------------------------------------
def test_verify_data_names_a_wrong_root_that_checks_out(verfs, two):
    """An intact entry naming the wrong tree (a bug, say) passes the entries' check:
    only replaying the history finds it."""
    repo, v1, v2 = two
    DiskCache(repo.store.root).put(ROOTS, v2, repo.history.root_tree(v1))
    assert verfs("fsck", cwd=repo.root).returncode == 0
    proc = verfs("fsck", "--verify-data", cwd=repo.root, check=False)
    assert proc.returncode == 3
    out = proc.stdout.decode()
    assert f"wrong cached root of version {v2}" in out
    assert v1 not in out
    assert proc.stderr.decode().count("\n") == 1          # quiet when piped: no progress


def test_verify_data_passes_a_sound_history_and_leaves_no_scratch(verfs, two):
    repo, _, _ = two
    before = sorted(os.listdir(repo.store.cache.base))
    proc = verfs("fsck", "--verify-data", cwd=repo.root)
    assert proc.stdout.decode().startswith("ok: ")
    assert sorted(os.listdir(repo.store.cache.base)) == before


def test_verify_data_after_the_cache_was_deleted(verfs, two):
    repo, _, _ = two
    shutil.rmtree(_cache(repo))
    assert verfs("fsck", "--verify-data", cwd=repo.root).returncode == 0


# --- 3. the store proper alone ----------------------------------------------------------
@pytest.fixture
def big(repo_dir):
    """A large binary file recorded: its blob is the history's, plain, and hard-linked
    from the derived cache."""
    repo = Repository(repo_dir)
    (repo_dir / "big.bin").write_bytes(BIG)
    vid = ops.record(repo, "big", AUTHOR, "20260101000000")
    oid = repo.history.states.get_tree(repo.history.root_tree(vid)).get("big.bin").oid
    plain = repo.store.path(BLOB, oid) + ".plain"
    assert os.path.exists(plain) and repo.store.derived.plain_blob(oid) is not None
    return repo, vid, oid, plain


def test_fsck_wants_the_history_in_the_store_proper(verfs, big):
    repo, _, oid, plain = big
    os.unlink(plain)
    proc = verfs("fsck", cwd=repo.root, check=False)
    assert proc.returncode == 3
    assert f"missing blob {oid}" in proc.stdout.decode()
    assert "only the derived cache/ holds it" in proc.stdout.decode()


def test_gc_adopts_the_blob_back_from_the_cache(verfs, big):
    repo, vid, oid, plain = big
    os.unlink(plain)
    out = verfs("gc", cwd=repo.root).stdout.decode()
    assert f"blob {oid} was only in the derived cache; adopted back" in out
    assert os.path.exists(plain)
    assert verfs("fsck", cwd=repo.root).returncode == 0
    shutil.rmtree(_cache(repo))                     # always safe: now it is again
    assert verfs("show", f"{vid}:big.bin", cwd=repo.root).stdout == BIG


def test_gc_refuses_when_no_copy_is_left(verfs, big):
    repo, _, oid, plain = big
    os.unlink(plain)
    os.unlink(repo.store.derived.plain_blob(oid))
    proc = verfs("gc", cwd=repo.root, check=False)
    assert proc.returncode == 3
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and f"missing blob {oid}" in err


# --- 4. absent and corrupt derived objects heal -------------------------------------------
def _derived_file(repo: Repository, kind: str, oid: str) -> str:
    path = repo.store.derived.where(kind, oid)
    assert path and os.path.exists(path) and " at " not in path, path
    return path


def test_a_deleted_derived_blob_is_noted_and_rebuilt(verfs, two):
    repo, v1, v2 = two
    oid = repo.history.states.get_tree(repo.history.root_tree(v1)).get("a.txt").oid
    os.unlink(_derived_file(repo, BLOB, oid))
    proc = verfs("fsck", cwd=repo.root)
    assert f"note: absent derived blob {oid}" in proc.stdout.decode()
    assert "will be rebuilt" in proc.stdout.decode()
    assert verfs("show", f"{v1}:a.txt", cwd=repo.root).stdout == b"first\n"
    assert "absent derived" not in verfs("fsck", cwd=repo.root).stdout.decode()


def test_a_deleted_derived_tree_is_rebuilt(verfs, two):
    repo, _, v2 = two
    sub = repo.history.states.get_tree(repo.history.root_tree(v2)).get("sub").oid
    os.unlink(_derived_file(repo, "tree", sub))
    assert verfs("show", f"{v2}:sub/b.txt", cwd=repo.root).stdout == b"bee\n"
    root = repo.history.root_tree(v2)
    os.unlink(_derived_file(repo, "tree", root))
    assert verfs("show", f"{v2}:sub/b.txt", cwd=repo.root).stdout == b"bee\n"


def test_a_corrupt_derived_blob_is_never_served_and_rebuilt(verfs, two):
    repo, v1, _ = two
    oid = repo.history.states.get_tree(repo.history.root_tree(v1)).get("a.txt").oid
    path = _derived_file(repo, BLOB, oid)
    with open(path, "wb") as f:
        f.write(b"rfirsT\n")
    assert verfs("show", f"{v1}:a.txt", cwd=repo.root).stdout == b"first\n"
    proc = verfs("fsck", cwd=repo.root, check=False)
    assert proc.returncode == 3 and f"corrupt derived blob {oid}" in proc.stdout.decode()


def test_in_process_readers_rebuild_too(two):
    repo, v1, v2 = two
    shutil.rmtree(os.path.join(repo.store.cache.base, "objects", "blobs"))
    fresh = Repository(repo.root)
    states = fresh.history.states
    root = fresh.history.root_tree(v2)
    assert states.get_blob(states.get_tree(root).get("a.txt").oid) == b"second\n"
    assert fresh.history.healed >= 1


# --- deleting cache/ during a record -------------------------------------------------------
@pytest.mark.parametrize("gate", ["working_tree", "tree_prims", "apply_to_tree"])
def test_record_survives_the_cache_deleted_at_a_gate(verfs, two, monkeypatch, gate):
    """The cache area goes at a gate inside record (before the named step of it):
    record still succeeds, and what it recorded is right."""
    import threading
    repo, _, v2 = two
    real = getattr(ops, gate)
    gone = threading.Event()

    def gated(*args, **kw):
        if not gone.is_set():
            shutil.rmtree(_cache(repo))
            gone.set()
        return real(*args, **kw)

    monkeypatch.setattr(ops, gate, gated)
    with open(os.path.join(repo.root, "sub", "c.txt"), "w") as f:
        f.write("sea\n")
    vid = ops.record(repo, "three", AUTHOR, "20260103000000")
    assert gone.is_set()
    monkeypatch.undo()
    assert repo.head() == vid and repo.history.version(vid).parent == v2
    assert verfs("show", f"{vid}:sub/c.txt", cwd=repo.root).stdout == b"sea\n"
    assert verfs("show", f"{vid}:a.txt", cwd=repo.root).stdout == b"second\n"
    assert verfs("fsck", "--verify-data", cwd=repo.root).returncode == 0


def test_a_corrupt_derived_object_inside_a_pack_is_rebuilt(verfs, two):
    """A pack cannot be mended in place: the rebuilt copy is the process's own; fsck
    names the corrupt one until cache/ is deleted (or a repack drops it)."""
    repo, v1, _ = two
    ops.gc(repo)
    oid = repo.history.states.get_tree(repo.history.root_tree(v1)).get("a.txt").oid
    where = repo.store.derived.where(BLOB, oid)
    path, _, offset = where.partition(" at ")
    assert offset, where
    with open(path, "r+b") as f:
        f.seek(int(offset) + 3)
        byte = f.read(1)
        f.seek(int(offset) + 3)
        f.write(bytes([byte[0] ^ 0x40]))
    assert verfs("show", f"{v1}:a.txt", cwd=repo.root).stdout == b"first\n"
    assert verfs("fsck", cwd=repo.root, check=False).returncode == 3
    shutil.rmtree(_cache(repo))
    assert verfs("fsck", cwd=repo.root).returncode == 0
    assert verfs("show", f"{v1}:a.txt", cwd=repo.root).stdout == b"first\n"


def test_verify_data_over_a_history_with_tags_inventories_and_a_commute(verfs, sample):
    proc = verfs("fsck", "--verify-data", cwd=sample.root)
    assert proc.stdout.decode().startswith("ok: ")
