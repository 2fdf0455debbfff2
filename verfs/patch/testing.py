"""Trees written as plain Python values, for tests of prims and of what uses them.

A *spec* is a dict from names to: ``bytes`` (a file), ``Exec(bytes)`` (a file with
the exec bit), ``Link(target)`` (a symbolic link) or another dict (a directory).
``build`` stores a spec and returns its root tree id; ``spec_of`` reads one back, so a
test can state a whole expected tree in one literal.  Only tests import this module.
"""

from dataclasses import dataclass

from store import DIR, FILE, LINK, ObjectStore, Tree, TreeEntry


@dataclass(frozen=True)
class Exec:
    data: bytes


@dataclass(frozen=True)
class Link:
    target: bytes


def build(store: ObjectStore, spec: dict) -> str:
    """Store the tree ``spec`` describes; return its root id."""
    entries = []
    for name, value in spec.items():
        if isinstance(value, dict):
            entries.append(TreeEntry(name, DIR, build(store, value), len(value)))
        elif isinstance(value, Exec):
            entries.append(TreeEntry(name, FILE, store.put_blob(value.data), len(value.data),
                                     exec=True))
        elif isinstance(value, Link):
            entries.append(TreeEntry(name, LINK, store.put_blob(value.target),
                                     len(value.target)))
        else:
            entries.append(TreeEntry(name, FILE, store.put_blob(value), len(value)))
    return store.put_tree(Tree.build(entries))


def spec_of(store: ObjectStore, root: str) -> dict:
    """The spec of the stored tree ``root`` (checking each entry's recorded size)."""
    out = {}
    for e in store.get_tree(root).entries:
        if e.kind == DIR:
            out[e.name] = spec_of(store, e.oid)
            assert e.size == len(out[e.name]), f"size of directory {e.name!r}"
            continue
        data = store.get_blob(e.oid)
        assert e.size == len(data), f"size of {e.name!r}"
        if e.kind == LINK:
            out[e.name] = Link(data)
        else:
            out[e.name] = Exec(data) if e.exec else data
    return out
