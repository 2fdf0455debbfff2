"""The store contract bound to each backend, as dulwich binds ``ObjectStoreTests``."""

import os

from store import MemoryStore
from store.disk import DiskStore, encode
from store.overlay import OverlayStore
from store.pack import PackSet, PackWriter
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


class _PackingStore(DiskStore):
    """Every object goes into a pack as soon as it is written (outside batches)."""

    def _write(self, kind, oid, data):
        super()._write(kind, oid, data)
        if self.batches.current() is None:
            self.repack(everything=False)


class TestPackedDiskStore(StoreContract):
    def make_store(self, tmp_path):
        return _PackingStore(str(tmp_path / "store"), create=True, durable=False)

    def tamper(self, store, kind, oid, data):
        """Rewrite the pack holding the object with other bytes for it, under the
        pack's old name."""
        pack = store.packs.find(kind, oid)[0]
        objects = {(k, o): encode(kind, data) if (k, o) == (kind, oid) else raw
                   for k, o, raw in pack.entries()}
        writer = PackWriter(store.packs.directory)
        for (k, o), raw in objects.items():
            writer.add(k, o, raw)
        os.replace(writer.finish(store.packs.directory), pack.path)
        store.packs = PackSet(store.packs.directory)


class TestOverlayStore(StoreContract):
    """Writes stay in memory; a disk store underneath is only read."""

    def make_store(self, tmp_path):
        return OverlayStore(DiskStore(str(tmp_path / "base"), create=True))

    def tamper(self, store, kind, oid, data):
        store.objects[kind][oid] = data
