"""From two trees to the prims that turn one into the other.

``tree_prims`` compares two root trees (skipping every subtree whose id is equal),
detects moves — whole directories whose tree id reappears elsewhere, and files whose
content does — and orders the resulting changes so that each prim applies to the
state the previous ones left: a small simulation over the touched paths picks, pass
after pass, every change whose preconditions hold.  Should moves ever tie themselves
in a knot (a swap), it plans again without moves, which always succeeds.

Text files become line hunks (darcs's line model: content split on ``\\n``); a file
with a NUL byte or that is not valid UTF-8 becomes a ``binary`` prim.
"""

from dataclasses import dataclass, field

from store import DIR, EMPTY_BLOB, FILE, LINK, ObjectStore, TreeEntry

from .lines import differences
from .patch.prims import (
    AddDir,
    AddFile,
    AddLink,
    Binary,
    Chmod,
    Hunk,
    Move,
    Prim,
    RmDir,
    RmFile,
    RmLink,
)


def is_binary(data: bytes) -> bool:
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def line_hunks(path: str, old: bytes, new: bytes) -> list[Hunk]:
    """Hunks turning ``old`` into ``new``, top to bottom; each line number counts in
    the file as the hunks before it left it."""
    a, b = old.split(b"\n"), new.split(b"\n")
    return [Hunk(path, j1 + 1, tuple(a[i1:i2]), tuple(b[j1:j2]))
            for i1, i2, j1, j2 in differences(a, b)]


def content_prims(store: ObjectStore, path: str, old: str, new: str) -> list[Prim]:
    """Prims changing a file's content from blob ``old`` to blob ``new``."""
    if old == new:
        return []
    old_data, new_data = store.get_blob(old), store.get_blob(new)
    if is_binary(old_data) or is_binary(new_data):
        return [Binary(path, old, new)]
    return line_hunks(path, old_data, new_data)


def _link_target(store: ObjectStore, e: TreeEntry) -> str:
    return store.get_blob(e.oid).decode("utf-8", "surrogateescape")


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _depth(path: str) -> int:
    return path.count("/")


@dataclass
class _Changes:
    gone: dict[str, TreeEntry] = field(default_factory=dict)       # only in the old tree
    new: dict[str, TreeEntry] = field(default_factory=dict)        # only in the new tree
    changed: dict[str, tuple[TreeEntry, TreeEntry]] = field(default_factory=dict)


def _compare(store: ObjectStore, old: str, new: str, base: str, out: _Changes) -> None:
    if old == new:
        return
    a = store.get_tree(old).by_name if old else {}
    b = store.get_tree(new).by_name if new else {}
    for name in a.keys() | b.keys():
        ea, eb = a.get(name), b.get(name)
        path = _join(base, name)
        if ea is not None and eb is not None and ea.kind == eb.kind:
            if ea.kind == DIR:
                _compare(store, ea.oid, eb.oid, path, out)
            elif ea.kind == FILE and (ea.oid != eb.oid or ea.exec != eb.exec):
                out.changed[path] = (ea, eb)
            elif ea.kind == LINK and ea.oid != eb.oid:
                out.gone[path], out.new[path] = ea, eb
            continue
        if ea is not None:
            out.gone[path] = ea
            if ea.kind == DIR:
                _compare(store, ea.oid, "", path, out)
        if eb is not None:
            out.new[path] = eb
            if eb.kind == DIR:
                _compare(store, "", eb.oid, path, out)


def _under(path: str, d: str) -> bool:
    return path.startswith(d + "/")


def _find_moves(ch: _Changes, groups=({DIR}, {FILE, LINK})) -> list[tuple[str, str, str]]:
    """Directories whose (non-empty) tree reappears, then files and links whose
    (non-empty) content does; deterministic, shallowest and then by path."""
    moves: list[tuple[str, str, str]] = []

    def pair(kinds) -> None:
        wanted: dict[tuple, list[str]] = {}
        for path in sorted(ch.new, key=lambda p: (_depth(p), p)):
            e = ch.new[path]
            if e.kind in kinds and e.oid != EMPTY_BLOB and e.size and path not in ch.gone:
                wanted.setdefault((e.kind, e.oid, e.exec), []).append(path)
        for src in sorted(ch.gone, key=lambda p: (_depth(p), p)):
            e = ch.gone.get(src)
            if e is None or e.kind not in kinds or src in ch.new:
                continue
            candidates = wanted.get((e.kind, e.oid, e.exec), [])
            while candidates and candidates[0] not in ch.new:
                candidates.pop(0)       # inside a directory already paired
            if not candidates:
                continue
            dst = candidates.pop(0)
            moves.append((src, dst, e.kind))
            del ch.gone[src], ch.new[dst]
            if e.kind == DIR:
                for p in [p for p in ch.gone if _under(p, src)]:
                    del ch.gone[p]
                for p in [p for p in ch.new if _under(p, dst)]:
                    del ch.new[p]

    for kinds in groups:
        pair(kinds)
    return moves


