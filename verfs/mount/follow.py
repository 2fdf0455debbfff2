"""Keeping the kernel's caches right for the few names that move.

Everything under ``versions/`` is immutable, so the kernel keeps its entries,
attributes, pages and listings for an hour (daemon.py).  ``head``, ``history/NAME``,
``tags/NAME`` and ``branches/NAME`` are directories too, but they name another version
when head (or a branch, a tag reference, the checked-out branch) moves; so do the
listings of ``/``, ``history/``, ``tags/``, ``branches/``, ``versions/`` and ``info/``,
and ``info/head``.  A follower thread in the daemon looks at head a few times a second —
stats ``.verfs/head``, or polls a remote store's ``head`` when due (remote.py) —
(``RefsWatcher.drain``: every state a lookup may have shown since its last
look), works out which of those names changed (``changes``, a pure function), and
tells the kernel to forget them (``Invalidator``, libfuse's notifications): the entry
of a changed name, whose dentries beneath go with it, and the inode of every path this
mount served beneath it (one a process still holds — its cwd, an open file — keeps its
inode, which must not keep old attributes or pages).  A name that only appeared needs
nothing (lookups are never cached negatively); the listing it appears in is
invalidated.

libfuse's high-level API knows nodes only by path, and only the root's node id is
fixed (1): an entry below the top is forgotten by forgetting its top-level directory
(``history`` drops every cached ``history/*``), which happens only when an existing
name changes (unrecord, obliterate, restore, a tag moved, a branch moved or switched
to), never on a record.  With
libfuse 2 (no ``fuse_invalidate_path``) listings are not cached at all
(``Operations(cache_listings=False)``), and entries are forgotten as above.

``files/`` (files.py) moves with head as a whole, but a name there never changes
meaning: ``files/P/NNNN-<hash>`` is that version's file whenever it exists, and every
other name is a directory.  So when head only moved on along its chain (a record, a
tag: ``FILES_GREW``) nothing is forgotten but the listings and attributes of the
directories of ``files/`` this mount served (libfuse 3; with libfuse 2, which can name
none of them, the entry ``files`` is forgotten as below); when it moved anywhere else
(an unrecord, a restore: ``FILES_CHANGED``), names may have gone, and the entry
``files`` is forgotten with every dentry beneath, and every directory served there.
Nothing is done for a state whose ``files/`` was never looked at.

It never runs inside a FUSE request: the kernel holds a directory's lock while it
waits for a lookup there, and a notification about that directory, sent from the
request, would wait for the lock — here it just waits for the request to finish.
"""

import ctypes
import logging
import threading
from dataclasses import dataclass, field

from .refs import Refs
from .view import BRANCHES, FILES, HEAD, HISTORY, INFO, TAGS, VERSIONS, View

log = logging.getLogger("verfs.mount")

FOLLOW_EVERY = 0.2      # seconds between looks at the head source
AGAIN = 10              # looks after a move that forget its top names again (libfuse 2)
ROOT_ID = 1             # FUSE_ROOT_ID
FILES_GREW, FILES_CHANGED = 1, 2    # how files/ moved (Changes.files): the worse wins


@dataclass
class Changes:
    """What differs between two states of the names that move."""

    head: bool = False                                  # head names another version
    top: bool = False                                   # head appeared or went
    changed: dict[str, set[str]] = field(
        default_factory=lambda: {HISTORY: set(), TAGS: set(), BRANCHES: set()})
    added: set[str] = field(default_factory=set)        # HISTORY / TAGS / BRANCHES
                                                        # with new names
    files: int = 0                                      # 0, FILES_GREW or FILES_CHANGED

    def __bool__(self) -> bool:
        return (self.head or self.top or bool(self.added) or bool(self.files)
                or any(self.changed.values()))


def files_moved(old: Refs, new: Refs) -> int:
    """How ``files/`` differs between ``old`` and ``new`` (heads that differ): 0 when
    nothing of it was shown from ``old``; FILES_GREW when ``new``'s chain goes on from
    ``old``'s (every name of ``old`` keeps its meaning: same versions at the same
    positions, numbered as wide); else FILES_CHANGED."""
    if not old.files_known:
        return 0
    before = old.files
    shown = len(before.log.versions)
    if new.head is None:
        return FILES_CHANGED if shown else 0
    chain = new.chain
    width = max(4, len(str(len(chain))))
    if (len(chain) >= shown and width == before.width
            and (shown == 0 or chain[shown - 1][0] == old.head)):
        return FILES_GREW
    return FILES_CHANGED


