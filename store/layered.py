"""Two stores as one: reads look in ``top`` and then in ``base``; writes go to ``top``.

verfs keeps two kinds of objects.  The *durable* ones — versions, patches,
inventories, and the blobs binary prims name — are the history itself.  The *derived*
ones — the trees and blobs of reconstructed states — can be rebuilt from those at any
time, so they live apart (in the store's cache area, or in memory) and do not count
as the history's size.  A LayeredStore over the two is what reconstruction, the mount
and the working tree read and write.

Derived data heals rather than fails.  An object that is in neither layer (the cache
area was deleted, wholly or in part) is handed to the ``healers`` — a History, which
rebuilds it by replaying patches — and read again.  A copy in ``top`` that is corrupt
is never served: it is logged, counted (``bad``) and treated as absent, and the copy
rebuilt in its place is kept in memory (``repaired``) for this process, since a
corrupt object inside a pack cannot be replaced there (deleting ``cache/``, or a
repack of the derived store, removes it).  A corrupt object of ``base`` (the
history itself) cannot be rebuilt: that is CorruptObject, as before.
"""

import logging
from collections.abc import Callable, Iterator

from .base import BLOB, TREE, WELL_KNOWN, ObjectStore
from .errors import CorruptObject, FormatError, ObjectNotFound
from .ids import check_id, hash_bytes
from .memory import MemoryStore
from .objects import Tree

log = logging.getLogger("verfs.store")

Healer = Callable[[str, str], bool]     # (kind, id) → whether it is there now


def _verified(store: ObjectStore, kind: str, oid: str) -> bytes:
    """``store``'s bytes of the object, checked against its id (CorruptObject if not)."""
    data = store._read(kind, oid)
    if hash_bytes(data) != oid:
        raise CorruptObject(kind, oid, store.where(kind, oid), "content does not match its hash")
    return data


