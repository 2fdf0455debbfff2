"""The trigram index of blobs: which blobs may hold a query's literals (zoekt's design,
blob ids for documents, no positions).

``verfs grep`` searches each distinct blob of the selected versions once; for a
selective pattern most of them cannot match, and the index says which: a blob holding
a literal holds each of its trigrams.  So ``candidates(query, blobs)`` is every blob the
index does not cover, plus the covered ones whose trigrams admit the query.  It never
drops a blob that could match, whatever state the index is in: stale (blobs not yet
indexed), half-merged, damaged, deleted — each only makes more blobs candidates.

**Segments.**  The index is a set of immutable files in the derived area
(``cache/v2/grep/<sha256>.g1``), each covering some blobs, named by the hash of its
bytes, which it also ends with: a segment is written to a temporary name and renamed
into place whole, read by ``mmap`` and bisection (never loaded whole), and one whose
bytes do not hash to its trailer is damaged — ignored and removed, its blobs then
unindexed.  New blobs make new segments (after an import, after a record, and by
``verfs grep`` itself for the blobs it had to read unindexed, so a deleted ``cache/``
is rebuilt as it goes); many small segments are merged LSM-style into bigger ones
(``FANOUT`` of one size tier into one of the next): the merged segment is renamed
into place before its inputs are unlinked, so a reader that listed an input and
finds it gone just has fewer covered blobs.  Processes never coordinate except for a
lock that keeps two from doing the same merge (not needed for correctness): a blob
indexed twice by two processes at once is covered twice until a merge drops one.

**A segment's bytes** (little-endian; n blobs, t trigrams)::

    magic "verfsgx1"
    postings  t encoded run lists (verfs/search/trigrams.py), back to back
    oids      n × 32 bytes, the blob ids covered, sorted
    docs      n × u32: each blob's document number, or 0xFFFFFFFF for a blob not
              indexed (over MAX_BLOB bytes): covered but always a candidate
    tris      t × 3 bytes, the trigrams, sorted
    offsets   (t + 1) × u32: where each trigram's run list starts in postings
    stats     t × (u32 documents holding it, u32 end of its last run)
    footer    u32 n, u32 documents, u32 t, u64 length of postings
    trailer   sha256 of everything before it (the file's name)

Documents are numbered in the order blobs were added; ``update`` adds each path's
successive contents together, so a trigram's documents come in runs.  A merge
concatenates run lists (only the first number of each appended list changes), so it
costs the bytes, not the runs.
"""

import fcntl
import hashlib
import heapq
import logging
import mmap
import os
import struct
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from store import FILE, LINK
from store.files import temp_file, write_atomic
from store.swallow import Swallowed

from .. import testhook
from ..history import History
from . import trigrams as tg
from .query import All, And, Literal, Or, Query

log = logging.getLogger("verfs.search.index")

MAGIC = b"verfsgx1"
SUFFIX = ".g1"                  # the format's version: other files are not ours
FOOTER = struct.Struct("<IIIQ")
HASH = 32
OID = 32
NOT_INDEXED = 0xFFFFFFFF
MAX_BLOB = 1 << 20              # bigger blobs are covered but always candidates
STOP_AT = 8                     # a literal admitting this few documents: enough
FANOUT = 4                      # segments of one size tier merged together
MAX_SEGMENTS = 16               # beyond this the smallest are merged whatever their tier
HELD_LIMIT = 8_000_000          # run boundaries a writer holds before it writes a segment
GREP_BUDGET = 2.0               # seconds a grep's writer may spend indexing what it read
_STALE_TEMP = 3600              # seconds before a leftover temporary file is removed


class DamagedSegment(Exception):
    """A segment whose bytes are not what it says (bad size, layout or hash)."""


# --- reading a segment --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Layout:
    n: int
    docs: int
    t: int
    postings: int               # where each section starts
    oids: int
    docids: int
    tris: int
    offsets: int
    stats: int
    end: int                    # the footer's offset


def _layout(size: int, footer: bytes) -> _Layout:
    n, docs, t, plen = FOOTER.unpack(footer)
    postings = len(MAGIC)
    oids = postings + plen
    docids = oids + OID * n
    tris = docids + 4 * n
    offsets = tris + 3 * t
    stats = offsets + 4 * (t + 1)
    end = stats + 8 * t
    if end + FOOTER.size + HASH != size:
        raise DamagedSegment("sections do not add up to the file's size")
    return _Layout(n, docs, t, postings, oids, docids, tris, offsets, stats, end)


