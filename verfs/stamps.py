"""Stamps: when each tree and blob first took its form in the history (the mount's mtimes).

The stamp of an object id is the date of the first patch whose application produced
that object, on the first chain replayed in this store, in whole seconds as
nanoseconds since the epoch.  The first writer wins and a stamp never changes once
given: the kernel caches the attributes it was told, and equal objects must show equal
mtimes in every version (GNU diff skips a pair of files, or of directories, whose
inode, size and mtime agree).  A file's mtime is its blob's stamp; a directory's is its
tree's — when something beneath it last took that form.

Stamps are derived data, in the derived cache's area ``stamps`` (key: the object id,
value: the stamp), recorded by whatever makes a root (verfs/history.py): lost with the
cache, they are found again by replaying a chain from the empty tree.  A tree is
stamped only together with, or after, everything beneath it (a commit's stamps are one
write, recorded only on a stamped root), so a stamped root is stamped throughout, and
what one patch adds to a stamped root is exactly what the new root lacks.
"""

from collections.abc import Callable, Iterable

from store import DIR, ObjectStore

from .patch.named import Patch

STAMPS = "stamps"       # derived-cache area: object id → stamp (str of ns)
NS = 1_000_000_000


def patch_stamp(patch: Patch) -> int:
    """The patch's date (``info.moment``) as a stamp; 0 for a date that names no
    moment (old patches)."""
    moment = patch.info.moment
    return 0 if moment is None else int(moment.timestamp()) * NS


def parse(value: str | None) -> int | None:
    """A stored stamp, or None for none (or one that is not a number)."""
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Stamps:
    """The stamps a run of patches gives, the first of each id kept, as cache entries."""

    def __init__(self):
        self.found: dict[str, str] = {}

    def add(self, oids: Iterable[str], patch: Patch) -> None:
        value = str(patch_stamp(patch))
        for oid in oids:
            self.found.setdefault(oid, value)

    def entries(self) -> list[tuple[str, str, str]]:
        return [(STAMPS, oid, value) for oid, value in self.found.items()]


def produced(store: ObjectStore, old: str, new: str,
             stamped: Callable[[list[str]], set[str]]) -> list[str]:
    """The ids in tree ``new`` that tree ``old`` does not hold at the same place: a
    Merkle diff, descending only into subtrees that differ.  A subtree that is new where
    it is (added, or moved) is gone into only if it is neither one ``old`` had
    elsewhere nor already stamped (``stamped(ids)``: those of ``ids`` that are, one
    question per level), since a stamped tree's objects all are."""
    out: list[str] = []
    pairs = [(old, new)] if old != new else []
    fresh: list[str] = []
    gone: set[str] = set()
    while pairs:
        a, b = pairs.pop()
        out.append(b)
        before = {e.name: e for e in store.get_tree(a).entries}
        for e in store.get_tree(b).entries:
            was = before.pop(e.name, None)
            if was is not None and was.oid == e.oid and was.kind == e.kind:
                continue
            if was is not None:
                gone.add(was.oid)
            if e.kind != DIR:
                out.append(e.oid)
            elif was is not None and was.kind == DIR:
                pairs.append((was.oid, e.oid))
            else:
                fresh.append(e.oid)
        gone.update(e.oid for e in before.values())
    while fresh:
        fresh = [t for t in dict.fromkeys(fresh) if t not in gone]
        known = stamped(fresh) if fresh else set()
        level, fresh = [t for t in fresh if t not in known], []
        for t in level:
            out.append(t)
            for e in store.get_tree(t).entries:
                (fresh if e.kind == DIR else out).append(e.oid)
    return out
