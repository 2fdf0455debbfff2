"""The FUSE adapter, called as libfuse would call it but without a mount: stat dicts,
errnos for the view's typed errors, EIO and a log line for corruption, EROFS for
every kind of write."""

import errno
import logging
import os
import stat

import pytest

from verfs.mount.fuse_ops import Operations
from verfs.mount.nodes import IsADirectory, NoSuchPath, NotADirectory, NotASymlink


@pytest.fixture
def fs(view):
    return Operations(view)


def code(call, *args) -> int:
    with pytest.raises(OSError) as info:
        call(*args)
    return info.value.errno


def test_stat_dicts(sample, fs):
    vid = sample.named["start"]
    d = fs.getattr(f"/versions/{vid}")
    assert stat.S_ISDIR(d["st_mode"]) and d["st_mode"] & 0o777 == 0o555
    f = fs.getattr(f"/versions/{vid}/run.sh")
    assert stat.S_ISREG(f["st_mode"]) and f["st_mode"] & 0o777 == 0o555
    assert f["st_size"] == len(b"#!/bin/sh\necho run\n") and f["st_nlink"] == 1
    r = fs.getattr(f"/versions/{vid}/README")
    assert r["st_mode"] & 0o777 == 0o444 and r["st_mtime"] == d["st_mtime"] > 0
    assert stat.S_ISLNK(fs.getattr(f"/versions/{vid}/readme-link")["st_mode"])
    assert fs.readlink(f"/versions/{vid}/readme-link") == "README"
    assert stat.S_ISDIR(fs.getattr("/head")["st_mode"])
    assert fs.getxattr("/head", "user.verfs.version") == sample.repo.head().encode()
    assert fs.listxattr(f"/versions/{vid}") == ["user.verfs.version"]
    assert fs.listxattr(f"/versions/{vid}/README") == []
    assert code(fs.getxattr, f"/versions/{vid}/README", "user.verfs.version") == errno.ENODATA
    assert fs.getattr("/")["st_ino"] == 1


def test_readdir_gives_dot_entries_and_kinds(sample, fs):
    entries = fs.readdir(f"/versions/{sample.named['start']}", 0)
    names = [e[0] for e in entries]
    assert names[:2] == [".", ".."] and "src" in names and "readme-link" in names
    kinds = {e[0]: stat.S_IFMT(e[1]["st_mode"]) for e in entries[2:]}
    assert kinds["src"] == stat.S_IFDIR and kinds["readme-link"] == stat.S_IFLNK
    assert kinds["README"] == stat.S_IFREG


def test_open_is_no_open_and_reads_go_by_path(sample, fs):
    """Opening answers ENOSYS (the kernel's no_open: no OPEN/RELEASE round trips, pages
    kept); a missing file is still ENOENT, and reads find the file by its path."""
    path = f"/versions/{sample.named['start']}/src/lib/util.h"
    assert code(fs.open, path, os.O_RDONLY) == errno.ENOSYS
    assert code(fs.open, path + "x", os.O_RDONLY) == errno.ENOENT
    assert fs.read(path, 4, 0, 0) == b"int "
    assert fs.read(path, 100, 4, 0) == b"util(void);\n"
    assert fs.getattr(path, 0)["st_size"] == 16


@pytest.mark.parametrize("flags", [os.O_WRONLY, os.O_RDWR, os.O_RDONLY | os.O_TRUNC,
                                   os.O_WRONLY | os.O_APPEND, os.O_RDONLY | os.O_CREAT])
def test_opening_for_writing_is_erofs(sample, fs, flags):
    assert code(fs.open, f"/versions/{sample.named['start']}/README", flags) == errno.EROFS


def test_every_write_is_erofs(sample, fs):
    p = f"/versions/{sample.named['start']}/README"
    for call, args in [(fs.write, (p, b"x", 0, 0)), (fs.create, (p + "2", 0o644)),
                       (fs.mkdir, (p + "d", 0o755)), (fs.unlink, (p,)), (fs.rmdir, ("/info",)),
                       (fs.rename, (p, p + "3")), (fs.chmod, (p, 0o777)),
                       (fs.chown, (p, 0, 0)), (fs.truncate, (p, 0)),
                       (fs.symlink, (p + "l", "x")), (fs.link, (p + "h", p)),
                       (fs.utimens, (p, None)), (fs.mknod, (p + "n", 0o644, 0)),
                       (fs.setxattr, (p, "user.x", b"1", 0)), (fs.removexattr, (p, "user.x"))]:
        assert code(call, *args) == errno.EROFS, call


