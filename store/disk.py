"""The object store on disk.

``ROOT/<kind dir>/<first two hex>/<other 62 hex>``; each file is one byte saying how
the rest is encoded (``z``: zlib, ``r``: raw) followed by the encoded canonical bytes.
Large or incompressible blobs stay raw so that a range of them can be read without
decompressing the whole (verified once per process before the first range read).

Writes are atomic and durable: a temporary file in the target directory, fsync,
rename, fsync of the directory.  Inside ``batch()`` the fsyncs are grouped: objects
are staged in temporary files in ``ROOT/.staging-*``, and on leaving the batch one
``os.sync`` makes them durable before any is renamed into view, so a crash never
exposes half an object, and a failed batch leaves nothing behind.
"""

import functools
import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Iterator

from .base import DIRS, KINDS, DerivedCache, HeldCache, ObjectStore
from .errors import CorruptObject, ObjectNotFound, StoreError
from .files import fsync_dir, write_atomic
from .ids import EMPTY_BLOB, check_id, new_hasher

ZLIB, RAW = b"z", b"r"
RAW_ABOVE = 1 << 20     # blobs larger than this are stored raw, for range reads
VERIFIED = "verified"   # derived-cache area: raw blob → stamp of the file found intact
LEVEL = 6
_CHUNK = 1 << 20


def encode(kind: str, data: bytes) -> bytes:
    """The on-disk bytes of an object."""
    if kind == "blob" and len(data) > RAW_ABOVE:
        return RAW + data
    packed = zlib.compress(data, LEVEL)
    if kind == "blob" and len(packed) > 0.9 * len(data):
        return RAW + data
    return ZLIB + packed


