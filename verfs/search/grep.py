"""Searching many versions at once: each distinct blob once, matches mapped back.

git grep over N revisions reads every revision's every file again.  verfs has each
path's history (``verfs.filelog``: for every path, the runs of versions holding one
blob), so a search over many versions is: the selected versions → the runs of every
selected path clipped to them (``Piece``) → the distinct blobs of those runs → the
ones the trigram index cannot rule out (``verfs.search.index``) → each read and
searched once (``search_blob``) → its result shown for every version of every run
holding it (``verfs.search.output``).

What git grep does, this does: a line is a match if the pattern matches in it (line
numbers from 1); a file is binary when a NUL is in its first 8000 bytes (``Binary
file REV:PATH matches``, or nothing with ``-I``); symbolic links and submodules are
not searched (git grep over a revision skips them too).

Memory stays bounded by what matched, not by what was read: one blob is held at a
time, and the matching lines of all blobs (``Results``) go to a temporary file once
they pass ``Results.MEMORY`` bytes.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from store import FILE

from ..filelog import PathLog, path_log
from ..history import History
from .posix import Compiled

BINARY_PEEK = 8000          # git's buffer_is_binary: a NUL in the first 8000 bytes


@dataclass(frozen=True, slots=True)
class Piece:
    """Versions ``start`` ≤ i < ``end`` of a chain hold blob ``oid`` at ``path``."""

    path: str
    oid: str
    start: int
    end: int


@dataclass
class Selection:
    """Some versions of one chain: ``log`` the chain's path log, ``ranges`` the
    selected indices (sorted, disjoint ``[start, end)`` runs)."""

    log: PathLog
    ranges: list[tuple[int, int]]

    @property
    def count(self) -> int:
        return sum(e - s for s, e in self.ranges)


@dataclass(frozen=True, slots=True)
class Found:
    """A blob's result: ``binary``, ``count`` matching lines, ``lines`` their
    ``N:text`` forms joined by newlines (empty when not asked for)."""

    binary: bool
    count: int
    lines: bytes = b""


class Results:
    """blob → ``Found`` for the blobs that matched; the lines of them in memory up to
    ``MEMORY`` bytes, then in a temporary file (read back with ``pread``)."""

    MEMORY = 16 << 20

    def __init__(self, memory: int | None = None):
        self.memory = self.MEMORY if memory is None else memory
        self._held = 0
        self._found: dict[str, Found | tuple[bool, int, int, int]] = {}
        self._spill = None

    def __contains__(self, oid: str) -> bool:
        return oid in self._found

    def __len__(self) -> int:
        return len(self._found)

    def put(self, oid: str, found: Found) -> None:
        if self._held + len(found.lines) <= self.memory:
            self._held += len(found.lines)
            self._found[oid] = found
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="verfs-grep-")  # noqa: SIM115 - closed by close()
        offset = self._spill.seek(0, os.SEEK_END)
        self._spill.write(found.lines)
        self._found[oid] = (found.binary, found.count, offset, len(found.lines))

    def get(self, oid: str) -> Found | None:
        f = self._found.get(oid)
        if f is None or isinstance(f, Found):
            return f
        binary, count, offset, size = f
        self._spill.flush()
        return Found(binary, count, os.pread(self._spill.fileno(), size, offset))

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_PEEK]


def search_blob(pattern: Compiled, data: bytes, lines: bool = True, first: bool = False,
                skip_binary: bool = False) -> Found | None:
    """What ``pattern`` finds in ``data``: None for no matching line (or a binary blob
    with ``skip_binary``).  ``lines``: keep each matching line as ``N:text``;
    ``first``: stop at the first (only whether it matches is wanted).  A binary blob's
    lines are never kept (git prints only that it matches)."""
    if not data:                    # no line at all
        return None
    binary = is_binary(data)
    if binary and skip_binary:
        return None
    keep = lines and not binary
    out: list[bytes] = []
    count = 0
    if pattern.per_line:
        for n, line in enumerate(_lines(data), 1):
            if pattern.search(line) is not None:
                count += 1
                if keep:
                    out.append(b"%d:%s" % (n, line))
                if first:
                    break
    else:
        size = len(data)
        last = size - 1 if size and data[-1] == 10 else size   # the last line's end
        pos, lineno, counted = 0, 1, 0
        find = pattern.search if pattern.word else pattern.regex.search
        hay = data
        if pattern.folded is not None:      # -i of a plain string: the lowered bytes
            find, hay = pattern.folded.search, data.lower()
        while pos <= last:
            m = find(hay, pos)
            if m is None:
                break
            at = m.start()
            if at > last:               # an empty match after the final newline
                break
            eol = data.find(b"\n", at)
            eol = size if eol < 0 else eol
            count += 1
            if keep:
                start = data.rfind(b"\n", pos, at) + 1 or pos
                lineno += data.count(b"\n", counted, start)
                counted = start
                out.append(b"%d:%s" % (lineno, data[start:eol]))
            if first:
                break
            pos = eol + 1
    if not count:
        return None
    return Found(binary, count, b"\n".join(out))


def _lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


# --- which versions, which paths ---------------------------------------------------------

def under(path: str, filters: list[str]) -> bool:
    """Whether ``path`` is one of ``filters`` or below one ("" is the whole tree)."""
    return any(not f or path == f or path.startswith(f + "/") for f in filters)


def pieces(selection: Selection, filters: list[str]) -> Iterator[Piece]:
    """The runs of the selected versions holding one file's blob at one path (paths
    in byte order, oldest first), clipped to the selection."""
    log, ranges = selection.log, selection.ranges
    if not filters or "" in filters:
        chosen = set(log.paths)
    else:
        chosen = {p for f in filters for p in log.under(f)}
    for path in sorted(chosen, key=lambda p: p.encode("utf-8", "surrogateescape")):
        for span in log.spans(path):
            if span.change.kind != FILE:
                continue
            for s, e in ranges:
                lo, hi = max(s, span.start), min(e, span.end)
                if lo < hi:
                    yield Piece(path, span.change.oid, lo, hi)
                elif s >= span.end:
                    break


@dataclass
class Chains:
    """The path logs of the chains a search touches, head's first: a version on
    head's chain is found in head's log (an ancestor's log is a prefix of it)."""

    history: History
    head: str | None
    _logs: dict[str | None, PathLog] = field(default_factory=dict)
    _where: dict[str, tuple[str | None, int]] = field(default_factory=dict)

    def log(self, tip: str | None) -> PathLog:
        if tip not in self._logs:
            log = path_log(self.history, tip)
            self._logs[tip] = log
            for i, vid in enumerate(log.versions):
                self._where.setdefault(vid, (tip, i))
        return self._logs[tip]

    def locate(self, vid: str) -> tuple[PathLog, int]:
        """The log holding ``vid`` and its index there (head's log when it can)."""
        self.log(self.head)
        if vid not in self._where:
            self.log(vid)
        tip, i = self._where[vid]
        return self._logs[tip], i

    def everything(self) -> Selection:
        log = self.log(self.head)
        return Selection(log, [(0, len(log.versions))] if log.versions else [])

    def one(self, vid: str) -> Selection:
        log, i = self.locate(vid)
        return Selection(log, [(i, i + 1)])

    def between(self, old: str | None, new: str) -> Selection:
        """git's ``OLD..NEW``: the versions of NEW's chain that are not on OLD's."""
        log, i = self.locate(new)
        index = {v: k for k, v in enumerate(log.versions[:i + 1])}
        start = 0
        for vid in self.history._vids(old):
            if vid in index:
                start = index[vid] + 1
                break
        return Selection(log, [(start, i + 1)] if start <= i else [])


# --- the search ----------------------------------------------------------------------------

@dataclass
class Searched:
    """What a search found: ``results`` by blob, and the pieces of each selection
    whose blob matched (in the order pieces() gives)."""

    results: Results
    selections: list[tuple[Selection, list[Piece]]]

    def close(self) -> None:
        self.results.close()


def search(history: History, pattern: Compiled, selections: list[Selection],
           filters: list[str], mode: str = "lines", skip_binary: bool = False,
           index=None, progress=None) -> Searched:
    """Search the files of ``selections`` (under ``filters``) for ``pattern``:
    each distinct blob once.  ``mode`` "lines" keeps matching lines, "count" counts
    them, "names" only asks whether a blob matches.  ``index``: a GrepIndex to narrow
    the blobs with (None: read them all); the blobs it does not cover are added to it
    as they are read, within the writer's budget of time — indexing costs several
    times the search, so after ``cache/`` is lost each search pays a bounded part of
    the rebuild (an import or record indexes all that is missing: ``index.update``).
    ``progress(total)``: a context manager told of each blob read."""
    chosen = [(sel, list(pieces(sel, filters))) for sel in selections]
    blobs: dict[str, None] = {}
    for _, ps in chosen:
        for p in ps:
            blobs.setdefault(p.oid, None)
    todo = list(blobs)
    writer = None
    uncovered: set[str] = set()
    if index is not None:
        admitted = index.candidates(pattern.query, blobs.keys())
        todo = [oid for oid in todo if oid in admitted]
        if index.directory:
            covered = index.covered()
            uncovered = {oid for oid in todo if oid not in covered}
            if uncovered:
                writer = index.writer()     # with grep's budget of time (index.py)
    results = Results()
    states = history.states
    try:
        with progress(len(todo)) if progress else contextlib.nullcontext() as bar:
            for oid in todo:
                data = states.get_blob(oid)
                if writer is not None and oid in uncovered and writer.accepted:
                    writer.add(oid, data)
                found = search_blob(pattern, data, lines=mode == "lines",
                                    first=mode == "names", skip_binary=skip_binary)
                if found is not None:
                    results.put(oid, found)
                if bar is not None:
                    bar.update()
        if writer is not None:
            writer.close()
            writer = None
    except BaseException:
        results.close()
        raise
    matched = [(sel, [p for p in ps if p.oid in results]) for sel, ps in chosen]
    return Searched(results, matched)