@pytest.mark.parametrize("error,expected", [
    (NoSuchPath, errno.ENOENT), (NotADirectory, errno.ENOTDIR),
    (IsADirectory, errno.EISDIR), (NotASymlink, errno.EINVAL)])
def test_view_errors_become_errnos(error, expected, fs, monkeypatch):
    def fail(path):
        raise error(path)
    monkeypatch.setattr(fs.view, "lookup", fail)
    assert code(fs.getattr, "/x") == expected


def test_missing_paths(sample, fs):
    vid = sample.named["start"]
    assert code(fs.getattr, f"/versions/{vid}/nope") == errno.ENOENT
    assert code(fs.getattr, f"/versions/{vid}/README/x") == errno.ENOTDIR
    assert code(fs.open, f"/versions/{vid}/src", os.O_RDONLY) == errno.EISDIR
    assert code(fs.readlink, f"/versions/{vid}/README") == errno.EINVAL
    assert code(fs.readdir, f"/versions/{vid}/README", 0) == errno.ENOTDIR
    assert code(fs.getattr, "/versions/ffffffffff") == errno.ENOENT


def _history_blob(fs, path: str) -> tuple[str, list[str]]:
    """A blob of the history itself (a binary file's), and the files of all its copies
    — derived ones alone would be rebuilt, not EIO (docs/FORMAT.md)."""
    oid = fs.view.lookup(path).oid
    store = fs.view.store
    return oid, [s.where("blob", oid) for s in (store, store.derived)]


def test_a_corrupt_object_is_eio_and_a_log_line(sample, fs, caplog):
    vid = sample.named["start"]
    path = f"/versions/{vid}/logo.bin"
    oid, files = _history_blob(fs, path)
    for where in files:
        os.chmod(where, 0o644)
        with open(where, "r+b") as f:
            raw = f.read()
            f.seek(0)
            f.write(b"r" + b"?" * (len(raw) - 1))
    with caplog.at_level(logging.ERROR, "verfs.mount"):
        assert code(fs.read, path, 100, 0, 0) == errno.EIO
    assert any("corrupt blob" in r.getMessage() and oid in r.getMessage()
               for r in caplog.records)


def test_a_missing_object_is_eio(sample, fs, caplog):
    vid = sample.named["start"]
    path = f"/versions/{vid}/logo.bin"
    for where in _history_blob(fs, path)[1]:
        os.unlink(where)
    with caplog.at_level(logging.ERROR, "verfs.mount"):
        assert code(fs.read, path, 100, 0, 0) == errno.EIO
    assert caplog.records


def test_an_absent_or_corrupt_derived_object_is_rebuilt(sample, fs):
    vid = sample.named["start"]
    main, util = f"/versions/{vid}/src/main.c", f"/versions/{vid}/src/lib/util.h"
    with open(fs.view.states.where("blob", fs.view.lookup(main).oid), "wb") as f:
        f.write(b"rint evil(void)\n")
    os.unlink(fs.view.states.where("blob", fs.view.lookup(util).oid))
    assert fs.read(main, 100, 0, 0).startswith(b"int main(void)")
    assert fs.read(util, 100, 0, 0) == b"int util(void);\n"


def test_a_bug_is_eio_and_logged_with_its_traceback(fs, monkeypatch, caplog):
    monkeypatch.setattr(fs.view, "lookup", lambda p: 1 / 0)
    with caplog.at_level(logging.ERROR, "verfs.mount"):
        assert code(fs.getattr, "/x") == errno.EIO
    assert caplog.records[-1].exc_info is not None


def test_statfs(fs):
    st = fs.statfs("/")
    assert st["f_bavail"] == 0 and st["f_bsize"] > 0


def test_a_backing_file_not_unregistered_is_said_and_counted(caplog):
    """At unmount the connection may already be gone: each failed unregistration is
    counted and said (once), never silent."""
    from verfs.mount.passthrough import Passthrough
    p = Passthrough()
    read_end, write_end = os.pipe()         # no FUSE connection: the ioctl fails
    try:
        p.devfd, p.enabled, p._ids = read_end, True, {"a" * 64: 1, "b" * 64: 2}
        with caplog.at_level(logging.WARNING, "verfs.mount"):
            p.close()
    finally:
        os.close(read_end)
        os.close(write_end)
    assert p.swallowed.count == 2 and not p.enabled
    said = [r.getMessage() for r in caplog.records if "unregistered" in r.getMessage()]
    assert len(said) == 1
