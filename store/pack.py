"""Packs: many small objects in one file.

A history is mostly tiny objects — a version is about 130 bytes, a patch a few hundred
— and as a file of its own each one costs a whole 4 KiB block and an inode: loose, a
10,000-patch history takes ten times its bytes on disk.  A pack holds many objects
back to back, each encoded exactly as its loose file would be (one tag byte, then zlib
or raw bytes), followed by an index sorted by kind and id, as git's packs do (without
deltas).  An object keeps its id and is verified on every read, wherever it lives; a
pack is only a container.

    verfs-pack 1\\n
    body     the encoded objects, back to back
    index    COUNT records of 45 bytes, sorted: kind (1 byte), id (32), offset (8), length (4)
    trailer  index offset (8), COUNT (8), b"verfs-pk"            (integers big-endian)

A pack's file is named by the SHA-256 of all its bytes, ``<64 hex>.pack``, which
``fsck`` checks.  It is written under a temporary name and renamed into view complete,
so no reader ever sees part of one; a pack, once named, never changes.

**Readers and repacks.**  Another process may replace packs at any time (``verfs gc``,
a command's automatic packing): it renames the new pack into view, then removes what
it replaced.  A reader never calls an existing object missing, because

- a ``Listing`` (the packs of one listing of the directory) keeps every pack it
  opened readable: an open file survives its unlink (POSIX), and packs never change;
- a miss is final only after a pass over a listing whose names the directory still
  shows afterwards (``PackSet.refresh`` returns the same listing).  An object that
  existed when the pass began is, at its end, in a pack that was there before it —
  a pack of that very listing, which was searched — or the pass saw it loose.
"""

import bisect
import mmap
import os
import struct
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import EXIT_DAMAGED, CorruptObject, FormatError, StoreError
from .files import create_temp, fsync_dir
from .ids import hash_bytes, is_id, new_hasher
from .place import decode

HEADER = b"verfs-pack 1\n"
MAGIC = b"verfs-pk"
SUFFIX = ".pack"
RECORD = struct.Struct(">c32sQI")     # kind code, raw id, offset, length
TRAILER = struct.Struct(">QQ8s")       # index offset, count, magic


def parse_trailer(tail: bytes, size: int) -> tuple[int, int]:
    """``(index offset, count)`` of a pack of ``size`` bytes whose last
    ``TRAILER.size`` bytes are ``tail``; FormatError if they do not hold together.
    (A remote pack's reader has only these bytes, fetched by range.)"""
    if size < len(HEADER) + TRAILER.size or len(tail) != TRAILER.size:
        raise FormatError("not a verfs pack (too short)")
    index, count, magic = TRAILER.unpack(tail)
    if magic != MAGIC or index < len(HEADER) or \
            index + count * RECORD.size != size - TRAILER.size:
        raise FormatError("a pack with a bad trailer")
    return index, count
CODES = {"blob": b"b", "tree": b"t", "patch": b"p", "inventory": b"i", "version": b"v"}
_KEY = 33                              # bytes of a record's sort key: kind code + id


class BadPack(StoreError):
    """A pack file whose header, index or trailer does not hold together."""

    exit_code = EXIT_DAMAGED

    def __init__(self, path: str, why: str):
        super().__init__(f"unreadable pack {path}: {why}")
        self.path = path
        self.why = why


def is_pack_name(name: str) -> bool:
    return name.endswith(SUFFIX) and is_id(name[:-len(SUFFIX)])


def _key(kind: str, oid: str) -> bytes:
    return CODES[kind] + bytes.fromhex(oid)


class _Keys:
    """The sort keys of a pack's index, as a sequence ``bisect`` can search in place."""

    def __init__(self, data, base: int, count: int):
        self.data, self.base, self.count = data, base, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> bytes:
        at = self.base + i * RECORD.size
        return self.data[at:at + _KEY]


