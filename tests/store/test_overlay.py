"""OverlayStore: reads through to its base, never writes to it."""

import pytest

from store import BLOB, CorruptObject, DiskStore
from store.ids import hash_bytes
from store.overlay import OverlayStore
from store.testing import sample_tree


@pytest.fixture
def base(tmp_path):
    return DiskStore(str(tmp_path / "base"), create=True)


def test_reads_through_and_keeps_writes_to_itself(base):
    below = base.put_blob(b"in the base")
    tree = base.put_tree(sample_tree())
    over = OverlayStore(base)
    above = over.put_blob(b"only above")
    assert over.get_blob(below) == b"in the base"
    assert over.get_tree(tree) == sample_tree()
    assert over.get_blob(above) == b"only above"
    assert not base.contains(BLOB, above)
    assert list(over.iter_ids(BLOB)) == sorted([below, above])
    assert over.resolve(BLOB, below[:6]) == below


def test_putting_what_the_base_has_writes_nothing(base):
    oid = base.put_blob(b"shared")
    over = OverlayStore(base)
    assert over.put_blob(b"shared") == oid
    assert over.objects[BLOB] == {}


def test_corrupt_base_object_is_corrupt_through_the_overlay(base):
    oid = base.put_blob(b"x" * 3000)
    with open(base.path(BLOB, oid), "wb") as f:
        f.write(b"r" + b"y" * 3000)
    with pytest.raises(CorruptObject):
        OverlayStore(base).get_blob(oid)


def test_cache_reads_the_base_and_writes_to_memory(base):
    key, value, other = hash_bytes(b"k"), hash_bytes(b"v"), hash_bytes(b"w")
    base.cache.put("roots", key, value)
    over = OverlayStore(base)
    assert over.cache.get("roots", key) == value
    over.cache.put("roots", other, value)
    assert base.cache.get("roots", other) is None


def test_first_writer_wins_over_the_base_cache(base):
    """An entry the base has was written first: the overlay's own never hides it."""
    key, other = hash_bytes(b"k"), hash_bytes(b"o")
    base.cache.put_many([], if_absent=[("stamps", key, "1")])
    over = OverlayStore(base)
    over.cache.put_many([], if_absent=[("stamps", key, "2"), ("stamps", other, "3")])
    assert over.cache.get_many("stamps", [key, other]) == {key: "1", other: "3"}
    assert over.cache.get("stamps", key) == "1"
    assert base.cache.get("stamps", other) is None