class Segment:
    """One segment file, mapped.  ``verify`` hashes it whole (sequentially, without
    copying): what ``candidates`` relies on must be checked; ``covered`` for deciding
    what to index next need not be."""

    def __init__(self, path: str, verify: bool = True):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < len(MAGIC) + FOOTER.size + HASH:
                raise DamagedSegment("too short")
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            mm = self._mm
            if mm[:len(MAGIC)] != MAGIC:
                raise DamagedSegment("not a segment")
            self.size = size
            self.lay = _layout(size, mm[size - HASH - FOOTER.size:size - HASH])
            if verify:
                with memoryview(mm) as view:
                    digest = hashlib.sha256(view[:size - HASH]).digest()
                if digest != mm[size - HASH:] or digest.hex() + SUFFIX != self.name:
                    raise DamagedSegment("its bytes do not hash to its name")
        except BaseException:
            self._mm.close()
            raise
        self._by_hex: dict[str, int] | None = None
        self._sets: tuple[frozenset[str], list[str | None], frozenset[str]] | None = None

    def close(self) -> None:
        self._mm.close()

    @property
    def n(self) -> int:
        return self.lay.n

    # blobs
    def oid_table(self) -> dict[str, int]:
        """Every covered blob (hex) → its document number (or NOT_INDEXED)."""
        if self._by_hex is None:
            lay, mm = self.lay, self._mm
            docs = array("I", mm[lay.docids:lay.tris])
            oids = mm[lay.oids:lay.docids]
            self._by_hex = {oids[i * OID:(i + 1) * OID].hex(): docs[i] for i in range(lay.n)}
        return self._by_hex

    def _tables(self) -> tuple[frozenset[str], list[str | None], frozenset[str]]:
        """The covered blobs, document number → blob, and the blobs not indexed."""
        if self._sets is None:
            table = self.oid_table()
            by_doc: list[str | None] = [None] * self.lay.docs
            big = []
            for h, d in table.items():
                if d == NOT_INDEXED:
                    big.append(h)
                elif d < len(by_doc):
                    by_doc[d] = h
                else:
                    raise DamagedSegment("a document number beyond the documents")
            self._sets = (frozenset(table), by_doc, frozenset(big))
        return self._sets

    def oids(self) -> list[bytes]:
        lay, mm = self.lay, self._mm
        raw = mm[lay.oids:lay.docids]
        return [raw[i:i + OID] for i in range(0, len(raw), OID)]

    def entries(self) -> Iterable[tuple[bytes, int]]:
        """(blob id, document number) for every covered blob, in id order."""
        lay = self.lay
        return zip(self.oids(), array("I", self._mm[lay.docids:lay.tris]), strict=True)

    def admit(self, query: Query, blobs: set[str]) -> tuple[set[str], set[str]]:
        """Of ``blobs`` (hex), those this segment covers, and those of them ``query``
        may match: by bisection for a few blobs, through the whole tables for many."""
        if self._sets is None and len(blobs) * 16 < self.lay.n:
            found = {}
            for h in blobs:
                d = self._find_oid(bytes.fromhex(h))
                if d is not None:
                    found[h] = d
            if not found:
                return set(), set()
            admitted = _admitted(self, query)
            return set(found), {h for h, d in found.items() if admitted is None
                                or d == NOT_INDEXED or tg.contains(admitted, d)}
        covered, by_doc, big = self._tables()
        here = blobs & covered
        if not here:
            return here, set()
        admitted = _admitted(self, query)
        if admitted is None:
            return here, here
        may = here & big
        runs = [by_doc[s:e] for s, e in zip(admitted[0::2], admitted[1::2], strict=True)]
        may.update(here.intersection(chain(*runs)))
        return here, may

    def _find_oid(self, oid: bytes) -> int | None:
        lay, mm = self.lay, self._mm
        lo, hi = 0, lay.n
        while lo < hi:
            mid = (lo + hi) // 2
            at = lay.oids + mid * OID
            key = mm[at:at + OID]
            if key < oid:
                lo = mid + 1
            elif key > oid:
                hi = mid
            else:
                return struct.unpack_from("<I", mm, lay.docids + 4 * mid)[0]
        return None

    # trigrams
    def find(self, tri: bytes) -> int | None:
        """The table position of ``tri``, or None."""
        lay, mm = self.lay, self._mm
        lo, hi = 0, lay.t
        while lo < hi:
            mid = (lo + hi) // 2
            at = lay.tris + 3 * mid
            key = mm[at:at + 3]
            if key < tri:
                lo = mid + 1
            elif key > tri:
                hi = mid
            else:
                return mid
        return None

    def count(self, i: int) -> int:
        return struct.unpack_from("<I", self._mm, self.lay.stats + 8 * i)[0]

    def raw(self, i: int) -> bytes:
        start, end = struct.unpack_from("<II", self._mm, self.lay.offsets + 4 * i)
        if not start <= end <= self.lay.oids - self.lay.postings:
            raise DamagedSegment("a run list outside the postings")
        base = self.lay.postings
        return self._mm[base + start:base + end]

    def runs(self, i: int) -> list[int]:
        try:
            return tg.decode(self.raw(i))
        except ValueError as exc:
            raise DamagedSegment(str(exc)) from None

    def table(self) -> tuple[list[bytes], array, array]:
        """Every trigram, the offsets array and the stats array (for merging)."""
        lay, mm = self.lay, self._mm
        raw = mm[lay.tris:lay.offsets]
        tris = [raw[i:i + 3] for i in range(0, len(raw), 3)]
        return tris, array("I", mm[lay.offsets:lay.stats]), array("I", mm[lay.stats:lay.end])


