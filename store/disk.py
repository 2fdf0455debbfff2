"""The object store on disk.

An object is either *loose* — ``ROOT/<kind dir>/<first two hex>/<other 62 hex>``, one
byte saying how the rest is encoded (``z``: zlib, ``r``: raw) followed by the encoded
canonical bytes — or *packed*: the same encoded bytes inside a pack in ``ROOT/packs``
(store/pack.py), where thousands of tiny objects share one file instead of taking a
disk block each.  Blobs larger than ``RAW_ABOVE`` are always loose and *plain*, at the
loose path plus ``.plain``: exactly their bytes, no tag.  A range of a plain blob is a
``pread`` at the same offset, and the mount can hand the file itself to the kernel
(FUSE passthrough), which then reads it with no daemon in between.  The whole file is
hashed once before the first range of it is trusted; the check is remembered against
the file's identity.

Single writes are loose, atomic and durable: a temporary file in the target
directory, fsync, rename, fsync of the directory.  A ``batch()`` (imports, clones)
writes into one pack instead, which appears, durable and complete, when the batch
ends (a small batch becomes loose files); a failed batch leaves nothing behind.
``repack`` (``verfs gc``, and ``pack_if_needed`` after commands) gathers loose objects
and packs into one pack.  Nothing is removed before what replaces it is durable.
"""

import functools
import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .base import DIRS, KINDS, HeldCache, ObjectStore
from .diskcache import DiskCache
from .errors import CorruptObject, ObjectNotFound, StoreError
from .files import fsync_dir, link_atomic, write_atomic
from .ids import EMPTY_BLOB, check_id, hash_bytes, new_hasher
from .pack import PackSet, PackWriter

ZLIB, RAW = b"z", b"r"
PLAIN = ".plain"        # suffix of a blob stored as exactly its bytes
RAW_ABOVE = 1 << 20     # blobs larger than this are stored plain, for range reads
VERIFIED = "verified"   # derived-cache area: blob → stamp of its file, found intact
LEVEL = 6               # zlib level of the history's objects: their size is the store's
DERIVED_LEVEL = 1       # ... and of derived ones, written while a mount waits for them
PACKS = "packs"         # the directory of packs
PACK_MIN = 32           # a batch of fewer objects is written as loose files
AUTO_LOOSE = 1024       # pack_if_needed: pack once about this many objects are loose
AUTO_PACKS = 16         # ... and merge every pack into one once there are this many
_CHUNK = 1 << 20


def is_plain(kind: str, size: int) -> bool:
    """Whether an object of this kind and size is stored plain (untagged)."""
    return kind == "blob" and size > RAW_ABOVE


def encode(kind: str, data: bytes, level: int = LEVEL) -> bytes:
    """The on-disk bytes of an object that is not stored plain."""
    packed = zlib.compress(data, level)
    if kind == "blob" and len(packed) > 0.9 * len(data):
        return RAW + data
    return ZLIB + packed


@dataclass
class Repacked:
    """What a ``repack`` did."""

    objects: int = 0                # objects in the new pack
    loose: int = 0                  # loose files it replaced
    packs: int = 0                  # older packs it replaced
    bytes: int = 0                  # size of the new pack
    dropped: list[str] = field(default_factory=list)    # corrupt derived objects left out


