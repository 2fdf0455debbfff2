"""``head``, ``history/``, ``tags/`` and ``branches/``: the few names of the mount
that move.

They follow a head source.  A repository's (``HeadFile``): ``.verfs/head`` is stat'ed
on each look at them that reaches the daemon (cheap) and by the daemon's follower a few
times a second (follow.py, which tells the kernel what to forget), and the chain and
the tags are walked again only when that file changed (it is replaced by rename on
every move of head, so its inode changes).  The names beside head — ``.verfs/branch``,
``.verfs/branches/`` and ``.verfs/tags/`` (verfs/heads.py) — are stat'ed with it, and
read again only when one changed (``Names``).  A directory's mtime has the kernel's
coarse clock, so two changes in one tick could look like one: while a directory was
changed within ``RACY`` seconds of being read, the follower also stats every file in
it (``HeadFile.poll``), as git treats a racily clean index.  A remote store's
(``remote.RemoteHead``) is polled by the follower alone, never from a FUSE request; its
one name beside head is its tag table (what pushes sent; a push carries no branch),
so its mount has no ``branches/``, and its ``tags/`` are the table's and those on
head's chain, as a repository's.

``files/`` follows the same states: each ``Refs`` takes the path log of its head's
chain once, on the first look at ``files/`` (``Refs.files``).
"""

import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from .. import heads
from ..errors import DamagedRepository
from ..filelog import path_log
from ..history import History
from ..repo import read_head
from .files import FileTree

log = logging.getLogger("verfs.mount")

_SLUG = re.compile(r"[^a-z0-9._]+")
RACY = 2.0      # seconds within which a directory's mtime may not show a second change


def slug(name: str) -> str:
    """A patch name as a file name: lowercase, runs of other characters as ``-``."""
    text = _SLUG.sub("-", name.lower()).strip("-._")[:48].rstrip("-._")
    return text or "patch"


