"""Checking a store: every object verified, every reference followed.

Each problem is one line naming the object (and the file it lives in); the check
never stops at the first one.  A missing object is reported with what refers to it.

What the history names durably — versions, patches, inventories and the blobs that
binary prims name — must be in the store proper *alone*: the derived store (the trees
and blobs of states, in ``cache/``) may hold a hard link to the same plain blob, but
``cache/`` may be deleted at any time, so a copy there does not count.  The derived
objects are verified too, and the derived cache's entries (each checks itself): one
that is present and corrupt is a problem; one that is absent is only a note (derived,
rebuilt when next needed), never an error.
"""

import os
import tempfile
from collections import defaultdict
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
from store.disk import DiskStore
from store.diskcache import DiskCache
from store.errors import FormatError, ObjectNotFound, StoreError
from store.layered import LayeredStore
from store.staging import Staging, clean_abandoned

from . import heads
from .errors import DamagedRepository, VerfsError
from .history import ROOTS, History
from .patch.apply import apply_prims
from .patch.prims import Binary, paths
from .patch.text import read_patch
from .repo import DOTDIR
from .testhook import pause
from .trees import TreeEditor

DERIVED_KINDS = (TREE, BLOB)


NOTES_SHOWN = 20                # notes about absent derived objects named one by one
HINT = " (delete the store's cache/ to rebuild it)"


@dataclass
class _Check:
    present: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    derived: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    problems: list[str] = field(default_factory=list)
    refs: list[tuple[str, str, str, bool]] = field(default_factory=list)  # kind id who must
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    sized: list[tuple[str, str, int, str]] = field(default_factory=list)
    dotdirs: dict[str, str] = field(default_factory=dict)   # patch → a .verfs path in it

    def ref(self, kind: str, oid: str, who: str, required: bool = True) -> None:
        self.refs.append((kind, oid, who, required))


def count_objects(store: ObjectStore, derived: ObjectStore | None = None) -> int:
    n = sum(1 for kind in KINDS for _ in store.iter_ids(kind))
    if derived is not None:
        n += sum(1 for kind in DERIVED_KINDS for _ in derived.iter_ids(kind))
    return n


def fsck(store: ObjectStore, roots: list[tuple[str, str]] = (),
         progress: Callable[[int], None] | None = None,
         derived: ObjectStore | None = None, cache: DiskCache | None = None,
         notes: list[str] | None = None) -> list[str]:
    """Problems found in ``store`` (and the ``derived`` store of states and the
    derived ``cache``'s entries, if given); ``roots`` are (version id, who names it)
    pairs that must exist (head, reflog).  Absent derived objects are added to
    ``notes``: they are no problem."""
    c = _Check()
    for present in (c.present, c.derived):
        present[TREE].add(EMPTY_TREE_ID)
        present[BLOB].add(EMPTY_BLOB)
    c.sizes[(TREE, EMPTY_TREE_ID)] = c.sizes[(BLOB, EMPTY_BLOB)] = 0
    areas = [(store, KINDS, "", c.present)]
    if derived is not None:
        areas.append((derived, DERIVED_KINDS, "derived ", c.derived))
    for area, kinds, label, present in areas:
        hint = HINT if label else ""
        c.problems += [p + hint for p in area.storage_problems()]
        for kind in kinds:
            for oid in area.iter_ids(kind):
                present[kind].add(oid)
                try:
                    _refs(kind, oid, area.get(kind, oid), c, required=not label)
                except (StoreError, FormatError) as exc:
                    where = area.where(kind, oid)
                    why = exc.why if hasattr(exc, "why") else str(exc)
                    c.problems.append(f"corrupt {label}{kind} {oid}"
                                      f"{f' ({where})' if where else ''}: {why}{hint}")
                if progress:
                    progress(1)
    if cache is not None:
        _entries(cache, c)
    for vid, who in roots:
        c.ref(VERSION, vid, who)
    absent = []
    for kind, oid, who, required in c.refs:
        if oid in c.present[kind]:
            continue
        if required:
            held = " (only the derived cache/ holds it)" if oid in c.derived[kind] else ""
            c.problems.append(f"missing {kind} {oid} (named by {who}){held}")
        elif oid not in c.derived[kind]:
            absent.append(f"absent derived {kind} {oid} (named by {who}): derived, "
                          f"will be rebuilt")
    if notes is not None:
        notes += _dotdir_notes(c)
        notes += absent[:NOTES_SHOWN]
        if len(absent) > NOTES_SHOWN:
            notes.append(f"... and {len(absent) - NOTES_SHOWN} more absent derived objects, "
                         f"which will be rebuilt")
    for kind, oid, size, who in c.sized:
        real = c.sizes.get((kind, oid))
        if real is not None and real != size:
            c.problems.append(f"wrong size for {kind} {oid} in {who}: says {size}, is {real}")
    return c.problems


