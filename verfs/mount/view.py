"""Every path of the mounted history, lazily: the filesystem as plain Python.

```
/versions/<hash>/...   every version in the store, its tree (without any .verfs:
                       a repository's own data, never a tree's, as checkout)
/versions/<prefix>     a unique prefix of >= 4 hex digits (looked up, never listed)
/head/...              head's version: a directory, the same tree (a repository's, a remote's)
/history/NNNN-<slug>/  each version along head's chain, oldest first: directories
/tags/<name>/          each tag's version: directories (tag references and the
                       tags on head's chain, as ``Repository.tags``)
/branches/<name>/      each branch's version, the checked-out one's head's: directories
                       (a repository's mount only: a remote store keeps no branches)
/info/<hash>           text: patch name, author, date, parent, inventory
/info/head             the same of head's version
/files/PATH/...        every path that ever existed along head's chain; for a file,
                       its versions NNNN-<hash> (files.py)
```

A version's root (under any of its names) carries the extended attribute
``user.verfs.version``, its full hash.

Paths in, ``Node`` records out, typed errors (``nodes.ViewError``, or the store's
``CorruptObject`` and ``ObjectNotFound``) for everything else: the FUSE adapter only
translates.  Nothing is reconstructed until a version's tree is looked into — a
version's root is stat'ed from its version file alone (nodes.py says what it shows) —
its root tree is then built once (concurrent first looks wait for one build) and
remembered in memory and in the store's derived cache, so no later look — in this mount
or the next — replays a patch.  What is inside a version is shown by what it *is*:
inode numbers from object ids and paths inside the version (nodes.py), mtimes from
stamps (docs/FORMAT.md), so an unchanged subtree looks the same to every tool in every
version that has it.  Nodes are cached by
(version, path), since nothing there can change; ``head``, ``history/``, ``tags/`` and
``branches/`` only choose the version.

A view of one version (``View(..., version=VID)``, ``verfs mount --version``) is that
version's tree alone, at the root: none of the names above.
"""

import dataclasses
import logging
import os
import threading
import time

from store import TREE, ObjectStore, is_id
from store.cache import LRU
from store.disk import RAW_ABOVE
from store.errors import AmbiguousPrefix, CannotTell, InvalidId, ObjectNotFound

from ..history import ROOTS, History
from ..repo import DOTDIR
from ..stamps import patch_stamp
from .blobs import BlobReader
from .info import info_text
from .nodes import (
    DIR,
    FILE,
    LINK,
    ROOT_INO,
    IsADirectory,
    Node,
    NoSuchAttribute,
    NoSuchPath,
    NotADirectory,
    NotASymlink,
    child_ino,
    content_ino,
    dir_size,
    file_node,
)
from .refs import RefsWatcher

log = logging.getLogger("verfs.mount")

VERSIONS, INFO, HEAD, HISTORY, TAGS = "versions", "info", "head", "history", "tags"
FILES, BRANCHES = "files", "branches"
VERSION_XATTR = "user.verfs.version"
MOVING_KEPT = 65536     # paths under head/, history/, tags/ (and directories of
                        # files/) remembered for invalidation
# One entry of a listing: name, kind, inode, and the entry's node when it is known
# without more work (every entry of a version's tree), for a listing with attributes.
Entry = tuple[str, str, int, "Node | None"]


