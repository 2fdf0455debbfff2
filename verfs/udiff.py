"""Unified diffs between two trees, in the format of ``diff -ruN``.

Files missing on one side count as empty (``-N``); binary files are announced, not
shown; a last line without a newline is marked as GNU diff marks it.  A change of the
executable bit is shown as git shows it, ``old mode 100644`` and ``new mode 100755``
after the ``diff`` line (``patch`` skips them as it skips any text before ``---``).
The output applies with ``patch -p1``.
"""

import difflib
from collections.abc import Iterator

from store import DIR, EMPTY_TREE_ID, LINK, ObjectStore, TreeEntry

from .dates import EPOCH
from .diff import is_binary
from .trees import entry_at

NO_NEWLINE = b"\\ No newline at end of file\n"


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def _mode(exec_bit: bool) -> int:
    return 0o100755 if exec_bit else 0o100644


def file_diff(a_label: str, b_label: str, a: bytes | None, b: bytes | None,
              a_time: str, b_time: str, modes: tuple[int, int] | None = None) -> bytes:
    """One file's section: the ``diff -ruN`` line, git's mode lines when ``modes``
    (old, new) differ, and its hunks (nothing if all is equal)."""
    mode = b"" if modes is None or modes[0] == modes[1] else \
        b"old mode %o\nnew mode %o\n" % modes
    if a == b and not mode:
        return b""
    head = b"diff -ruN %s %s\n" % (_b(a_label), _b(b_label)) + mode
    if a == b:
        return head
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


Pair = tuple[str, TreeEntry | None, TreeEntry | None]


def _pairs(store: ObjectStore, path: str, ea: TreeEntry | None,
           eb: TreeEntry | None) -> Iterator[Pair]:
    """Pairs of differing non-directory entries at and under ``path``, sorted."""
    if ea == eb:
        return
    da = ea.oid if ea is not None and ea.kind == DIR else None
    db = eb.oid if eb is not None and eb.kind == DIR else None
    if da or db:
        if ea is not None and not da:
            yield path, ea, None
        yield from _walk(store, da or EMPTY_TREE_ID, db or EMPTY_TREE_ID, path)
        if eb is not None and not db:
            yield path, None, eb
    else:
        yield path, ea, eb


def _walk(store: ObjectStore, a: str, b: str, path: str) -> Iterator[Pair]:
    """Pairs of differing non-directory entries of trees ``a`` and ``b``, sorted."""
    if a == b:
        return
    ta = store.get_tree(a).by_name
    tb = store.get_tree(b).by_name
    for name in sorted(ta.keys() | tb.keys(), key=_b):
        yield from _pairs(store, f"{path}/{name}" if path else name, ta.get(name), tb.get(name))


def tree_diff(store: ObjectStore, a: str, b: str, a_name: str, b_name: str,
              a_time: str = EPOCH, b_time: str = EPOCH, under: str = "") -> Iterator[bytes]:
    """The ``diff -ruN`` of root trees ``a`` and ``b``, or of what is at the path
    ``under`` in them: a directory, a file or a link (on either side)."""
    if under:
        pairs = _pairs(store, under, entry_at(store, a, under), entry_at(store, b, under))
    else:
        pairs = _walk(store, a, b, "")
    for path, ea, eb in pairs:
        la, lb = f"{a_name}/{path}", f"{b_name}/{path}"
        if ea is not None and eb is not None and ea.kind == eb.kind == LINK:
            yield b"Symbolic links %s and %s differ\n" % (_b(la), _b(lb))
            continue
        da = store.get_blob(ea.oid) if ea is not None else None
        db = store.get_blob(eb.oid) if eb is not None else None
        modes = (_mode(ea.exec), _mode(eb.exec)) if ea is not None and eb is not None else None
        yield file_diff(la, lb, da, db, a_time, b_time, modes)
