"""Large blobs verified by range: a per-block hash list, kept as derived data.

A plain blob (store/place.py) is read by range, so hashing it whole on every read
would cost a whole file per 128 KiB the kernel asks for; trusting a stamp of the file
(inode, size, times) instead would serve a byte flipped on disk, which changes none
of them.  So the one full verification of a blob — its SHA-256 must be its id — also
computes the SHA-256 of every ``BLOCK`` bytes of it, and each later read hashes just
the blocks it touches and compares them with that list.

The list is derived data, in ``cache/v2/blocks/ab/cdef…`` (deleting ``cache/`` only
means the next read verifies the whole file again), and checks itself: it names the
blob and its size and ends with the SHA-256 of all that precedes it.  A list that
does not check is dropped and made again from a full verification, never trusted.

    verfs-blocks 1\\n
    blob <64 hex>\\n
    size <bytes>\\n
    block <bytes per block>\\n
    <32-byte SHA-256 of each block, back to back>
    <32-byte SHA-256 of everything above>
"""

import hashlib
import logging
import os
from typing import NamedTuple

from .cache import LRU
from .errors import CorruptObject
from .files import write_atomic
from .swallow import Swallowed

log = logging.getLogger("verfs.store")

BLOCK = 128 << 10       # the kernel's largest read: an aligned read hashes one block
HEADER = b"verfs-blocks 1\n"
_DIGEST = 32
_CHUNK = 1 << 20


def _sha(data) -> bytes:
    return hashlib.sha256(data).digest()