def _admitted(seg: Segment, query: Query) -> list[int] | None:
    """The documents of ``seg`` that ``query`` admits, as a run list; None: all."""
    if isinstance(query, Literal):
        return _holding(seg, tg.literal_trigrams(query.text))
    if isinstance(query, And):
        pool: set[bytes] = set()
        rest = []
        for part in query.parts:
            if isinstance(part, Literal):
                pool |= tg.literal_trigrams(part.text)
            else:
                rest.append(part)
        result = _holding(seg, pool)
        for part in rest:
            if result is not None and not result:
                break
            got = _admitted(seg, part)
            if got is not None:
                result = got if result is None else tg.intersect(result, got)
        return result
    if isinstance(query, Or):
        result: list[int] = []
        for part in query.parts:
            got = _admitted(seg, part)
            if got is None:
                return None
            result = tg.union(result, got)
        return result
    return None          # All, or anything unknown: no constraint (never stricter)


def _holding(seg: Segment, tris: set[bytes]) -> list[int] | None:
    """The documents holding every one of ``tris`` (None: no trigram, all of them);
    rarest first, stopping once few enough are left (a superset is still right)."""
    if not tris:
        return None
    found = []
    for t in tris:
        i = seg.find(t)
        if i is None:
            return []
        found.append((seg.count(i), i))
    found.sort()
    result: list[int] | None = None
    for _, i in found:
        runs = seg.runs(i)
        result = runs if result is None else tg.intersect(result, runs)
        if not result or tg.size(result) <= STOP_AT:
            break
    return result


# --- writing a segment --------------------------------------------------------------

class _Builder:
    """One segment being made in memory: the runs of each trigram.  A document's
    trigrams are not worked out whole but by how its lines differ from the previous
    document's (a file's next content changes few): each trigram's count of the
    distinct chunks (verfs/search/trigrams.py) holding it goes down for the lines that
    went and up for the lines that came; reaching 0 ends its run, leaving 0 starts one."""

    def __init__(self):
        self.oids: dict[bytes, int] = {}
        self.docs = 0
        self.prev: set[bytes] = set()
        self.holding: dict[bytes, int] = {}         # trigram → chunks of prev holding it
        self.open: dict[bytes, int] = {}
        self.closed: dict[bytes, array] = {}
        self.held = 0
        self.tri = tg.ChunkTrigrams()

    def add(self, oid: bytes, data: bytes) -> None:
        if oid in self.oids:
            return
        if len(data) > MAX_BLOB:
            self.oids[oid] = NOT_INDEXED
            return
        d = self.docs
        self.docs += 1
        self.oids[oid] = d
        now = tg.chunks(data)
        holding, open_, closed, tri = self.holding, self.open, self.closed, self.tri
        left: set[bytes] = set()
        for chunk in self.prev - now:
            for t in tri(chunk):
                n = holding[t] - 1
                if n:
                    holding[t] = n
                else:
                    del holding[t]
                    left.add(t)
        for chunk in now - self.prev:
            for t in tri(chunk):
                n = holding.get(t, 0)
                holding[t] = n + 1
                if not n:
                    if t in left:
                        left.discard(t)
                    else:
                        open_[t] = d
        for t in left:
            c = closed.get(t)
            if c is None:
                closed[t] = c = array("I")
            c.append(open_.pop(t))
            c.append(d)
        self.held += 2 * len(left)
        self.prev = now

    def postings(self) -> Iterable[tuple[bytes, bytes, int, int]]:
        """(trigram, encoded run list, documents, end of last run), trigrams sorted."""
        closed, open_, docs = self.closed, self.open, self.docs
        for t in sorted(closed.keys() | open_.keys()):
            runs = list(closed.get(t, ()))
            if t in open_:
                runs += (open_[t], docs)
            yield t, tg.encode(runs), tg.size(runs), runs[-1]


