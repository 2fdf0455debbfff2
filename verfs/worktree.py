"""The working directory: snapshotting it into trees, and writing trees back to it.

Names are handled as bytes at the OS boundary and decoded with ``surrogateescape``,
so any file name round-trips.  Only regular files, directories and symbolic links are
kept; other kinds (FIFOs, sockets, devices) are skipped.  ``.verfs`` at the top is
never part of the tree.
"""

import os
import shutil
import stat

from store import DIR, EMPTY_TREE_ID, FILE, LINK, ObjectStore, Tree, TreeEntry
from store.names import split_path

from .repo import DOTDIR

_DOT = DOTDIR.encode()


def _dec(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


def _enc(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def snapshot(store: ObjectStore, top: str, _sub: bytes = b"") -> str:
    """Write the tree under ``top`` into ``store``; return its root tree id."""
    path = os.fsencode(top) + (b"/" + _sub if _sub else b"")
    entries = []
    with os.scandir(path) as it:
        for de in it:
            if not _sub and de.name == _DOT:
                continue
            st = de.stat(follow_symlinks=False)
            name = _dec(de.name)
            rel = _sub + b"/" + de.name if _sub else de.name
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(de.path)
                entries.append(TreeEntry(name, LINK, store.put_blob(target), len(target)))
            elif stat.S_ISDIR(st.st_mode):
                oid = snapshot(store, top, rel)
                entries.append(TreeEntry(name, DIR, oid, len(store.get_tree(oid))))
            elif stat.S_ISREG(st.st_mode):
                with open(de.path, "rb") as f:
                    data = f.read()
                entries.append(TreeEntry(name, FILE, store.put_blob(data), len(data),
                                         bool(st.st_mode & stat.S_IXUSR)))
    return store.put_tree(Tree.build(entries))


def select(store: ObjectStore, old: str, new: str, paths: list[str]) -> str:
    """The tree ``old`` with only the given paths (files or whole directories) taken
    from ``new``: what ``record PATH...`` records."""
    chosen: dict = {}
    for p in paths:
        node = chosen
        parts = split_path(p)
        if not parts:
            return new
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[parts[-1]] = True
    return _select(store, old, new, chosen)


def _select(store, old: str, new: str, chosen: dict) -> str:
    a = dict(store.get_tree(old).by_name) if old else {}
    b = store.get_tree(new).by_name if new else {}
    for name, sub in chosen.items():
        if sub is True:
            if name in b:
                a[name] = b[name]
            else:
                a.pop(name, None)
            continue
        ea, eb = a.get(name), b.get(name)
        if eb is None or eb.kind != DIR or (ea is not None and ea.kind != DIR):
            continue        # no directory on both sides to pick paths inside
        oid = _select(store, ea.oid if ea is not None else EMPTY_TREE_ID, eb.oid, sub)
        a[name] = TreeEntry(name, DIR, oid, len(store.get_tree(oid)))
    return store.put_tree(Tree.build(a.values()))


def _remove(path: bytes) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def _write_file(store: ObjectStore, e: TreeEntry, path: bytes) -> None:
    if e.kind == LINK:
        os.symlink(store.get_blob(e.oid), path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o777 if e.exec else 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(store.get_blob(e.oid))


def checkout(store: ObjectStore, old: str, new: str, top: str, _sub: bytes = b"") -> None:
    """Turn the directory ``top``, which holds tree ``old``, into tree ``new``,
    touching only what differs."""
    if old == new:
        return
    a = store.get_tree(old).by_name
    b = store.get_tree(new).by_name
    for name in sorted(a.keys() | b.keys()):
        ea, eb = a.get(name), b.get(name)
        if ea == eb:
            continue
        rel = (_sub + b"/" if _sub else b"") + _enc(name)
        path = os.fsencode(top) + b"/" + rel
        if ea is not None and eb is not None and ea.kind == eb.kind == DIR:
            checkout(store, ea.oid, eb.oid, top, rel)
            continue
        if ea is not None and eb is not None and ea.kind == eb.kind == FILE \
                and ea.oid == eb.oid:
            mode = os.stat(path).st_mode
            os.chmod(path, (mode | 0o111) if eb.exec else (mode & ~0o111))
            continue
        _remove(path)
        if eb is None:
            continue
        if eb.kind == DIR:
            os.mkdir(path)
            checkout(store, EMPTY_TREE_ID, eb.oid, top, rel)
        else:
            _write_file(store, eb, path)
