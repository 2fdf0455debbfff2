"""Each path's own history along a chain of versions: where its content changed.

A *path log* of the chain ending at a version lists the chain's versions (oldest
first, index 0 the first patch's) and, for every path that ever existed on it, the
changes of that path: at which index it took which content (a file's or a link's
blob id, a directory), or went away.  It is what ``verfs log PATH``, the mount's
``files/`` and ``verfs grep`` (which searches each distinct blob once and maps its
matches back to the versions holding it) are made of.

It is found by a Merkle diff of each version's root with its parent's, descending
only into subtrees that differ: the cost is in what changed, not in the tree's size.

**Kept.**  A chain never changes (a version names its parent), so neither does its
path log: the log of a tip is kept as one file named by the tip, in the derived
cache's ``paths/`` directory, and it serves every ancestor too — an ancestor's log
is a prefix of its descendant's (cut, no work).  A new tip (a record) extends the
nearest kept ancestor's log by the diffs of the new versions only: the walk back
from the tip stops at a version some kept log holds.  The ``KEEP`` most recently
written or used files stay; older ones are removed.

**The file** (``MAGIC``, then little-endian): the counts of versions and paths and
the length of the names block; the versions' 32-byte ids, oldest first, then their
patches' (so a log of a path reads no version object); the paths,
sorted, each ended by a NUL; each path's number of changes; each path's changes as
records of ``_REC`` (index, kind | exec << 2, blob id or zeros); the SHA-256 of all
that.  A file whose hash does not match, or that does not parse, is damaged: it is
removed (and said, as a warning) and the log is made again.  Files are written to a
temporary name and renamed into place, so a reader sees a whole file or none; a
reader whose file was removed meanwhile (another process kept newer ones) just
looks further, or builds.  Nothing here is synced: a file a crash damaged fails its
hash.

Derived data: lost with ``cache/``, it is made again from the versions' roots.
Where the cache keeps no files (a memory store), logs are kept in memory only.
"""

import bisect
import hashlib
import logging
import os
import struct
import sys
import threading
import time
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from store import DIR, EMPTY_TREE_ID, FILE, LINK, TREE, ObjectStore, is_id
from store.errors import CorruptObject, FormatError
from store.files import write_atomic
from store.names import unescape
from store.objects import TREE_HEADER

from . import testhook
from .history import ROOTS, History
from .progress import progress

log = logging.getLogger("verfs.filelog")

AREA = "paths"          # DerivedCache.directory(AREA) holds the kept logs
KEEP = 4                # kept log files (the most recently written or used)
MEMO = 2                # logs a process keeps in memory, per History
NEAR = 16               # versions walked back looking for a kept tip before the
#                         kept logs' version lists are read (a record finds its parent)
LONG = 1000             # versions to diff from which progress is shown (on a terminal)
STALE = 3600            # seconds after which a temporary file is a killed writer's
MAGIC = b"verfs-paths 1\n"
_HEAD = struct.Struct("<III")           # versions, paths, bytes of the names block
_REC = struct.Struct("<IB32s")          # index, kind code | exec << 2, blob id
_KINDS = (None, FILE, LINK, DIR)
_CODE = {k: i for i, k in enumerate(_KINDS)}
_NO_OID = bytes(32)
_ID = 32                                # bytes of an id


@dataclass(frozen=True, slots=True)
class Change:
    """What ``path`` became at version ``index`` of the chain: ``kind`` FILE, LINK or
    DIR (``oid`` the blob for FILE and LINK, None for DIR), or None: gone."""

    index: int
    kind: str | None
    oid: str | None = None
    exec: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """Versions ``start`` ≤ i < ``end`` of the chain hold ``change``'s content at the path."""

    start: int
    end: int
    change: Change


@dataclass
class Counts:
    """What the path logs cost in this process (tests and benchmarks read it)."""

    diffed: int = 0         # versions whose root was diffed with its parent's
    loaded: int = 0         # kept files read whole
    written: int = 0        # kept files written
    damaged: int = 0        # kept files found damaged (removed, made again)


counts = Counts()


