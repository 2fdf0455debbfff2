"""A store that reads through to another and keeps its own writes in memory.

For questions that must not leave objects behind (``verfs whatsnew`` snapshots the
working tree into one of these, never into the repository's store), and for mounting a
store that cannot be written (reconstructed trees stay in memory; the base's derived
cache is still read, so versions it knows are not rebuilt).
"""

from collections.abc import Iterator

from .base import DerivedCache, MemoryCache, ObjectStore
from .errors import ObjectNotFound
from .memory import MemoryStore


class OverlayCache(MemoryCache):
    """Reads the base store's derived cache too; writes only to memory."""

    def __init__(self, base: DerivedCache):
        super().__init__()
        self.base = base

    def get(self, area: str, key: str) -> str | None:
        return super().get(area, key) or self.base.get(area, key)


class OverlayStore(MemoryStore):
    def __init__(self, base: ObjectStore, **kw):
        super().__init__(**kw)
        self.base = base
        self.cache = OverlayCache(base.cache)

    def _read(self, kind: str, oid: str) -> bytes:
        try:
            return super()._read(kind, oid)
        except ObjectNotFound:
            return self.base.get(kind, oid)

    def contains(self, kind: str, oid: str) -> bool:
        return super().contains(kind, oid) or self.base.contains(kind, oid)

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(set(super().iter_ids(kind)) | set(self.base.iter_ids(kind))))

    def where(self, kind: str, oid: str) -> str | None:
        return self.base.where(kind, oid)

    def get_tree(self, oid: str):
        if not super().contains("tree", oid):
            return self.base.get_tree(oid)
        return super().get_tree(oid)

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        if not super().contains("blob", oid):
            return self.base.read_blob_range(oid, offset, size)
        return super().read_blob_range(oid, offset, size)

    def blob_size(self, oid: str) -> int:
        if not super().contains("blob", oid):
            return self.base.blob_size(oid)
        return super().blob_size(oid)
