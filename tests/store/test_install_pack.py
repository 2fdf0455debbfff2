"""DiskStore.install_pack: a pack made elsewhere (a remote's, for pull and clone) is
taken in only whole and sound — every object checked against its id and of a kind
the store takes, the file named by its hash — or not at all."""

import os
import shutil

import pytest

from store import DiskStore, hash_bytes
from store.errors import CorruptObject
from store.pack import BadPack, PackWriter
from store.place import encode


def _pack(tmp_path, objects) -> tuple[str, str]:
    """A pack file of ``objects`` (kind, id, canonical bytes); (its name, its path)."""
    writer = PackWriter(str(tmp_path))
    for kind, oid, data in objects:
        writer.add(kind, oid, encode(kind, data))
    path = writer.finish(str(tmp_path / "made"), durable=False)
    return os.path.basename(path)[:-len(".pack")], path


def _packs(store: DiskStore) -> list[str]:
    d = store.packs.directory
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


@pytest.fixture
def store(tmp_path):
    return DiskStore(str(tmp_path / "store"), create=True)


def _good(n=3):
    return [("blob", hash_bytes(b"%d" % i), b"%d" % i) for i in range(n)]


def test_a_sound_pack_is_installed_under_its_name(store, tmp_path):
    name, path = _pack(tmp_path, _good())
    assert store.install_pack(name, lambda dest: shutil.copy(path, dest)) == 3
    assert _packs(store) == [name + ".pack"]
    assert all(store.get("blob", oid) == data for _, oid, data in _good())
    assert not [n for n in os.listdir(store.root) if n.startswith(".staging-")]


@pytest.mark.parametrize("damage", ["object", "kind", "name"])
def test_an_unsound_pack_is_not_installed(store, tmp_path, damage):
    objects = _good()
    if damage == "object":
        objects.append(("blob", hash_bytes(b"other"), b"not other"))
    if damage == "kind":
        objects.append(("tree", hash_bytes(b"t"), b"t"))
    name, path = _pack(tmp_path, objects)
    if damage == "name":
        name = hash_bytes(b"another pack")
    expected = BadPack if damage == "name" else CorruptObject
    with pytest.raises(expected):
        store.install_pack(name, lambda dest: shutil.copy(path, dest),
                           kinds=("blob", "patch", "inventory", "version"))
    assert _packs(store) == []
    assert not any(store.contains("blob", oid) for _, oid, _ in objects)
    assert not [n for n in os.listdir(store.root) if n.startswith(".staging-")]