@dataclass
class PathLog:
    """The path log of one chain: ``versions`` oldest first, ``paths`` every path that
    ever existed on it → its changes, in index order (the first one is never a
    going-away).  ``paths`` of a kept log is a mapping that decodes a path's changes
    when first asked for: reading one path of a big log costs that path."""

    versions: list[str]
    paths: Mapping[str, list[Change]]
    _children: dict[str, list[str]] | None = field(default=None, repr=False)
    _groups: dict[str, bytes] | None = field(default=None, repr=False)
    _sorted: list[str] | None = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)       # the versions' ids, raw
    _patches: bytes | None = field(default=None, repr=False)   # their patches' ids, raw

    @property
    def tip(self) -> str | None:
        return self.versions[-1] if self.versions else None

    def patch(self, index: int) -> str | None:
        """The id of the patch of version ``index`` (what ``verfs log`` reads of it,
        with no read of the version itself); None where the log does not know it."""
        if self._patches is None or not 0 <= index < len(self.versions):
            return None
        return self._patches[index * _ID:(index + 1) * _ID].hex()

    def changes(self, path: str) -> list[Change]:
        """``path``'s changes, oldest first ([] for a path that never existed)."""
        return self.paths.get(path, [])

    def spans(self, path: str) -> Iterator[Span]:
        """The runs of versions in which ``path`` holds one content (gone excluded)."""
        ch = self.paths.get(path, [])
        for i, c in enumerate(ch):
            if c.kind is None:
                continue
            end = ch[i + 1].index if i + 1 < len(ch) else len(self.versions)
            yield Span(c.index, end, c)

    def children(self, directory: str) -> list[str]:
        """The names ever directly under ``directory`` ("" for the top), sorted."""
        if self._children is None:
            kids: dict[str, set[str]] = {}
            for p in self.paths:
                parent, _, name = p.rpartition("/")
                kids.setdefault(parent, set()).add(name)
            self._children = {d: sorted(n) for d, n in kids.items()}
        return self._children.get(directory, [])

    def sorted_paths(self) -> list[str]:
        """Every path that ever existed on the chain, sorted."""
        if self._sorted is None:
            self._sorted = sorted(self.paths)
        return self._sorted

    def under(self, path: str) -> list[str]:
        """``path`` itself (if it ever existed) and every path ever beneath it, sorted;
        every path for "" (the top)."""
        keys = self.sorted_paths()
        if not path:
            return list(keys)
        # Every name starting with ``path`` sorts in [path, path + chr(0x10ffff)).
        lo = bisect.bisect_left(keys, path)
        hi = bisect.bisect_left(keys, path + "\U0010ffff", lo)
        inside = path + "/"
        return [p for p in keys[lo:hi] if p == path or p.startswith(inside)]

    def touched(self, paths: Iterable[str]) -> list[int]:
        """The indices of the versions (oldest first) where the content at any of
        ``paths`` changed: the path itself, or anything beneath it (as ``git log --
        PATH`` takes a path)."""
        found: set[int] = set()
        for p in paths:
            for q in self.under(p):
                found.update(c.index for c in self.paths[q])
        return sorted(found)


class _Recorded(Mapping):
    """path → its changes, decoded from the kept records when first asked for."""

    __slots__ = ("_groups", "_decoded")

    def __init__(self, groups: dict[str, bytes]):
        self._groups = groups
        self._decoded: dict[str, list[Change]] = {}

    def __getitem__(self, path: str) -> list[Change]:
        got = self._decoded.get(path)
        if got is None:
            got = self._decoded[path] = _decode(self._groups[path])
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def __contains__(self, path) -> bool:
        return path in self._groups


def _record(index: int, kind: str | None, oid: str | None, exe: bool) -> bytes:
    return _REC.pack(index, _CODE[kind] | (4 if exe else 0),
                     bytes.fromhex(oid) if oid else _NO_OID)


def _decode(group: bytes) -> list[Change]:
    out = []
    for index, code, oid in _REC.iter_unpack(group):
        kind = _KINDS[code & 3]
        out.append(Change(index, kind, oid.hex() if kind in (FILE, LINK) else None,
                          bool(code & 4)))
    return out


