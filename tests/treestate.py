"""Trees as plain dicts, from disk and from the store, so tests compare what a user
would see: ``{path: ("file", bytes, exec) | ("dir",) | ("link", target bytes)}``."""

import os
import stat

from store import DIR, LINK, ObjectStore


def disk_state(top, skip=(".verfs",)) -> dict:
    out = {}
    top = os.fsencode(str(top))

    def walk(d: bytes, rel: str) -> None:
        for name in os.listdir(d):
            if not rel and os.fsdecode(name) in skip:
                continue
            p = os.path.join(d, name)
            r = f"{rel}/{os.fsdecode(name)}" if rel else os.fsdecode(name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[r] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[r] = ("dir",)
                walk(p, r)
            else:
                with open(p, "rb") as f:
                    out[r] = ("file", f.read(), bool(st.st_mode & stat.S_IXUSR))

    walk(top, "")
    return out


def tree_state(store: ObjectStore, root: str) -> dict:
    """The tree ``root``, read where states live (the store's derived area)."""
    store = store.states
    out = {}

    def walk(oid: str, rel: str) -> None:
        for e in store.get_tree(oid).entries:
            r = f"{rel}/{e.name}" if rel else e.name
            if e.kind == DIR:
                out[r] = ("dir",)
                walk(e.oid, r)
            elif e.kind == LINK:
                out[r] = ("link", store.get_blob(e.oid))
            else:
                out[r] = ("file", store.get_blob(e.oid), e.exec)

    walk(root, "")
    return out