def _write_segment(directory: str, oids: dict[bytes, int], docs: int,
                   postings: Iterable[tuple[bytes, bytes, int, int]]) -> str:
    """Write a segment (oid → document number; postings in trigram order) and rename
    it into place under its hash; its name."""
    with temp_file(directory) as (fd, tmp):
        with os.fdopen(fd, "wb") as f:
            h = hashlib.sha256()

            def put(b: bytes) -> None:
                h.update(b)
                f.write(b)

            put(MAGIC)
            tris = bytearray()
            offsets = array("I", [0])
            stats = array("I")
            at = 0
            for tri, raw, count, last in postings:
                put(raw)
                at += len(raw)
                tris += tri
                offsets.append(at)
                stats.append(count)
                stats.append(last)
            if at >= 1 << 32:
                raise OverflowError("postings over 4 GiB")
            order = sorted(oids)
            put(b"".join(order))
            put(array("I", (oids[o] for o in order)).tobytes())
            put(bytes(tris))
            put(offsets.tobytes())
            put(stats.tobytes())
            put(FOOTER.pack(len(order), docs, len(tris) // 3, at))
            digest = h.digest()
            f.write(digest)
        name = digest.hex() + SUFFIX
        os.replace(tmp, os.path.join(directory, name))
        return name


def _merged_postings(segs: list[Segment], bases: list[int]):
    """The postings of ``segs`` as one segment's, documents of segment k shifted by
    ``bases[k]``: each trigram's run lists appended, only their first number redone."""
    tables = [seg.table() for seg in segs]
    streams = [_keyed(tab[0], k) for k, tab in enumerate(tables)]
    group: list[tuple[int, int]] = []
    current = None
    for t, k, i in heapq.merge(*streams):
        if t != current:
            if group:
                yield _joined(current, group, segs, tables, bases)
            current, group = t, []
        group.append((k, i))
    if group:
        yield _joined(current, group, segs, tables, bases)


def _keyed(tris: list[bytes], k: int):
    return ((t, k, i) for i, t in enumerate(tris))


def _joined(tri, group, segs, tables, bases):
    out = bytearray()
    count = 0
    last = 0
    for k, i in group:
        raw = segs[k].raw(i)
        stats = tables[k][2]
        if raw:
            first, used = tg.first_value(raw)
            out += tg.varint(first + bases[k] - last)
            out += raw[used:]
            last = stats[2 * i + 1] + bases[k]
        count += stats[2 * i]
    return tri, bytes(out), count, last


# --- the index ----------------------------------------------------------------------

class GrepIndex:
    """The trigram index of a store's blobs (``store.cache.directory("grep")``); a
    store whose cache keeps no files has an empty index: everything is a candidate,
    writers write nothing."""

    def __init__(self, store=None, directory: str | None = None):
        if directory is None and store is not None:
            cache = getattr(store, "cache", None)
            directory = cache.directory("grep") if cache is not None else None
        self.directory = directory
        self.swallowed = Swallowed(log)
        self._open: dict[str, Segment] = {}

    def close(self) -> None:
        for seg in self._open.values():
            seg.close()
        self._open.clear()

    def __enter__(self) -> "GrepIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # segments
    def _names(self) -> list[str]:
        if self.directory is None:
            return []
        try:
            return sorted(n for n in os.listdir(self.directory) if n.endswith(SUFFIX))
        except OSError as exc:
            self.swallowed("trigram index: cannot list", exc)
            return []

    def segments(self, verify: bool = True) -> list[Segment]:
        """The segments there now, checked (``verify``) and mapped; damaged ones are
        removed, vanished ones (merged away since the listing) skipped."""
        names = self._names()
        for gone in self._open.keys() - set(names):
            self._open.pop(gone).close()
        out = []
        for name in names:
            seg = self._open.get(name)
            if seg is None:
                seg = self._load(name, verify)
                if seg is None:
                    continue
                if verify:
                    self._open[name] = seg
            out.append(seg)
        return out

    def _load(self, name: str, verify: bool) -> Segment | None:
        path = os.path.join(self.directory, name)
        try:
            return Segment(path, verify)
        except FileNotFoundError:
            return None
        except OSError as exc:                  # unreadable here: not ours to remove
            self.swallowed("trigram index: segment not read", f"{name}: {exc}")
            return None
        except (DamagedSegment, ValueError) as exc:
            self.swallowed("trigram index: damaged segment removed", f"{name}: {exc}")
            try:
                os.unlink(path)
            except OSError:
                pass
            return None

    # asking
    def candidates(self, query: Query, blobs: Iterable[str]) -> set[str]:
        """The blobs of ``blobs`` (hex ids) that may match ``query``: every one the
        index does not cover, and the covered ones the query admits."""
        undecided = set(blobs)
        if isinstance(query, All) or not undecided:
            return undecided
        out: set[str] = set()
        for seg in self.segments():
            if not undecided:
                break
            try:
                here, may = seg.admit(query, undecided)
            except DamagedSegment as exc:         # passed its hash: a writer's bug
                self.swallowed("trigram index: inconsistent segment", f"{seg.name}: {exc}")
                continue
            out |= may
            undecided -= here
        return out | undecided

    def covered(self) -> set[str]:
        """The blobs (hex ids) the index covers."""
        out: set[str] = set()
        for seg in self.segments():
            out.update(seg.oid_table())
        return out

    def _covered_raw(self) -> set[bytes]:
        out: set[bytes] = set()
        for seg in self.segments(verify=False):
            out.update(seg.oids())
            if seg.name not in self._open:
                seg.close()
        return out

    def size_bytes(self) -> int:
        total = 0
        for name in self._names():
            try:
                total += os.stat(os.path.join(self.directory, name)).st_size
            except OSError:
                pass
        return total

    def writer(self, budget: float | None = GREP_BUDGET) -> "IndexWriter":
        """A writer of new segments; by default with grep's budget (``IndexWriter``)."""
        return IndexWriter(self, budget)

    # merging
    def merge(self) -> int:
        """Merge segments while some size tier holds FANOUT of them (or there are over
        MAX_SEGMENTS); skipped when another process is merging.  How many merges."""
        if self.directory is None:
            return 0
        try:
            lock = os.open(os.path.join(self.directory, "merge.lock"),
                           os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            self.swallowed("trigram index: cannot open the merge lock", exc)
            return 0
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0
            self._remove_stale_temps()
            merges = 0
            while True:
                segs = self.segments()
                chosen = _plan([(s.n, s.name) for s in segs])
                if not chosen:
                    return merges
                inputs = [s for s in segs if s.name in chosen]
                self._merge(inputs)
                merges += 1
        finally:
            os.close(lock)

    def _merge(self, inputs: list[Segment]) -> None:
        bases, oids, at = [], {}, 0
        for seg in inputs:
            bases.append(at)
            for o, d in seg.entries():
                if o not in oids:
                    oids[o] = d if d == NOT_INDEXED else d + at
            at += seg.lay.docs
        testhook.pause("index-merge")
        made = _write_segment(self.directory, oids, at, _merged_postings(inputs, bases))
        for seg in inputs:
            self._open.pop(seg.name, None)
            seg.close()
            if seg.name == made:        # the same bytes (one input, or twins)
                continue
            try:
                os.unlink(seg.path)
            except FileNotFoundError:
                pass

    def _remove_stale_temps(self) -> None:
        now = time.time()
        for name in os.listdir(self.directory):
            if name.startswith(".tmp-"):
                path = os.path.join(self.directory, name)
                try:
                    if now - os.stat(path).st_mtime > _STALE_TEMP:
                        os.unlink(path)
                except OSError:
                    pass


def _plan(segs: list[tuple[int, str]]) -> list[str]:
    """The names of the segments to merge next (none: nothing to do)."""
    if len(segs) < 2:
        return []
    tiers: dict[int, list[str]] = {}
    for n, name in segs:
        tiers.setdefault(max(n, 1).bit_length() // 2, []).append(name)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= FANOUT:
            return tiers[tier]
    if len(segs) > MAX_SEGMENTS:
        return [name for _, name in sorted(segs)[:len(segs) - MAX_SEGMENTS // 2]]
    return []


class IndexWriter:
    """Blobs given to ``add`` become one new segment at ``close`` (more for very many),
    then segments are merged if they are many.  Nothing is written for an index with
    no directory.

    ``budget``: seconds this writer may spend indexing, after which ``add`` ignores
    what it is given (``accepted`` says so).  Indexing a blob costs several times what
    searching it does, so a grep that feeds the blobs it read unindexed (after
    ``cache/`` was deleted) must not become many times slower than one without the
    index: it indexes what fits, the next grep more.  ``update`` has no budget."""

    def __init__(self, index: GrepIndex, budget: float | None = None):
        self.index = index
        self._b = _Builder() if index.directory is not None else None
        self.written: list[str] = []
        self.budget = budget
        self.spent = 0.0

    @property
    def accepted(self) -> bool:
        """Whether ``add`` still indexes what it is given."""
        return self._b is not None and (self.budget is None or self.spent < self.budget)

    def add(self, oid: str, data: bytes) -> None:
        if not self.accepted:
            return
        start = time.perf_counter()
        self._b.add(bytes.fromhex(oid), data)
        if self._b.held >= HELD_LIMIT:
            self._flush()
            self._b = _Builder()
        self.spent += time.perf_counter() - start

    def _flush(self) -> None:
        b = self._b
        if b is not None and b.oids:
            self.written.append(
                _write_segment(self.index.directory, b.oids, b.docs, b.postings()))

    def close(self) -> None:
        if self._b is None:
            return
        try:
            self._flush()
        except OSError as exc:
            self.index.swallowed("trigram index: cannot write a segment", exc)
        self._b = None
        if self.written:
            try:
                self.index.merge()
            except (OSError, DamagedSegment) as exc:     # derived data: later, maybe
                self.index.swallowed("trigram index: merge not done", exc)

    def __enter__(self) -> "IndexWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self._b = None


# --- keeping it up to date ----------------------------------------------------------

def chain_blobs(history: History, tip: str | None) -> list[str]:
    """Every distinct blob (files and links) of ``tip``'s chain, each path's contents
    together and in order — the order that gives a trigram long runs."""
    from ..filelog import path_log

    plog = path_log(history, tip)
    seen: dict[str, None] = {}
    for path in sorted(plog.paths):
        for c in plog.paths[path]:
            if c.oid is not None and c.kind is not None:
                seen.setdefault(c.oid, None)
    return list(seen)


MARK = "indexed-tip"            # the last tip whose whole chain update indexed
MARK_REACH = 64                 # versions walked back looking for it


def _since_mark(index: GrepIndex, history: History, tip: str) -> list[str] | None:
    """The blobs the versions after the marked tip brought (a record's few), found by
    Merkle diffs of their roots; None when ``tip``'s chain does not pass the mark near
    enough.  The mark only saves work: if segments were lost since, their blobs are
    candidates (searched directly, and indexed again by grep's writer)."""
    from ..filelog import tree_changes

    try:
        with open(os.path.join(index.directory, MARK), "rb") as f:
            mark = f.read(200).decode("ascii", "replace").strip()
    except OSError:
        return None
    new: list[str] = []
    vid: str | None = tip
    for _ in range(MARK_REACH):
        if vid is None or vid == mark:
            break
        new.append(vid)
        vid = history.version(vid).parent
    else:
        return None
    if vid != mark:
        return None
    seen: dict[str, None] = {}
    for v in reversed(new):
        parent = history.version(v).parent
        for _, kind, oid, _ in tree_changes(history.states, history.root_tree(parent),
                                            history.root_tree(v)):
            if kind in (FILE, LINK) and oid is not None:
                seen.setdefault(oid, None)
    return list(seen)


def _mark(index: GrepIndex, tip: str) -> None:
    try:
        write_atomic(os.path.join(index.directory, MARK), tip.encode() + b"\n",
                     durable=False)
    except OSError as exc:
        index.swallowed("trigram index: cannot mark the indexed tip", exc)


def update(history: History, tip: str | None) -> None:
    """Index the blobs ``tip``'s chain holds that the index does not cover yet (all of
    them after an import or a deleted ``cache/``, a few after a record: those of the
    versions after the last tip indexed, when ``tip`` descends from it)."""
    index = GrepIndex(history.store)
    if index.directory is None or tip is None:
        return
    todo = _since_mark(index, history, tip)
    if todo is None:
        have = index._covered_raw()
        todo = [oid for oid in chain_blobs(history, tip) if bytes.fromhex(oid) not in have]
    if todo:
        from ..progress import progress

        testhook.pause("index-write")
        with index, index.writer(budget=None) as w, progress(len(todo), "indexing blobs") as p:
            for oid in todo:
                w.add(oid, history.states.get_blob(oid))
                p.update()
    _mark(index, tip)