def _groups_of(plog: PathLog) -> dict[str, bytes]:
    if plog._groups is not None:
        return plog._groups
    return {p: b"".join(_record(c.index, c.kind, c.oid, c.exec) for c in chs)
            for p, chs in plog.paths.items()}


def _made(versions_raw: bytes, patches_raw: bytes, groups: dict[str, bytes],
          names: list[str] | None = None, vids: list[str] | None = None) -> PathLog:
    if vids is None:
        vids = [versions_raw[i:i + _ID].hex() for i in range(0, len(versions_raw), _ID)]
    return PathLog(vids, _Recorded(groups), _groups=groups, _sorted=names, _raw=versions_raw,
                   _patches=patches_raw)


def _patch_ids(history: History, vids: list[str]) -> bytes:
    return b"".join(bytes.fromhex(history.version(v).patch) for v in vids)


def _raw_versions(plog: PathLog) -> bytes:
    if plog._raw is None:
        plog._raw = b"".join(bytes.fromhex(v) for v in plog.versions)
    return plog._raw


# --- the Merkle diff ----------------------------------------------------------------------

def tree_changes(states: ObjectStore, old: str, new: str
                 ) -> list[tuple[str, str | None, str | None, bool]]:
    """``(path, kind, oid, exec)`` for every path whose entry differs between root trees
    ``old`` and ``new`` (kind None: gone; oid None for directories).  Descends only into
    subtrees that differ; everything under an added directory is listed as added, and
    everything under a removed one as gone, deepest first."""
    return _Differ(states).changes(old, new)


class _Differ:
    """Merkle diffs of trees read as their lines (``code size oid name``): the lines
    two versions of a directory share are its unchanged entries, so only the others
    are parsed — a tree's parse into entry objects is most of what a diff cost.  The
    lines of the trees seen by the last two diffs are kept: the next version's diff
    starts from the trees of this one."""

    def __init__(self, states: ObjectStore):
        self.states = states
        self.now: dict[str, set[bytes]] = {}
        self.before: dict[str, set[bytes]] = {}

    def lines(self, oid: str | None) -> set[bytes]:
        if oid is None or oid == EMPTY_TREE_ID:
            return set()
        got = self.now.get(oid)
        if got is None:
            got = self.before.get(oid)
            if got is None:
                data = self.states.get(TREE, oid)
                if not data.startswith(TREE_HEADER):
                    raise CorruptObject(TREE, oid, None, "not a verfs-tree 1 object")
                got = set(data[len(TREE_HEADER):].split(b"\n"))
                got.discard(b"")
            self.now[oid] = got
        return got

    def changes(self, old: str, new: str) -> list[tuple[str, str | None, str | None, bool]]:
        self.before, self.now = self.now, {}
        out: list[tuple[str, str | None, str | None, bool]] = []
        if old != new:
            self._walk(out, "", old, new)
        return out

    def _walk(self, out, prefix: str, a: str | None, b: str | None) -> None:
        la, lb = self.lines(a), self.lines(b)
        before = _entries(la - lb, a) if a else {}
        after = _entries(lb - la, b) if b else {}
        for name in sorted(before.keys() | after.keys()):
            x, y = before.get(name), after.get(name)
            path = prefix + name
            xd = x is not None and x[0] == DIR
            yd = y is not None and y[0] == DIR
            if xd and not yd:
                self._walk(out, path + "/", x[1], None)
            if y is None:
                out.append((path, None, None, False))
            elif yd:
                if not xd:
                    out.append((path, DIR, None, False))
                self._walk(out, path + "/", x[1] if xd else None, y[1])
            else:
                out.append((path, y[0], y[1], y[2]))


_TREE_CODES = {b"f": (FILE, False), b"x": (FILE, True), b"l": (LINK, False),
               b"d": (DIR, False)}


def _entries(lines: Iterable[bytes], tree: str) -> dict[str, tuple[str, str, bool]]:
    """name → (kind, oid, exec) of lines of ``tree``."""
    out = {}
    for line in lines:
        try:
            code, _size, oid, name = line.split(b" ", 3)
            kind, exe = _TREE_CODES[code]
            out[unescape(name)] = (kind, oid.decode("ascii"), exe)
        except (ValueError, KeyError, UnicodeDecodeError, FormatError) as exc:
            raise CorruptObject(TREE, tree, None, f"bad tree line {line[:80]!r}") from exc
    return out


