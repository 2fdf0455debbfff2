"""Diffs between two trees in git's format, so that ``git apply`` replays them.

Each differing path gets git's extended header: ``diff --git a/P b/P``, then
``new file mode``/``deleted file mode`` or ``old mode``/``new mode``, then
``index OLD..NEW [MODE]`` with git's blob ids (7 digits, or 40 with ``full_index``
and for binary files in ``binary`` output, as git apply requires there).  Symlinks
are mode 120000 with their target as content (no final newline); a file that becomes
a symlink or back is a deletion then a creation, as git splits it.  A file is binary
by git's rule (a NUL byte in its first 8000 bytes): ``Binary files ... differ``, or
with ``binary`` a ``GIT binary patch``.  Text hunks have three lines of context,
hunks closer than that merge, and each hunk header carries git's default function
line (the last line before the hunk starting with a letter, ``_`` or ``$``).  Paths
are quoted as git quotes them (core.quotepath on).

Renames (``find_renames``, git's ``-M``) are exact ones only: a deleted path whose
content (even empty; same kind) reappears at an added path, shown at the new path as
``similarity index 100%`` with ``rename from``/``rename to``; renames with edits stay
a deletion and a creation, which apply the same.  (Known gap: git apply refuses a
rename away from a path that becomes a directory in the same patch.)
Deliberately unlike git: where a change can be aligned several ways, the hunks may
differ from git's Myers diff with its indent heuristic (both apply); binary patches
are always ``literal`` (never ``delta``); directories that end up empty are not
shown (git tracks none).
"""

from collections.abc import Iterator

from store import EMPTY_TREE_ID, LINK, ObjectStore, TreeEntry

from .gitbinary import NULL_ID, binary_patch, blob_id
from .lines import differences
from .trees import entry_at
from .udiff import NO_NEWLINE, Pair, _pairs, _walk

CONTEXT = 3
FUNC_BYTES = 80
LINK_MODE, EXEC_MODE, FILE_MODE = 0o120000, 0o100755, 0o100644
_ESCAPES = {7: b"a", 8: b"b", 9: b"t", 10: b"n", 11: b"v", 12: b"f", 13: b"r",
            0x22: b'"', 0x5C: b"\\"}

Side = tuple[int, bytes] | None     # (mode, content), None where the path is absent


def is_binary(data: bytes) -> bool:
    """Git's rule (xdiff's buffer_is_binary): a NUL byte in the first 8000 bytes."""
    return b"\0" in data[:8000]


def quote(name: bytes) -> bytes:
    """``name`` as git writes a path: as it is, or C-quoted if it holds a control
    character, a quote, a backslash or a byte above 0x7f."""
    if not any(c < 0x20 or c >= 0x7F or c in (0x22, 0x5C) for c in name):
        return name
    out = bytearray(b'"')
    for c in name:
        if c in _ESCAPES:
            out += b"\\" + _ESCAPES[c]
        elif c < 0x20 or c >= 0x7F:
            out += b"\\%03o" % c
        else:
            out.append(c)
    return bytes(out + b'"')


def split_lines(data: bytes) -> list[bytes]:
    """Lines as git counts them: split after each ``\\n`` only."""
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    return lines + [parts[-1]] if parts[-1] else lines


def _range(start: int, count: int) -> bytes:
    if count == 1:
        return b"%d" % (start + 1)
    return b"%d,%d" % (start + 1 if count else start, count)


def _func_line(lines: list[bytes], before: int) -> bytes:
    for i in range(before - 1, -1, -1):
        line = lines[i]
        if line[:1].isalpha() or line[:1] in (b"_", b"$"):     # ASCII only, as git
            return b" " + line[:FUNC_BYTES].rstrip(b" \t\n\v\f\r")
    return b""


def _emit(out: list[bytes], mark: bytes, lines: list[bytes]) -> None:
    for line in lines:
        out.append(mark + line if line.endswith(b"\n") else mark + line + b"\n" + NO_NEWLINE)


def hunks(old: bytes, new: bytes) -> Iterator[bytes]:
    """The ``@@`` hunks turning ``old`` into ``new``, with their lines."""
    a, b = split_lines(old), split_lines(new)
    regions = differences(a, b)
    groups: list[list[tuple[int, int, int, int]]] = []
    for r in regions:
        if groups and r[0] - groups[-1][-1][1] <= 2 * CONTEXT:
            groups[-1].append(r)
        else:
            groups.append([r])
    for group in groups:
        first, last = group[0], group[-1]
        a0 = max(0, first[0] - CONTEXT)
        a1 = min(len(a), last[1] + CONTEXT)
        b0, b1 = first[2] - (first[0] - a0), last[3] + (a1 - last[1])
        out = [b"@@ -%s +%s @@%s\n" % (_range(a0, a1 - a0), _range(b0, b1 - b0),
                                       _func_line(a, a0))]
        at = a0
        for i1, i2, j1, j2 in group:
            _emit(out, b" ", a[at:i1])
            _emit(out, b"-", a[i1:i2])
            _emit(out, b"+", b[j1:j2])
            at = i2
        _emit(out, b" ", a[at:a1])
        yield b"".join(out)


