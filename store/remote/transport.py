"""What a remote store is made of, for the code above it: named byte strings (keys),
read whole or by range, written whole, some of them conditionally.

A transport is thread-safe (a mount reads from many threads) and counts what it does
(``stats``: requests, bytes in, bytes out), which the benchmark reports.  Keys are
``/``-separated paths below the remote's prefix (``head``, ``packs/<name>.pack``).

ETags are opaque strings the transport compares; a conditional write names the one it
read (``if_match``) or asks that the key be absent (``if_none_match``).  S3 and
directories honour both; plain HTTP is read-only.
"""

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import EXIT_USAGE, StoreError
from ..files import FILE_MODE, fsync_dir, temp_file


class RemoteError(StoreError):
    """The remote cannot be reached or refused a request (not damage: exit 1, EIO)."""


class ReadOnlyRemote(RemoteError):
    """A write to a remote that cannot be written (a plain web server)."""

    exit_code = EXIT_USAGE


class PreconditionFailed(RemoteError):
    """A conditional write lost: the key's ETag was not the one named (or the key
    existed, for ``if_none_match``) — someone else wrote it first."""


class NotARemoteStore(RemoteError):
    """The URL answers, but holds no verfs store."""


@dataclass
class Stats:
    requests: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    def copy(self) -> "Stats":
        return Stats(self.requests, self.bytes_in, self.bytes_out)


class Transport:
    """The few operations a remote store needs; see the module's docstring."""

    label = ""              # the URL, for messages
    writable = False

    def __init__(self):
        self.stats = Stats()
        self._stats_lock = threading.Lock()

    def _count(self, bytes_in: int = 0, bytes_out: int = 0) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.bytes_in += bytes_in
            self.stats.bytes_out += bytes_out

    # --- reading --------------------------------------------------------------------
    def get(self, key: str) -> tuple[bytes, str] | None:
        """The whole value and its ETag, or None if there is no such key."""
        raise NotImplementedError

    def get_if_changed(self, key: str, etag: str | None) -> tuple[bytes, str] | None | bool:
        """Like ``get``, but False (one cheap request: a 304) when the key's ETag is
        still ``etag``: how head and the manifest are polled."""
        got = self.get(key)
        if got is not None and etag is not None and got[1] == etag:
            return False
        return got

    def get_range(self, key: str, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (fewer only past the end); RemoteError if
        there is no such key (a range is only asked of keys known to exist)."""
        raise NotImplementedError

    def size(self, key: str) -> int | None:
        """The value's length, or None if there is no such key."""
        raise NotImplementedError

    def list(self, prefix: str) -> Iterator[str]:
        """Every key starting with ``prefix``, sorted; ReadOnlyRemote where the
        remote cannot list (HTTP)."""
        raise ReadOnlyRemote(f"{self.label}: cannot list a plain web server")

    # --- writing --------------------------------------------------------------------
    def put(self, key: str, data: bytes, *, if_match: str | None = None,
            if_none_match: bool = False) -> str:
        """Store ``data`` under ``key`` (whole, atomically: readers see the old value
        or the new one); the new ETag.  PreconditionFailed if a condition fails."""
        raise ReadOnlyRemote(f"{self.label}: a plain web server is read-only; push to s3:// "
                             f"or a directory, and copy that to the web server")

    def put_file(self, key: str, path: str) -> str:
        """``put`` of a file's bytes (large packs: multipart where the remote has it)."""
        with open(path, "rb") as f:
            return self.put(key, f.read())

    def delete(self, key: str) -> None:
        raise ReadOnlyRemote(f"{self.label}: read-only")


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


class DirTransport(Transport):
    """A remote that is a directory (``file:///srv/verfs/proj``, say on NFS, or one a
    web server serves): keys are files below it, written by temporary file and
    rename, conditional writes serialised by an ``flock`` on ``.lock``.  Its ETag is
    a hash of the content."""

    writable = True

    def __init__(self, root: str):
        super().__init__()
        self.root = os.path.abspath(root)
        self.label = "file://" + self.root

    def _path(self, key: str) -> str:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"bad key {key!r}")
        return os.path.join(self.root, *parts)

    def get(self, key):
        try:
            with open(self._path(key), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            self._count()
            return None
        except OSError as exc:
            raise RemoteError(f"{self.label}/{key}: {exc.strerror}") from None
        self._count(bytes_in=len(data))
        return data, _etag(data)

    def get_range(self, key, start, length):
        try:
            with open(self._path(key), "rb") as f:
                data = os.pread(f.fileno(), length, start)
        except OSError as exc:
            raise RemoteError(f"{self.label}/{key}: {exc.strerror}") from None
        self._count(bytes_in=len(data))
        return data

    def size(self, key):
        self._count()
        try:
            return os.stat(self._path(key)).st_size
        except FileNotFoundError:
            return None

    def list(self, prefix):
        self._count()
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        top = os.path.dirname(base) if not prefix.endswith("/") and prefix else base
        out = []
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                if name.startswith((".tmp-", ".lock")):
                    continue
                key = os.path.relpath(os.path.join(dirpath, name), self.root)
                key = key.replace(os.sep, "/")
                if key.startswith(prefix):
                    out.append(key)
        return iter(sorted(out))

    def put(self, key, data, *, if_match=None, if_none_match=False):
        import fcntl
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        conditional = if_match is not None or if_none_match
        lock = None
        if conditional:
            lock = os.open(os.path.join(self.root, ".lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if conditional:
                try:
                    with open(path, "rb") as f:
                        now = _etag(f.read())
                except FileNotFoundError:
                    now = None
                if (if_none_match and now is not None) or \
                        (if_match is not None and now != if_match):
                    self._count()
                    raise PreconditionFailed(f"{self.label}/{key} was changed by another writer")
            with temp_file(os.path.dirname(path)) as (fd, tmp):
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.rename(tmp, path)
            fsync_dir(os.path.dirname(path))
        finally:
            if lock is not None:
                os.close(lock)
        self._count(bytes_out=len(data))
        return _etag(data)

    def delete(self, key):
        self._count()
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass
