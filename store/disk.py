"""The object store on disk.

``ROOT/<kind dir>/<first two hex>/<other 62 hex>``; each file is one byte saying how
the rest is encoded (``z``: zlib, ``r``: raw) followed by the encoded canonical bytes.
Blobs larger than ``RAW_ABOVE`` are stored *plain* instead, at the same path plus
``.plain``: exactly their bytes, no tag.  A range of a plain blob is a ``pread`` at
the same offset, and the mount can hand the file itself to the kernel (FUSE
passthrough), which then reads it with no daemon in between.  Either way the whole
file is hashed once before the first range of it is trusted; the check is
remembered against the file's identity.

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
from .files import fsync_dir, link_atomic, write_atomic
from .ids import EMPTY_BLOB, check_id, new_hasher

ZLIB, RAW = b"z", b"r"
PLAIN = ".plain"        # suffix of a blob stored as exactly its bytes
RAW_ABOVE = 1 << 20     # blobs larger than this are stored plain, for range reads
VERIFIED = "verified"   # derived-cache area: blob → stamp of its file, found intact
LEVEL = 6
_CHUNK = 1 << 20


def is_plain(kind: str, size: int) -> bool:
    """Whether an object of this kind and size is stored plain (untagged)."""
    return kind == "blob" and size > RAW_ABOVE


def encode(kind: str, data: bytes) -> bytes:
    """The on-disk bytes of an object that is not stored plain."""
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
        self._batch: dict[tuple[str, str], tuple[str, bool]] | None = None
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
        """Where the object's tagged file goes (a plain blob: this plus ``PLAIN``)."""
        check_id(oid)
        return os.path.join(self.root, DIRS[kind], oid[:2], oid[2:])

    def _candidates(self, kind: str, oid: str) -> list[tuple[str, bool]]:
        """Where the object's file may be, and whether it would be plain there."""
        path = self.path(kind, oid)
        return [(path, False), (path + PLAIN, True)] if kind == "blob" else [(path, False)]

    def where(self, kind: str, oid: str) -> str | None:
        found = [p for p, _ in self._candidates(kind, oid) if os.path.exists(p)]
        return found[0] if found else self.path(kind, oid)

    # --- raw methods ----------------------------------------------------------------
    def contains(self, kind: str, oid: str) -> bool:
        if self._batch is not None and (kind, oid) in self._batch:
            return True
        return any(os.path.exists(p) for p, _ in self._candidates(kind, oid))

    def _open(self, kind: str, oid: str):
        """The object's file, open, and whether it is plain."""
        staged = self._batch.get((kind, oid)) if self._batch is not None else None
        for path, plain in [staged] if staged is not None else self._candidates(kind, oid):
            try:
                return open(path, "rb"), plain
            except FileNotFoundError:
                pass
        raise ObjectNotFound(kind, oid)

    def _read(self, kind: str, oid: str) -> bytes:
        f, plain = self._open(kind, oid)
        with f:
            raw = f.read()
        return raw if plain else self._decode(kind, oid, raw)

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
        plain = is_plain(kind, len(data))
        body = data if plain else encode(kind, data)
        if self._batch is not None:
            fd, tmp = tempfile.mkstemp(dir=self._staging, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            self._stage(kind, oid, tmp, plain)
            return
        final = self.path(kind, oid) + (PLAIN if plain else "")
        self._install(final, lambda path: write_atomic(path, body, self.durable))

    def _stage(self, kind: str, oid: str, tmp: str, plain: bool) -> None:
        with self._batch_lock:
            self._batch[(kind, oid)] = (tmp, plain)

    def _install(self, final: str, make) -> None:
        """``make(final)`` (which creates it atomically) in its fan-out directory,
        made first if need be — and then, when durable, fsynced into its parent."""
        directory = os.path.dirname(final)
        made = not os.path.isdir(directory)
        if made:
            os.makedirs(directory, exist_ok=True)
        make(final)
        if made and self.durable:
            fsync_dir(os.path.dirname(directory))

    def adopt(self, kind: str, oid: str, source: ObjectStore) -> None:
        """A plain blob another store on this file system holds becomes this store's
        by a hard link — one copy on disk, however large — once its content is
        checked; anything else is copied."""
        if self.contains(kind, oid):
            return
        src = source.plain_blob(oid) if kind == "blob" else None
        if src is None:
            return super().adopt(kind, oid, source)
        if self._batch is not None:
            tmp = os.path.join(self._staging, f".link-{oid}")
            try:
                os.link(src, tmp)
            except OSError:         # another file system, or no hard links there
                return super().adopt(kind, oid, source)
            self._stage(kind, oid, tmp, True)
            return
        try:
            self._install(self.path(kind, oid) + PLAIN,
                          lambda path: link_atomic(src, path, self.durable))
        except OSError:
            return super().adopt(kind, oid, source)

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
            yield from sorted(fan + n for n in _names(os.listdir(sub)))
        if self._batch:
            yield from sorted(oid for k, oid in self._batch if k == kind)

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        sub = os.path.join(self.root, DIRS[kind], prefix[:2])
        try:
            names = os.listdir(sub)
        except FileNotFoundError:
            names = []
        found = {prefix[:2] + n for n in _names(names)}
        if self._batch:
            found.update(oid for k, oid in self._batch if k == kind)
        return sorted(oid for oid in found if oid.startswith(prefix))

    # --- blobs by range -------------------------------------------------------------
    def blob_size(self, oid: str) -> int:
        if oid == EMPTY_BLOB:
            return 0
        f, plain = self._open("blob", oid)
        with f:
            if plain:
                return os.fstat(f.fileno()).st_size
            if f.read(1) == RAW:
                return os.fstat(f.fileno()).st_size - 1
        return len(self.get_blob(oid))

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        """Plain blobs (and raw ones of stores written before plain blobs) are read by
        range with pread, once their whole content has been checked (``_checked``)."""
        if oid == EMPTY_BLOB:
            return b""
        f, plain = self._open("blob", oid)
        with f:
            skip = 0 if plain else 1
            if not plain and f.read(1) != RAW:
                return self.get_blob(oid)[offset:offset + size]
            self._checked(f, oid, skip)
            return os.pread(f.fileno(), size, offset + skip)

    def plain_blob(self, oid: str) -> str | None:
        """The path of the file holding exactly the blob's bytes, checked — or None
        when the blob is not stored plain (small, or not here)."""
        staged = self._batch.get(("blob", oid)) if self._batch is not None else None
        if staged is not None and not staged[1]:
            return None
        path = staged[0] if staged is not None else self.path("blob", oid) + PLAIN
        try:
            with open(path, "rb") as f:
                self._checked(f, oid, 0)
        except FileNotFoundError:
            return None
        return path

    def _checked(self, f, oid: str, skip: int) -> None:
        """Hash the whole file (after ``skip`` tag bytes) unless it was found intact
        before.  The check is remembered against the file's identity (inode, size,
        mtime and ctime — which no write or chmod leaves unchanged), in this process
        and in the derived cache, so a large file is hashed once, not on every mount."""
        st = os.fstat(f.fileno())
        stamp = f"{st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns}"
        if self._verified.get(oid) == stamp:
            return
        if self.cache.get(VERIFIED, oid) != stamp:
            hasher = new_hasher()
            f.seek(skip)
            while chunk := f.read(_CHUNK):
                hasher.update(chunk)
            if hasher.hexdigest() != oid:
                raise CorruptObject("blob", oid, f.name, "content does not match its hash")
            self.cache.put(VERIFIED, oid, stamp)
        self._verified[oid] = stamp

    # --- batches --------------------------------------------------------------------
    def batch(self):
        return _Batch(self)


def _names(listing: list[str]) -> set[str]:
    """The object names (62 hex digits) in a fan-out directory's listing."""
    return {n.removesuffix(PLAIN) for n in listing if not n.startswith(".")}


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

    def _commit(self, staged: dict[tuple[str, str], tuple[str, bool]]) -> None:
        durable = self.store.durable
        if durable:
            os.sync()       # every staged object durable before any is in view
        dirs = set()
        for (kind, oid), (tmp, plain) in staged.items():
            final = self.store.path(kind, oid) + (PLAIN if plain else "")
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
