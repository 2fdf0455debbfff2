"""The contract every store backend passes, as dulwich's ``ObjectStoreTests``.

A backend's test binds it in a few lines: subclass :class:`StoreContract`, and give
``make_store`` (a fresh, empty store) and ``tamper`` (replace the stored bytes of an
object behind the store's back, to prove that reads verify).  Only tests import this
module, so it may use pytest.
"""

import threading

import pytest

from .base import BLOB, INVENTORY, KINDS, PATCH, TREE, VERSION, ObjectStore
from .errors import (
    AmbiguousPrefix,
    CorruptObject,
    InvalidId,
    ObjectNotFound,
    UnknownPrefix,
)
from .ids import EMPTY_BLOB, hash_bytes
from .objects import DIR, EMPTY_TREE, FILE, LINK, Inventory, Tree, TreeEntry, Version

H = "0" * 64    # a well-formed id that names nothing


def sample_tree() -> Tree:
    blob = hash_bytes(b"hello\n")
    return Tree.build([
        TreeEntry("hello.txt", FILE, blob, 6),
        TreeEntry("run me", FILE, blob, 6, exec=True),
        TreeEntry("sub", DIR, hash_bytes(EMPTY_TREE.serialize()), 0),
        TreeEntry("link", LINK, hash_bytes(b"hello.txt"), 9),
    ])


def sample_objects() -> dict[str, bytes]:
    """One object of every kind, in its canonical bytes."""
    tree = sample_tree().serialize()
    patch = (b"verfs-patch 1\nname: p\nauthor: a\ndate: 20260101000000\nprims:\n"
             b"addfile ./hello.txt\n")
    version = Version(hash_bytes(patch)).serialize()
    inventory = Inventory(hash_bytes(tree), ((H, hash_bytes(patch)),)).serialize()
    return {BLOB: b"some bytes\x00\xff\n", TREE: tree, PATCH: patch, VERSION: version,
            INVENTORY: inventory}


def ids_with_shared_prefix(store: ObjectStore, kind: str = BLOB, length: int = 4):
    """Put blobs until two ids share their first ``length`` hex digits; return both.

    With 4 digits a birthday collision needs a few hundred blobs, which is fast."""
    seen: dict[str, str] = {}
    i = 0
    while True:
        oid = store.put(kind, b"blob %d" % i)
        i += 1
        if oid[:length] in seen:
            return seen[oid[:length]], oid
        seen[oid[:length]] = oid