def rename_section(src: bytes, dst: bytes, old: Side, new: Side) -> bytes:
    """An exact rename: same content, perhaps another mode."""
    out = [b"diff --git %s %s\n" % (quote(b"a/" + src), quote(b"b/" + dst))]
    if old[0] != new[0]:
        out.append(b"old mode %06o\nnew mode %06o\n" % (old[0], new[0]))
    out.append(b"similarity index 100%%\nrename from %s\nrename to %s\n"
               % (quote(src), quote(dst)))
    return b"".join(out)


def file_section(path: bytes, old: Side, new: Side, binary: bool = False,
                 full_index: bool = False) -> bytes:
    """One path's section of a git diff; b"" if nothing differs."""
    if old == new:
        return b""
    a_name, b_name = quote(b"a/" + path), quote(b"b/" + path)
    out = [b"diff --git %s %s\n" % (a_name, b_name)]
    if old is None:
        out.append(b"new file mode %06o\n" % new[0])
    elif new is None:
        out.append(b"deleted file mode %06o\n" % old[0])
    elif old[0] != new[0]:
        out.append(b"old mode %06o\nnew mode %06o\n" % (old[0], new[0]))
    a_data = old[1] if old is not None else b""
    b_data = new[1] if new is not None else b""
    if old is not None and new is not None and a_data == b_data:
        return b"".join(out)
    bin_ = is_binary(a_data) or is_binary(b_data)
    digits = 40 if full_index or (binary and bin_) else 7
    ids = [blob_id(d)[:digits] if s is not None else NULL_ID[:digits]
           for s, d in ((old, a_data), (new, b_data))]
    same_mode = b" %06o" % old[0] if old is not None and new is not None and \
        old[0] == new[0] else b""
    out.append(b"index %s..%s%s\n" % (ids[0].encode(), ids[1].encode(), same_mode))
    a_label = a_name if old is not None else b"/dev/null"
    b_label = b_name if new is not None else b"/dev/null"
    if bin_:
        if binary:
            out.append(binary_patch(a_data, b_data))
        else:
            out.append(b"Binary files %s and %s differ\n" % (a_label, b_label))
        return b"".join(out)
    if a_data == b_data:        # an empty file created or deleted: header only
        return b"".join(out)
    tab = b"\t" if b" " in path else b""
    out.append(b"--- %s%s\n+++ %s%s\n" % (a_label, tab, b_label, tab))
    out.extend(hunks(a_data, b_data))
    return b"".join(out)


def _side(store: ObjectStore, e) -> Side:
    if e is None:
        return None
    mode = LINK_MODE if e.kind == LINK else EXEC_MODE if e.exec else FILE_MODE
    return mode, store.get_blob(e.oid)


def _sorted_pairs(pairs: Iterator[Pair]) -> list[Pair]:
    """Git's order: by the whole path's bytes (``a.txt`` before ``a/x``)."""
    return sorted(pairs, key=lambda p: p[0].encode("utf-8", "surrogateescape"))


def _exact_renames(pairs: list[Pair]) -> dict[str, tuple[str, TreeEntry]]:
    """{new path: (old path, its entry)} of exact renames, as git's -M pairs them: for each added
    path in order, an unused deleted path of the same kind and blob, one with the same
    base name first, else the first by path."""
    gone: dict[tuple, list[tuple[str, TreeEntry]]] = {}
    for path, ea, eb in pairs:
        if eb is None and ea is not None:
            gone.setdefault((ea.kind == LINK, ea.oid), []).append((path, ea))
    found: dict[str, tuple[str, TreeEntry]] = {}
    for path, ea, eb in pairs:
        if ea is None and eb is not None:
            # never into its own old path's place below it: git apply cannot
            sources = [s for s in gone.get((eb.kind == LINK, eb.oid), [])
                       if not path.startswith(s[0] + "/")]
            if sources:
                base = path.rpartition("/")[2]
                same = [s for s in sources if s[0].rpartition("/")[2] == base]
                src = (same or sources)[0]
                gone[(eb.kind == LINK, eb.oid)].remove(src)
                found[path] = src
    return found


def tree_diff(store: ObjectStore, a: str, b: str, under: str = "", binary: bool = False,
              full_index: bool = False, find_renames: bool = False) -> Iterator[bytes]:
    """The git diff of root trees ``a`` and ``b``, or of what is at the path ``under``
    in them (a directory, a file or a link, on either side)."""
    if under:
        pairs = _pairs(store, under, entry_at(store, a, under), entry_at(store, b, under))
    else:
        pairs = _walk(store, a or EMPTY_TREE_ID, b or EMPTY_TREE_ID, "")
    pairs = _sorted_pairs(pairs)
    renames = _exact_renames(pairs) if find_renames else {}
    moved = {src for src, _ in renames.values()}
    for path, ea, eb in pairs:
        name = path.encode("utf-8", "surrogateescape")
        if path in moved and eb is None:
            continue
        if path in renames and ea is None:
            src, e_src = renames[path]
            yield rename_section(src.encode("utf-8", "surrogateescape"), name,
                                 _side(store, e_src), _side(store, eb))
            continue
        old, new = _side(store, ea), _side(store, eb)
        if old is not None and new is not None and (old[0] == LINK_MODE) != \
                (new[0] == LINK_MODE):
            yield file_section(name, old, None, binary, full_index)
            yield file_section(name, None, new, binary, full_index)
        else:
            yield file_section(name, old, new, binary, full_index)
