"""What ``verfs grep`` prints: git grep's lines (``--each``), or each line once with
the versions holding it (the default), or JSON Lines (``--json``).

``--each`` is byte for byte ``git grep [-n|-l|-c] PATTERN REV...`` with every version's
full hash for REV: ``HASH:path:N:text`` (``HASH:path:text`` without -n,
``HASH:path`` with -l, ``HASH:path:count`` with -c, ``Binary file HASH:path
matches``), versions newest first, paths in byte order within one.  Most of those
lines repeat from one version to the next, so each version's block is a template
joined with its hash (``bytes.join``: the output costs what it weighs).

The default shows each matching line once — the same path, (line number) and text
held in many versions — with the runs of versions holding it, ``NNNN-<hash>`` as
``history/`` names them (NNNN from 1 along the chain): ``path:N:text  [0004-1a2b3c4d..
0815-9f3c0d1e, 812 versions]``; lines held at the newest selected version first.

JSON text and paths are decoded as UTF-8 with invalid bytes replaced (U+FFFD):
JSON strings cannot hold raw bytes, and a program wanting them exactly can use
``--each``.
"""

import bisect
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .grep import Found, Piece, Searched, Selection

LINES, COUNT, NAMES = "lines", "count", "names"

_PATH, _SEP, _NUM, _RANGE, _OFF = (b"\x1b[35m", b"\x1b[36m", b"\x1b[32m", b"\x1b[33m",
                                   b"\x1b[m")


def _bytes(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


_C_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f",
              13: b"\\r", 34: b'\\"', 92: b"\\\\"}


def quoted(path: bytes) -> bytes:
    """A path as git prints it (quote.c, ``core.quotePath`` on, the default): in
    double quotes with C escapes when it holds a control character, ``"``, ``\\`` or
    a byte over 0x7e (as octal); else as it is."""
    if all(0x20 <= b < 0x7F and b not in (34, 92) for b in path):
        return path
    out = bytearray(b'"')
    for b in path:
        if b in _C_ESCAPES:
            out += _C_ESCAPES[b]
        elif b < 0x20 or b >= 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


@dataclass(frozen=True)
class Style:
    """How to print: ``mode`` LINES, COUNT or NAMES (-c, -l); ``numbers`` (-n);
    ``color`` (on a terminal); ``display`` a path as shown (relative to the current
    directory inside the working tree, as git grep shows it)."""

    mode: str = LINES
    numbers: bool = False
    color: bool = False
    display: Callable[[str], bytes] = _bytes


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _split(line: bytes) -> tuple[int, bytes]:
    n, _, text = line.partition(b":")
    return int(n), text


def _found_lines(found: Found) -> list[bytes]:
    return found.lines.split(b"\n") if found.lines else []


# --- --each ---------------------------------------------------------------------------

def _template(style: Style, path: bytes, found: Found) -> list[bytes]:
    """The parts of a piece's lines between the hashes: the first extends what
    comes before (so ``HASH.join`` of a version's parts is its block)."""
    if style.mode == NAMES:
        return [b"", b":%s\n" % path]
    if style.mode == COUNT:
        return [b"", b":%s:%d\n" % (path, found.count)]
    if found.binary:
        return [b"Binary file ", b":%s matches\n" % path]
    parts = [b""]
    for line in _found_lines(found):
        if not style.numbers:
            line = line.partition(b":")[2]
        parts.append(b":%s:%s\n" % (path, line))
    return parts