class DiskStore(ObjectStore):
    def __init__(self, root: str, create: bool = False, lazy: bool = False,
                 durable: bool = True, **kw):
        """``create``: make the directories now; ``lazy``: as they are first written
        (a derived store that may never be needed); otherwise the store must exist.
        ``durable=False`` (derived objects, which can be rebuilt): writes stay atomic
        — temp file and rename — but are not fsynced, and zlib works at its fastest
        level: a mount waits for them, and their size is not the history's."""
        super().__init__(**kw)
        self.root = os.path.abspath(root)
        self.durable = durable
        self.level = LEVEL if durable else DERIVED_LEVEL
        if create:
            for kind in KINDS:
                os.makedirs(os.path.join(self.root, DIRS[kind]), exist_ok=True)
        elif not lazy and not os.path.isdir(os.path.join(self.root, DIRS["version"])):
            raise StoreError(f"not a verfs store: {self.root}")
        self.packs = PackSet(os.path.join(self.root, PACKS))
        self._writer: PackWriter | None = None          # the batch's pack, in a batch
        self._staged: dict[tuple[str, str], str] = {}   # the batch's plain blobs
        self._staging: str | None = None
        self._batch_lock = threading.Lock()
        self._verified: dict[str, str] = {}     # blob → stamp of the file checked
        self.cache = DiskCache(self.root)

    @functools.cached_property
    def derived(self) -> "DiskStore":
        """Derived trees and blobs: ``ROOT/cache/v1/objects``, a store of the same
        format, so that deleting the cache area deletes them too."""
        derived = DiskStore(os.path.join(self.cache.base, "objects"), lazy=True, durable=False)
        derived.cache = self.cache
        return derived

    @functools.cached_property
    def states(self) -> ObjectStore:
        """The derived store over this one (see store/layered.py)."""
        from .layered import LayeredStore
        return LayeredStore(self.derived, self)

    # --- where objects are ----------------------------------------------------------
    def path(self, kind: str, oid: str) -> str:
        """Where the object's loose tagged file goes (a plain blob: this plus ``PLAIN``)."""
        check_id(oid)
        return os.path.join(self.root, DIRS[kind], oid[:2], oid[2:])

    def _candidates(self, kind: str, oid: str) -> list[tuple[str, bool]]:
        """Where the object's loose file may be, and whether it would be plain there."""
        path = self.path(kind, oid)
        return [(path, False), (path + PLAIN, True)] if kind == "blob" else [(path, False)]

    def _find(self, kind: str, oid: str):
        """``(encoded bytes, where)`` of an object in the batch's pack or a pack, or
        ``(open file, plain)`` of one in a file; None if it is nowhere.  A miss looks
        at the packs again: another process may have just packed the object (and
        removed its loose file)."""
        writer = self._writer
        if writer is not None:
            raw = writer.get(kind, oid)
            if raw is not None:
                return raw, "the current batch"
            staged = self._staged.get((kind, oid))
            if staged is not None:
                try:
                    return open(staged, "rb"), True
                except FileNotFoundError:   # the batch just ended: it is in place now
                    pass
        for _ in range(2):
            hit = self.packs.find(kind, oid)
            if hit is not None:
                pack, offset, length = hit
                raw = pack.read(offset, length)
                if raw is None:
                    raise CorruptObject(kind, oid, pack.path, "its place in the pack's "
                                        "index lies outside the pack")
                return raw, f"{pack.path} at {offset}"
            for path, plain in self._candidates(kind, oid):
                try:
                    return open(path, "rb"), plain
                except FileNotFoundError:
                    pass
            if not self.packs.refresh():
                return None
        return None

    def _found(self, kind: str, oid: str):
        """``_find``, or ObjectNotFound."""
        found = self._find(kind, oid)
        if found is None:
            raise self._missing(kind, oid)
        return found

    def _missing(self, kind: str, oid: str) -> ObjectNotFound:
        broken = sorted(self.packs.broken)
        note = f" (and {os.path.join(PACKS, broken[0])} is unreadable)" if broken else ""
        return ObjectNotFound(kind, oid, note)

    def where(self, kind: str, oid: str) -> str | None:
        hit = self.packs.find(kind, oid)
        if hit is not None:
            return f"{hit[0].path} at {hit[1]}"
        found = [p for p, _ in self._candidates(kind, oid) if os.path.exists(p)]
        return found[0] if found else self.path(kind, oid)

    # --- raw methods ----------------------------------------------------------------
    def contains(self, kind: str, oid: str) -> bool:
        writer = self._writer
        if writer is not None and ((kind, oid) in writer or (kind, oid) in self._staged):
            return True
        if self.packs.find(kind, oid) is not None:
            return True
        if any(os.path.exists(p) for p, _ in self._candidates(kind, oid)):
            return True
        return self.packs.refresh() and self.packs.find(kind, oid) is not None

    def _read(self, kind: str, oid: str) -> bytes:
        what, how = self._found(kind, oid)
        if isinstance(what, bytes):
            return self._decode(kind, oid, what, how)
        with what:
            raw = what.read()
        return raw if how else self._decode(kind, oid, raw, what.name)

    def _decode(self, kind: str, oid: str, raw: bytes, where: str) -> bytes:
        tag, body = raw[:1], raw[1:]
        if tag == RAW:
            return body
        if tag == ZLIB:
            try:
                return zlib.decompress(body)
            except zlib.error as exc:
                raise CorruptObject(kind, oid, where, f"bad zlib data: {exc}") from None
        raise CorruptObject(kind, oid, where, "unknown encoding byte")

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        """Into the batch's pack (a large blob: its staging directory) while a batch is
        open, else a loose file.  A batch that another thread is just ending takes
        nothing more (``seal``): the object is then written loose."""
        plain = is_plain(kind, len(data))
        body = data if plain else encode(kind, data, self.level)
        writer = self._writer
        if writer is not None and not plain and writer.add(kind, oid, body):
            return
        if plain and self._stage(kind, oid, lambda tmp: _write_file(tmp, body)):
            return
        final = self.path(kind, oid) + (PLAIN if plain else "")
        self._install(final, lambda path: write_atomic(path, body, self.durable))

    def _stage(self, kind: str, oid: str, make) -> bool:
        """Stage a large blob in the open batch — ``make(tmp)`` creates its file —
        or say False when no batch is open (or it is ending)."""
        with self._batch_lock:
            if self._writer is None or self._writer.sealed:
                return False
            if (kind, oid) in self._staged:     # another thread staged it just now
                return True
            tmp = os.path.join(self._staging, f".tmp-{oid}")
            make(tmp)
            self._staged[(kind, oid)] = tmp
            return True

    def _install(self, final: str, make) -> None:
        """``make(final)`` (which creates it atomically) in its fan-out directory,
        made first if need be — and then, when durable, fsynced into its parent.  A
        repack in another process may remove the directory once it is empty: then it
        is made again."""
        directory = os.path.dirname(final)
        made = not os.path.isdir(directory)
        for last in (False, True):
            if made or last:
                os.makedirs(directory, exist_ok=True)
            try:
                make(final)
                break
            except FileNotFoundError:
                if last:
                    raise
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
        try:
            if self._stage(kind, oid, lambda tmp: os.link(src, tmp)):
                return
        except OSError:             # another file system, or no hard links there
            return super().adopt(kind, oid, source)
        try:
            self._install(self.path(kind, oid) + PLAIN,
                          lambda path: link_atomic(src, path, self.durable))
        except OSError:
            return super().adopt(kind, oid, source)

    def _loose(self, kind: str, fans=None) -> Iterator[tuple[str, str, bool]]:
        """(id, path, plain) of every loose file of a kind (in the fan-outs ``fans``)."""
        base = os.path.join(self.root, DIRS[kind])
        if fans is None:
            try:
                fans = os.listdir(base)
            except FileNotFoundError:       # a lazy store nothing was written to yet
                return
        for fan in sorted(fans):
            if len(fan) != 2:
                continue
            try:
                names = os.listdir(os.path.join(base, fan))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for n in names:
                if not n.startswith("."):
                    yield fan + n.removesuffix(PLAIN), os.path.join(base, fan, n), \
                        n.endswith(PLAIN)

    def _ids(self, kind: str, prefix: str = "") -> set[str]:
        """Every id of a kind starting with ``prefix``: loose, packed, in the batch."""
        fans = [prefix[:2]] if len(prefix) >= 2 else None
        found = {oid for oid, _, _ in self._loose(kind, fans)}
        self.packs.refresh()
        found |= self.packs.ids(kind, prefix)
        writer = self._writer
        if writer is not None:
            found.update(writer.ids(kind))
            found.update(oid for k, oid in list(self._staged) if k == kind)
        return {oid for oid in found if oid.startswith(prefix)}

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(self._ids(kind)))

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        return sorted(self._ids(kind, prefix))

    # --- blobs by range -------------------------------------------------------------
    def blob_size(self, oid: str) -> int:
        if oid == EMPTY_BLOB:
            return 0
        f, plain = self._found("blob", oid)
        if isinstance(f, bytes):        # packed: small
            return len(self.get_blob(oid))
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
        f, plain = self._found("blob", oid)
        if isinstance(f, bytes):
            return self.get_blob(oid)[offset:offset + size]
        with f:
            skip = 0 if plain else 1
            if not plain and f.read(1) != RAW:
                return self.get_blob(oid)[offset:offset + size]
            self._checked(f, oid, skip)
            return os.pread(f.fileno(), size, offset + skip)

    def plain_blob(self, oid: str) -> str | None:
        """The path of the file holding exactly the blob's bytes, checked — or None
        when the blob is not stored plain (small, or not here)."""
        path = self._staged.get(("blob", oid)) if self._writer is not None else None
        if path is None:
            path = self.path("blob", oid) + PLAIN
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

    # --- batches and packing ----------------------------------------------------------
    def batch(self):
        return _Batch(self)

    def storage_problems(self) -> list[str]:
        return self.packs.problems()

    def repack(self, everything: bool = True, drop_corrupt: bool = False,
               progress: Callable[[int], None] | None = None) -> Repacked:
        """Move the loose objects (plain blobs excepted) — and, with ``everything``,
        the objects of every pack — into one new pack, then remove what it replaced.

        Every object is verified on the way.  A corrupt one stops the repack with
        nothing changed, or with ``drop_corrupt`` (derived objects, which are rebuilt
        when absent) is left out, and removed with what it was in.  The new pack is
        durable before anything is removed, so a crash at any point loses nothing; a
        reader that misses an object looks at the packs again (``PackSet``)."""
        self.packs.refresh()
        old = self.packs.packs() if everything else []
        loose = [(kind, oid, path) for kind in KINDS
                 for oid, path, plain in self._loose(kind) if not plain]
        done = Repacked()
        if not loose and len(old) <= 1:
            return done
        os.makedirs(self.packs.directory, exist_ok=True)
        writer = PackWriter(self.packs.directory)
        try:
            for pack in old:
                for kind, oid, raw in pack.entries():
                    self._take(writer, kind, oid, raw, pack.path, drop_corrupt, done, progress)
            for kind, oid, path in loose:
                try:
                    with open(path, "rb") as f:
                        raw = f.read()
                except FileNotFoundError:       # packed by another process meanwhile
                    continue
                self._take(writer, kind, oid, raw, path, drop_corrupt, done, progress)
            final = writer.finish(self.packs.directory, self.durable) if len(writer) else None
        except BaseException:
            writer.abort()
            raise
        if final is not None:
            done.objects, done.bytes = len(writer), os.path.getsize(final)
        for pack in old:
            if pack.path != final:
                os.unlink(pack.path)
                done.packs += 1
        fans = set()
        for _, _, path in loose:
            try:
                os.unlink(path)
                done.loose += 1
                fans.add(os.path.dirname(path))
            except FileNotFoundError:
                pass
        emptied = set()
        for fan in fans:        # an empty directory takes a disk block too
            try:
                os.rmdir(fan)
                emptied.add(os.path.dirname(fan))
            except OSError:     # not empty: a plain blob, or a new object meanwhile
                pass
        if self.durable:
            for d in fans | emptied | {self.packs.directory}:
                if os.path.isdir(d):
                    fsync_dir(d)
        self.packs.refresh()
        return done

    def _take(self, writer, kind, oid, raw, where, drop_corrupt, done, progress) -> None:
        """Add one object to the new pack, verified."""
        try:
            if kind not in KINDS or raw is None:
                raise CorruptObject(kind, oid, where, "a damaged pack index")
            if hash_bytes(self._decode(kind, oid, raw, where)) != oid:
                raise CorruptObject(kind, oid, where, "content does not match its hash")
        except CorruptObject:
            if not drop_corrupt:
                raise
            done.dropped.append(f"{kind} {oid}")
            return
        writer.add(kind, oid, raw)
        if progress:
            progress(1)

    def loose_estimate(self) -> int:
        """About how many loose objects there are (sampling 16 of 256 fan-outs, as git
        does one): cheap enough to ask after every command."""
        fans = [f"{i:02x}" for i in range(16)]
        return 16 * sum(1 for kind in KINDS for _, _, plain in self._loose(kind, fans)
                        if not plain)

    def pack_if_needed(self) -> Repacked | None:
        """Pack the loose objects when there are about ``AUTO_LOOSE`` of them, and merge
        the packs into one when there are more than ``AUTO_PACKS``."""
        self.packs.refresh()
        many = len(self.packs.packs()) >= AUTO_PACKS
        if not many and self.loose_estimate() < AUTO_LOOSE:
            return None
        return self.repack(everything=many, drop_corrupt=not self.durable)