def _dotdir_notes(c: _Check) -> list[str]:
    """Patches recorded before ``.verfs`` was refused may hold paths inside one.  No
    damage — the history is as it was made — but a hazard, so said: checkout and the
    mount leave such paths out (a repository's own data is never a tree's)."""
    if not c.dotdirs:
        return []
    by_patch = defaultdict(list)
    for kind, oid, who, _ in c.refs:
        if kind == PATCH and oid in c.dotdirs and who.startswith("version "):
            by_patch[oid].append(who)
    found = sorted(c.dotdirs.items())
    out = [f"{len(found)} patch(es) touch paths inside a {DOTDIR} directory, which "
           f"checkout and the mount leave out"]
    for rep, path in found[:NOTES_SHOWN]:
        who = ", ".join(sorted(by_patch[rep])) or "no version"
        out.append(f"patch {rep} ({who}) touches {path!r}")
    if len(found) > NOTES_SHOWN:
        out.append(f"... and {len(found) - NOTES_SHOWN} more such patches")
    return out


def _entries(cache: DiskCache, c: _Check) -> None:
    """The derived cache's entries: a damaged one is a problem (reads drop it and
    rebuild what it held); a root naming an absent tree is derived data to rebuild."""
    for area, key, value, why in cache.entries():
        if why is not None:
            c.problems.append(f"damaged derived cache entry {area}/{key} in {cache.path}: "
                              f"{why} (it is dropped and rebuilt when next read){HINT}")
        elif area == ROOTS:
            c.ref(TREE, value, f"the cached root of version {key}", required=False)


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
            if oid not in c.dotdirs:
                inside = [path for path in paths(p) if DOTDIR in path.split("/")]
                if inside:
                    c.dotdirs[oid] = inside[0]


def repository_roots(repo) -> tuple[list[tuple[str, str]], list[str]]:
    """The roots ``fsck`` must find (the version head names, every version of the
    reflog, of every branch, tag reference and branch reflog), and the problems of
    those files themselves: a damaged head (with the way back), a reflog line that is
    no entry, a damaged branch or tag file.  Read strictly, never quoted whole: a head
    that is a link to some other file is named as a link, not shown."""
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
    named, bad = heads.check(repo.dotdir)
    return roots + named, problems + bad


def verify_roots(history: History, progress: Callable[[int], None] | None = None
                 ) -> list[str]:
    """``fsck --verify-data`` (as ``borg check --verify-data``): replay every version
    once from the start of the history, trusting nothing derived — not a cached root,
    not an inventory's tree — and name every cached root, and every inventory's
    recorded tree, that differs from what the patches give.

    The replay writes into a scratch store of its own (in the cache area, removed at
    the end, or by a later run if this one is killed: ``_scratch_area``), over the
    store proper alone, so a damaged derived object can neither mislead nor stop it.
    Memory stays bounded whatever the history's length: the parsed objects are in
    bounded caches, and what is held per version is its id, its parent's and, until
    its children are replayed, its root's."""
    store = history.store
    problems: list[str] = []
    parents: dict[str, str | None] = {}
    for vid in store.iter_ids(VERSION):
        try:
            parents[vid] = history.version(vid).parent
        except StoreError:      # the object check has named it
            continue
    children: dict[str | None, list[str]] = defaultdict(list)
    for vid, parent in parents.items():
        children[parent].append(vid)
    cached = {key: value for area, key, value, _ in store.cache.entries()
              if area == ROOTS and value}
    scratch_dir = Staging(_scratch_area(store), "verify")
    try:
        scratch = DiskStore(scratch_dir.path, lazy=True, durable=False)
        states = LayeredStore(scratch, store)
        with scratch.batch():
            stack = [(vid, EMPTY_TREE_ID) for vid in sorted(children[None])]
            while stack:
                vid, before = stack.pop()
                root = _replay_one(history, states, vid, before, problems)
                pause("verify")
                if progress:
                    progress(1)
                if root is None:
                    continue
                known = cached.get(vid)
                if known is not None and known != root:
                    problems.append(f"wrong cached root of version {vid}: the derived cache "
                                    f"says tree {known}, its patches give {root}{HINT}")
                stack.extend((child, root) for child in sorted(children[vid]))
    finally:
        scratch_dir.remove()
    return problems


