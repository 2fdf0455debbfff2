"""Each path's own history along a chain of versions: where its content changed.

A *path log* of the chain ending at a version lists the chain's versions (oldest
first, index 0 the first patch's) and, for every path that ever existed on it, the
changes of that path: at which index it took which content (a file's or a link's
blob id, a directory), or went away.  It is what ``verfs log PATH``, the mount's
``files/`` and ``verfs grep`` (which searches each distinct blob once and maps its
matches back to the versions holding it) are made of.

It is found by a Merkle diff of each version's root with its parent's, descending
only into subtrees that differ: the cost is in what changed, not in the tree's size.

Derived data: lost with ``cache/``, it is made again from the versions' roots.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from store import DIR, EMPTY_TREE_ID, ObjectStore

from .history import History


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
class PathLog:
    """The path log of one chain: ``versions`` oldest first, ``paths`` every path that
    ever existed on it → its changes, in index order (the first one is never a
    going-away)."""

    versions: list[str]
    paths: dict[str, list[Change]]
    _children: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def tip(self) -> str | None:
        return self.versions[-1] if self.versions else None

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


def tree_changes(states: ObjectStore, old: str, new: str
                 ) -> list[tuple[str, str | None, str | None, bool]]:
    """``(path, kind, oid, exec)`` for every path whose entry differs between root trees
    ``old`` and ``new`` (kind None: gone; oid None for directories).  Descends only into
    subtrees that differ; everything under an added directory is listed as added, and
    everything under a removed one as gone, deepest first."""
    out: list[tuple[str, str | None, str | None, bool]] = []

    def walk(prefix: str, a: str | None, b: str | None) -> None:
        before = {e.name: e for e in states.get_tree(a).entries} if a else {}
        after = {e.name: e for e in states.get_tree(b).entries} if b else {}
        for name in sorted(before.keys() | after.keys()):
            x, y = before.get(name), after.get(name)
            path = prefix + name
            if x is not None and y is not None and (x.kind, x.oid, x.exec) == (
                    y.kind, y.oid, y.exec):
                continue
            xd = x is not None and x.kind == DIR
            yd = y is not None and y.kind == DIR
            if xd and not yd:
                walk(path + "/", x.oid, None)
            if y is None:
                out.append((path, None, None, False))
            elif yd:
                if not xd:
                    out.append((path, DIR, None, False))
                walk(path + "/", x.oid if xd else None, y.oid)
            else:
                out.append((path, y.kind, y.oid, y.exec))

    if old != new:
        walk("", old if old != EMPTY_TREE_ID else None, new if new != EMPTY_TREE_ID else None)
    return out


def build(history: History, tip: str | None) -> PathLog:
    """The path log of the chain ending at ``tip``, made from scratch (reference
    implementation: every version's root against its parent's)."""
    vids = [s for s in history._vids(tip)][::-1]
    paths: dict[str, list[Change]] = {}
    prev = EMPTY_TREE_ID
    for i, vid in enumerate(vids):
        root = history.root_tree(vid)
        for path, kind, oid, exe in tree_changes(history.states, prev, root):
            paths.setdefault(path, []).append(Change(i, kind, oid, exe))
        prev = root
    return PathLog(vids, paths)


def path_log(history: History, tip: str | None) -> PathLog:
    """The path log of the chain ending at ``tip`` (None: the empty one), from the
    derived cache when it is there, extended by what is new, else made."""
    return build(history, tip)


def update(history: History, tip: str | None) -> None:
    """Bring the kept path logs up to ``tip``'s chain (after an import or a record)."""
