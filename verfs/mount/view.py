"""Every path of the mounted history, lazily: the filesystem as plain Python.

```
/versions/<hash>/...   every version in the store, its tree (without any .verfs:
                       a repository's own data, never a tree's, as checkout)
/versions/<prefix>     a unique prefix of >= 4 hex digits (looked up, never listed)
/head                  -> versions/<hash>           (repository mounts only)
/history/NNNN-<slug>   -> ../versions/<hash>        along head's chain, oldest first
/tags/<name>           -> ../versions/<hash>
/info/<hash>           text: patch name, author, date, parent, inventory
```

Paths in, ``Node`` records out, typed errors (``nodes.ViewError``, or the store's
``CorruptObject`` and ``ObjectNotFound``) for everything else: the FUSE adapter only
translates.  Nothing is reconstructed until a version's tree is looked into; its root
tree is then built once (concurrent first looks wait for one build) and remembered in
memory and in the store's derived cache, so no later look — in this mount or the
next — replays a patch.  Trees are cached by id in the store, so versions sharing
subtrees share cache entries; nodes under a full version hash are cached by path,
since nothing there can change.
"""

import logging
import os
import threading
import time

from store import ObjectStore, is_id
from store.cache import LRU
from store.disk import RAW_ABOVE
from store.errors import AmbiguousPrefix, CannotTell, InvalidId, ObjectNotFound

from ..history import ROOTS, History
from ..repo import DOTDIR
from .blobs import BlobReader
from .info import info_text
from .nodes import (
    DIR,
    FILE,
    LINK,
    ROOT_INO,
    IsADirectory,
    Node,
    NoSuchPath,
    NotADirectory,
    NotASymlink,
    child_ino,
    file_node,
    link_node,
)
from .refs import RefsWatcher

log = logging.getLogger("verfs.mount")

VERSIONS, INFO, HEAD, HISTORY, TAGS = "versions", "info", "head", "history", "tags"
Listing = list[tuple[str, str, int]]     # (name, kind, inode) per entry


def _ns(moment) -> int:
    return int(moment.timestamp()) * 1_000_000_000 if moment else 0