def _compare(out: Changes, top: str, before: dict, after: dict) -> None:
    out.changed[top] = {name for name, vid in before.items() if after.get(name) != vid}
    if any(name not in before for name in after):
        out.added.add(top)


def changes(old: Refs, new: Refs) -> Changes:
    """The names whose meaning differs between ``old`` and ``new``."""
    out = Changes()
    moved = old.head != new.head
    if not moved and old.names == new.names:
        return out
    _compare(out, BRANCHES, old.branches, new.branches)     # (no chain walked)
    if moved:
        out.head = True
        out.top = (old.head is None) != (new.head is None)
        out.files = files_moved(old, new)
    if "chain" not in old.__dict__:
        # Nothing under history/ or tags/ was shown from ``old``: its chain was never
        # walked.  So their listings can only have grown as far as the kernel knows,
        # and neither chain need be walked now — over a remote store with a long
        # history, that walk is the whole chain's objects.
        out.added |= {HISTORY, TAGS} if moved else {TAGS}
        return out
    if moved:
        _compare(out, HISTORY, old.history_links, new.history_links)
    _compare(out, TAGS, old.tags, new.tags)
    return out


class Invalidator:
    """libfuse's cache notifications, through ctypes, for the mount being served.
    Made inside a FUSE operation (``init``), where libfuse's context names the mount;
    used from any other thread."""

    def __init__(self, module):
        lib = module._libfuse
        self.major = getattr(module, "fuse_version_major", 2)
        lib.fuse_get_session.restype = ctypes.c_void_p
        lib.fuse_get_session.argtypes = [ctypes.c_void_p]
        self.fuse = ctypes.c_void_p(lib.fuse_get_context().contents.fuse)
        target = lib.fuse_get_session(self.fuse)
        if self.major < 3:       # libfuse 2 notifies through the session's channel
            lib.fuse_session_next_chan.restype = ctypes.c_void_p
            lib.fuse_session_next_chan.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            target = lib.fuse_session_next_chan(target, None)
        else:
            lib.fuse_invalidate_path.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.target = ctypes.c_void_p(target)
        lib.fuse_lowlevel_notify_inval_entry.argtypes = [
            ctypes.c_void_p, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t]
        lib.fuse_lowlevel_notify_inval_inode.argtypes = [
            ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64, ctypes.c_int64]
        self.lib = lib
        self.sent = 0           # notifications sent (tests count them)

    @property
    def by_path(self) -> bool:
        """Whether any path's node can be invalidated (libfuse 3), not only the root."""
        return self.major >= 3

    def entry(self, name: str) -> None:
        """Forget the entry ``name`` of the root, and every dentry beneath it."""
        raw = name.encode("utf-8", "surrogateescape")
        self.sent += 1
        self.lib.fuse_lowlevel_notify_inval_entry(self.target, ROOT_ID, raw, len(raw))

    def path(self, path: str) -> None:
        """Forget the attributes, pages and listing of the node at ``path`` (libfuse 3;
        a path libfuse has forgotten is no error)."""
        if path == "/":
            self.sent += 1
            self.lib.fuse_lowlevel_notify_inval_inode(self.target, ROOT_ID, 0, 0)
        elif self.by_path:
            self.sent += 1
            self.lib.fuse_invalidate_path(self.fuse, path.encode("utf-8", "surrogateescape"))