class Pack:
    """A pack file.  Its index is mapped read-only and searched in place (bisect); the
    objects themselves are read with ``pread``, so that a mount reading a large pack
    keeps none of it mapped: its pages stay the kernel's page cache, not the daemon's
    memory."""

    def __init__(self, path: str):
        self.path = path
        self.name = os.path.basename(path)[:-len(SUFFIX)]
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:       # removed since it was listed: the caller lists again
            raise
        except OSError as exc:
            raise BadPack(path, exc.strerror or str(exc)) from None
        self._fd = fd
        weakref.finalize(self, os.close, fd)
        try:
            size = os.fstat(fd).st_size
            if size < len(HEADER) + TRAILER.size:
                raise BadPack(path, "too short")
            if os.pread(fd, len(HEADER), 0) != HEADER:
                raise BadPack(path, "not a verfs pack (bad header)")
            try:
                index, count = parse_trailer(os.pread(fd, TRAILER.size, size - TRAILER.size),
                                             size)
            except FormatError:
                raise BadPack(path, "bad trailer (truncated?)") from None
            start = index - index % mmap.ALLOCATIONGRANULARITY
            self._map = mmap.mmap(fd, size - start, access=mmap.ACCESS_READ, offset=start)
        except OSError as exc:
            raise BadPack(path, exc.strerror or str(exc)) from None
        self.size, self.count, self._index = size, count, index
        self._base = index - start          # where the index starts in the mapping
        self._keys = _Keys(self._map, self._base, count)

    def __len__(self) -> int:
        return self.count

    def _record(self, i: int) -> tuple[bytes, bytes, int, int]:
        at = self._base + i * RECORD.size
        return RECORD.unpack(self._map[at:at + RECORD.size])

    def find(self, kind: str, oid: str) -> tuple[int, int] | None:
        """(offset, length) of the object's encoded bytes, or None."""
        key = _key(kind, oid)
        i = bisect.bisect_left(self._keys, key)
        if i < self.count and self._keys[i] == key:
            return self._record(i)[2:]
        return None

    def read(self, offset: int, length: int) -> bytes | None:
        """The encoded bytes at a place ``find`` gave; None if it lies outside the body
        (a damaged index), which the store reports as a corrupt object."""
        if offset < len(HEADER) or offset + length > self._index:
            return None
        return os.pread(self._fd, length, offset)

    def ids(self, kind: str, prefix: str = "") -> Iterator[str]:
        """The ids of one kind (starting with ``prefix``), sorted."""
        code = CODES[kind]
        start = code + bytes.fromhex(prefix + "0" * (len(prefix) % 2))
        i = bisect.bisect_left(self._keys, start)
        while i < self.count:
            key = self._keys[i]
            if key[:1] != code:
                return
            oid = key[1:].hex()
            if not oid.startswith(prefix):
                return
            yield oid
            i += 1

    def entries(self) -> Iterator[tuple[str, str, bytes | None]]:
        """Every (kind, id, encoded bytes) in the pack, in index order."""
        kinds = {code: kind for kind, code in CODES.items()}
        for i in range(self.count):
            code, raw, offset, length = self._record(i)
            yield kinds.get(code, "?"), raw.hex(), self.read(offset, length)

    def digest(self) -> str:
        """The SHA-256 of the file's bytes: what its name must be."""
        hasher = new_hasher()
        for at in range(0, self.size, 1 << 20):
            hasher.update(os.pread(self._fd, 1 << 20, at))
        return hasher.hexdigest()

    def check(self) -> str | None:
        """Why the file is not what its name says (its SHA-256), or None."""
        if self.digest() != self.name:
            return "content does not match its name"
        return None


def verify_pack(path: str, kinds) -> tuple[str, int]:
    """A pack file made elsewhere (a remote's, fetched by pull or clone), checked whole
    before it is taken in: header, index and trailer, every object against its id and
    of one of ``kinds``.  Its name (the SHA-256 of its bytes) and how many objects it
    holds; BadPack or CorruptObject when it is not sound."""
    pack = Pack(path)
    for kind, oid, raw in pack.entries():
        if kind not in kinds or raw is None:
            raise CorruptObject(kind, oid, path, f"a {kind} has no place in this pack"
                                if raw is not None else "a damaged pack index")
        if hash_bytes(decode(kind, oid, raw, path)) != oid:
            raise CorruptObject(kind, oid, path, "content does not match its hash")
    return pack.digest(), pack.count


class PackWriter:
    """A pack being written: objects are appended as they come (and can be read back
    at once), the index and trailer are added by ``finish``, which names the file by
    its hash and renames it into ``directory``.

    Other threads may read and add while it is written (a mount's FUSE threads share
    a store).  Once ``seal``ed (a batch ending) it takes no more objects — ``add``
    says so, and the caller writes elsewhere — but stays readable: its file is closed
    only when the last reference to the writer goes, so a read that raced its end
    never meets a closed or reused descriptor."""

    def __init__(self, tmpdir: str):
        fd, self.tmp = create_temp(tmpdir, ".tmp-pack-")
        self._fd = fd
        weakref.finalize(self, os.close, fd)
        self._hasher = new_hasher()
        self._size = 0
        self._entries: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._sealed = self._aborted = False
        self._append(HEADER)

    def _append(self, data: bytes) -> int:
        at = self._size
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self._hasher.update(data)
        self._size += len(data)
        return at

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return not self._aborted and key in self._entries

    @property
    def sealed(self) -> bool:
        return self._sealed

    def seal(self) -> None:
        with self._lock:
            self._sealed = True

    def add(self, kind: str, oid: str, encoded: bytes) -> bool:
        """Append an object; False (nothing written) once the writer is sealed."""
        with self._lock:
            if self._sealed:
                return False
            if (kind, oid) not in self._entries:
                self._entries[(kind, oid)] = (self._append(encoded), len(encoded))
            return True

    def find(self, kind: str, oid: str) -> tuple[int, int] | None:
        """(offset, length) of an object written here; None if not (or aborted)."""
        return None if self._aborted else self._entries.get((kind, oid))

    def read(self, offset: int, length: int) -> bytes | None:
        """The bytes at a place ``find`` gave (None once aborted)."""
        return None if self._aborted else os.pread(self._fd, length, offset)

    def get(self, kind: str, oid: str) -> bytes | None:
        place = self.find(kind, oid)
        return None if place is None else self.read(*place)

    def objects(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._entries)

    def ids(self, kind: str) -> list[str]:
        return [] if self._aborted else [oid for k, oid in self.objects() if k == kind]

    def finish(self, directory: str, durable: bool = True) -> str:
        """Seal, write the index and trailer, name the file by its hash and move it
        into ``directory`` (fsynced first when ``durable``); the pack's path."""
        with self._lock:
            self._sealed = True
            index = self._size
            records = sorted((_key(k, oid), at, n) for (k, oid), (at, n) in self._entries.items())
            self._append(b"".join(RECORD.pack(key[:1], key[1:], at, n)
                                  for key, at, n in records))
            self._append(TRAILER.pack(index, len(records), MAGIC))
            if durable:
                os.fsync(self._fd)
            name = self._hasher.hexdigest()
            made = not os.path.isdir(directory)
            os.makedirs(directory, exist_ok=True)
            final = os.path.join(directory, name + SUFFIX)
            os.replace(self.tmp, final)
            if durable:
                fsync_dir(directory)
                if made:
                    fsync_dir(os.path.dirname(directory))
            return final

    def abort(self) -> None:
        """Give the pack up: its objects are gone, for readers too."""
        with self._lock:
            self._sealed = self._aborted = True
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