def build(history: History, tip: str | None) -> PathLog:
    """The path log of the chain ending at ``tip``, made from scratch (reference
    implementation: every version's root against its parent's; nothing kept)."""
    vids = [s for s in history._vids(tip)][::-1]
    paths: dict[str, list[Change]] = {}
    prev = EMPTY_TREE_ID
    for i, vid in enumerate(vids):
        root = history.root_tree(vid)
        for path, kind, oid, exe in tree_changes(history.states, prev, root):
            paths.setdefault(path, []).append(Change(i, kind, oid, exe))
        prev = root
    return PathLog(vids, paths, _patches=_patch_ids(history, vids))


def _extend(history: History, base: PathLog, new: list[str]) -> PathLog:
    """``base`` (the log of ``new[0]``'s parent) extended by the versions ``new``,
    oldest first: each one's root diffed with its parent's."""
    if not new:
        return base
    # The newest root first: after cache/ was deleted, that one walk replays the
    # chain once and keeps every root on it, instead of a walk per version.
    history.root_tree(new[-1])
    prev = history.root_tree(base.tip) if base.tip else EMPTY_TREE_ID
    roots = history.store.cache.get_many(ROOTS, new) if len(new) > 1 else {}
    added: dict[str, bytearray] = {}
    differ = _Differ(history.states)
    first = len(base.versions)
    # After an import the whole chain is new: seconds on a long one, so it is shown
    # (on a terminal only).
    with progress(len(new) if len(new) >= LONG else 0, "path log") as bar:
        for i, vid in enumerate(new, first):
            root = roots.get(vid)
            if root is None or not history.states.has_tree(root):
                root = history.root_tree(vid)
            for path, kind, oid, exe in differ.changes(prev, root):
                added.setdefault(path, bytearray()).extend(_record(i, kind, oid, exe))
            prev = root
            counts.diffed += 1
            if bar.total:
                bar.update(1)
    groups = dict(_groups_of(base))
    for path, recs in added.items():
        old = groups.get(path)
        groups[path] = bytes(recs) if old is None else old + recs
    raw = _raw_versions(base) + b"".join(bytes.fromhex(v) for v in new)
    patches = (base._patches or b"") + _patch_ids(history, new)
    same = base._sorted is not None and all(p in base.paths for p in added)
    return _made(raw, patches, groups, base._sorted if same else None, base.versions + new)


def _cut(plog: PathLog, n: int) -> PathLog:
    """The log of the first ``n`` versions of ``plog``'s chain (the log of its n-th
    version): every change from index ``n`` on left out."""
    if n == len(plog.versions):
        return plog
    groups: dict[str, bytes] = {}
    size = _REC.size
    for path, group in _groups_of(plog).items():
        last = int.from_bytes(group[len(group) - size:len(group) - size + 4], "little")
        if last < n:
            groups[path] = group
            continue
        lo, hi = 0, len(group) // size          # the first record at index >= n
        while lo < hi:
            mid = (lo + hi) // 2
            if int.from_bytes(group[mid * size:mid * size + 4], "little") < n:
                lo = mid + 1
            else:
                hi = mid
        if lo:
            groups[path] = group[:lo * size]
    names = [p for p in plog._sorted if p in groups] if plog._sorted is not None else None
    return _made(_raw_versions(plog)[:n * _ID], (plog._patches or b"")[:n * _ID], groups,
                 names, plog.versions[:n])


# --- the kept files -------------------------------------------------------------------

class Damaged(ValueError):
    """A kept path log that fails its hash or does not parse."""