class Follower:
    """The thread that keeps the kernel's view of head, history/, tags/ and branches/
    current."""

    def __init__(self, view: View, every: float = FOLLOW_EVERY):
        self.view = view
        self.every = every
        self.invalidator: Invalidator | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown: Refs | None = None
        self._again: tuple[int, set[str]] = (0, set())

    def start(self, invalidator: Invalidator) -> None:
        self.invalidator = invalidator
        self._shown, _ = self.view.refs.drain()
        self._thread = threading.Thread(target=self._run, name="verfs-follow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.check()
            except Exception:       # noqa: BLE001 - the mount goes on; say why
                log.exception("following head failed")

    def check(self) -> Changes:
        """Look at head once (its source first: a remote's is polled here, never in a
        FUSE request); invalidate what changed since the last look."""
        self.view.refs.source.poll()
        current, since = self.view.refs.drain()
        total = Changes()
        for state in [*since, current]:
            if state is self._shown:
                continue
            found = changes(self._shown, state) if self._shown is not None else Changes()
            total.head |= found.head
            total.top |= found.top
            total.added |= found.added
            total.files = max(total.files, found.files)
            for top, names in found.changed.items():
                total.changed[top] |= names
            self._shown = state     # pairwise: a name that went A -> B -> A was shown B
        if total:
            self._invalidate(total)
            log.info("head (%s) or the names beside it moved: the kernel's caches of "
                     "what moved are dropped", current.head or "no version")
        elif self._again[0]:
            left, tops = self._again
            self._again = (left - 1, tops)
            for top in sorted(tops):
                self.invalidator.entry(top)
        return total

    def _invalidate(self, c: Changes) -> None:
        inv = self.invalidator
        self._unseen_branches(c)
        tops = set()
        if c.head:
            tops.add(HEAD)
        for top, names in c.changed.items():
            if names:
                tops.add(top)
        overflowed = self.view.moving_overflow
        if c.files == FILES_CHANGED or (c.files and (overflowed or not inv.by_path)):
            tops.add(FILES)
        files_dirs = self._files_dirs(forget=FILES in tops) if c.files else []
        held = self._held(c) + files_dirs
        for top in sorted(tops):
            inv.entry(top)
        if not inv.by_path:
            # No inode below the top can be named to libfuse 2: a file open while its
            # entry was forgotten keeps its dentry, and the next lookup of the top name
            # brings it back with its old attributes and pages.  So the top names are
            # forgotten again for AGAIN looks (two seconds), by when such a file is
            # usually closed.
            inv.entry(INFO)             # info/head, and info/'s listing in libfuse 2
            self._again = (AGAIN, tops | {INFO})
        for path in held:
            inv.path("/" + path)
        inv.path("/")
        for listing in (VERSIONS, INFO, *sorted(c.added), *([FILES] if c.files else [])):
            inv.path(f"/{listing}")
        inv.path(f"/{INFO}/{HEAD}")

    def _unseen_branches(self, c: Changes) -> None:
        """Leave out the branches this mount never served (looked up, or listed): the
        checked-out one moves on every record, and a ``branches/`` never looked at
        needs nothing forgotten.  The listing of one that moved is dropped too."""
        moved = c.changed[BRANCHES]
        if not moved:
            return
        if not self.view.moving_overflow:
            top = BRANCHES + "/"
            moved &= {p.split("/")[1] for p in list(self.view.moving_seen)
                      if p.startswith(top)}
        if moved:
            c.added.add(BRANCHES)

    def _files_dirs(self, forget: bool) -> list[str]:
        """The directories of ``files/`` this mount served; dropped from the view's
        record when their entries are being ``forget``-gotten (looked up again, they
        are recorded again), else kept: the kernel still has them."""
        seen = self.view.moving_seen
        found = [p for p in list(seen) if p.startswith(FILES + "/")]
        if forget:
            for p in found:
                seen.discard(p)
        return found

    def _held(self, c: Changes) -> list[str]:
        """The paths served beneath the names that changed (dropped from the view's
        record); all of them when the record overflowed."""
        names = {HEAD} if c.head else set()
        for top, changed in c.changed.items():
            names |= {f"{top}/{n}" for n in changed}
        prefixes = tuple(n + "/" for n in names)
        seen = self.view.moving_seen
        held = [p for p in list(seen) if p in names or p.startswith(prefixes)]
        for p in held:
            seen.discard(p)
        if self.view.moving_overflow:
            self.view.moving_overflow = False
            log.info("more paths under head/, history/ and tags/ were looked at than "
                     "are remembered: those not remembered are dropped from the kernel "
                     "with their top directory only")
        return held
