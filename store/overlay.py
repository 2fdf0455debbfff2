"""A store that reads through to another and keeps its own writes in memory.

For questions that must not leave objects behind (``verfs whatsnew`` snapshots the
working tree into one of these, never into the repository's store), and for mounting a
store that cannot be written (reconstructed trees stay in memory; the base's derived
cache is still read, so versions it knows are not rebuilt).
"""

from .base import DerivedCache, MemoryCache, ObjectStore
from .layered import LayeredStore
from .memory import MemoryStore


class OverlayCache(MemoryCache):
    """Reads the base store's derived cache too; writes only to memory."""

    def __init__(self, base: DerivedCache):
        super().__init__()
        self.base = base

    def get(self, area: str, key: str) -> str | None:
        return super().get(area, key) or self.base.get(area, key)


class OverlayStore(LayeredStore):
    def __init__(self, base: ObjectStore, **kw):
        super().__init__(MemoryStore(), base.states, **kw)
        self.cache = OverlayCache(base.cache)

    @property
    def objects(self):
        """What was written here (in memory), by kind."""
        return self.top.objects
