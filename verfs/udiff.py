"""Unified diffs between two trees, in the format of ``diff -ruN``.

Files missing on one side count as empty (``-N``); binary files are announced, not
shown; a last line without a newline is marked as GNU diff marks it.  The output
applies with ``patch -p1``.
"""

import difflib
from collections.abc import Iterator
from datetime import datetime

from store import DIR, EMPTY_TREE_ID, LINK, ObjectStore, TreeEntry

from .diff import is_binary

EPOCH = "1970-01-01 00:00:00.000000000 +0000"
NO_NEWLINE = b"\\ No newline at end of file\n"


def stamp(moment: datetime | None) -> str:
    if moment is None:
        return EPOCH
    return moment.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000")


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def file_diff(a_label: str, b_label: str, a: bytes | None, b: bytes | None,
              a_time: str, b_time: str) -> bytes:
    """One file's section: the ``diff -ruN`` line and its hunks (nothing if equal)."""
    if a == b:
        return b""
    head = b"diff -ruN %s %s\n" % (_b(a_label), _b(b_label))
    if is_binary(a or b"") or is_binary(b or b""):
        return head + b"Binary files %s and %s differ\n" % (_b(a_label), _b(b_label))
    out = [head]
    for line in difflib.diff_bytes(
            difflib.unified_diff, _lines(a or b""), _lines(b or b""),
            _b(a_label), _b(b_label), _b(a_time if a is not None else EPOCH),
            _b(b_time if b is not None else EPOCH)):
        if line.endswith(b"\n"):
            out.append(line)
        else:
            out.append(line + b"\n" + NO_NEWLINE)
    return b"".join(out)


def _walk(store: ObjectStore, a: str, b: str, path: str) -> Iterator[tuple[str, TreeEntry | None,
                                                                           TreeEntry | None]]:
    """Pairs of differing non-directory entries, in sorted path order."""
    if a == b:
        return
    ta = store.get_tree(a).by_name
    tb = store.get_tree(b).by_name
    for name in sorted(ta.keys() | tb.keys(), key=_b):
        ea, eb = ta.get(name), tb.get(name)
        if ea == eb:
            continue
        p = f"{path}/{name}" if path else name
        da = ea.oid if ea is not None and ea.kind == DIR else None
        db = eb.oid if eb is not None and eb.kind == DIR else None
        if da or db:
            if ea is not None and not da:
                yield p, ea, None
            yield from _walk(store, da or EMPTY_TREE_ID, db or EMPTY_TREE_ID, p)
            if eb is not None and not db:
                yield p, None, eb
        else:
            yield p, ea, eb


def tree_diff(store: ObjectStore, a: str, b: str, a_name: str, b_name: str,
              a_time: str = EPOCH, b_time: str = EPOCH, under: str = "") -> Iterator[bytes]:
    """The ``diff -ruN`` of root trees ``a`` and ``b`` (or of the subtree ``under``)."""
    for path, ea, eb in _walk(store, a, b, under):
        la, lb = f"{a_name}/{path}", f"{b_name}/{path}"
        if ea is not None and eb is not None and ea.kind == eb.kind == LINK:
            yield b"Symbolic links %s and %s differ\n" % (_b(la), _b(lb))
            continue
        da = store.get_blob(ea.oid) if ea is not None else None
        db = store.get_blob(eb.oid) if eb is not None else None
        yield file_diff(la, lb, da, db, a_time, b_time)