class _Batch:
    """Writes grouped into one pack, which appears (durable) when the batch ends.

    The batch is the store's, not a thread's: while one is open, every thread's writes
    join it (a mount's long walk and its other FUSE threads share the store).  Ending
    it seals the pack first, so no write is lost to it, and detaches it only once its
    objects are in view, so no read misses them."""

    def __init__(self, store: DiskStore):
        self.store = store
        self.outer = False

    def __enter__(self):
        s = self.store
        with s._batch_lock:
            if s._writer is not None:
                self.outer = True       # nested: the outermost batch commits
                return self
            # What the batch writes waits in one directory of its own, so a failed
            # batch leaves not even an empty fan-out directory behind.
            os.makedirs(s.root, exist_ok=True)
            s._staging = tempfile.mkdtemp(dir=s.root, prefix=".staging-")
            s._staged = {}
            s._writer = PackWriter(s._staging)
            s.cache = HeldCache(s.cache)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.outer:
            return False
        s = self.store
        with s._batch_lock:
            writer, staged, staging = s._writer, dict(s._staged), s._staging
            writer.seal()
        held, s.cache = s.cache, s.cache.base
        try:
            if exc_type is not None:
                writer.abort()
                return False
            self._commit(writer, staged, staging)
            held.flush()
            return False
        finally:
            with s._batch_lock:
                s._writer, s._staged, s._staging = None, {}, None
            shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, writer: PackWriter, staged: dict, staging: str) -> None:
        """A batch of at least ``PACK_MIN`` objects becomes a pack; a smaller one loose
        files.  Either way nothing is in view before everything is durable."""
        s, durable = self.store, self.store.durable
        files = {key: (tmp, True) for key, tmp in staged.items()}
        if len(writer) < PACK_MIN:     # (still readable until the batch detaches it)
            for kind, oid in writer.objects():
                tmp = os.path.join(staging, f".tmp-{kind}-{oid}")
                _write_file(tmp, writer.get(kind, oid))
                files[(kind, oid)] = (tmp, False)
            writer = None
        if files and durable:
            os.sync()       # every staged file durable before any is in view
        if writer is not None:
            writer.finish(s.packs.directory, durable)
            s.packs.refresh()
        dirs = set()
        for (kind, oid), (tmp, plain) in files.items():
            final = s.path(kind, oid) + (PLAIN if plain else "")
            dirs.add(os.path.dirname(final))
            s._install(final, lambda path, tmp=tmp: os.replace(tmp, path))
        if durable:
            for d in dirs | {os.path.dirname(d) for d in dirs}:
                fsync_dir(d)


def _write_file(path: str, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
