"""The FUSE adapter: fusepy-shaped operations over a ``View``.

It only translates: view nodes become stat dicts, view errors become errnos, store
corruption becomes EIO and a log line (a remote that cannot be reached: EIO, said once
per kind of failure until it answers again), and every operation that would write is EROFS.
Works with fusepy and with mfusepy (the same API; mfusepy calls the methods directly,
fusepy through ``__call__``).  Operations left out on purpose (getxattr, listxattr,
access, flush, opendir) make libfuse answer ENOSYS once, after which the kernel stops
asking: fewer round trips for every ``ls -l`` and ``close``.
"""

import ctypes
import errno
import functools
import logging
import os
import stat
import threading

from store.errors import Error
from store.remote.transport import RemoteError

from .follow import Invalidator
from .nodes import DIR, LINK, Node
from .passthrough import BACKING_ID_OFFSET, FUSE_CAP_PASSTHROUGH, Passthrough
from .remote import OUTAGE
from .view import View

log = logging.getLogger("verfs.mount")

_WRITING = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class FuseError(OSError):
    """What fusepy and mfusepy turn into ``-errno`` (their FuseOSError, without
    importing either here)."""

    def __init__(self, code: int):
        super().__init__(code, os.strerror(code))


_thread = threading.local()


def keep_thread_state() -> None:
    """Keep the calling libfuse thread's Python thread state for good.

    ctypes gives each callback from a thread Python did not start a new thread state
    and tears it down on return — a quarter of the daemon's time on a warm ``cat`` of
    many small files.  One extra ``PyGILState_Ensure``, never released, makes every
    later callback on that thread reuse its state (libfuse keeps its workers)."""
    if not getattr(_thread, "kept", False):
        ctypes.pythonapi.PyGILState_Ensure()
        _thread.kept = True


def _translated(method):
    """Run one operation; answer a typed error's ``fuse_errno`` (the one protocol the
    CLI reads ``exit_code`` of), at this edge only.  EIO (damage in the store) is logged;
    anything untyped is a bug: EIO, logged with its traceback."""
    name = method.__name__

    @functools.wraps(method)
    def op(self, *args):
        keep_thread_state()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %r", name, args)
        try:
            return method(self, *args)
        except FuseError:
            raise
        except RemoteError as exc:     # unreachable: said once per kind (remote.py)
            OUTAGE.failure(f"{name} {args[0] if args else ''}", exc)
            raise FuseError(exc.fuse_errno) from None
        except Error as exc:
            if exc.fuse_errno == errno.EIO:
                log.error("%s %s: %s", name, args[0] if args else "", exc)
            raise FuseError(exc.fuse_errno) from None
        except Exception:
            log.exception("%s %s failed", name, args[0] if args else "")
            raise FuseError(errno.EIO) from None
    return op


def _read_only(*_args):
    raise FuseError(errno.EROFS)


