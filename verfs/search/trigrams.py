"""Trigrams of content, and the run lists the trigram index keeps of the blobs holding one.

Content is folded to ASCII lower case before its trigrams are taken (``bytes.lower``
folds only ASCII), so one index serves case-sensitive and -insensitive searches: a
query's literals are lower-cased the same way, and the search itself decides.

A *run list* is the set of documents (blob numbers of one index segment) holding a
trigram, as a flat sorted list ``[s0, e0, s1, e1, ...]`` of half-open runs
``s ≤ doc < e``.  The index numbers a file's successive contents consecutively, and
they share almost all their trigrams, so a trigram's documents come in long runs: a
list of runs is much shorter than a list of documents, and cheaper to intersect.

On disk a run list is the differences of its flat list (``s0, e0-s0, s1-e0, ...``,
all ≥ 0) as LEB128 varints.  Runs may touch (``s1 == e0``, after a merge appended one
segment's list to another's); every operation here allows that.  Decoding takes a
C-speed path when every difference fits one byte (``isascii``), as most do.
"""

import re
import struct
from bisect import bisect_right
from itertools import accumulate
from operator import sub

_TRI = struct.Struct("3s")


def trigrams(data: bytes) -> set[bytes]:
    """The distinct 3-byte substrings of ``data`` folded to ASCII lower case."""
    data = data.lower()
    out: set[bytes] = set()
    n = len(data)
    for k in range(3):
        end = k + (n - k) // 3 * 3
        if end - k >= 3:
            out.update(t for (t,) in _TRI.iter_unpack(data[k:end]))
    return out


_LINE = re.compile(rb"(?=([^\n]*\n?.{0,2}))[^\n]*\n?", re.S)
_SHORT = 512            # longer lines are not kept: rarely the same twice


def chunks(data: bytes) -> set[bytes]:
    """The distinct lines of ``data`` folded to lower case, each with the two bytes
    after it: every trigram of ``data`` starts in a line, so ends in its chunk, and
    the trigrams of ``data`` are the union of its chunks' (what lets a file's next
    content be indexed by the few lines that changed)."""
    return set(_LINE.findall(data.lower()))


class ChunkTrigrams:
    """The trigrams of chunks, each worked out once while it is seen: two generations
    of ``keep`` chunks (short ones only: a long line is rarely the same twice), their
    trigrams shared between them (interned) so a chunk costs little more than its
    list of references."""

    def __init__(self, keep: int = 20_000):
        self.keep = keep
        self.new: dict[bytes, tuple[bytes, ...]] = {}
        self.old: dict[bytes, tuple[bytes, ...]] = {}
        self.interned: dict[bytes, bytes] = {}

    def __call__(self, chunk: bytes) -> tuple[bytes, ...]:
        got = self.new.get(chunk)
        if got is None:
            got = self.old.get(chunk)
            if got is None:
                if len(chunk) > _SHORT:
                    return tuple(trigrams(chunk))
                same = self.interned.setdefault
                got = tuple(same(t, t) for t in {chunk[i:i + 3]
                                                  for i in range(len(chunk) - 2)})
            self.new[chunk] = got
            if len(self.new) > self.keep:
                self.old, self.new = self.new, {}
                if len(self.interned) > 50 * self.keep:
                    self.interned = {}
        return got


def literal_trigrams(text: bytes) -> set[bytes]:
    """The trigrams every content holding ``text`` (any case) holds: none when
    ``text`` is shorter than three bytes (it then constrains nothing)."""
    return trigrams(text) if len(text) >= 3 else set()


# --- encoding ---------------------------------------------------------------------

def encode(runs: list[int] | tuple[int, ...]) -> bytes:
    """The on-disk form of a flat run list."""
    if not runs:
        return b""
    deltas = [runs[0], *map(sub, runs[1:], runs[:-1])]
    if max(deltas) < 0x80:
        return bytes(deltas)
    out = bytearray()
    for v in deltas:
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
    return bytes(out)


def decode(data: bytes) -> list[int]:
    """The flat run list ``encode`` wrote (raises ValueError on a cut varint)."""
    if data.isascii():
        return list(accumulate(data))
    deltas: list[int] = []
    v = shift = 0
    for b in data:
        v |= (b & 0x7F) << shift
        if b & 0x80:
            shift += 7
        else:
            deltas.append(v)
            v = shift = 0
    if shift:
        raise ValueError("run list ends inside a number")
    return list(accumulate(deltas))


def first_value(data: bytes) -> tuple[int, int]:
    """The first varint of an encoded run list and the number of bytes it takes."""
    v = shift = 0
    for i, b in enumerate(data):
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i + 1
        shift += 7
    raise ValueError("run list ends inside a number")


def varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


# --- run lists as sets of documents -----------------------------------------------

def size(runs: list[int]) -> int:
    """How many documents ``runs`` holds."""
    return sum(runs[1::2]) - sum(runs[0::2])


def contains(runs: list[int], doc: int) -> bool:
    return bisect_right(runs, doc) & 1 == 1


def intersect(a: list[int], b: list[int]) -> list[int]:
    if len(a) > len(b):
        a, b = b, a
    out: list[int] = []

    def put(lo: int, hi: int) -> None:
        if out and out[-1] == lo:
            out[-1] = hi
        else:
            out.extend((lo, hi))

    if len(a) * 8 < len(b):             # few runs against many: look each one up
        nb = len(b)
        for i in range(0, len(a), 2):
            s, e = a[i], a[i + 1]
            k = bisect_right(b, s)
            k -= k & 1
            while k < nb and b[k] < e:
                lo, hi = max(s, b[k]), min(e, b[k + 1])
                if lo < hi:
                    put(lo, hi)
                k += 2
        return out
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        lo = max(a[i], b[j])
        hi = min(a[i + 1], b[j + 1])
        if lo < hi:
            put(lo, hi)
        if a[i + 1] < b[j + 1]:
            i += 2
        else:
            j += 2
    return out


def union(a: list[int], b: list[int]) -> list[int]:
    pairs = sorted([*zip(a[0::2], a[1::2], strict=True),
                    *zip(b[0::2], b[1::2], strict=True)])
    out: list[int] = []
    for s, e in pairs:
        if s >= e:
            continue
        if out and s <= out[-1]:
            out[-1] = max(out[-1], e)
        else:
            out += (s, e)
    return out
