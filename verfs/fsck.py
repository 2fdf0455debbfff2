"""Checking a store: every object verified, every reference followed.

Each problem is one line naming the object (and the file it lives in); the check
never stops at the first one.  A missing object is reported with what refers to it.
The derived objects (the trees and blobs of states, in the cache area) are verified
too; a reference to a derived object that is absent is no problem, since it can be
rebuilt — only one that is present and corrupt is.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from store import (
    BLOB,
    DIR,
    EMPTY_BLOB,
    EMPTY_TREE_ID,
    INVENTORY,
    KINDS,
    PATCH,
    TREE,
    VERSION,
    Inventory,
    ObjectStore,
    Tree,
    Version,
)
from store.errors import FormatError, StoreError

from .errors import DamagedRepository
from .patch.prims import Binary
from .patch.text import read_patch

DERIVED_KINDS = (TREE, BLOB)


@dataclass
class _Check:
    present: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    problems: list[str] = field(default_factory=list)
    refs: list[tuple[str, str, str, bool]] = field(default_factory=list)  # kind id who must
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    sized: list[tuple[str, str, int, str]] = field(default_factory=list)

    def ref(self, kind: str, oid: str, who: str, required: bool = True) -> None:
        self.refs.append((kind, oid, who, required))


def count_objects(store: ObjectStore, derived: ObjectStore | None = None) -> int:
    n = sum(1 for kind in KINDS for _ in store.iter_ids(kind))
    if derived is not None:
        n += sum(1 for kind in DERIVED_KINDS for _ in derived.iter_ids(kind))
    return n


def fsck(store: ObjectStore, roots: list[tuple[str, str]] = (),
         progress: Callable[[int], None] | None = None,
         derived: ObjectStore | None = None) -> list[str]:
    """Problems found in ``store`` (and the ``derived`` store of states, if given);
    ``roots`` are (version id, who names it) pairs that must exist (head, reflog)."""
    c = _Check()
    c.present[TREE].add(EMPTY_TREE_ID)
    c.present[BLOB].add(EMPTY_BLOB)
    c.sizes[(TREE, EMPTY_TREE_ID)] = c.sizes[(BLOB, EMPTY_BLOB)] = 0
    areas = [(store, KINDS, "")]
    if derived is not None:
        areas.append((derived, DERIVED_KINDS, "derived "))
    for area, kinds, label in areas:
        hint = " (delete the store's cache/ to rebuild it)" if label else ""
        c.problems += [p + hint for p in area.storage_problems()]
        for kind in kinds:
            for oid in area.iter_ids(kind):
                c.present[kind].add(oid)
                try:
                    _refs(kind, oid, area.get(kind, oid), c, required=not label)
                except (StoreError, FormatError) as exc:
                    where = area.where(kind, oid)
                    why = exc.why if hasattr(exc, "why") else str(exc)
                    c.problems.append(f"corrupt {label}{kind} {oid}"
                                      f"{f' ({where})' if where else ''}: {why}{hint}")
                if progress:
                    progress(1)
    for vid, who in roots:
        c.ref(VERSION, vid, who)
    for kind, oid, who, required in c.refs:
        if required and oid not in c.present[kind]:
            c.problems.append(f"missing {kind} {oid} (named by {who})")
    for kind, oid, size, who in c.sized:
        real = c.sizes.get((kind, oid))
        if real is not None and real != size:
            c.problems.append(f"wrong size for {kind} {oid} in {who}: says {size}, is {real}")
    return c.problems


def _refs(kind: str, oid: str, data: bytes, c: _Check, required: bool) -> None:
    if kind == BLOB:
        c.sizes[(BLOB, oid)] = len(data)
    elif kind == TREE:
        tree = Tree.parse(data)
        c.sizes[(TREE, oid)] = len(tree)
        for e in tree.entries:
            child = TREE if e.kind == DIR else BLOB
            c.ref(child, e.oid, f"tree {oid}", required)
            c.sized.append((child, e.oid, e.size, f"tree {oid}"))
    elif kind == VERSION:
        v = Version.parse(data)
        c.ref(PATCH, v.patch, f"version {oid}")
        if v.parent:
            c.ref(VERSION, v.parent, f"version {oid}")
        if v.inventory:
            c.ref(INVENTORY, v.inventory, f"version {oid}")
    elif kind == INVENTORY:
        inv = Inventory.parse(data)
        c.ref(TREE, inv.tree, f"inventory {oid}", required=False)   # derived: rebuildable
        if inv.parent:
            c.ref(INVENTORY, inv.parent, f"inventory {oid}")
        for _, rep in inv.patches:
            c.ref(PATCH, rep, f"inventory {oid}")
    elif kind == PATCH:
        for p in read_patch(data).prims:
            if isinstance(p, Binary):
                c.ref(BLOB, p.old, f"patch {oid}")
                c.ref(BLOB, p.new, f"patch {oid}")


def head_and_reflog(repo) -> tuple[list[tuple[str, str]], list[str]]:
    """The roots ``fsck`` must find (the version head names, and every version of the
    reflog), and the problems of head and the reflog themselves: a damaged head (with
    the way back), a reflog line that is no entry.  Read strictly, never quoted whole:
    a head that is a link to some other file is named as a link, not shown."""
    roots: list[tuple[str, str]] = []
    problems: list[str] = []
    try:
        head = repo.head()
    except DamagedRepository as exc:
        problems.append(str(exc))
    else:
        if head:
            roots.append((head, "head"))
    try:
        roots += [(e.vid, "the reflog") for e in repo.reflog() if e.vid]
        problems += repo.reflog_problems()
    except DamagedRepository as exc:
        problems.append(str(exc))
    return roots, problems