def encode(plog: PathLog) -> bytes:
    """The kept file of ``plog`` (see the module's docstring)."""
    groups = _groups_of(plog)
    names = plog._sorted if plog._sorted is not None and len(plog._sorted) == len(groups) \
        else sorted(groups)
    numbers = array("I", (len(groups[p]) // _REC.size for p in names))
    if sys.byteorder == "big":
        numbers.byteswap()
    block = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in names)
    raw = _raw_versions(plog)
    if plog._patches is None or len(plog._patches) != len(raw):
        raise ValueError("a path log is kept with its versions' patch ids")
    body = b"".join([MAGIC, _HEAD.pack(len(plog.versions), len(names), len(block)), raw,
                     plog._patches, block, numbers.tobytes(), *(groups[p] for p in names)])
    return body + hashlib.sha256(body).digest()


def decode(data: bytes) -> PathLog:
    """A kept file's path log; ``Damaged`` unless it is whole."""
    if len(data) < len(MAGIC) + _HEAD.size + _ID or not data.startswith(MAGIC):
        raise Damaged("not a path log")
    body, digest = data[:-_ID], data[-_ID:]
    if hashlib.sha256(body).digest() != digest:
        raise Damaged("its hash does not match")
    at = len(MAGIC)
    nv, np_, nb = _HEAD.unpack_from(body, at)
    at += _HEAD.size
    raw = body[at:at + nv * _ID]
    at += nv * _ID
    patches = body[at:at + nv * _ID]
    at += nv * _ID
    block = body[at:at + nb]
    at += nb
    numbers = array("I")
    numbers.frombytes(body[at:at + 4 * np_])
    if sys.byteorder == "big":
        numbers.byteswap()
    at += 4 * np_
    try:
        names = [p.decode("utf-8", "surrogateescape") for p in block.split(b"\0")[:-1]]
    except UnicodeDecodeError:
        raise Damaged("a path is not UTF-8") from None
    if (len(patches) != nv * _ID or len(names) != np_ or len(numbers) != np_ or not nv
            or at + sum(numbers) * _REC.size != len(body)):
        raise Damaged("its parts do not add up")
    groups = {}
    size = _REC.size
    for p, k in zip(names, numbers, strict=True):
        groups[p] = body[at:at + k * size]
        at += k * size
    return _made(raw, patches, groups, names)


def _versions_of(path: str) -> bytes:
    """The version ids a kept file lists (its head only, not checked: membership is
    only a hint, the file is checked whole when used)."""
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + _HEAD.size)
        if not head.startswith(MAGIC) or len(head) < len(MAGIC) + _HEAD.size:
            return b""
        nv = _HEAD.unpack_from(head, len(MAGIC))[0]
        return f.read(nv * _ID)


