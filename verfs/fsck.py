"""Checking a store: every object verified, every reference followed.

Each problem is one line naming the object (and the file it lives in); the check
never stops at the first one.  A missing object is reported with what refers to it.
"""

from collections.abc import Callable

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

from .patch.prims import Binary
from .patch.text import read_patch


def fsck(store: ObjectStore, roots: list[tuple[str, str]] = (),
         progress: Callable[[int], None] | None = None) -> list[str]:
    """Problems found in ``store``; ``roots`` are (version id, who names it) pairs
    that must exist (head, the reflog)."""
    present = {kind: set(store.iter_ids(kind)) for kind in KINDS}
    present[TREE].add(EMPTY_TREE_ID)
    present[BLOB].add(EMPTY_BLOB)
    problems: list[str] = []
    refs: list[tuple[str, str, str]] = []      # (kind, id, referrer)
    blob_sizes: dict[str, int] = {}
    dir_sizes: dict[str, int] = {}
    sized: list[tuple[str, str, int, str]] = []   # (kind, id, size, referrer)

    for kind in KINDS:
        for oid in sorted(present[kind]):
            if (kind, oid) in ((TREE, EMPTY_TREE_ID), (BLOB, EMPTY_BLOB)):
                dir_sizes[EMPTY_TREE_ID] = blob_sizes[EMPTY_BLOB] = 0
                continue
            try:
                data = store.get(kind, oid)
                _refs(kind, oid, data, refs, blob_sizes, dir_sizes, sized)
            except (StoreError, FormatError) as exc:
                where = store.where(kind, oid)
                msg = str(exc)
                if isinstance(exc, FormatError):
                    msg = f"corrupt {kind} {oid}{f' ({where})' if where else ''}: {exc}"
                problems.append(msg)
                present[kind].discard(oid)
                present[kind].add("!" + oid)       # exists but unusable
            if progress:
                progress(1)

    for vid, who in roots:
        refs.append((VERSION, vid, who))
    for kind, oid, who in refs:
        if oid not in present[kind] and "!" + oid not in present[kind]:
            problems.append(f"missing {kind} {oid} (named by {who})")
    for kind, oid, size, who in sized:
        table = blob_sizes if kind == BLOB else dir_sizes
        if oid in table and table[oid] != size:
            problems.append(f"wrong size for {kind} {oid} in {who}: says {size}, "
                            f"is {table[oid]}")
    return problems


def _refs(kind, oid, data, refs, blob_sizes, dir_sizes, sized) -> None:
    if kind == BLOB:
        blob_sizes[oid] = len(data)
    elif kind == TREE:
        tree = Tree.parse(data)
        dir_sizes[oid] = len(tree)
        for e in tree.entries:
            child = TREE if e.kind == DIR else BLOB
            refs.append((child, e.oid, f"tree {oid}"))
            sized.append((child, e.oid, e.size, f"tree {oid}"))
    elif kind == VERSION:
        v = Version.parse(data)
        refs.append((PATCH, v.patch, f"version {oid}"))
        if v.parent:
            refs.append((VERSION, v.parent, f"version {oid}"))
        if v.inventory:
            refs.append((INVENTORY, v.inventory, f"version {oid}"))
    elif kind == INVENTORY:
        inv = Inventory.parse(data)
        refs.append((TREE, inv.tree, f"inventory {oid}"))
        if inv.parent:
            refs.append((INVENTORY, inv.parent, f"inventory {oid}"))
        for _, rep in inv.patches:
            refs.append((PATCH, rep, f"inventory {oid}"))
    elif kind == PATCH:
        for p in read_patch(data).prims:
            if isinstance(p, Binary):
                refs.append((BLOB, p.old, f"patch {oid}"))
                refs.append((BLOB, p.new, f"patch {oid}"))


def count_objects(store: ObjectStore) -> int:
    return sum(1 for kind in KINDS for _ in store.iter_ids(kind))