class View:
    """The mount's filesystem over a store (and, for a repository or a remote store,
    its head: a head file's path, or a head source of refs.py / remote.py); or, with
    ``version``, one version's tree alone."""

    def __init__(self, store: ObjectStore, history: History | None = None,
                 head=None, blob_cache_bytes: int = 32 << 20,
                 node_cache_bytes: int = 16 << 20, version: str | None = None):
        if version is not None and head is not None:
            raise ValueError("a view of one version follows no head")
        self.store = store
        self.only = version
        self.history = history or History(store)
        self.states = self.history.states       # trees and blobs (derived) live here
        self.refs = RefsWatcher(self.history, head) if head else None
        self.blobs = BlobReader(self.states, blob_cache_bytes)
        self._roots = LRU(4 << 20, lambda _: 160)           # version → root tree id
        self._versions = LRU(8 << 20, lambda _: 300)        # version → its root's node
        self._infos = LRU(8 << 20, lambda n: 300 + n.size)  # version → info/<hash> node
        self._nodes = LRU(node_cache_bytes, lambda _: 700)  # (version, path) → node
        self._dirs = LRU(4 << 20, lambda _: 200)            # tree → (size, nlink)
        self._stamps = LRU(8 << 20, lambda _: 150)          # object → its stamp
        self._known: set[str] = set()                       # versions seen to exist
        self._stats: tuple[float, dict] | None = None
        self._stats_lock = threading.Lock()
        # Paths served under the names that move, for the daemon to invalidate in the
        # kernel when they do (follow.py); past MOVING_KEPT, ``moving_overflow``.
        self.moving_seen: set[str] = set()
        self.moving_overflow = False
        now = time.time_ns()
        self.root = Node(ROOT_INO, DIR, 4096, now, role="top")
        names = (VERSIONS, INFO) + ((HISTORY, TAGS, FILES) if self.refs else ()) + \
            ((BRANCHES,) if self.refs is not None and self.refs.named else ())
        self._top = {n: Node(child_ino(ROOT_INO, n), DIR, 4096, now, role=n)
                     for n in names}

    # --- the interface --------------------------------------------------------------
    def lookup(self, path: str) -> Node:
        """The node at ``path`` ("/a/b" or "a/b"); NoSuchPath, NotADirectory."""
        rel = path.strip("/")
        if self.only is not None:
            return self._in_version(self.only, rel.split("/") if rel else [])
        if not rel:
            return self._counted(self.root)
        parts = rel.split("/")
        first = parts[0]
        if first == VERSIONS and len(parts) > 1:
            return self._in_version(self.resolve_version(parts[1]), parts[2:])
        if first == INFO and len(parts) == 2:
            return self._info(parts[1])
        if len(parts) == 1 and first in self._top:
            return self._counted(self._top[first])
        if first == FILES and self.refs is not None:
            return self._in_files(parts[1:])
        if self.refs is not None:
            named = self._named_version(parts)
            if named is not None:
                self._seen_moving(rel)
                vid, rest = named
                return self._in_version(vid, rest)
        if len(parts) > 1 and self.lookup("/".join(parts[:-1])).kind != DIR:
            raise NotADirectory(path)
        raise NoSuchPath(path)

    def readdir(self, path: str) -> list[tuple[str, str, int]]:
        """The entries of a directory (without ``.`` and ``..``): name, kind, inode."""
        return [(name, kind, ino) for name, kind, ino, _ in self.entries(path)]

    def entries(self, path: str, full: bool = True) -> list[Entry]:
        """``readdir``, with each entry's node where it costs little more (``full``):
        every entry of a version's tree (whose stamps come in one query, and each
        subdirectory's shape from its tree).  A binding that passes only kinds and
        inodes to the kernel (libfuse 2) asks without ``full``."""
        node = self.lookup(path)
        if node.kind != DIR:
            raise NotADirectory(path)
        role = node.role
        if role in ("tree", "version"):
            tree = self.states.get_tree(self._tree_of(node))
            shown = [e for e in tree.entries if e.name != DOTDIR]
            if not full:
                prefix = f"{node.rel}/" if node.rel else ""
                return [(e.name, e.kind, content_ino(e.kind, e.exec, e.oid, prefix + e.name),
                         None) for e in shown]
            # Each subdirectory's shape needs its tree: over a remote store, fetched
            # together rather than one round trip each.
            self.states.prefetch(TREE, [e.oid for e in shown
                                        if e.kind == DIR and self._dirs.get(e.oid) is None])
            stamps = self._stamps_of(node.vid, [e.oid for e in shown])
            out = []
            for e in shown:
                child = self._entry_node(node, e, stamps[e.oid])
                out.append((e.name, e.kind, child.ino, child))
            return out
        if role == FILES:
            return self._files_entries(node, full)
        if role in (VERSIONS, INFO):
            kind, top = (DIR, node.ino) if role == VERSIONS else (FILE, node.ino)
            out = [(vid, kind, child_ino(top, vid), None)
                   for vid in self.store.iter_ids("version")]
            if role == INFO and self.refs is not None and self.refs.current().head:
                out.append((HEAD, FILE, child_ino(top, HEAD), None))
            return out
        if role == "top":
            out = [(n, DIR, d.ino, self._counted(d)) for n, d in self._top.items()]
            head = self.refs.current().head if self.refs is not None else None
            if head is not None:
                out.append((HEAD, DIR, self._version_ino(head), self._version_root(head)))
            return out
        links = self._links(role, self.refs.current())
        if role == BRANCHES:        # a listing with attributes makes the kernel's entries
            for name in links:
                self._seen_moving(f"{BRANCHES}/{name}")
        return [(name, DIR, self._version_ino(vid), self._version_root(vid))
                for name, vid in links.items()]

    def open(self, path: str) -> Node:
        """The node of a file about to be read."""
        node = self.lookup(path)
        if node.kind == DIR:
            raise IsADirectory(path)
        return node

    def read(self, node: Node, offset: int, size: int) -> bytes:
        """``size`` bytes of a file from ``offset`` (fewer at its end)."""
        if node.kind == DIR:
            raise IsADirectory(str(node.ino))
        if node.data is not None:
            return node.data[offset:offset + size]
        return self.blobs.read(node.oid, node.size, offset, size)

    def plain_file(self, node: Node) -> str | None:
        """The store's file holding exactly this file's bytes (a large blob stored
        plain, checked), for the kernel to read directly; else None."""
        if node.kind == DIR or node.data is not None or node.size <= RAW_ABOVE:
            return None
        return self.states.plain_blob(node.oid)

    def readlink(self, path: str) -> str:
        node = self.lookup(path)
        if node.kind != LINK:
            raise NotASymlink(path)
        return self.read(node, 0, node.size).decode("utf-8", "surrogateescape")

    def xattrs(self, path: str) -> dict[str, bytes]:
        """Extended attributes: ``user.verfs.version`` on a version's root."""
        node = self.lookup(path)
        return {VERSION_XATTR: node.vid.encode()} if node.role == "version" else {}

    def getxattr(self, path: str, name: str) -> bytes:
        value = self.xattrs(path).get(name)
        if value is None:
            raise NoSuchAttribute(f"{path}: no attribute {name}")
        return value

    def statfs(self) -> dict[str, int]:
        """``statvfs`` fields (see ``_compute_stats``): used blocks, one file per
        version, nothing free (it is read-only).  Recomputed at most every 10 s."""
        with self._stats_lock:
            if self._stats is None or time.monotonic() - self._stats[0] > 10:
                self._stats = (time.monotonic(), self._compute_stats())
            return self._stats[1]

    def _counted(self, node: Node) -> Node:
        """A top directory with its link count: 2 and its subdirectories, counted where
        that is cheap (``/``, ``history/``, ``tags/``; ``info/`` has none); 1, "not
        counted", for ``versions/``, which would mean listing the store on every stat,
        and ``files/``, which would mean a path log for an ``ls -l /``."""
        role = node.role
        if role in (VERSIONS, FILES):
            return node
        if role == INFO:
            return dataclasses.replace(node, nlink=2)
        refs = self.refs.current() if self.refs is not None else None
        if role == "top":
            subdirs = len(self._top) + (1 if refs is not None and refs.head else 0)
        else:
            subdirs = len(self._links(role, refs))
        return dataclasses.replace(node, nlink=2 + subdirs)

    # --- inside a version -------------------------------------------------------------
    def _in_version(self, vid: str, names: list[str]) -> Node:
        """The node at ``names`` inside version ``vid``: from its parent's node, which
        is cached too (the kernel looks a path up one name at a time, so the parent
        of a path asked is almost always one asked just before)."""
        if not names:
            return self._version_root(vid)
        key = (vid, "/".join(names))
        node = self._nodes.get(key)
        if node is None:
            parent = self._in_version(vid, names[:-1]) if len(names) > 1 else Node(
                self._version_ino(vid), DIR, 4096, 0, vid=vid, role="version")
            node = self._child(parent, names[-1])   # (a root's mtime is not needed:
            self._nodes.put(key, node)              # its patch is not read for it)
        return node

    def _version_ino(self, vid: str) -> int:
        return child_ino(self._top[VERSIONS].ino, vid)

    def _version_root(self, vid: str) -> Node:
        """A version's root, from its version file alone: its tree is built only when
        looked into.  So its inode is the version's (not its tree's), its mtime the
        date of its patch, and its link count 1 — "not counted", as btrfs has for
        every directory, on which find and fts assume nothing — where counting the
        subdirectories would replay patches for a mere ``ls -l history/``."""
        return self._versions.get_or_compute(vid, lambda: Node(
            self._version_ino(vid), DIR, 4096, self._mtime(vid), vid=vid, role="version"))

    def _entry_node(self, parent: Node, e, stamp: int) -> Node:
        """The node of tree entry ``e`` of directory ``parent``: what it is and where
        in its version, never which version."""
        rel = f"{parent.rel}/{e.name}" if parent.rel else e.name
        ino = content_ino(e.kind, e.exec, e.oid, rel)
        vid = parent.vid
        if e.kind != DIR:
            return Node(ino, e.kind, e.size, stamp, e.exec, e.oid, vid=vid, rel=rel)
        size, nlink = self._dir_shape(e.oid)
        return Node(ino, DIR, size, stamp, False, e.oid, vid=vid, nlink=nlink, rel=rel)

    def _dir_shape(self, tree_id: str) -> tuple[int, int]:
        """A directory's size as ext4 shows one, and 2 + its subdirectories."""
        def shape() -> tuple[int, int]:
            shown = [e for e in self.states.get_tree(tree_id).entries if e.name != DOTDIR]
            return dir_size(e.name for e in shown), 2 + sum(e.kind == DIR for e in shown)
        return self._dirs.get_or_compute(tree_id, shape)

    def _stamps_of(self, vid: str, oids: list[str]) -> dict[str, int]:
        """The stamps (mtimes, docs/FORMAT.md) of objects of version ``vid``'s tree: the
        ones not remembered here in one question to the history."""
        out, missing = {}, []
        for oid in oids:
            known = self._stamps.get(oid)
            if known is None:
                missing.append(oid)
            else:
                out[oid] = known
        if missing:
            found = self.history.stamps(vid, missing)
            for oid in missing:
                out[oid] = found[oid]
                self._stamps.put(oid, found[oid])
        return out

    def _seen_moving(self, rel: str) -> None:
        if len(self.moving_seen) < MOVING_KEPT:
            self.moving_seen.add(rel)
        else:
            self.moving_overflow = True

    # --- versions -------------------------------------------------------------------
    def root_tree(self, vid: str) -> str:
        """The version's root tree, reconstructed on first need (once, however many
        threads ask at the same time)."""
        return self._roots.get_or_compute(vid, lambda: self._reconstruct(vid))

    def _reconstruct(self, vid: str) -> str:
        start, replayed = time.monotonic(), self.history.replayed
        root = self.history.root_tree(vid)
        if self.history.replayed != replayed:
            log.info("version %s: reconstructed in %.3fs (%d patches applied)", vid,
                     time.monotonic() - start, self.history.replayed - replayed)
        return root

    def resolve_version(self, text: str) -> str:
        """A full version id from a full id or a unique prefix; NoSuchPath otherwise."""
        if text in self._known:
            return text
        if is_id(text):
            if not self.store.contains("version", text):
                self._cannot_tell(text)
                raise NoSuchPath(f"no version {text}")
            self._known.add(text)
            return text
        try:
            return self.store.resolve("version", text)
        except ObjectNotFound as exc:
            self._cannot_tell(text)
            raise NoSuchPath(str(exc)) from None
        except (AmbiguousPrefix, InvalidId) as exc:     # no hash: no version to lose
            raise NoSuchPath(str(exc)) from None

    def _cannot_tell(self, text: str) -> None:
        """A version missed while a pack is unreadable may be in it, and one that the
        repository still names was lost: EIO (damage), not ENOENT."""
        problems = self.store.unreadable_parts()    # cheap: no pack is read
        if problems:
            raise CannotTell(f"version {text}", problems[0])
        if is_id(text) and self._named(text):
            raise ObjectNotFound("version", text, " (the history names it: the store "
                                 "has lost it; see 'verfs fsck')")

    def _named(self, vid: str) -> bool:
        """Whether what outlives a version object names it: its root in the derived
        cache (entries check themselves), or the reflog beside head.  Asked only on a
        miss, so its cost is no read's."""
        if self.store.cache.get(ROOTS, vid) is not None:
            return True
        return self.refs is not None and self.refs.source.names(vid)

    def _mtime(self, vid: str) -> int:
        return patch_stamp(self.history.step(vid).patch)

    def _tree_of(self, node: Node) -> str:
        return node.oid if node.oid is not None else self.root_tree(node.vid)

    def _child(self, node: Node, name: str) -> Node:
        if node.kind != DIR:
            raise NotADirectory(name)
        e = self.states.get_tree(self._tree_of(node)).get(name) if name != DOTDIR else None
        if e is None:
            raise NoSuchPath(name)
        return self._entry_node(node, e, self._stamps_of(node.vid, [e.oid])[e.oid])

    def _info(self, text: str) -> Node:
        if text == HEAD and self.refs is not None:
            head = self.refs.current().head
            if head is None:
                raise NoSuchPath("info/head: the repository is empty")
            self._seen_moving(f"{INFO}/{HEAD}")
            return self._info_node(head, child_ino(self._top[INFO].ino, HEAD))
        vid = self.resolve_version(text)
        return self._info_node(vid, child_ino(self._top[INFO].ino, vid))

    def _info_node(self, vid: str, ino: int) -> Node:
        def make() -> Node:
            step = self.history.step(vid)
            return file_node(ino, info_text(step), patch_stamp(step.patch), role=INFO)
        return self._infos.get_or_compute((vid, ino), make)

    # --- files/ -----------------------------------------------------------------------
    def _in_files(self, names: list[str]) -> Node:
        """The node at ``files/<names...>`` for the current head (files.py): a
        directory of ``files/``, or a version entry — the node of that version's file."""
        refs = self.refs.current()
        if refs.head is None:
            if names:
                raise NoSuchPath("/".join([FILES, *names]))
            return self._top[FILES]
        tree = refs.files
        path, change = tree.resolve(names)
        if change is not None:
            return self._version_file(tree.log.versions[change.index], path)
        if names:
            self._seen_moving(f"{FILES}/{path}")
        return self._files_dir(tree, path)

    def _files_dir(self, tree, path: str) -> Node:
        """A directory of ``files/``: its inode from its path, its mtime the date of
        the newest version where the path itself appeared, changed or went (the
        mount's start for ``files/``), its link count 2 and the names under it (each
        a directory here)."""
        if not path:
            return self._top[FILES]
        node = tree.dir_nodes.get(path)
        if node is None:
            listing = tree.listing(path)
            last = tree.last_index(path)
            mtime = self._version_root(tree.log.versions[last]).mtime_ns
            subdirs = sum(change is None for _, change in listing)
            node = Node(child_ino(self._top[FILES].ino, path), DIR,
                        dir_size(name for name, _ in listing), mtime, role=FILES,
                        nlink=2 + subdirs, rel=path)
            tree.dir_nodes[path] = node
        return node

    def _version_file(self, vid: str, path: str) -> Node:
        """The node of ``versions/<vid>/<path>`` (a file or link there) — the same
        node, cached under the same key — found without the nodes of the directories
        above it, so without a stamp of each (a file's versions are listed in one
        question per version, not one per directory on the way)."""
        key = (vid, path)
        node = self._nodes.get(key)
        if node is None:
            parent, _, name = path.rpartition("/")
            tree = self.root_tree(vid)
            for d in parent.split("/") if parent else ():
                e = self.states.get_tree(tree).get(d)
                if e is None or e.kind != DIR:
                    raise NoSuchPath(path)
                tree = e.oid
            e = self.states.get_tree(tree).get(name)
            if e is None or e.kind == DIR:
                raise NoSuchPath(path)
            above = Node(0, DIR, 0, 0, vid=vid, rel=parent)
            node = self._entry_node(above, e, self._stamps_of(vid, [e.oid])[e.oid])
            self._nodes.put(key, node)
        return node

    def _files_entries(self, node: Node, full: bool) -> list[Entry]:
        refs = self.refs.current()
        if refs.head is None:
            return []
        tree = refs.files
        out = []
        for name, change in tree.listing(node.rel):
            child = f"{node.rel}/{name}" if node.rel else name
            if change is None:
                if full:
                    d = self._files_dir(tree, child)
                    out.append((name, DIR, d.ino, d))
                else:
                    out.append((name, DIR, child_ino(self._top[FILES].ino, child), None))
                continue
            if full:
                e = self._version_file(tree.log.versions[change.index], node.rel)
                out.append((name, e.kind, e.ino, e))
            else:
                out.append((name, change.kind,
                            content_ino(change.kind, change.exec, change.oid, node.rel), None))
        return out

    # --- head, history, tags, branches ------------------------------------------------
    @staticmethod
    def _links(top: str, refs) -> dict[str, str]:
        """Name → version of the directory ``top`` (history, tags or branches)."""
        if top == HISTORY:
            return refs.history_links
        return refs.tags if top == TAGS else refs.branches

    def _named_version(self, parts: list[str]) -> tuple[str, list[str]] | None:
        """The version ``head``, ``history/NAME``, ``tags/NAME`` or ``branches/NAME``
        names, and the rest of the path inside it; None if ``parts`` starts with no
        such name."""
        refs = self.refs.current()
        if parts[0] == HEAD:
            return (refs.head, parts[1:]) if refs.head is not None else None
        if len(parts) < 2 or parts[0] not in self._top or \
                parts[0] not in (HISTORY, TAGS, BRANCHES):
            return None
        vid = self._links(parts[0], refs).get(parts[1])
        return (vid, parts[2:]) if vid is not None else None

    # --- statfs -----------------------------------------------------------------------
    def _compute_stats(self) -> dict[str, int]:
        """The size of the disk the store is on, all of it used (nothing can be
        written here); one file per version.  Walking the store to add up its bytes
        would block a FUSE thread for seconds on a large one."""
        root = getattr(self.store, "root", None) or getattr(
            getattr(self.store, "base", None), "root", None)
        blocks, bsize = 0, 4096
        if root:
            st = os.statvfs(root)
            blocks, bsize = st.f_blocks, st.f_frsize
        versions = sum(1 for _ in self.store.iter_ids("version"))
        return {"f_bsize": bsize, "f_frsize": bsize, "f_blocks": blocks, "f_bfree": 0,
                "f_bavail": 0, "f_files": versions, "f_ffree": 0, "f_favail": 0,
                "f_namemax": 255}
