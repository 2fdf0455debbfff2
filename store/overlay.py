"""A store that reads through to another and keeps its own writes in memory.

For questions that must not leave objects behind (``verfs whatsnew`` snapshots the
working tree into one of these, never into the repository's store).
"""

from collections.abc import Iterator

from .base import ObjectStore
from .errors import ObjectNotFound
from .memory import MemoryStore


class OverlayStore(MemoryStore):
    def __init__(self, base: ObjectStore, **kw):
        super().__init__(**kw)
        self.base = base

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