class Operations:
    use_ns = True

    def __init__(self, view: View, on_init=None, passthrough: Passthrough | None = None,
                 session_fd=None, cache_listings: bool = False, follower=None,
                 module=None):
        """``passthrough``: answer OPEN (libfuse ≥ 3.16, called with raw file infos),
        handing large files to the kernel; ``session_fd()`` then gives the FUSE
        device's descriptor once mounted.  Without it, OPEN is refused (see ``open``).
        ``follower`` (follow.py), started once mounted with the binding ``module``,
        keeps the kernel's caches of head, history/ and tags/ current."""
        self.view = view
        self.on_init = on_init
        self.passthrough = passthrough
        self.session_fd = session_fd
        self.follower = follower
        self.module = module
        self.cache_listings = cache_listings    # libfuse 3: READDIRPLUS takes whole stats
        self.uid, self.gid = os.getuid(), os.getgid()
        if passthrough is not None:
            self.open = self.open_passthrough   # what the binding finds as ``open``
        if cache_listings:
            self.opendir = self._opendir_cached

    def __call__(self, op, *args):      # fusepy's way in
        method = getattr(self, op, None)
        if method is None:
            raise FuseError(errno.ENOSYS)
        return method(*args)

    def init(self, path):
        log.info("mounted")
        if self.follower is not None:
            self.follower.start(Invalidator(self.module))
        if self.on_init is not None:
            self.on_init()

    def init_with_config(self, conn, config):
        """libfuse 3's init (mfusepy calls it instead of ``init``): ask for
        passthrough when the kernel offers it."""
        if self.passthrough is not None:
            if conn.capable & FUSE_CAP_PASSTHROUGH:
                conn.want |= FUSE_CAP_PASSTHROUGH
                conn.max_backing_stack_depth = 1    # the store may be on overlayfs
                self.passthrough.start(self.session_fd())
                log.info("passthrough: on (large files are read by the kernel directly)")
            else:
                log.info("passthrough: the kernel does not offer it")
        self.init("/")

    def destroy(self, path):
        log.info("unmounting")
        if self.follower is not None:
            self.follower.stop()
        if self.passthrough is not None:
            self.passthrough.close()

    def _stat(self, node: Node) -> dict:
        """As a disk filesystem shows it: blocks of 4 KiB (none for a link, whose
        target fits in the inode), atime = ctime = mtime."""
        if node.kind == DIR:
            mode = stat.S_IFDIR | 0o555
        elif node.kind == LINK:
            mode = stat.S_IFLNK | 0o777
        else:
            mode = stat.S_IFREG | (0o555 if node.exec else 0o444)
        t = node.mtime_ns
        blocks = 0 if node.kind == LINK else -(-node.size // 4096) * 8
        return {"st_ino": node.ino, "st_mode": mode, "st_nlink": node.nlink,
                "st_size": node.size, "st_uid": self.uid, "st_gid": self.gid,
                "st_blocks": blocks, "st_blksize": 4096,
                "st_atime": t, "st_mtime": t, "st_ctime": t}

    @_translated
    def getattr(self, path, fh=None):
        return self._stat(self.view.lookup(path))

    @_translated
    def readdir(self, path, fh):
        """Entries with every attribute the view knows at no cost (those of a
        version's tree), for a binding that hands them to the kernel with the listing
        (libfuse 3's readdirplus); the kind and inode of the others."""
        out = [(".", None, 0), ("..", None, 0)]
        for name, kind, ino, node in self.view.entries(path, full=self.cache_listings):
            if node is not None:
                out.append((name, self._stat(node), 0))
                continue
            mode = stat.S_IFDIR if kind == DIR else stat.S_IFLNK if kind == LINK \
                else stat.S_IFREG
            out.append((name, {"st_mode": mode, "st_ino": ino}, 0))
        return out

    def _opendir_cached(self, path):
        return 0

    def listing_cached(self, path) -> bool:
        """Whether the kernel may keep this directory's listing: all but the store's
        own listings (``versions/``, ``info/``) of a bare store, which grow with no
        head to watch (a mount of one version has no such listings)."""
        return self.follower is not None or self.view.only is not None or \
            path.strip("/") not in ("versions", "info")
    @_translated
    def getxattr(self, path, name, position=0):
        return self.view.getxattr(path, name)

    @_translated
    def listxattr(self, path):
        return list(self.view.xattrs(path))

    @_translated
    def readlink(self, path):
        return self.view.readlink(path)

    @_translated
    def open(self, path, flags):
        """Refuse writing; otherwise check the path and answer ENOSYS, on which the
        kernel (Linux ≥ 4.19 sets ``no_open``) stops sending OPEN and RELEASE for good
        and keeps each file's pages cached across opens: a warm ``cat`` of many small
        files then never reaches the daemon.  Reads find their file by path.  (With
        passthrough, ``open_passthrough`` answers instead.)"""
        if flags & _WRITING:
            raise FuseError(errno.EROFS)
        self.view.open(path)
        raise FuseError(errno.ENOSYS)

    @_translated
    def open_passthrough(self, path, fi):
        """``open`` with passthrough: every open comes here, with libfuse's file info.
        A large file stored plain gets its backing file (registered on its first
        open); any other keeps its cached pages."""
        if fi.flags & _WRITING:
            raise FuseError(errno.EROFS)
        node = self.view.open(path)
        backing = self.passthrough.backing_id(node.oid, lambda: self.view.plain_file(node))
        if backing:
            ctypes.c_int32.from_address(ctypes.addressof(fi) + BACKING_ID_OFFSET).value = backing
        else:
            fi.keep_cache = 1       # never with a backing file: the kernel refuses both
        return 0

    @_translated
    def read(self, path, size, offset, fh):
        return self.view.read(self.view.open(path), offset, size)

    @_translated
    def statfs(self, path):
        return self.view.statfs()

    chmod = chown = create = link = mkdir = mknod = rename = rmdir = _read_only
    symlink = truncate = unlink = utimens = write = setxattr = removexattr = _read_only
