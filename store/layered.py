"""Two stores as one: reads look in ``top`` and then in ``base``; writes go to ``top``.

verfs keeps two kinds of objects.  The *durable* ones — versions, patches,
inventories, and the blobs binary prims name — are the history itself.  The *derived*
ones — the trees and blobs of reconstructed states — can be rebuilt from those at any
time, so they live apart (in the store's cache area, or in memory) and do not count
as the history's size.  A LayeredStore over the two is what reconstruction, the mount
and the working tree read and write.
"""

from collections.abc import Iterator

from .base import ObjectStore
from .errors import ObjectNotFound


class LayeredStore(ObjectStore):
    def __init__(self, top: ObjectStore, base: ObjectStore, **kw):
        self._own_cache = None
        self.top, self.base = top, base
        super().__init__(**kw)
        self._own_cache = None

    @property
    def cache(self):
        """The base's derived cache — whatever the base holds now, say in a batch —
        unless this store was given one of its own."""
        return self._own_cache if self._own_cache is not None else self.base.cache

    @cache.setter
    def cache(self, value) -> None:
        self._own_cache = value

    def _holder(self, kind: str, oid: str) -> ObjectStore:
        return self.top if self.top.contains(kind, oid) else self.base

    def _read(self, kind: str, oid: str) -> bytes:
        try:
            return self.top._read(kind, oid)
        except ObjectNotFound:
            return self.base._read(kind, oid)

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        self.top._write(kind, oid, data)

    def contains(self, kind: str, oid: str) -> bool:
        return self.top.contains(kind, oid) or self.base.contains(kind, oid)

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(set(self.top.iter_ids(kind)) | set(self.base.iter_ids(kind))))

    def where(self, kind: str, oid: str) -> str | None:
        return self._holder(kind, oid).where(kind, oid)

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        return self._holder("blob", oid).read_blob_range(oid, offset, size)

    def blob_size(self, oid: str) -> int:
        return self._holder("blob", oid).blob_size(oid)

    def plain_blob(self, oid: str) -> str | None:
        return self._holder("blob", oid).plain_blob(oid)

    def batch(self):
        return self.top.batch()

    @property
    def states(self) -> ObjectStore:
        return self