@dataclass(frozen=True)
class Listing:
    """The packs of one listing of the directory: every name it showed, each opened
    (``packs``) or found unreadable (``broken``: name → why).  Never changed once
    made; its packs stay readable however long a reader holds it."""

    names: frozenset[str] = frozenset()
    packs: tuple[Pack, ...] = ()
    broken: dict[str, str] = field(default_factory=dict)

    def find(self, kind: str, oid: str) -> tuple[Pack, int, int] | None:
        for pack in self.packs:
            place = pack.find(kind, oid)
            if place is not None:
                return pack, *place
        return None

    def ids(self, kind: str, prefix: str = "") -> set[str]:
        found: set[str] = set()
        for pack in self.packs:
            found.update(pack.ids(kind, prefix))
        return found


class PackSet:
    """The packs in one directory, as the ``Listing`` last made of it.

    ``refresh`` lists the directory again and, when the names changed, makes a new
    listing (reusing the packs already open) and puts it in place of the old one in
    one assignment; a reader holding the old one goes on reading it.  A pack removed
    between the listing and its opening makes it list again, so every name of a
    listing was opened or is really unreadable.
    """

    def __init__(self, directory: str):
        self.directory = directory
        self._listing: Listing | None = None
        self._lock = threading.Lock()       # one refresh at a time

    def _names(self) -> frozenset[str]:
        try:
            return frozenset(n for n in os.listdir(self.directory) if is_pack_name(n))
        except FileNotFoundError:
            return frozenset()

    def current(self) -> Listing:
        """The last listing (made now if there is none yet)."""
        listing = self._listing
        return listing if listing is not None else self.refresh()

    def refresh(self) -> Listing:
        """The packs the directory holds now: the current listing if its names are
        unchanged, else a new one, which becomes current."""
        with self._lock:
            while True:
                names, old = self._names(), self._listing
                if old is not None and names == old.names:
                    return old
                known = {p.name + SUFFIX: p for p in old.packs} if old else {}
                was_broken = old.broken if old else {}
                packs, broken = [], {}
                try:
                    for n in sorted(names):
                        if n in known:
                            packs.append(known[n])
                        elif n in was_broken:
                            broken[n] = was_broken[n]
                        else:
                            try:
                                packs.append(Pack(os.path.join(self.directory, n)))
                            except BadPack as exc:
                                broken[n] = exc.why
                except FileNotFoundError:       # a pack went meanwhile: list again
                    continue
                self._listing = Listing(names, tuple(packs), broken)
                return self._listing

    @property
    def broken(self) -> dict[str, str]:
        return self.current().broken

    def packs(self) -> list[Pack]:
        return list(self.current().packs)

    def find(self, kind: str, oid: str) -> tuple[Pack, int, int] | None:
        return self.current().find(kind, oid)

    def ids(self, kind: str, prefix: str = "") -> set[str]:
        return self.current().ids(kind, prefix)

    def unreadable(self, listing: "Listing | None" = None) -> list[str]:
        """One line per pack of the listing (the current one) that cannot be read:
        cheap (no pack is read), so a look-up that missed may ask it."""
        listing = listing or self.current()
        return [f"unreadable pack {os.path.join(self.directory, n)}: {why}"
                for n, why in sorted(listing.broken.items())]

    def problems(self) -> list[str]:
        """One line per pack that cannot be read or does not match its name (every
        pack read and hashed: for fsck)."""
        listing = self.refresh()
        out = self.unreadable(listing)
        for pack in listing.packs:
            why = pack.check()
            if why:
                out.append(f"corrupt pack {pack.path}: {why}")
        return out