class DiskStore(ObjectStore):
    def __init__(self, root: str, create: bool = False, lazy: bool = False,
                 durable: bool = True, **kw):
        """``create``: make the directories now; ``lazy``: as they are first written
        (a derived store that may never be needed); otherwise the store must exist.
        ``durable=False`` (derived objects, which can be rebuilt): writes stay atomic
        — temp file and rename — but are not fsynced."""
        super().__init__(**kw)
        self.root = os.path.abspath(root)
        self.durable = durable
        if create:
            for kind in KINDS:
                os.makedirs(os.path.join(self.root, DIRS[kind]), exist_ok=True)
        elif not lazy and not os.path.isdir(os.path.join(self.root, DIRS["version"])):
            raise StoreError(f"not a verfs store: {self.root}")
        self._batch: dict[tuple[str, str], str] | None = None
        self._staging: str | None = None
        self._batch_lock = threading.Lock()
        self._verified: dict[str, str] = {}     # blob → stamp of the file checked
        self.cache = DiskCache(self.root)

    @functools.cached_property
    def states(self) -> ObjectStore:
        """Derived trees and blobs live in ``ROOT/cache/v1/objects`` (a store of the
        same format), over this one: deleting the cache area deletes them too."""
        from .layered import LayeredStore
        derived = DiskStore(os.path.join(self.cache.base, "objects"), lazy=True, durable=False)
        derived.cache = self.cache
        return LayeredStore(derived, self)

    # --- paths ----------------------------------------------------------------------
    def path(self, kind: str, oid: str) -> str:
        check_id(oid)
        return os.path.join(self.root, DIRS[kind], oid[:2], oid[2:])

    def where(self, kind: str, oid: str) -> str | None:
        return self.path(kind, oid)

    # --- raw methods ----------------------------------------------------------------
    def contains(self, kind: str, oid: str) -> bool:
        if self._batch is not None and (kind, oid) in self._batch:
            return True
        return os.path.exists(self.path(kind, oid))

    def _open(self, kind: str, oid: str):
        staged = self._batch.get((kind, oid)) if self._batch is not None else None
        try:
            return open(staged or self.path(kind, oid), "rb")
        except FileNotFoundError:
            raise ObjectNotFound(kind, oid) from None

    def _read(self, kind: str, oid: str) -> bytes:
        with self._open(kind, oid) as f:
            raw = f.read()
        return self._decode(kind, oid, raw)

    def _decode(self, kind: str, oid: str, raw: bytes) -> bytes:
        tag, body = raw[:1], raw[1:]
        if tag == RAW:
            return body
        if tag == ZLIB:
            try:
                return zlib.decompress(body)
            except zlib.error as exc:
                raise CorruptObject(kind, oid, self.path(kind, oid),
                                    f"bad zlib data: {exc}") from None
        raise CorruptObject(kind, oid, self.path(kind, oid), "unknown encoding byte")

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        if self._batch is not None:
            fd, tmp = tempfile.mkstemp(dir=self._staging, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(encode(kind, data))
            with self._batch_lock:
                self._batch[(kind, oid)] = tmp
            return
        final = self.path(kind, oid)
        directory = os.path.dirname(final)
        made = not os.path.isdir(directory)
        if made:
            os.makedirs(directory, exist_ok=True)
        write_atomic(final, encode(kind, data), self.durable)
        if made and self.durable:
            fsync_dir(os.path.dirname(directory))

    def iter_ids(self, kind: str) -> Iterator[str]:
        base = os.path.join(self.root, DIRS[kind])
        try:
            fans = sorted(os.listdir(base))
        except FileNotFoundError:       # a lazy store nothing was written to yet
            fans = []
        for fan in fans:
            sub = os.path.join(base, fan)
            if len(fan) != 2 or not os.path.isdir(sub):
                continue
            for name in sorted(os.listdir(sub)):
                if not name.startswith("."):
                    yield fan + name
        if self._batch:
            yield from sorted(oid for k, oid in self._batch if k == kind)

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        sub = os.path.join(self.root, DIRS[kind], prefix[:2])
        try:
            names = os.listdir(sub)
        except FileNotFoundError:
            names = []
        found = {prefix[:2] + n for n in names if not n.startswith(".")}
        if self._batch:
            found.update(oid for k, oid in self._batch if k == kind)
        return sorted(oid for oid in found if oid.startswith(prefix))

    # --- blobs by range -------------------------------------------------------------
    def blob_size(self, oid: str) -> int:
        if oid == EMPTY_BLOB:
            return 0
        with self._open("blob", oid) as f:
            if f.read(1) == RAW:
                return os.fstat(f.fileno()).st_size - 1
        return len(self.get_blob(oid))

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        """Raw blobs are read by range with pread, once their whole content has been
        hashed.  The check is remembered against the file's identity (inode, size,
        mtime and ctime — which no write or chmod leaves unchanged), in this process
        and in the derived cache, so a large file is hashed once, not on every mount."""
        if oid == EMPTY_BLOB:
            return b""
        with self._open("blob", oid) as f:
            if f.read(1) != RAW:
                return self.get_blob(oid)[offset:offset + size]
            st = os.fstat(f.fileno())
            stamp = f"{st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"
            if self._verified.get(oid) != stamp:
                if self.cache.get(VERIFIED, oid) != stamp:
                    hasher = new_hasher()
                    while chunk := f.read(_CHUNK):
                        hasher.update(chunk)
                    if hasher.hexdigest() != oid:
                        raise CorruptObject("blob", oid, self.path("blob", oid),
                                            "content does not match its hash")
                    self.cache.put(VERIFIED, oid, stamp)
                self._verified[oid] = stamp
            return os.pread(f.fileno(), size, offset + 1)

    # --- batches --------------------------------------------------------------------
    def batch(self):
        return _Batch(self)


class _Batch:
    """Group the fsyncs of many writes; objects become visible together at the end."""

    def __init__(self, store: DiskStore):
        self.store = store
        self.outer = False

    def __enter__(self):
        if self.store._batch is not None:
            self.outer = True       # nested: the outermost batch commits
            return self
        # Staged objects wait in one directory of their own, so a failed batch
        # leaves not even an empty fan-out directory behind.
        os.makedirs(self.store.root, exist_ok=True)
        self.store._staging = tempfile.mkdtemp(dir=self.store.root, prefix=".staging-")
        self.store._batch = {}
        self.store.cache = HeldCache(self.store.cache)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            return False
        staged, self.store._batch = self.store._batch, None
        staging, self.store._staging = self.store._staging, None
        held, self.store.cache = self.store.cache, self.store.cache.base
        try:
            if exc_type is not None:
                return False
            if staged:
                self._commit(staged)
            held.flush()
            return False
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, staged: dict[tuple[str, str], str]) -> None:
        durable = self.store.durable
        if durable:
            os.sync()       # every staged object durable before any is in view
        dirs = set()
        for (kind, oid), tmp in staged.items():
            final = self.store.path(kind, oid)
            directory = os.path.dirname(final)
            if directory not in dirs:
                os.makedirs(directory, exist_ok=True)
                dirs.add(directory)
            os.replace(tmp, final)
        if durable:
            for d in dirs | {os.path.dirname(d) for d in dirs}:
                fsync_dir(d)


class DiskCache(DerivedCache):
    """``ROOT/cache/v<N>/<area>/<key[:2]>/<key[2:]>``: one small file per entry.

    Written atomically (temp + rename) but not fsynced: after a crash an entry may be
    missing or empty, and an empty or invalid entry reads as absent.  Bumping
    ``FORMAT`` orphans old entries; ``rm -r ROOT/cache`` is always safe.
    """

    FORMAT = 1

    def __init__(self, root: str):
        self.base = os.path.join(root, "cache", f"v{self.FORMAT}")
        self.writable = True

    def _path(self, area: str, key: str) -> str:
        check_id(key)
        return os.path.join(self.base, area, key[:2], key[2:])

    def get(self, area: str, key: str) -> str | None:
        try:
            with open(self._path(area, key), encoding="ascii") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            return None
        # An unsynced entry can come back torn (no final newline) or as zeroed blocks,
        # which are ASCII too: only one whole printable line is a value.
        value = text[:-1].strip()
        if not text.endswith("\n") or not value.isprintable():
            return None
        return value or None

    def put(self, area: str, key: str, value: str) -> None:
        if not self.writable:
            return
        path = self._path(area, key)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write_atomic(path, (value + "\n").encode("ascii"), durable=False)
        except OSError:
            self.writable = False   # a read-only store still serves, uncached
