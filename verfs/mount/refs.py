"""``head``, ``history/`` and ``tags/``: the few names of the mount that move.

They follow a head source.  A repository's (``HeadFile``): ``.verfs/head`` is stat'ed
on each look at them that reaches the daemon (cheap) and by the daemon's follower a few
times a second (follow.py, which tells the kernel what to forget), and the chain and
the tags are walked again only when that file changed (it is replaced by rename on
every move of head, so its inode changes).  A remote store's (``remote.RemoteHead``)
is polled by the follower alone, never from a FUSE request.

``files/`` follows the same states: each ``Refs`` takes the path log of its head's
chain once, on the first look at ``files/`` (``Refs.files``).
"""

import logging
import os
import re
import threading
from functools import cached_property

from ..errors import DamagedRepository
from ..filelog import path_log
from ..history import History
from ..repo import read_head
from .files import FileTree

log = logging.getLogger("verfs.mount")

_SLUG = re.compile(r"[^a-z0-9._]+")


def slug(name: str) -> str:
    """A patch name as a file name: lowercase, runs of other characters as ``-``."""
    text = _SLUG.sub("-", name.lower()).strip("-._")[:48].rstrip("-._")
    return text or "patch"


class Refs:
    """One state of head, with its history and tags computed on first use — from the
    previous state's when head only moved along its chain (a record, a tag, an
    unrecord), so a long history is walked once, not on every move of head."""

    def __init__(self, history: History, head: str | None, previous: "Refs | None" = None):
        self.history = history
        self.head = head
        self._previous = previous
        self._files_lock = threading.Lock()

    @cached_property
    def chain(self) -> list[tuple[str, str, str | None]]:
        """(version, patch name, tag name or None) along head's chain, oldest first."""
        prev = self._previous
        self._previous = None
        if prev is not None and "chain" in prev.__dict__:
            known = prev.chain
            index = {vid: i for i, (vid, _, _) in enumerate(known)}
            if self.head is None:
                return []
            if self.head in index:                  # head moved back along the chain
                return known[:index[self.head] + 1]
            newer = []
            for s in self.history.chain(self.head):
                if s.vid == prev.head:              # head moved on from where it was
                    newer.reverse()
                    return known + newer
                newer.append((s.vid, s.patch.info.name, s.patch.info.tag_name))
                if len(newer) > 10_000:
                    break
        steps = [(s.vid, s.patch.info.name, s.patch.info.tag_name)
                 for s in self.history.chain(self.head)]
        steps.reverse()
        return steps

    @cached_property
    def history_links(self) -> dict[str, str]:
        """``NNNN-slug`` → version, along head's chain, oldest first."""
        width = max(4, len(str(len(self.chain))))
        return {f"{i:0{width}d}-{slug(name)}": vid
                for i, (vid, name, _) in enumerate(self.chain, 1)}

    @cached_property
    def tags(self) -> dict[str, str]:
        """Tag name → version (the newest of a name), by name."""
        found: dict[str, str] = {}
        for vid, _, tag in self.chain:
            if tag is not None:
                found[tag] = vid
        return dict(sorted(found.items()))

    @property
    def files_known(self) -> bool:
        """Whether ``files`` was made (so the kernel may have been shown it)."""
        return "_files" in self.__dict__

    @property
    def files(self) -> FileTree:
        """The names of ``files/`` at this head: its chain's path log, made once
        however many threads first look at the same time."""
        tree = self.__dict__.get("_files")
        if tree is None:
            with self._files_lock:
                tree = self.__dict__.get("_files")
                if tree is None:
                    tree = FileTree(path_log(self.history, self.head))
                    self.__dict__["_files"] = tree
        return tree


class HeadFile:
    """A repository's head: its file ``.verfs/head``, read strictly (``verfs.repo.
    read_head``).  The state of the file is its ``lstat`` (a symbolic link is itself
    the state), so reading it again is needed only when that changed."""

    def __init__(self, path: str):
        self.path = path

    def key(self) -> tuple:
        """What changes whenever head may have moved (cheap: no read)."""
        try:
            st = os.lstat(self.path)
            return (st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode)
        except FileNotFoundError:
            return ("missing",)
        except OSError as exc:
            return ("unreadable", exc.errno)

    def read(self) -> str | None:
        """Head's version (None: empty); DamagedRepository if it cannot be read so."""
        try:
            return read_head(os.path.dirname(self.path))
        except OSError as exc:
            raise DamagedRepository(f"{self.path} cannot be read ({exc.strerror})") from None

    def poll(self) -> None:
        """The follower's look: nothing to do, ``key`` is cheap enough for every one."""

    def names(self, vid: str) -> bool:
        """Whether the reflog beside head names ``vid`` (asked only on a miss)."""
        try:
            with open(os.path.join(os.path.dirname(self.path), "reflog"), "rb") as f:
                return vid.encode() in f.read()
        except OSError:
            return False


class RefsWatcher:
    """The current ``Refs`` of a head source (``HeadFile``, or a path to one, or
    ``remote.RemoteHead``).  A damaged head — cut short, not ASCII, a symbolic link,
    missing — is no empty repository: the last good head this daemon read stays shown
    (none, if it never read one), the damage is logged once per state of the source
    (never its contents) and counted in ``damaged``; ``versions/`` does not depend on
    head."""

    def __init__(self, history: History, source: "HeadFile | str"):
        self.history = history
        self.source = HeadFile(source) if isinstance(source, str) else source
        self.damaged = 0            # states of the head file read as damage (logged)
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._refs = Refs(history, None)
        self._since: list[Refs] | None = None  # states read since the last ``drain``
                                               # (kept only once someone drains)

    def drain(self) -> tuple[Refs, list[Refs]]:
        """The current state, and every state read since the last drain (oldest
        first): all the kernel may have been shown since then."""
        refs = self.current()
        with self._lock:
            since, self._since = self._since or [], []
        return refs, since

    def current(self) -> Refs:
        key = self.source.key()
        with self._lock:
            if key != self._key:
                self._key = key
                try:
                    head = self.source.read()
                except DamagedRepository as exc:
                    self.damaged += 1
                    log.warning("%s; the mount keeps showing %s as head", exc,
                                self._refs.head or "no version")
                    return self._refs
                if head != self._refs.head:
                    prev = self._refs       # whose chain the next one may build on
                    if "chain" not in prev.__dict__:
                        prev = prev._previous
                    self._refs = Refs(self.history, head, prev)
                    if self._since is not None:
                        self._since.append(self._refs)
            return self._refs