class BlockList(NamedTuple):
    oid: str
    size: int
    digests: bytes          # _DIGEST bytes per block

    def serialize(self) -> bytes:
        head = HEADER + b"blob %s\nsize %d\nblock %d\n" % (self.oid.encode(), self.size, BLOCK)
        body = head + self.digests
        return body + _sha(body)

    @classmethod
    def parse(cls, data: bytes, oid: str) -> "BlockList | None":
        """The list ``data`` holds if it checks and is blob ``oid``'s; else None."""
        body, check = data[:-_DIGEST], data[-_DIGEST:]
        if len(data) < _DIGEST or _sha(body) != check or not body.startswith(HEADER):
            return None
        lines = body[len(HEADER):].split(b"\n", 3)
        if len(lines) != 4:
            return None
        blob, size, block, digests = lines
        try:
            n = int(size.removeprefix(b"size "))
        except ValueError:
            return None
        if blob != b"blob " + oid.encode() or block != b"block %d" % BLOCK or \
                len(digests) != _DIGEST * -(-n // BLOCK):
            return None
        return cls(oid, n, digests)

    def digest(self, i: int) -> bytes:
        return self.digests[i * _DIGEST:(i + 1) * _DIGEST]


class BlockLists:
    """The block lists of one store's cache area: read from ``directory``, made by a
    full verification when absent or bad, and kept in memory once checked."""

    def __init__(self, directory: str):
        self.directory = directory
        self._known = LRU(16 << 20, lambda b: 100 + len(b.digests))
        self.full_checks = 0        # whole-file verifications (tests count them)
        self.swallowed = Swallowed(log)     # lists that could not be read or kept

    def _path(self, oid: str) -> str:
        return os.path.join(self.directory, oid[:2], oid[2:])

    def verify_whole(self, fd: int, oid: str, skip: int, where: str) -> BlockList:
        """Hash the whole file after ``skip`` bytes: it must be the blob ``oid``.  Its
        block list is kept (in memory and on disk) for the reads that follow."""
        self.full_checks += 1
        whole, digests, size = hashlib.sha256(), [], 0
        while True:
            chunk = os.pread(fd, _CHUNK, skip + size)
            if not chunk:
                break
            whole.update(chunk)
            view = memoryview(chunk)            # blocks hashed without a copy each
            for at in range(0, len(chunk), BLOCK):
                digests.append(_sha(view[at:at + BLOCK]))
            size += len(chunk)
        if whole.hexdigest() != oid:
            raise CorruptObject("blob", oid, where, "content does not match its hash")
        blocks = BlockList(oid, size, b"".join(digests))
        self._known.put(oid, blocks)
        try:
            os.makedirs(os.path.dirname(self._path(oid)), exist_ok=True)
            write_atomic(self._path(oid), blocks.serialize(), durable=False)
        except OSError as exc:      # read-only media: kept in memory only
            self.swallowed("block lists: cannot keep one on disk (kept in memory)", exc)
        return blocks

    def _listed(self, oid: str) -> BlockList | None:
        """The blob's block list if it is known or read and checks; else None."""
        known = self._known.get(oid)
        if known is not None:
            return known
        try:
            with open(self._path(oid), "rb") as f:
                blocks = BlockList.parse(f.read(), oid)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.swallowed("block lists: cannot read one (the blob is verified whole)", exc)
            return None
        if blocks is None:
            self.swallowed("block lists: a damaged one was dropped (the blob is "
                           "verified whole and its list made again)", self._path(oid))
            return None
        self._known.put(oid, blocks)
        return blocks

    def get(self, fd: int, oid: str, skip: int, where: str) -> BlockList:
        """The blob's block list: known, or read and checked, or made afresh."""
        blocks = self._listed(oid)
        if blocks is None:
            return self.verify_whole(fd, oid, skip, where)
        return blocks

    def verify_every_block(self, fd: int, oid: str, skip: int, where: str) -> None:
        """Every byte of the file checked before someone reads it without us (the
        kernel, in passthrough).  With a block list that checks, that is one hash per
        block, as a read of the whole file by range would cost; verifying it whole
        also makes the list, and so hashes everything twice."""
        blocks = self._listed(oid)
        if blocks is None:
            self.verify_whole(fd, oid, skip, where)
            return
        self._check_size(fd, blocks, skip, where)
        for at in range(0, blocks.size, _CHUNK):
            self._check(blocks, at // BLOCK, os.pread(fd, _CHUNK, skip + at),
                        min(_CHUNK, blocks.size - at), where)

    @staticmethod
    def _check_size(fd: int, blocks: BlockList, skip: int, where: str) -> None:
        size = os.fstat(fd).st_size - skip
        if size != blocks.size:
            raise CorruptObject("blob", blocks.oid, where,
                                f"{size} bytes where the blob has {blocks.size}")

    @staticmethod
    def _check(blocks: BlockList, first: int, data: bytes, expect: int, where: str) -> None:
        """``data``, read from block ``first`` on, is ``expect`` bytes (a file cut short
        since its size was checked is not) and matches the list block by block."""
        if len(data) != expect:
            raise CorruptObject("blob", blocks.oid, where, f"{len(data)} bytes read at block "
                                f"{first} where the blob has {expect}")
        view = memoryview(data)
        for at in range(0, len(data), BLOCK):
            i = first + at // BLOCK
            if _sha(view[at:at + BLOCK]) != blocks.digest(i):
                raise CorruptObject("blob", blocks.oid, where, f"block {i} (bytes "
                                    f"{i * BLOCK}–{(i + 1) * BLOCK - 1}) does not match its hash")

    def read(self, fd: int, oid: str, skip: int, offset: int, size: int, where: str) -> bytes:
        """``size`` bytes of the blob from ``offset``, every block they touch checked
        against its list (CorruptObject if one differs or the file's size does)."""
        blocks = self.get(fd, oid, skip, where)
        self._check_size(fd, blocks, skip, where)
        end = min(offset + size, blocks.size)
        if offset >= end:
            return b""
        first, last = offset // BLOCK, (end - 1) // BLOCK
        data = os.pread(fd, (last + 1 - first) * BLOCK, skip + first * BLOCK)
        self._check(blocks, first, data, min((last + 1 - first) * BLOCK,
                                             blocks.size - first * BLOCK), where)
        start = offset - first * BLOCK
        return data[start:start + end - offset]