@dataclass(frozen=True)
class Names:
    """What a repository names beside head (verfs/heads.py): the checked-out branch,
    every branch file (the checked-out one's is stale: head is its version), and the
    tag references.  A remote store's have no branch (``branch`` empty)."""

    branch: str = heads.DEFAULT_BRANCH
    stored: dict[str, str | None] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def read_names(dotdir: str) -> Names:
    """The names of ``.verfs`` directory ``dotdir``; DamagedRepository if a file of
    them is damaged."""
    try:
        return Names(heads.current_branch(dotdir), heads.stored_branches(dotdir),
                     heads.tag_refs(dotdir))
    except (IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise DamagedRepository(f"{exc.filename} cannot be read ({exc.strerror})") from None


# What depends on head alone: a state whose names moved but not head keeps these.
_OF_HEAD = ("chain", "history_links", "_files")


class Refs:
    """One state of head and the names beside it, with its history and tags computed
    on first use — from the previous state's when head only moved along its chain (a
    record, a tag, an unrecord), so a long history is walked once, not on every move of
    head; kept as they are when only a branch or a tag reference moved.  ``names`` is
    None for a source that has none (a remote store)."""

    def __init__(self, history: History, head: str | None, previous: "Refs | None" = None,
                 names: Names | None = None):
        self.history = history
        self.head = head
        self.names = names
        self._files_lock = threading.Lock()
        if previous is not None and previous.head == head:
            for key in _OF_HEAD:
                if key in previous.__dict__:
                    self.__dict__[key] = previous.__dict__[key]
        if previous is not None and "chain" not in previous.__dict__:
            previous = previous._previous   # one whose chain was walked, or None
        self._previous = previous

    @cached_property
    def chain(self) -> list[tuple[str, str, str | None]]:
        """(version, patch name, tag name or None) along head's chain, oldest first."""
        prev = self._previous
        self._previous = None
        if prev is not None and "chain" in prev.__dict__:
            known = prev.chain
            if prev.head == self.head:
                return known
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
        """Tag name → version, by name, as ``Repository.tags`` has them: the tag
        references, and the tags on head's chain (the newest of a name) whose version
        no reference names; a reference wins over a chain's tag of its name."""
        on_chain: dict[str, str] = {}
        for vid, _, tag in self.chain:
            if tag is not None:
                on_chain[tag] = vid
        return heads.all_tags(on_chain, self.names.tags if self.names is not None else {})

    @cached_property
    def branches(self) -> dict[str, str]:
        """Branch name → version, by name, as ``Repository.branches`` has them: the
        checked-out branch's is head.  A branch at the empty state has no directory
        (as ``head`` has none in an empty repository)."""
        if self.names is None or not self.names.branch:
            return {}
        named = heads.all_branches(self.names.stored, self.names.branch, self.head)
        return {name: vid for name, vid in named.items() if vid is not None}

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


def _stat_key(path: str) -> tuple:
    try:
        st = os.lstat(path)
        return (st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode)
    except FileNotFoundError:
        return ("missing",)
    except OSError as exc:
        return ("unreadable", exc.errno)


class HeadFile:
    """A repository's head: its file ``.verfs/head``, read strictly (``verfs.repo.
    read_head``), and the names beside it (``Names``).  The state of a file is its
    ``lstat`` (a symbolic link is itself the state), so reading it again is needed
    only when that changed."""

    has_names = True

    def __init__(self, path: str):
        self.path = path
        self.dotdir = os.path.dirname(path)
        self._dirs = [os.path.join(self.dotdir, d) for d in ("branches", "tags")]
        self._racy: list[tuple[str, tuple]] = []    # each directory's files, when racy
        self._polled = 0            # times ``poll`` found a racy directory changed

    def key(self) -> tuple:
        """What changes whenever head or a name beside it may have moved (cheap: no
        read; a few stats).  Head's part first: ``key()[1:]`` is the names' part."""
        return (_stat_key(self.path), _stat_key(os.path.join(self.dotdir, "branch")),
                *map(_stat_key, self._dirs), self._polled)

    def read(self) -> str | None:
        """Head's version (None: empty); DamagedRepository if it cannot be read so."""
        try:
            return read_head(self.dotdir)
        except OSError as exc:
            raise DamagedRepository(f"{self.path} cannot be read ({exc.strerror})") from None

    def read_names(self) -> Names:
        return read_names(self.dotdir)

    def poll(self) -> None:
        """The follower's look: ``key`` sees head and ``.verfs/branch`` move (each is
        replaced by rename), and a directory of names change — unless it changed twice
        within the tick of its mtime.  So while a directory's mtime is recent, each of
        its files is stat'ed here too, and any change counts in ``key``."""
        now = time.time()
        racy = []
        for d in self._dirs:
            try:
                st = os.stat(d)
            except OSError:
                continue
            if now - st.st_mtime < RACY:
                racy.append((d, tuple(sorted((n, _stat_key(os.path.join(d, n)))
                                             for n in os.listdir(d)))))
        if racy and racy != self._racy:
            self._polled += 1
        self._racy = racy

    def names(self, vid: str) -> bool:
        """Whether the reflog beside head names ``vid`` (asked only on a miss)."""
        try:
            with open(os.path.join(self.dotdir, "reflog"), "rb") as f:
                return vid.encode() in f.read()
        except OSError:
            return False


class RefsWatcher:
    """The current ``Refs`` of a head source (``HeadFile``, or a path to one, or
    ``remote.RemoteHead``).  A damaged head — cut short, not ASCII, a symbolic link,
    missing — is no empty repository: the last good head this daemon read stays shown
    (none, if it never read one), the damage is logged once per state of the source
    (never its contents) and counted in ``damaged``; ``versions/`` does not depend on
    head.  Damaged names beside head (a branch or tag file) are treated alike: the
    last good names stay shown, while head goes on being followed."""

    def __init__(self, history: History, source: "HeadFile | str"):
        self.history = history
        self.source = HeadFile(source) if isinstance(source, str) else source
        self.reads_names = getattr(self.source, "has_names", False)
        self.named = self.reads_names and getattr(self.source, "has_branches", True)
        # (``named``: branches/ is shown)
        self.damaged = 0            # states of the head file read as damage (logged)
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._names_key: tuple | None = None    # ``key[1:]`` when the names were read
        empty = Names() if self.named else Names(branch="") if self.reads_names else None
        self._refs = Refs(history, None, names=empty)
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
                names = self._refs.names
                if self.reads_names and key[1:] != self._names_key:
                    # the names beside head are read again only when their part of
                    # the key moved: a record (head alone) reads no tag file
                    try:
                        names = self.source.read_names()
                        self._names_key = key[1:]
                    except DamagedRepository as exc:
                        self.damaged += 1
                        log.warning("%s; the mount keeps showing the branches and tags "
                                    "it last read", exc)
                if head != self._refs.head or names != self._refs.names:
                    self._refs = Refs(self.history, head, self._refs, names)
                    if self._since is not None:
                        self._since.append(self._refs)
            return self._refs