def _edges(ps: list[Piece]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The pieces (by position in ``ps``) by the last version holding them and by the
    first: walking the versions newest first, where each comes and where it goes."""
    by_end: dict[int, list[int]] = {}
    by_start: dict[int, list[int]] = {}
    for k, p in enumerate(ps):
        by_end.setdefault(p.end - 1, []).append(k)
        by_start.setdefault(p.start, []).append(k)
    return by_end, by_start


def _sweep(selection: Selection, ps: list[Piece]):
    """(version index, the pieces it holds in the order given, whether that changed
    since the version before) for each selected version, newest first — the set
    changes only where pieces begin or end."""
    by_end, by_start = _edges(ps)
    for s, e in reversed(selection.ranges):
        active: set[int] = set()
        ordered: list[int] = []
        changed = True
        for i in range(e - 1, s - 1, -1):
            new = by_end.get(i)
            if new:
                active.update(new)
                ordered = sorted(active)
                changed = True
            yield i, ordered, changed
            changed = False
            gone = by_start.get(i)
            if gone:
                active.difference_update(gone)
                ordered = sorted(active)
                changed = True


def each(write, searched: Searched, style: Style) -> None:
    """``--each``: git grep's lines, one per version, path and line.

    From one version to the next only a few pieces come or go: the active ones are
    kept sorted (bisect), each as its parts between the hashes, and a version's block
    is ``HASH.join`` of their concatenation (made again, by C loops, only when the
    set changed)."""
    results = searched.results
    for selection, ps in searched.selections:
        versions = selection.log.versions
        by_end, by_start = _edges(ps)
        for s, e in reversed(selection.ranges):
            keys: list[int] = []            # the pieces held, in path order
            chunks: list[list[bytes]] = []  # each one's parts after a hash
            lens: list[int] = []
            leads: dict[int, bytes] = {}    # parts before the hash (binary files)
            flat: list[bytes] | None = None
            for i in range(e - 1, s - 1, -1):
                for k in by_start.get(i + 1, ()) if i + 1 < e else ():
                    j = bisect.bisect_left(keys, k)
                    del keys[j], chunks[j], lens[j]
                    leads.pop(k, None)
                    flat = None
                for k in by_end.get(i, ()):
                    p = ps[k]
                    parts = _template(style, style.display(p.path), results.get(p.oid))
                    j = bisect.bisect_left(keys, k)
                    keys.insert(j, k)
                    chunks.insert(j, parts[1:])
                    lens.insert(j, len(parts) - 1)
                    if parts[0]:
                        leads[k] = parts[0]
                    flat = None
                if not keys:
                    continue
                if flat is None:
                    flat = [b"", *itertools.chain.from_iterable(chunks)]
                    for k, lead in leads.items():
                        at = sum(lens[:bisect.bisect_left(keys, k)])
                        flat[at] = flat[at] + lead
                write(versions[i].encode().join(flat))


def each_json(write, searched: Searched, style: Style) -> None:
    """``--each --json``: one object per version, path and line (or file)."""
    results = searched.results
    for selection, ps in searched.selections:
        versions = selection.log.versions
        for i, ordered, _ in _sweep(selection, ps):
            for k in ordered:
                p = ps[k]
                found = results.get(p.oid)
                base = {"version": versions[i], "path": _text(style.display(p.path))}
                for obj in _objects(style, found, base):
                    write(json.dumps(obj).encode() + b"\n")


def _objects(style: Style, found: Found, base: dict):
    if style.mode == NAMES:
        yield base
    elif style.mode == COUNT:
        yield {**base, "count": found.count}
    elif found.binary:
        yield {**base, "binary": True}
    else:
        for line in _found_lines(found):
            n, text = _split(line)
            yield {**base, "line": n, "text": _text(text)}


# --- grouped ----------------------------------------------------------------------------

class _Spool:
    """Rendered lines kept in memory up to ``MEMORY`` bytes, then in a temporary
    file: the grouped output is sorted before it is printed, and can be large."""

    MEMORY = 16 << 20

    def __init__(self):
        self.held: list[bytes | tuple[int, int]] = []
        self.size = 0
        self.file = None

    def put(self, line: bytes) -> int:
        if self.size + len(line) <= self.MEMORY:
            self.size += len(line)
            self.held.append(line)
        else:
            if self.file is None:
                self.file = tempfile.TemporaryFile(prefix="verfs-grep-")  # noqa: SIM115
                self.end = 0
            self.file.write(line)
            self.held.append((self.end, len(line)))
            self.end += len(line)
        return len(self.held) - 1

    def get(self, handle: int) -> bytes:
        got = self.held[handle]
        if isinstance(got, bytes):
            return got
        self.file.flush()
        return os.pread(self.file.fileno(), got[1], got[0])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _path_groups(searched: Searched, style: Style, ps: list[Piece]):
    """(path, [(line number or -1, text or None for "binary"), merged runs]) for each
    path of ``ps`` (which come path by path), its groups in line order: only one
    path's groups are held at a time."""
    results = searched.results
    for path, pieces in itertools.groupby(ps, key=lambda p: p.path):
        groups: dict[tuple, list[tuple[int, int]]] = {}
        for p in pieces:
            found = results.get(p.oid)
            if style.mode == NAMES:
                keys = [(-1, b"")]
            elif style.mode == COUNT:
                keys = [(found.count, b"")]
            elif found.binary:
                keys = [(-1, None)]
            else:
                keys = []
                for line in _found_lines(found):
                    n, text = _split(line)
                    keys.append((n if style.numbers else -1, text))
            for key in keys:
                groups.setdefault(key, []).append((p.start, p.end))
        out = []
        for key, runs in groups.items():
            runs.sort()
            merged = [list(runs[0])]
            for s, e in runs[1:]:
                if s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            out.append((key, [(s, e) for s, e in merged]))
        out.sort(key=lambda g: (g[0][0], g[0][1] or b""))
        yield path, out


def _ordered(searched: Searched, style: Style, selection: Selection, ps: list[Piece],
             render) -> Iterator[bytes]:
    """``render(path, key, runs)`` of every group, those held at the newest version
    first, then by path and line — sorted by small keys, the lines spooled."""
    spool = _Spool()
    order: list[tuple[int, int, int, int]] = []
    try:
        for k, (path, groups) in enumerate(_path_groups(searched, style, ps)):
            for rank, (key, runs) in enumerate(groups):
                order.append((-runs[-1][1], k, rank, spool.put(render(path, key, runs))))
        order.sort()
        for *_, handle in order:
            yield spool.get(handle)
    finally:
        spool.close()


class _Labels:
    """``NNNN-<hash>`` of a chain's versions, as ``history/`` names them (made once)."""

    def __init__(self, selection: Selection):
        self.versions = selection.log.versions
        self.width = max(4, len(str(len(self.versions))))
        self.made: dict[int, str] = {}

    def __call__(self, i: int) -> str:
        got = self.made.get(i)
        if got is None:
            got = self.made[i] = f"{i + 1:0{self.width}d}-{self.versions[i][:8]}"
        return got

    def ranges(self, runs: list[tuple[int, int]]) -> str:
        shown = [self(s) if e - s == 1 else f"{self(s)}..{self(e - 1)}" for s, e in runs]
        n = sum(e - s for s, e in runs)
        return f"[{', '.join(shown)}, {n} version{'s' if n != 1 else ''}]"


def grouped(write, searched: Searched, style: Style) -> None:
    """The default: each matching line once, with the versions holding it."""
    c = style.color
    path_on, sep, num_on, rng_on, off = (_PATH, _SEP + b":" + _OFF, _NUM, _RANGE, _OFF) \
        if c else (b"", b":", b"", b"", b"")
    for selection, ps in searched.selections:
        labels = _Labels(selection)

        def render(path, key, runs, labels=labels):
            n, text = key
            shown = path_on + style.display(path) + off
            ranges = rng_on + labels.ranges(runs).encode() + off
            if style.mode == NAMES:
                line = shown
            elif style.mode == COUNT:
                line = shown + sep + b"%d" % n
            elif text is None:
                line = b"Binary file " + shown + b" matches"
            elif n >= 0:
                line = shown + sep + num_on + b"%d" % n + off + sep + text
            else:
                line = shown + sep + text
            return line + b"  " + ranges + b"\n"

        for line in _ordered(searched, style, selection, ps, render):
            write(line)


def grouped_json(write, searched: Searched, style: Style) -> None:
    """``--json``: one object per group, with its runs of versions."""
    for selection, ps in searched.selections:
        vids = selection.log.versions

        def render(path, key, runs, vids=vids):
            n, text = key
            obj: dict = {"path": _text(style.display(path))}
            if style.mode == COUNT:
                obj["count"] = n
            elif style.mode == LINES:
                if text is None:
                    obj["binary"] = True
                else:
                    obj["line"] = n if n >= 0 else None
                    obj["text"] = _text(text)
            obj["versions"] = sum(e - s for s, e in runs)
            obj["ranges"] = [{"first": vids[s], "last": vids[e - 1], "from": s + 1, "to": e}
                             for s, e in runs]
            return json.dumps(obj).encode() + b"\n"

        for line in _ordered(searched, style, selection, ps, render):
            write(line)