class StoreContract:
    """What every backend must do; bind with ``make_store`` and ``tamper``."""

    @pytest.fixture
    def store(self, tmp_path) -> ObjectStore:
        return self.make_store(tmp_path)

    def make_store(self, tmp_path) -> ObjectStore:
        raise NotImplementedError

    def tamper(self, store: ObjectStore, kind: str, oid: str, data: bytes) -> None:
        """Make the object ``oid`` hold ``data`` (as the backend would store it)."""
        raise NotImplementedError

    # --- put and get ----------------------------------------------------------------
    @pytest.mark.parametrize("kind", KINDS)
    def test_put_get_roundtrip_every_kind(self, store, kind):
        data = sample_objects()[kind]
        oid = store.put(kind, data)
        assert oid == hash_bytes(data)
        assert store.get(kind, oid) == data
        assert store.contains(kind, oid)

    def test_typed_getters_return_what_was_put(self, store):
        tree = sample_tree()
        assert store.get_tree(store.put_tree(tree)) == tree
        version = Version(H, parent=hash_bytes(b"v"), inventory=hash_bytes(b"i"))
        assert store.get_version(store.put_version(version)) == version
        inventory = Inventory(H, ((H, hash_bytes(b"r")),), parent=hash_bytes(b"p"))
        assert store.get_inventory(store.put_inventory(inventory)) == inventory
        assert store.get_blob(store.put_blob(b"")) == b""

    def test_empty_tree_needs_no_object(self, store):
        """Every store has the empty tree: a fresh repository's root."""
        oid = hash_bytes(EMPTY_TREE.serialize())
        assert store.has_tree(oid)
        assert store.get_tree(oid) == EMPTY_TREE

    def test_put_is_idempotent(self, store):
        first = store.put(BLOB, b"same")
        before = list(store.iter_ids(BLOB))
        assert store.put(BLOB, b"same") == first
        assert list(store.iter_ids(BLOB)) == before

    def test_kinds_are_separate(self, store):
        oid = store.put(BLOB, b"only a blob")
        assert not store.contains(TREE, oid)
        with pytest.raises(ObjectNotFound):
            store.get(TREE, oid)

    def test_missing_object_is_not_found_and_a_key_error(self, store):
        with pytest.raises(ObjectNotFound) as info:
            store.get(BLOB, H)
        assert isinstance(info.value, KeyError)
        assert H in str(info.value)

    @pytest.mark.parametrize("bad", ["", "abc", "0" * 63, "0" * 65, "G" * 64, "A" * 64,
                                     "../" + "0" * 61])
    def test_get_rejects_what_is_not_an_id(self, store, bad):
        with pytest.raises(InvalidId):
            store.get(BLOB, bad)

    # --- verification ---------------------------------------------------------------
    def test_read_verifies_the_hash(self, store):
        oid = store.put(BLOB, b"the real content")
        self.tamper(store, BLOB, oid, b"the fake content")
        with pytest.raises(CorruptObject) as info:
            store.get_blob(oid)
        assert info.value.oid == oid
        assert oid in str(info.value)

    def test_unparsable_object_is_corrupt_not_format_error(self, store):
        """Bytes that hash right but are no tree are a corrupt store, for the edges."""
        oid = store.put(TREE, b"not a tree\n")
        with pytest.raises(CorruptObject, match="tree"):
            store.get_tree(oid)
        oid = store.put(VERSION, b"verfs-version 1\npatch nothex\n")
        with pytest.raises(CorruptObject):
            store.get_version(oid)
        oid = store.put(INVENTORY, b"verfs-inventory 1\n")
        with pytest.raises(CorruptObject):
            store.get_inventory(oid)

    def test_tampered_tree_is_corrupt(self, store):
        oid = store.put_tree(sample_tree())
        self.tamper(store, TREE, oid, EMPTY_TREE.serialize())
        with pytest.raises(CorruptObject):
            store.get_tree(oid)

    # --- prefixes -------------------------------------------------------------------
    def test_unique_prefix_resolves(self, store):
        oid = store.put(BLOB, b"x")
        for n in (4, 5, 12, 63, 64):
            assert store.resolve(BLOB, oid[:n]) == oid
        assert store.resolve(BLOB, oid[:8].upper()) == oid

    def test_ambiguous_prefix(self, store):
        a, b = ids_with_shared_prefix(store)
        with pytest.raises(AmbiguousPrefix) as info:
            store.resolve(BLOB, a[:4])
        assert sorted(info.value.candidates) == sorted([a, b])
        # one more digit may separate them; the full ids always do
        assert store.resolve(BLOB, a) == a
        assert store.resolve(BLOB, b) == b

    def test_unknown_prefix(self, store):
        oid = store.put(BLOB, b"x")
        other = "0123" if not oid.startswith("0123") else "3210"
        with pytest.raises(UnknownPrefix):
            store.resolve(BLOB, other)
        with pytest.raises(UnknownPrefix):
            store.resolve(TREE, oid[:8])   # prefixes are per kind
        with pytest.raises(ObjectNotFound):
            store.resolve(BLOB, H)

    @pytest.mark.parametrize("bad", ["", "a", "abc", "xyzw", "12 4", "0" * 65, "ab-cd"])
    def test_prefix_too_short_or_not_hex(self, store, bad):
        store.put(BLOB, b"x")
        with pytest.raises(InvalidId):
            store.resolve(BLOB, bad)

    # --- listing --------------------------------------------------------------------
    def test_iter_ids_lists_each_kind_sorted(self, store):
        blobs = {store.put(BLOB, b"%d" % i) for i in range(20)}
        tree = store.put_tree(sample_tree())
        assert list(store.iter_ids(BLOB)) == sorted(blobs)
        assert list(store.iter_ids(TREE)) == [tree]
        assert list(store.iter_ids(VERSION)) == []

    # --- batches --------------------------------------------------------------------
    def test_batch_objects_readable_inside_and_after(self, store):
        with store.batch():
            oid = store.put(BLOB, b"batched")
            assert store.contains(BLOB, oid)
            assert store.get(BLOB, oid) == b"batched"
            assert store.resolve(BLOB, oid[:6]) == oid
            assert oid in set(store.iter_ids(BLOB))
            assert store.put(BLOB, b"batched") == oid
        assert store.get(BLOB, oid) == b"batched"
        assert list(store.iter_ids(BLOB)) == [oid]

    def test_nested_batches_commit_once(self, store):
        with store.batch():
            with store.batch():
                inner = store.put(BLOB, b"inner")
            outer = store.put(BLOB, b"outer")
        assert store.get(BLOB, inner) == b"inner"
        assert store.get(BLOB, outer) == b"outer"

    # --- blobs by range -------------------------------------------------------------
    def test_blob_size_and_range(self, store):
        data = bytes(range(256)) * 5
        oid = store.put_blob(data)
        assert store.blob_size(oid) == len(data)
        for offset, size in [(0, 10), (100, 300), (1270, 100), (5000, 10), (0, 0)]:
            assert store.read_blob_range(oid, offset, size) == data[offset:offset + size]

    # --- derived cache --------------------------------------------------------------
    def test_derived_cache_get_put(self, store):
        assert store.cache.get("roots", H) is None
        store.cache.put("roots", H, EMPTY_BLOB)
        assert store.cache.get("roots", H) == EMPTY_BLOB
        assert store.cache.get("other-area", H) is None
        store.cache.put("roots", H, hash_bytes(b"x"))
        assert store.cache.get("roots", H) == hash_bytes(b"x")

    def test_derived_cache_get_many_and_first_writer_wins(self, store):
        """``if_absent`` entries never replace one, in a batch or out of it, and the
        first of a key in one write wins; ``get_many`` answers only what is there."""
        a, b, c = (hash_bytes(x) for x in (b"a", b"b", b"c"))
        store.cache.put_many([("roots", a, "1")], if_absent=[("stamps", a, "10")])
        store.cache.put_many([], if_absent=[("stamps", a, "11"), ("stamps", b, "20"),
                                            ("stamps", b, "21")])
        with store.batch():
            store.cache.put_many([], if_absent=[("stamps", b, "22"), ("stamps", c, "30")])
            assert store.cache.get_many("stamps", [a, b, c, H]) == {
                a: "10", b: "20", c: "30"}
            store.cache.put_many([], if_absent=[("stamps", c, "31")])
        assert store.cache.get_many("stamps", [a, b, c, H, a]) == {a: "10", b: "20", c: "30"}
        assert store.cache.get_many("roots", [a, b]) == {a: "1"}
        assert store.cache.get_many("stamps", []) == {}

    # --- threads --------------------------------------------------------------------
    def test_concurrent_tree_reads_agree(self, store):
        """FUSE reads from many threads; the tree cache must hand out one answer."""
        oid = store.put_tree(sample_tree())
        results, errors = [], []

        def read():
            try:
                results.append(store.get_tree(oid))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert results == [sample_tree()] * 8