class _Plan:
    """Order the changes by simulating which paths exist."""

    def __init__(self, store: ObjectStore, ch: _Changes, moves):
        self.store = store
        self.exists: dict[str, str | None] = {p: e.kind for p, e in ch.gone.items()}
        for p in ch.new:
            self.exists.setdefault(p, None)
        for s, d, kind in moves:
            self.exists[s] = kind
            self.exists.setdefault(d, None)
        self.children: dict[str, int] = {}
        for p, kind in self.exists.items():
            if kind is not None:
                self.children[_parent(p)] = self.children.get(_parent(p), 0) + 1
        self.ch = ch
        self.moves = moves

    def _has(self, path: str) -> bool:
        if path == "":
            return True
        if path in self.exists:
            return self.exists[path] is not None
        return True     # a directory in both trees: always there

    def _set(self, path: str, kind: str | None) -> None:
        before = self.exists.get(path) is not None
        self.exists[path] = kind
        delta = (kind is not None) - before
        if delta:
            self.children[_parent(path)] = self.children.get(_parent(path), 0) + delta

    def plan(self) -> list[Prim] | None:
        ch, store = self.ch, self.store
        pending: list[tuple] = []
        for p in sorted(ch.gone, key=lambda p: (-_depth(p), p)):
            if ch.gone[p].kind != DIR:
                pending.append(("rm", p))
        for s, d, _ in self.moves:
            pending.append(("mv", s, d))
        for p in sorted(ch.gone, key=lambda p: (-_depth(p), p)):
            if ch.gone[p].kind == DIR:
                pending.append(("rmdir", p))
        for p in sorted(ch.new, key=lambda p: (_depth(p), p)):
            pending.append(("add", p))
        out: list[Prim] = []
        while pending:
            left = []
            for op in pending:
                if self._ready(op):
                    out.extend(self._do(op))
                else:
                    left.append(op)
            if len(left) == len(pending):
                return None
            pending = left
        for p in sorted(ch.changed):
            ea, eb = ch.changed[p]
            out.extend(content_prims(store, p, ea.oid, eb.oid))
            if ea.exec != eb.exec:
                out.append(Chmod(p, eb.exec))
        return out

    def _ready(self, op) -> bool:
        match op:
            case ("rm", _):
                return True
            case ("mv", _, d):
                return not self._has(d) and self._has(_parent(d))
            case ("rmdir", p):
                return self.children.get(p, 0) == 0
            case ("add", p):
                return not self._has(p) and self._has(_parent(p))
        raise AssertionError(op)

    def _do(self, op) -> list[Prim]:
        store = self.store
        match op:
            case ("rm", p):
                e = self.ch.gone[p]
                self._set(p, None)
                if e.kind == LINK:
                    return [RmLink(p, _link_target(store, e))]
                prims = content_prims(store, p, e.oid, EMPTY_BLOB)
                if e.exec:
                    prims.append(Chmod(p, False))
                return [*prims, RmFile(p)]
            case ("mv", s, d):
                kind = self.exists[s]
                self._set(s, None)
                self._set(d, kind)
                return [Move(s, d)]
            case ("rmdir", p):
                self._set(p, None)
                return [RmDir(p)]
            case ("add", p):
                e = self.ch.new[p]
                self._set(p, e.kind)
                if e.kind == DIR:
                    return [AddDir(p)]
                if e.kind == LINK:
                    return [AddLink(p, _link_target(store, e))]
                prims = [AddFile(p), *content_prims(store, p, EMPTY_BLOB, e.oid)]
                if e.exec:
                    prims.append(Chmod(p, True))
                return prims
        raise AssertionError(op)


def _take_renames(ch: _Changes, renames) -> list[tuple[str, str, str]]:
    """Use renames found elsewhere (git's detection): each (src, dst) of files becomes
    a move, and dst's remaining change in content or exec bit follows it."""
    moves = []
    for src, dst in renames:
        a, b = ch.gone.get(src), ch.new.get(dst)
        if a is None or b is None or a.kind != FILE or b.kind != FILE or src in ch.new \
                or dst in ch.gone:
            continue
        del ch.gone[src], ch.new[dst]
        moves.append((src, dst, FILE))
        if a.oid != b.oid or a.exec != b.exec:
            ch.changed[dst] = (a, b)
    return moves


def tree_prims(store: ObjectStore, old: str, new: str, moves: bool = True,
               renames: list[tuple[str, str]] = ()) -> list[Prim]:
    """Prims that turn root tree ``old`` into root tree ``new``.  ``renames`` are
    (old path, new path) pairs of files known to be renamed, perhaps with edits."""
    if moves:
        ch = _Changes()
        _compare(store, old, new, "", ch)
        # Whole directories first: a directory's move takes the renames git reports
        # for each of its files with it (they would move what is no longer there).
        found = _find_moves(ch, [{DIR}])
        found += _take_renames(ch, renames)
        found += _find_moves(ch, [{FILE, LINK}])
        if found:
            prims = _Plan(store, ch, found).plan()
            if prims is not None:
                return prims
    ch = _Changes()
    _compare(store, old, new, "", ch)
    prims = _Plan(store, ch, []).plan()
    assert prims is not None, "a plan without moves always exists"
    return prims