def _scratch_area(store: ObjectStore) -> str:
    """Where ``verify_roots`` keeps its scratch store: a staging directory of the
    derived store (``cache/v2/objects/.staging-verify-*``), owned by flock as a
    batch's is, so that one a killed run left is removed by the next batch, gc or
    run that finds it unowned.  Scratch directories of the old kind (``cache/v2/
    .verify-*``, no owner) are removed here."""
    derived = getattr(store, "derived", None)
    if not isinstance(derived, DiskStore):
        return tempfile.gettempdir()
    clean_abandoned(os.path.dirname(derived.root), ".verify-")
    return derived.root


def _replay_one(history: History, states: ObjectStore, vid: str, before: str,
                problems: list[str]) -> str | None:
    """The root of version ``vid``, its patch applied to ``before`` (its parent's
    root); None, with the problem named, if it cannot be replayed."""
    try:
        v = history.version(vid)
        if v.inventory:
            recorded = history.store.get_inventory(v.inventory).tree
            if recorded != before:
                problems.append(f"inventory {v.inventory} (named by version {vid}) records "
                                f"tree {recorded}, but the patches before it give {before}")
        ed = TreeEditor(states, before)
        apply_prims(ed, history.patch(v.patch).prims)
        return ed.commit()
    except (StoreError, VerfsError) as exc:
        problems.append(f"version {vid} cannot be replayed: {exc} (nor can the versions "
                        f"after it)")
        return None



class HistoryIncomplete(VerfsError):
    """The store proper lacks an object the history names, and no copy is left."""

    exit_code = 3


def named_blobs(store: ObjectStore) -> dict[str, str]:
    """Every blob the history names (binary prims' old and new), with a patch that
    names it.  Patches that do not read are left to ``fsck`` and ``gc`` to name."""
    named: dict[str, str] = {}
    for rep in store.iter_ids(PATCH):
        try:
            prims = store.parsed(PATCH, rep, read_patch).prims
        except StoreError:
            continue
        for p in prims:
            if isinstance(p, Binary):
                for oid in (p.old, p.new):
                    named.setdefault(oid, rep)
    return named


def readopt_blobs(store: ObjectStore, derived: ObjectStore) -> list[str]:
    """Make the store proper whole again before ``gc`` says anything is fine: a blob
    the history names that only the derived store still has (its copy, or its hard
    link of a plain blob) is adopted back — verified, and linked again rather than
    copied.  The blobs adopted; HistoryIncomplete if one has no copy left at all."""
    adopted, lost = [], []
    for oid, rep in sorted(named_blobs(store).items()):
        if store.has(BLOB, oid):
            continue
        try:
            store.adopt(BLOB, oid, derived)
            adopted.append(oid)
        except ObjectNotFound:
            lost.append(f"blob {oid} (named by patch {rep})")
    if lost:
        more = f" and {len(lost) - 1} more" if len(lost) > 1 else ""
        raise HistoryIncomplete(f"the history is missing {lost[0]}{more}, and no copy is "
                                f"left; gc packed nothing (see 'verfs fsck')")
    return adopted