class View:
    """The mount's filesystem over a store (and, for a repository, its head file)."""

    def __init__(self, store: ObjectStore, history: History | None = None,
                 head_file: str | None = None, blob_cache_bytes: int = 32 << 20,
                 node_cache_bytes: int = 16 << 20):
        self.store = store
        self.history = history or History(store)
        self.states = self.history.states       # trees and blobs (derived) live here
        self.refs = RefsWatcher(self.history, head_file) if head_file else None
        self.blobs = BlobReader(self.states, blob_cache_bytes)
        self._roots = LRU(4 << 20, lambda _: 160)           # version → root tree id
        self._versions = LRU(8 << 20, lambda _: 300)        # version → its directory node
        self._infos = LRU(8 << 20, lambda n: 300 + n.size)  # version → info/<hash> node
        self._nodes = LRU(node_cache_bytes, lambda _: 700)  # path → node, under full ids
        self._known: set[str] = set()                       # versions seen to exist
        self._stats: tuple[float, dict] | None = None
        self._stats_lock = threading.Lock()
        now = time.time_ns()
        self.root = Node(ROOT_INO, DIR, 0, now, role="top")
        names = (VERSIONS, INFO) + ((HISTORY, TAGS) if self.refs else ())
        self._top = {n: Node(child_ino(ROOT_INO, n), DIR, 0, now, role=n) for n in names}

    # --- the interface --------------------------------------------------------------
    def lookup(self, path: str) -> Node:
        """The node at ``path`` ("/a/b" or "a/b"); NoSuchPath, NotADirectory."""
        rel = path.strip("/")
        if not rel:
            return self.root
        node = self._nodes.get(rel)
        if node is not None:
            return node
        parts = rel.split("/")
        first = parts[0]
        if first == VERSIONS and len(parts) > 1:
            node = self._version(parts[1])
            for name in parts[2:]:
                node = self._child(node, name)
            if len(parts) > 2 and len(parts[1]) == 64:
                self._nodes.put(rel, node)
            return node
        if first == INFO and len(parts) == 2:
            return self._info(parts[1])
        if len(parts) == 1 and first in self._top:
            return self._top[first]
        if self.refs is not None and len(parts) <= 2:
            node = self._ref(parts)
            if node is not None:
                return node
        if len(parts) > 1 and self.lookup("/".join(parts[:-1])).kind != DIR:
            raise NotADirectory(path)
        raise NoSuchPath(path)

    def readdir(self, path: str) -> Listing:
        """The entries of a directory (without ``.`` and ``..``)."""
        node = self.lookup(path)
        if node.kind != DIR:
            raise NotADirectory(path)
        role = node.role
        if role in ("tree", "version"):
            tree = self.states.get_tree(self._tree_of(node))
            return [(e.name, e.kind, child_ino(node.ino, e.name)) for e in tree.entries
                    if e.name != DOTDIR]
        if role in (VERSIONS, INFO):
            kind = DIR if role == VERSIONS else FILE
            return [(vid, kind, child_ino(node.ino, vid))
                    for vid in self.store.iter_ids("version")]
        if role == "top":
            out = [(n, DIR, d.ino) for n, d in self._top.items()]
            if self.refs is not None and self.refs.current().head is not None:
                out.append((HEAD, LINK, child_ino(ROOT_INO, HEAD)))
            return out
        refs = self.refs.current()
        links = refs.history_links if role == HISTORY else refs.tags
        return [(name, LINK, child_ino(node.ino, name)) for name in links]

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

    def statfs(self) -> dict[str, int]:
        """``statvfs`` fields (see ``_compute_stats``): used blocks, one file per
        version, nothing free (it is read-only).  Recomputed at most every 10 s."""
        with self._stats_lock:
            if self._stats is None or time.monotonic() - self._stats[0] > 10:
                self._stats = (time.monotonic(), self._compute_stats())
            return self._stats[1]

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
        if self.refs is None:
            return False
        try:
            with open(os.path.join(os.path.dirname(self.refs.head_file), "reflog"), "rb") as f:
                return vid.encode() in f.read()
        except OSError:
            return False

    def _version(self, text: str) -> Node:
        vid = self.resolve_version(text)
        return self._versions.get_or_compute(vid, lambda: Node(
            child_ino(self._top[VERSIONS].ino, vid), DIR, 0, self._mtime(vid), vid=vid,
            role="version"))

    def _mtime(self, vid: str) -> int:
        return _ns(self.history.step(vid).patch.info.moment)

    def _tree_of(self, node: Node) -> str:
        return node.oid if node.oid is not None else self.root_tree(node.vid)

    def _child(self, node: Node, name: str) -> Node:
        if node.kind != DIR:
            raise NotADirectory(name)
        e = self.states.get_tree(self._tree_of(node)).get(name) if name != DOTDIR else None
        if e is None:
            raise NoSuchPath(name)
        return Node(child_ino(node.ino, name), e.kind, e.size, node.mtime_ns, e.exec, e.oid)

    def _info(self, text: str) -> Node:
        vid = self.resolve_version(text)

        def make() -> Node:
            step = self.history.step(vid)
            return file_node(child_ino(self._top[INFO].ino, vid), info_text(step),
                             _ns(step.patch.info.moment), role=INFO)
        return self._infos.get_or_compute(vid, make)

    # --- head, history, tags ----------------------------------------------------------
    def _ref(self, parts: list[str]) -> Node | None:
        refs = self.refs.current()
        if parts == [HEAD]:
            if refs.head is None:
                return None
            return link_node(child_ino(ROOT_INO, HEAD), f"{VERSIONS}/{refs.head}",
                             self._mtime(refs.head))
        if len(parts) != 2 or parts[0] not in (HISTORY, TAGS):
            return None
        links = refs.history_links if parts[0] == HISTORY else refs.tags
        vid = links.get(parts[1])
        if vid is None:
            return None
        return link_node(child_ino(self._top[parts[0]].ino, parts[1]),
                         f"../{VERSIONS}/{vid}", self._mtime(vid))

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