class _Kept:
    """The kept logs of one store: files in ``directory`` (None: none), and the
    process's memo of the last few it used."""

    def __init__(self, directory: str | None, memo: "OrderedDict[str, PathLog]"):
        self.directory = directory
        self.memo = memo
        self._names: list[str] | None = None
        self._members: dict[bytes, tuple[str, int]] | None = None

    def names(self) -> list[str]:
        """The kept files' tips, most recently written or used first."""
        if self._names is None:
            found = []
            if self.directory is not None:
                try:
                    with os.scandir(self.directory) as it:
                        for e in it:
                            if is_id(e.name):
                                try:
                                    found.append((e.stat().st_mtime_ns, e.name))
                                except FileNotFoundError:
                                    pass
                except OSError:
                    pass
            self._names = [n for _, n in sorted(found, reverse=True)]
        return self._names

    def file(self, tip: str) -> PathLog | None:
        """The kept log of ``tip`` (None: absent, or damaged and removed)."""
        got = self.memo.get(tip)
        if got is not None:
            return got
        if self.directory is None:
            return None
        path = os.path.join(self.directory, tip)
        testhook.pause("path-log")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None
        counts.loaded += 1
        try:
            plog = decode(data)
            if plog.tip != tip:
                raise Damaged(f"it is the log of {plog.tip}")
        except Damaged as why:
            counts.damaged += 1
            log.warning("derived path log %s is damaged (%s); it is made again", path, why)
            _unlink(path)
            return None
        try:
            os.utime(path)      # used: kept longer
        except OSError:
            pass
        return plog

    def holding(self, vid: str) -> PathLog | None:
        """The log of ``vid`` cut from a kept log that holds it (None: none does)."""
        if self._members is None:
            self._members = {}
            for tip, plog in self.memo.items():
                raw = _raw_versions(plog)
                for i in range(0, len(raw), _ID):
                    self._members.setdefault(raw[i:i + _ID], (tip, i // _ID))
            for tip in self.names():
                try:
                    raw = _versions_of(os.path.join(self.directory, tip))
                except OSError:
                    continue
                for i in range(0, len(raw) - _ID + 1, _ID):
                    self._members.setdefault(raw[i:i + _ID], (tip, i // _ID))
        where = self._members.get(bytes.fromhex(vid))
        if where is None:
            return None
        tip, i = where
        plog = self.file(tip)
        if plog is None or i >= len(plog.versions) or plog.versions[i] != vid:
            # gone meanwhile, or its list lied (damaged): forget it, look on
            self._members = {k: w for k, w in self._members.items() if w[0] != tip}
            return self.holding(vid)
        return _cut(plog, i + 1)

    def write(self, plog: PathLog) -> None:
        """Keep ``plog`` as the file of its tip; remove all but the ``KEEP`` newest."""
        if self.directory is None:
            return
        try:
            write_atomic(os.path.join(self.directory, plog.tip), encode(plog), durable=False)
        except OSError as exc:
            log.info("path log of %s not kept: %s", plog.tip, exc)
            return
        counts.written += 1
        self._names = None
        for old in self.names()[KEEP:]:
            if old != plog.tip:
                _unlink(os.path.join(self.directory, old))
        self._sweep()

    def _sweep(self) -> None:
        """Remove the temporary files of writers killed long ago."""
        try:
            with os.scandir(self.directory) as it:
                stale = [e.path for e in it if e.name.startswith(".tmp-")
                         and e.stat().st_mtime < time.time() - STALE]
        except OSError:
            return
        for path in stale:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.info("cannot remove %s: %s", path, exc)


_memos: "weakref.WeakKeyDictionary[History, OrderedDict[str, PathLog]]" = \
    weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()


def _memo_of(history: History) -> "OrderedDict[str, PathLog]":
    with _memo_lock:
        memo = _memos.get(history)
        if memo is None:
            memo = _memos[history] = OrderedDict()
        return memo


def _remember(history: History, plog: PathLog) -> None:
    memo = _memo_of(history)
    with _memo_lock:
        memo[plog.tip] = plog
        memo.move_to_end(plog.tip)
        while len(memo) > MEMO:
            memo.popitem(last=False)


def _find(history: History, tip: str, keep: bool) -> PathLog:
    """The log of ``tip``: its kept file; else the nearest kept ancestor's (or a kept
    descendant's, cut) extended by the versions after it; else made.  Written when
    work was done, or when ``keep``."""
    kept = _Kept(history.store.cache.directory(AREA), _memo_of(history))
    plog = kept.file(tip)
    if plog is not None:
        return plog
    new: list[str] = []
    base = None
    names = set(kept.names()) | set(kept.memo)
    for vid in history._vids(tip):          # a kept tip close by: a record's parent
        if len(new) >= NEAR:
            break
        if vid in names and (base := kept.file(vid)) is not None:
            break
        new.append(vid)
    if base is None:
        new = []
        for vid in history._vids(tip):
            if (base := kept.holding(vid)) is not None:
                break
            new.append(vid)
    cut = base is not None and not new
    plog = _extend(history, base or PathLog([], {}), new[::-1])
    if new or (keep and cut):
        kept.write(plog)
    return plog


def path_log(history: History, tip: str | None) -> PathLog:
    """The path log of the chain ending at ``tip`` (None: the empty one), from the
    derived cache when it is there, extended by what is new, else made."""
    if tip is None:
        return PathLog([], {})
    plog = _find(history, tip, keep=False)
    _remember(history, plog)
    return plog


def update(history: History, tip: str | None) -> None:
    """Bring the kept path logs up to ``tip``'s chain (after an import or a record):
    a record costs the diff of its one version and the writing of one file."""
    if tip is None:
        return
    _remember(history, _find(history, tip, keep=True))
