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

    def get_many(self, area: str, keys) -> dict[str, str]:
        keys = list(keys)
        found = {k: self.data[(area, k)] for k in keys if (area, k) in self.data}
        found.update(self.base.get_many(area, [k for k in keys if k not in found]))
        return found

    def put_many(self, entries, if_absent=()) -> None:
        super().put_many(entries, _absent(self.base, if_absent))


def _absent(cache: DerivedCache, entries) -> list[tuple[str, str, str]]:
    """The ``(area, key, value)`` of ``entries`` whose key has no entry in ``cache``,
    the first of each key."""
    entries = list(entries)
    present: dict[str, dict[str, str]] = {}
    for area in {area for area, _, _ in entries}:
        present[area] = cache.get_many(area, [k for a, k, _ in entries if a == area])
    out, seen = [], set()
    for area, key, value in entries:
        if key not in present[area] and (area, key) not in seen:
            seen.add((area, key))
            out.append((area, key, value))
    return out


class OverlayStore(LayeredStore):
    def __init__(self, base: ObjectStore, **kw):
        super().__init__(MemoryStore(), base.states, **kw)
        self.cache = OverlayCache(base.cache)

    @property
    def objects(self):
        """What was written here (in memory), by kind."""
        return self.top.objects
