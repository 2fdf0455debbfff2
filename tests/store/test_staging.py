"""What a killed batch or repack leaves behind is removed by the next process that
looks — and what a live one is working in never is."""

import os
import signal
import subprocess
import sys

import pytest

from store import BLOB, DiskStore
from store.disk import PACK_MIN, RAW_ABOVE
from store.staging import PREFIX, Staging, clean_abandoned

IN_A_BATCH = """
import sys
from store import DiskStore
store = DiskStore(sys.argv[1], lazy=True, durable=False)
with store.batch():
    for i in range(int(sys.argv[2])):
        store.put_blob(b"child %d" % i * 50)
    store.put_blob(b"L" * (int(sys.argv[3]) + 1))       # a large blob, staged as a file
    print("inside", flush=True)
    sys.stdin.readline()                                  # killed here
"""


def staging_dirs(root) -> list[str]:
    return sorted(n for n in os.listdir(root) if n.startswith(PREFIX))


def killed_in_a_batch(root: str) -> list[str]:
    """Run a batch in a child, kill it (SIGKILL) once it says it is inside; the
    staging directories it left, which were in use until then."""
    child = subprocess.Popen([sys.executable, "-c", IN_A_BATCH, root, str(PACK_MIN * 3),
                              str(RAW_ABOVE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline() == b"inside\n"
        left = staging_dirs(root)
        assert len(left) == 1
        inside = os.listdir(os.path.join(root, left[0]))
        assert any(n.startswith(".tmp-pack-") for n in inside) and len(inside) == 2
        assert clean_abandoned(root) == 0       # its owner is alive: left alone
        assert staging_dirs(root) == left
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert staging_dirs(root) == left
    return left


@pytest.mark.parametrize("cleaner", ["pack_if_needed", "repack", "batch"])
def test_a_killed_batch_leaves_nothing_the_next_run_keeps(tmp_path, cleaner):
    store = DiskStore(str(tmp_path / "s"), create=True)
    kept = store.put_blob(b"before")
    killed_in_a_batch(store.root)
    if cleaner == "batch":
        with store.batch():
            store.put_blob(b"after")
    else:
        getattr(store, cleaner)()
    assert staging_dirs(store.root) == []
    assert store.get_blob(kept) == b"before"


def test_gc_removes_what_a_killed_batch_left_in_the_derived_cache(tmp_path):
    """The derived store (``cache/v1/objects``) is cleaned by its own repack, which
    ``verfs gc`` runs."""
    from verfs.ops import gc
    from verfs.repo import Repository
    repo = Repository.init(str(tmp_path / "r"))
    derived = repo.store.derived
    killed_in_a_batch(derived.root)
    _, done, _ = gc(repo)
    assert done.abandoned == 1 and staging_dirs(derived.root) == []


def test_a_staging_directory_taken_by_a_cleaner_is_not_used(tmp_path, monkeypatch):
    """A cleaner may lock a staging directory between its making and its owner's
    flock, and remove it: the owner then makes another."""
    import store.staging as staging
    root = str(tmp_path)
    made = []
    real = staging.tempfile.mkdtemp

    def mkdtemp_then_clean(**kw):
        path = real(**kw)
        made.append(path)
        if len(made) == 1:
            assert clean_abandoned(root) == 1       # no lock yet: taken for dead
        return path
    monkeypatch.setattr(staging.tempfile, "mkdtemp", mkdtemp_then_clean)
    s = Staging(root)
    assert len(made) == 2 and s.path == made[1] and os.path.isdir(s.path)
    assert clean_abandoned(root) == 0
    s.remove()
    assert staging_dirs(root) == []


def test_a_finished_batch_leaves_no_staging_directory(tmp_path):
    store = DiskStore(str(tmp_path / "s"), create=True)
    with store.batch():
        oid = store.put_blob(b"x" * (RAW_ABOVE + 1))
    assert staging_dirs(store.root) == [] and store.contains(BLOB, oid)