class LayeredStore(ObjectStore):
    def __init__(self, top: ObjectStore, base: ObjectStore, **kw):
        self.top, self.base = top, base
        super().__init__(**kw)
        self._own_cache = None      # not the MemoryCache ObjectStore's __init__ set
        self.healers: list[Healer] = []
        self.repaired = MemoryStore()       # rebuilt copies of objects corrupt in top
        self._bad: dict[tuple[str, str], CorruptObject] = {}    # shunned, and why
        self.bad = 0                        # corrupt derived copies found (and not served)

    @property
    def cache(self):
        """The base's derived cache — whatever the base holds now, say in a batch —
        unless this store was given one of its own."""
        return self._own_cache if self._own_cache is not None else self.base.cache

    @cache.setter
    def cache(self, value) -> None:
        self._own_cache = value

    # --- where an object is -------------------------------------------------------
    def _in_top(self, kind: str, oid: str) -> bool:
        return (kind, oid) not in self._bad and self.top.contains(kind, oid)

    def _holder(self, kind: str, oid: str) -> ObjectStore:
        if self._in_top(kind, oid):
            return self.top
        return self.repaired if self.repaired.contains(kind, oid) else self.base

    def _shun(self, exc: CorruptObject) -> None:
        """A corrupt copy in ``top``: never read again in this process."""
        if (exc.kind, exc.oid) not in self._bad:
            self._bad[(exc.kind, exc.oid)] = exc
            self.bad += 1
            log.warning("derived %s %s is corrupt (%s); it is rebuilt", exc.kind, exc.oid,
                        exc.why)

    def _intact(self, kind: str, oid: str) -> bytes:
        """The verified bytes from the first layer holding an intact copy; a corrupt
        copy in ``top`` is shunned.  ObjectNotFound if no layer has one (or the
        shunned copy's CorruptObject, if it was the only one)."""
        shunned = self._bad.get((kind, oid))
        if shunned is None:
            try:
                return _verified(self.top, kind, oid)
            except ObjectNotFound:
                pass
            except CorruptObject as exc:
                self._shun(exc)
                shunned = exc
        try:
            return self.repaired._read(kind, oid)
        except ObjectNotFound:
            pass
        try:
            return _verified(self.base, kind, oid)
        except ObjectNotFound:
            if shunned is not None:
                raise shunned from None
            raise

    def _healing(self, kind: str, oid: str, read):
        """``read()``, and once more after the healers rebuilt the object if it was
        missing (or corrupt in ``top``)."""
        try:
            return read()
        except ObjectNotFound as exc:
            failure = exc
        except CorruptObject as exc:
            if exc is not self._bad.get((kind, oid)):
                raise               # corrupt in the history itself: no rebuilding that
            failure = exc
        if not any(heal(kind, oid) for heal in self.healers):
            raise failure
        return read()

    # --- reading ------------------------------------------------------------------
    def get(self, kind: str, oid: str) -> bytes:
        check_id(oid)
        known = WELL_KNOWN.get((kind, oid))
        if known is not None:
            return known
        return self._healing(kind, oid, lambda: self._intact(kind, oid))

    def get_tree(self, oid: str) -> Tree:
        """Parsed and kept by id, as any store does — but healed outside the parsed
        trees' cache, whose other readers of the same tree wait for this one."""
        return self._healing(TREE, oid, lambda: super(LayeredStore, self).get_tree(oid))

    def parsed(self, kind: str, oid: str, parse):
        data = WELL_KNOWN.get((kind, oid))
        if data is None:
            data = self._intact(kind, oid)
        try:
            return parse(data)
        except FormatError as exc:
            raise CorruptObject(kind, oid, self.where(kind, oid), str(exc)) from exc

    def _read(self, kind: str, oid: str) -> bytes:
        """(Verified, in fact: a store over this one reads through here.)"""
        return self._healing(kind, oid, lambda: self._intact(kind, oid))

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        def read():
            try:
                return self._holder(BLOB, oid).read_blob_range(oid, offset, size)
            except CorruptObject as exc:
                if not self._in_top(BLOB, oid):
                    raise
                self._shun(exc)
                return self._holder(BLOB, oid).read_blob_range(oid, offset, size)
        return self._healing(BLOB, oid, read)

    def blob_size(self, oid: str) -> int:
        return self._healing(BLOB, oid, lambda: self._holder(BLOB, oid).blob_size(oid))

    def plain_blob(self, oid: str) -> str | None:
        """A checked plain file of the blob, or None — then it is read (and, if need
        be, healed) the ordinary way."""
        holder = self._holder(BLOB, oid)
        try:
            return holder.plain_blob(oid)
        except CorruptObject as exc:
            if holder is not self.top:
                raise
            self._shun(exc)
            return None

    # --- writing and listing ------------------------------------------------------
    def _write(self, kind: str, oid: str, data: bytes) -> None:
        if (kind, oid) in self._bad:
            self.repaired._write(kind, oid, data)
        else:
            self.top._write(kind, oid, data)

    def contains(self, kind: str, oid: str) -> bool:
        return (self._in_top(kind, oid) or self.repaired.contains(kind, oid)
                or self.base.contains(kind, oid))

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(set(self.top.iter_ids(kind)) | set(self.base.iter_ids(kind))))

    def where(self, kind: str, oid: str) -> str | None:
        return self._holder(kind, oid).where(kind, oid)

    def storage_problems(self) -> list[str]:
        return self.top.storage_problems() + self.base.storage_problems()

    def unreadable_parts(self) -> list[str]:
        return self.top.unreadable_parts() + self.base.unreadable_parts()

    def prefetch(self, kind: str, oids: list[str]) -> None:
        if type(self.base).prefetch is ObjectStore.prefetch:
            return          # a local base: nothing to gain, and no look in top to pay
        self.base.prefetch(kind, [o for o in oids if not self._in_top(kind, o)])

    def batch(self):
        return self.top.batch()

    @property
    def states(self) -> ObjectStore:
        return self
