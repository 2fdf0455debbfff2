"""Who may read a repository: every file follows the umask (``0666 & ~umask``), the
same for objects, packs, head, reflog, lock and the derived cache."""

import contextlib
import os
import shutil
import tempfile

import pytest

from store import BLOB
from store.disk import PACK_MIN, RAW_ABOVE
from tests.conftest import REQUIRE_REAL
from verfs.repo import Repository

NOBODY = 65534


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def make_repository(root: str) -> Repository:
    """A repository with a file of every kind: loose and packed objects, a plain blob
    (and its block list), the derived cache's index, head, reflog and lock."""
    repo = Repository.init(root)
    store = repo.store
    store.put_blob(b"a loose blob")
    with store.batch():
        for i in range(PACK_MIN):
            store.put_blob(b"packed %d" % i)
    big = store.derived.put_blob(b"B" * (RAW_ABOVE + 1))
    store.adopt(BLOB, big, store.states)
    store.cache.put("roots", big, big)
    repo.set_head(None, "test")
    with repo.locked():
        pass
    return repo


def files_of(root: str) -> tuple[list[str], list[str]]:
    files, dirs = [], []
    for d, ds, fs in os.walk(os.path.join(root, ".verfs")):
        dirs += [os.path.join(d, n) for n in ds]
        files += [os.path.join(d, n) for n in fs]
    return sorted(files), sorted(dirs)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_every_file_follows_the_umask(tmp_path, mask):
    with umask(mask):
        make_repository(str(tmp_path / "r"))
    files, dirs = files_of(str(tmp_path / "r"))
    names = {os.path.basename(f) for f in files}
    assert {"head", "reflog", "lock", "index.sqlite"} <= names
    assert any(f.endswith(".pack") for f in files) and any(f.endswith(".plain") for f in files)
    assert any(os.sep + "blocks" + os.sep in f for f in files)
    assert {f: oct(os.stat(f).st_mode & 0o777) for f in files} == \
        {f: oct(0o666 & ~mask) for f in files}
    assert {d: oct(os.stat(d).st_mode & 0o777) for d in dirs} == \
        {d: oct(0o777 & ~mask) for d in dirs}


def readable_by(uid: int, paths: list[str]) -> list[str]:
    """The paths a process of ``uid`` (no groups) can read, found in a forked child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:        # the child: drop to uid, try each file, report, exit
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            ok = []
            for p in paths:
                try:
                    with open(p, "rb") as f:
                        f.read(1)
                    ok.append(p)
                except OSError:
                    pass
            os.write(write_end, "\n".join(ok).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out.split("\n") if out else []


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_another_user_reads_the_repository_as_the_umask_says(mask):
    if os.geteuid() != 0:
        why = "needs root (to read as another uid)"
        if REQUIRE_REAL:
            pytest.fail(why + " (VERFS_REQUIRE_REAL=1: skipping is not allowed)")
        pytest.skip(why)
    base = tempfile.mkdtemp(prefix="verfs-modes-")     # not under pytest's 0700 tmp dirs
    try:
        os.chmod(base, 0o755)
        with umask(mask):
            make_repository(os.path.join(base, "r"))
        files, _ = files_of(os.path.join(base, "r"))
        readable = readable_by(NOBODY, files)
        assert readable == (files if mask == 0o022 else [])
    finally:
        shutil.rmtree(base)
