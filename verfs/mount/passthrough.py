"""FUSE passthrough: the kernel reads a large file straight from its plain blob file.

With libfuse ≥ 3.16 on Linux ≥ 6.9, a file's OPEN reply may name a *backing file*
(registered on the FUSE device with an ioctl); the kernel then serves every read of
that open file from the backing file — its page cache, its readahead, its large
folios — and no READ reaches the daemon.  FUSE's own page cache holds one 4 KiB page
per folio (Linux 6.18), which makes a warm large read 0.6× the disk and a cold one
0.45×; passthrough makes both native.

Only plain blobs qualify (``store.disk``: a large blob stored as exactly its bytes,
checked against its id before it is handed over).  Passthrough needs CAP_SYS_ADMIN;
when registering fails, the file is served through the daemon as before.

A backing file is registered once per blob and kept for the daemon's life: the
kernel ties an inode that is open through passthrough to one backing registration,
so re-registering a blob while a file of it is open would make the next open fail.
"""

import fcntl
import logging
import os
import resource
import struct
import threading

from store.swallow import Swallowed

log = logging.getLogger("verfs.mount")

FUSE_CAP_PASSTHROUGH = 1 << 29          # fuse_common.h
_MAGIC = 229                            # FUSE_DEV_IOC_MAGIC


def _iow(nr: int, size: int) -> int:
    return (1 << 30) | (size << 16) | (_MAGIC << 8) | nr


BACKING_OPEN = _iow(1, 16)              # struct fuse_backing_map {fd, flags, padding}
BACKING_CLOSE = _iow(2, 4)              # uint32_t backing id
BACKING_ID_OFFSET = 36                  # in struct fuse_file_info, libfuse ≥ 3.16


class Passthrough:
    """Backing registrations of plain blob files on one FUSE connection."""

    def __init__(self) -> None:
        self.devfd: int | None = None   # the connection's /dev/fuse descriptor
        self.enabled = False
        self._ids: dict[str, int] = {}  # blob → backing id
        self._fds: list[int] = []
        self._lock = threading.Lock()
        self.swallowed = Swallowed(log)     # unregistrations that failed (``count``)

    def start(self, devfd: int) -> None:
        """The kernel agreed to passthrough on the connection ``devfd``.  Every large
        blob read keeps a descriptor open: allow as many as the hard limit does."""
        self.devfd, self.enabled = devfd, True
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    def backing_id(self, oid: str, plain_file) -> int | None:
        """The backing id of blob ``oid``: registered on first use, from the path
        ``plain_file()`` gives (None: not stored plain); None when passthrough is off,
        the blob is not plain, or the kernel refuses it."""
        if not self.enabled:
            return None
        known = self._ids.get(oid)
        if known is not None:
            return known
        path = plain_file()
        if path is None:
            return None
        with self._lock:
            known = self._ids.get(oid)
            if known is not None:
                return known
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                log.warning("passthrough: cannot open %s: %s", path, exc)
                return None
            try:
                # A mutable buffer makes ioctl return the call's result: the id.
                backing = fcntl.ioctl(self.devfd, BACKING_OPEN,
                                      bytearray(struct.pack("iIQ", fd, 0, 0)))
            except OSError as exc:
                os.close(fd)
                log.warning("passthrough off: the kernel refused a backing file (%s); "
                            "large files are read through the daemon", exc.strerror)
                self.enabled = False
                return None
            self._fds.append(fd)
            self._ids[oid] = backing
            return backing

    def close(self) -> None:
        """Unregister every backing file (at unmount; the connection may be gone)."""
        with self._lock:
            for backing in self._ids.values():
                try:
                    fcntl.ioctl(self.devfd, BACKING_CLOSE, bytearray(struct.pack("I", backing)))
                except OSError as exc:      # the connection may be gone: no harm
                    self.swallowed("passthrough: a backing file could not be "
                                   "unregistered at unmount", exc.strerror)
            for fd in self._fds:
                os.close(fd)
            self._ids.clear()
            self._fds.clear()
            self.enabled = False
