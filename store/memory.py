"""An in-memory store: what tests use instead of mocks, with the same contract."""

from collections.abc import Iterator

from .base import KINDS, ObjectStore
from .errors import ObjectNotFound


class MemoryStore(ObjectStore):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.objects: dict[str, dict[str, bytes]] = {kind: {} for kind in KINDS}

    def _read(self, kind: str, oid: str) -> bytes:
        try:
            return self.objects[kind][oid]
        except KeyError:
            raise ObjectNotFound(kind, oid) from None

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        self.objects[kind][oid] = bytes(data)

    def contains(self, kind: str, oid: str) -> bool:
        return oid in self.objects[kind]

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(self.objects[kind]))
