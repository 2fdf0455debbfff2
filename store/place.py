"""Where one object lives, and how its bytes are read from there.

An object of a disk store is in exactly one of three kinds of place, and each is a
``Place`` with the same questions — ``read`` (the canonical bytes, not yet checked
against the id: ``ObjectStore.get`` does that), ``read_range`` (verified) and
``size`` — so no caller branches on where an object is:

- ``Packed``: encoded bytes at an offset of a pack (or of the pack a batch is
  writing), read with ``pread``;
- ``Loose``: a file of its own holding the encoded bytes (one tag byte, then zlib or
  raw bytes);
- ``Plain``: a blob larger than ``RAW_ABOVE``, a file of exactly its bytes, read by
  range and verified block by block (store/blocks.py).

A place that is a file holds it open: a repack in another process may remove the
file once found, and the open file stays readable (``with place: ...`` closes it).
"""

import os
import zlib

from .blocks import BlockLists
from .errors import CorruptObject
from .ids import hash_bytes

ZLIB, RAW = b"z", b"r"
PLAIN = ".plain"        # suffix of a blob stored as exactly its bytes
RAW_ABOVE = 1 << 20     # blobs larger than this are stored plain, for range reads
LEVEL = 6               # zlib level of the history's objects: their size is the store's


def is_plain(kind: str, size: int) -> bool:
    """Whether an object of this kind and size is stored plain (untagged)."""
    return kind == "blob" and size > RAW_ABOVE


def encode(kind: str, data: bytes, level: int = LEVEL) -> bytes:
    """The on-disk bytes of an object that is not stored plain."""
    packed = zlib.compress(data, level)
    if kind == "blob" and len(packed) > 0.9 * len(data):
        return RAW + data
    return ZLIB + packed


def decode(kind: str, oid: str, raw: bytes, where: str) -> bytes:
    """The canonical bytes of an encoded object (CorruptObject if it cannot be)."""
    tag, body = raw[:1], raw[1:]
    if tag == RAW:
        return body
    if tag == ZLIB:
        try:
            return zlib.decompress(body)
        except zlib.error as exc:
            raise CorruptObject(kind, oid, where, f"bad zlib data: {exc}") from None
    raise CorruptObject(kind, oid, where, "unknown encoding byte")


class Place:
    """Where an object is; a context manager that lets go of any open file."""

    kind: str
    oid: str
    where: str          # for messages: a path, or a pack's path and an offset

    def read(self) -> bytes:
        raise NotImplementedError

    def checked(self) -> bytes:
        """The object's bytes, verified against its id."""
        data = self.read()
        if hash_bytes(data) != self.oid:
            raise CorruptObject(self.kind, self.oid, self.where, "content does not match its hash")
        return data

    def read_range(self, offset: int, size: int) -> bytes:
        """Verified bytes of a blob: the whole object checked, then sliced (small
        objects; large ones override this)."""
        return self.checked()[offset:offset + size]

    def size(self) -> int:
        """The object's size in bytes (verified: a corrupt object has none)."""
        return len(self.checked())

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Packed(Place):
    """Encoded bytes at ``offset`` in ``source`` (a Pack, or a batch's PackWriter)."""

    def __init__(self, kind: str, oid: str, source, offset: int, length: int, where: str):
        self.kind, self.oid, self.where = kind, oid, where
        self._source, self._offset, self._length = source, offset, length

    def read(self) -> bytes:
        raw = self._source.read(self._offset, self._length)
        if raw is None:
            raise CorruptObject(self.kind, self.oid, self.where,
                                "its place in the pack's index lies outside the pack")
        return decode(self.kind, self.oid, raw, self.where)


class _File(Place):
    def __init__(self, kind: str, oid: str, f, blocks: BlockLists):
        self.kind, self.oid, self.where = kind, oid, f.name
        self._f, self._blocks = f, blocks

    def close(self) -> None:
        self._f.close()

    def _whole(self) -> bytes:
        return os.pread(self._f.fileno(), os.fstat(self._f.fileno()).st_size, 0)

    def _by_block(self, skip: int, offset: int, size: int) -> bytes:
        return self._blocks.read(self._f.fileno(), self.oid, skip, offset, size, self.where)


class Loose(_File):
    """A file of its own holding the encoded object.  A large raw one (what stores
    written before plain blobs kept) is read by range like a plain blob."""

    def read(self) -> bytes:
        return decode(self.kind, self.oid, self._whole(), self.where)

    def _raw_large(self) -> bool:
        fd = self._f.fileno()
        return os.fstat(fd).st_size > RAW_ABOVE and os.pread(fd, 1, 0) == RAW

    def read_range(self, offset: int, size: int) -> bytes:
        if self._raw_large():
            return self._by_block(1, offset, size)
        return super().read_range(offset, size)

    def size(self) -> int:
        if self._raw_large():
            return os.fstat(self._f.fileno()).st_size - 1
        return super().size()


class Plain(_File):
    """A blob stored as exactly its bytes."""

    def read(self) -> bytes:
        return self._whole()

    def read_range(self, offset: int, size: int) -> bytes:
        return self._by_block(0, offset, size)

    def size(self) -> int:
        return os.fstat(self._f.fileno()).st_size

    def verify(self) -> None:
        """Check every byte: the file must be the blob (before anyone else reads it
        without the daemon — a hard link, the kernel in passthrough)."""
        self._blocks.verify_every_block(self._f.fileno(), self.oid, 0, self.where)
