"""The store contract bound to each backend, as dulwich binds ``ObjectStoreTests``."""

from store import MemoryStore
from store.disk import DiskStore, encode
from store.overlay import OverlayStore
from store.testing import StoreContract


class TestMemoryStore(StoreContract):
    def make_store(self, tmp_path):
        return MemoryStore()

    def tamper(self, store, kind, oid, data):
        store.objects[kind][oid] = data


class TestDiskStore(StoreContract):
    def make_store(self, tmp_path):
        return DiskStore(str(tmp_path / "store"), create=True)

    def tamper(self, store, kind, oid, data):
        with open(store.path(kind, oid), "wb") as f:
            f.write(encode(kind, data))


class TestOverlayStore(StoreContract):
    """Writes stay in memory; a disk store underneath is only read."""

    def make_store(self, tmp_path):
        return OverlayStore(DiskStore(str(tmp_path / "base"), create=True))

    def tamper(self, store, kind, oid, data):
        store.objects[kind][oid] = data
