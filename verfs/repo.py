"""A repository: a working directory with ``.verfs/`` holding the store, the head
pointer and the reflog.

``.verfs/store/``   the object store (see docs/FORMAT.md)
``.verfs/head``     the current version's id, or nothing for an empty repository
``.verfs/reflog``   one line per move of head: ``<UTC time> <version or -> <operation>``
``.verfs/lock``     taken (flock) by every command that changes anything
``.verfs/journal``  present only while a command changes the working tree (journal.py)

Head is the one mutable thing; it is replaced atomically, after the objects it
names are durable.
"""

import fcntl
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from store import DiskStore, is_id
from store.errors import AmbiguousPrefix, InvalidId, ObjectNotFound, StoreError
from store.files import write_atomic

from .errors import NotARepository, UnknownVersion, UsageError
from .history import History

DOTDIR = ".verfs"
_ANCESTOR = re.compile(r"(.*?)~(\d+)")


@dataclass(frozen=True)
class RefEntry:
    when: str
    vid: str | None
    operation: str


class Repository:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.dotdir = os.path.join(self.root, DOTDIR)
        self.store = DiskStore(os.path.join(self.dotdir, "store"))
        self.history = History(self.store)

    # --- finding and making ---------------------------------------------------------
    @classmethod
    def init(cls, root: str) -> "Repository":
        root = os.path.abspath(root)
        dotdir = os.path.join(root, DOTDIR)
        if os.path.exists(dotdir):
            raise UsageError(f"already a verfs repository: {root}")
        os.makedirs(root, exist_ok=True)
        os.mkdir(dotdir)
        DiskStore(os.path.join(dotdir, "store"), create=True)
        with open(os.path.join(dotdir, "head"), "wb"):
            pass
        repo = cls(root)
        repo._log(None, "init")
        return repo

    @classmethod
    def find(cls, start: str = ".") -> "Repository":
        """The repository containing ``start`` (itself or a parent directory)."""
        here = os.path.abspath(start)
        while True:
            if os.path.isdir(os.path.join(here, DOTDIR, "store")):
                repo = cls(here)
                repo.finish_interrupted()
                return repo
            up = os.path.dirname(here)
            if up == here:
                raise NotARepository(
                    f"not in a verfs repository: {os.path.abspath(start)} "
                    f"(run 'verfs init' to make one)")
            here = up

    # --- head and reflog ------------------------------------------------------------
    def head(self) -> str | None:
        with open(os.path.join(self.dotdir, "head"), encoding="ascii") as f:
            text = f.read().strip()
        return text or None

    def set_head(self, vid: str | None, operation: str) -> None:
        write_atomic(os.path.join(self.dotdir, "head"), (vid or "").encode() + b"\n")
        self._log(vid, operation)
        self.pack_if_needed()

    def pack_if_needed(self) -> None:
        """Keep loose objects few, in the history and in its derived cache, as git's
        ``gc --auto`` does: checked after every move of head (a few directory listings).
        A failure here is no failure of the command that moved head — its work is
        done and durable — so it is left for ``verfs gc`` and ``verfs fsck`` to report."""
        for store in (self.store, self.store.derived):
            try:
                store.pack_if_needed()
            except (StoreError, OSError):
                pass

    def _log(self, vid: str | None, operation: str) -> None:
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line = f"{when} {vid or '-'} {operation}\n".encode("utf-8", "surrogateescape")
        fd = os.open(os.path.join(self.dotdir, "reflog"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def reflog(self) -> list[RefEntry]:
        """Every version head has been at, newest first."""
        try:
            with open(os.path.join(self.dotdir, "reflog"), "rb") as f:
                lines = f.read().decode("utf-8", "surrogateescape").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in reversed(lines):
            parts = line.split(" ", 2)
            if len(parts) == 3:
                out.append(RefEntry(parts[0], None if parts[1] == "-" else parts[1], parts[2]))
        return out

    @contextmanager
    def locked(self, recover: bool = True):
        """Hold the repository's lock: one changing command at a time.  First, with
        ``recover``, finish any command that was killed half-way (journal.py)."""
        fd = os.open(os.path.join(self.dotdir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if recover:
                self._finish_journal()
            yield self
        finally:
            os.close(fd)

    def finish_interrupted(self) -> None:
        """Finish a command that was killed while it changed the working tree (its
        journal is still there), unless a live command holds the lock (it will): so
        any next command, reading ones too, finds the repository whole.  A reader that
        may not take the lock (another user's repository) leaves it to the owner."""
        if not os.path.exists(os.path.join(self.dotdir, "journal")):
            return
        try:
            fd = os.open(os.path.join(self.dotdir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            self._finish_journal()
        finally:
            os.close(fd)

    def _finish_journal(self) -> None:
        from .journal import finish  # journal.py needs worktree.py, which needs DOTDIR
        finish(self)

    # --- naming versions --------------------------------------------------------------
    def resolve(self, spec: str) -> str | None:
        """A version id from ``head``, ``head~N``, a full id, a unique prefix of ≥ 4 hex
        digits or a tag name (in that order), optionally followed by ``~N``.  None denotes the
        empty state (``head`` of an empty repository, or ``~N`` back to the start)."""
        m = _ANCESTOR.fullmatch(spec)
        base, back = (m.group(1), int(m.group(2))) if m else (spec, 0)
        vid = self._resolve_base(base)
        try:
            return self.history.ancestor(vid, back)
        except ValueError:
            raise UnknownVersion(f"{spec}: the history is not that long") from None

    def resolve_some(self, spec: str) -> str:
        """Like ``resolve``, but the empty state is an error."""
        vid = self.resolve(spec)
        if vid is None:
            raise UnknownVersion(f"{spec}: no version (the repository is empty there)")
        return vid

    def _resolve_base(self, spec: str) -> str | None:
        """Hashes first (no walk of the history), then tag names."""
        if spec in ("head", "HEAD", "@"):
            return self.head()
        ambiguous = None
        try:
            return self.store.resolve("version", spec)
        except AmbiguousPrefix as exc:
            ambiguous = exc
        except (ObjectNotFound, InvalidId):
            pass
        tags = self.history.tags(self.head())
        if spec in tags:
            return tags[spec]
        if ambiguous is not None:
            raise UnknownVersion(str(ambiguous)) from None
        what = "version" if is_id(spec) else "version, tag or hash prefix"
        raise UnknownVersion(f"unknown {what}: {spec}") from None
