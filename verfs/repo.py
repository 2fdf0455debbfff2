"""A repository: a working directory with ``.verfs/`` holding the store, the head
pointer and the reflog.

``.verfs/store/``   the object store (see docs/FORMAT.md)
``.verfs/head``     the current version's id and a newline, or a newline for an empty
                    repository (read strictly: ``verfs.headlog``)
``.verfs/reflog``   one line per move of head: ``<UTC time> <version or -> <operation>``
``.verfs/lock``     taken (flock) by every command that changes anything
``.verfs/journal``  present only while a command changes the working tree (journal.py)

Head is the one mutable thing; it is replaced atomically, after the objects it
names are durable.
"""

import fcntl
import functools
import logging
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from store.errors import AmbiguousPrefix, CannotTell, InvalidId, ObjectNotFound, StoreError
from store.files import FILE_MODE, write_atomic
from store.ids import is_id

from . import headlog, heads, versionspec
from .dotfiles import NotAFile, read_small_file
from .errors import DamagedRepository, NotARepository, Refused, UnknownVersion
from .headlog import RefEntry

if TYPE_CHECKING:
    from store.disk import DiskStore

    from .history import History

__all__ = ["DOTDIR", "RefEntry", "Repository", "read_head"]

DOTDIR = ".verfs"


log = logging.getLogger("verfs.repo")


def locate(start: str) -> str | None:
    """The working directory of the repository containing ``start`` (itself or a
    parent directory; None: none) — looked for only, nothing read or finished: what
    ``Repository.find`` opens, and what shell completion reads quietly."""
    here = os.path.abspath(start)
    while not os.path.isdir(os.path.join(here, DOTDIR, "store")):
        up = os.path.dirname(here)
        if up == here:
            return None
        here = up
    return here


def read_head(dotdir: str) -> str | None:
    """What ``Repository.head`` reads, from a ``.verfs`` directory alone (the mount
    follows head with it, with no store opened)."""
    path = os.path.join(dotdir, "head")
    try:
        data = read_small_file(path, headlog.HEAD_SIZE)
    except FileNotFoundError:
        raise _damaged_head(dotdir, "missing") from None
    except NotAFile as exc:
        raise _damaged_head(dotdir, str(exc)) from None
    last = _read_reflog(dotdir).last if data == b"" else None
    why = headlog.head_problem(data, last, os.path.exists(os.path.join(dotdir, "reflog")))
    if why is not None:
        raise _damaged_head(dotdir, why)
    return headlog.parse_head(data)


def _damaged_head(dotdir: str, why: str) -> DamagedRepository:
    """The error for a damaged head: ``why`` never quotes the file (it may be anything,
    ``/etc/passwd`` through a symbolic link), and the way back is offered."""
    path = os.path.join(dotdir, "head")
    try:
        last = _read_reflog(dotdir).last
    except (DamagedRepository, OSError):
        last = None
    if last is None:
        back = ("and the reflog names no version to go back to: write one (a version "
                "id and a newline) into it")
    else:
        back = (f"the reflog's last entry is {last.vid or '- (empty)'}; "
                f"'verfs head --repair' writes it back")
    return DamagedRepository(f"{path} is damaged ({why}); {back}")


def _read_reflog(dotdir: str) -> headlog.Reflog:
    path = os.path.join(dotdir, "reflog")
    try:
        data = read_small_file(path, None)
    except FileNotFoundError:
        return headlog.Reflog([], [])
    except NotAFile as exc:
        raise DamagedRepository(f"{path} is damaged ({exc})") from None
    return headlog.parse_reflog(data)


def _reflog_line(vid: str | None, operation: str) -> bytes:
    """A reflog entry of now (head's or a branch's)."""
    when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return headlog.reflog_line(when, vid, operation)


def _append(path: str, line: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


class Repository:
    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.dotdir = os.path.join(self.root, DOTDIR)
        self.swallowed = 0      # errors logged and not raised (see pack_if_needed)

    # The store and the history are opened when first used: ``verfs head`` reads one
    # file and starts faster without importing them (docs: README "Performance").
    @functools.cached_property
    def store(self) -> "DiskStore":
        from store.disk import DiskStore
        return DiskStore(os.path.join(self.dotdir, "store"))

    @functools.cached_property
    def history(self) -> "History":
        from .history import History
        return History(self.store)

    # --- finding and making ---------------------------------------------------------
    @classmethod
    def init(cls, root: str) -> "Repository":
        root = os.path.abspath(root)
        dotdir = os.path.join(root, DOTDIR)
        if os.path.exists(dotdir):
            raise Refused(f"already a verfs repository: {root}")
        os.makedirs(root, exist_ok=True)
        os.mkdir(dotdir)
        from store.disk import DiskStore
        DiskStore(os.path.join(dotdir, "store"), create=True)
        with open(os.path.join(dotdir, "head"), "wb") as f:
            f.write(b"\n")     # empty (docs/FORMAT.md): not the 0 bytes of a truncation
        repo = cls(root)
        repo._log(None, "init")
        return repo

    @classmethod
    def find(cls, start: str = ".") -> "Repository":
        """The repository containing ``start`` (itself or a parent directory), with
        any command killed half-way in it finished first."""
        root = locate(start)
        if root is None:
            raise NotARepository(f"not in a verfs repository: {os.path.abspath(start)} "
                                 f"(run 'verfs init' to make one)")
        repo = cls(root)
        repo.finish_interrupted()
        return repo

    # --- head and reflog ------------------------------------------------------------
    def head(self) -> str | None:
        """The version head names (None: the repository is empty), read strictly
        (``verfs.headlog``): damage raises ``DamagedRepository`` naming the file and
        the way back, never reads as a version or as an empty repository."""
        return read_head(self.dotdir)

    def repair_head(self) -> str | None:
        """Write the reflog's last entry back into a damaged head (the version head was
        at when it last moved: head is written before the reflog).  Refuses when head
        is sound or the reflog's version is not in the store."""
        with self.locked():
            try:
                vid = self.head()
            except DamagedRepository:
                pass
            else:
                raise Refused(f"head is not damaged: it names {vid or 'no version'}")
            last = self._read_reflog().last
            if last is None:
                raise DamagedRepository(
                    f"{os.path.join(self.dotdir, 'head')} cannot be repaired: the reflog "
                    f"names no version to go back to")
            if last.vid is not None:
                self.store.get_version(last.vid)    # present and intact, or an error
            write_atomic(os.path.join(self.dotdir, "head"), (last.vid or "").encode() + b"\n")
            self._log(last.vid, "repair head")
            return last.vid

    def set_head(self, vid: str | None, operation: str, branch_log: bool = True) -> None:
        """Move head (and so the checked-out branch) to ``vid``.  Without
        ``branch_log`` the branch's own reflog is left alone: a switch moves head to
        the branch's version, which is no move of the branch."""
        write_atomic(os.path.join(self.dotdir, "head"), (vid or "").encode() + b"\n")
        self._log(vid, operation, branch_log)
        self.pack_if_needed()

    def pack_if_needed(self) -> None:
        """Keep loose objects few, in the history and in its derived cache, as git's
        ``gc --auto`` does: checked after every move of head (a few directory listings).
        A failure here is no failure of the command that moved head — its work is
        done and durable — so it is logged as a warning (the CLI prints it), counted in
        ``swallowed``, and left for ``verfs gc`` and ``verfs fsck`` to report."""
        for store in (self.store, self.store.derived):
            try:
                store.pack_if_needed()
            except (StoreError, OSError) as exc:
                self.swallowed += 1
                log.warning("packing loose objects failed (run 'verfs gc' to retry, "
                            "'verfs fsck' to check): %s", exc)

    def _log(self, vid: str | None, operation: str, branch_log: bool = True) -> None:
        _append(os.path.join(self.dotdir, "reflog"), _reflog_line(vid, operation))
        if not branch_log:
            return
        try:    # the branch's own reflog: informative, so a failure is only logged
            self.log_branch(self.current_branch(), vid, operation)
        except (OSError, DamagedRepository) as exc:
            self.swallowed += 1
            log.warning("the branch's reflog was not written: %s", exc)

    @property
    def _reflog_path(self) -> str:
        return os.path.join(self.dotdir, "reflog")

    def _read_reflog(self) -> headlog.Reflog:
        return _read_reflog(self.dotdir)

    def reflog(self) -> list[RefEntry]:
        """Every version head has been at, newest first (lines that are no entry are
        skipped here; ``reflog_problems`` names them)."""
        return self._read_reflog().entries

    def reflog_problems(self) -> list[str]:
        """One line per reflog line that is not ``<time> <version or -> <operation>``."""
        return headlog.bad_lines(self._reflog_path, self._read_reflog())

    def _open_lock(self) -> int:
        return os.open(os.path.join(self.dotdir, "lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)

    @contextmanager
    def locked(self, recover: bool = True):
        """Hold the repository's lock: one changing command at a time.  First, with
        ``recover``, finish any command that was killed half-way (journal.py)."""
        fd = self._open_lock()
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
            fd = self._open_lock()
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

    # --- named heads (verfs.heads) ---------------------------------------------------
    def current_branch(self) -> str:
        return heads.current_branch(self.dotdir)

    def branches(self) -> dict[str, str | None]:
        """Every branch's version (None: empty); the checked-out one's is head."""
        return heads.all_branches(heads.stored_branches(self.dotdir),
                                  self.current_branch(), self.head())

    def tags(self) -> dict[str, str]:
        """Every tag's version: the tag references, and the tags on head's chain (made
        before tag references existed; on head's chain, the newest of a name).  A
        reference wins over a chain's tag of the same name: it was written on purpose
        (``verfs tag``, an import, a move of head that kept the tag); the rules are
        ``verfs.heads.all_tags``'s."""
        return heads.all_tags(self.history.tags(self.head()), heads.tag_refs(self.dotdir))

    def branch_reflog(self, name: str) -> list[RefEntry]:
        """Branch ``name``'s own reflog, newest first (none: an empty list)."""
        try:
            data = read_small_file(heads.branch_log_path(self.dotdir, name), None)
        except FileNotFoundError:
            return []
        except NotAFile as exc:
            raise DamagedRepository(f"{heads.branch_log_path(self.dotdir, name)} is "
                                    f"damaged ({exc})") from None
        return headlog.parse_reflog(data).entries

    def log_branch(self, name: str, vid: str | None, operation: str) -> None:
        """A line in branch ``name``'s reflog only (a branch made or moved while it is
        not checked out: head does not move)."""
        path = heads.branch_log_path(self.dotdir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _append(path, _reflog_line(vid, operation))

    # --- naming versions --------------------------------------------------------------
    def resolve(self, spec: str, tags: bool = True) -> str | None:
        """A version id from a VERSION argument (``verfs.versionspec``): ``head``,
        ``@{N}``, ``NAME@{N}``, a full id, a unique prefix of >= 4 hex digits, a branch
        or a tag name (in that order), then any ``~N`` and ``^`` suffixes.  None denotes
        the empty state (``head`` of an empty repository, or back to the start).
        Without ``tags``, branch and tag names are not looked for.

        Asks only ``head()``, ``store`` and ``history`` of its object, and ``dotdir``
        when there is one: ``verfs.published`` reads a remote's history with it."""
        if spec in versionspec.HEAD_NAMES:
            return self.head()
        parsed = versionspec.parse(spec)
        try:
            vid = self._resolve_base(parsed.base, tags)
        except UnknownVersion:
            if not parsed.back or not tags:
                raise
            # a tag made before names were checked may hold '~' or '^' itself
            named = _tags_of(self)
            if spec not in named:
                raise
            return named[spec]
        try:
            return self.history.ancestor(vid, parsed.back)
        except ValueError:
            depth = self.history.depth(vid)
            raise UnknownVersion(f"{spec}: the history is not that long ({parsed.base} "
                                 f"is {depth} patch{'' if depth == 1 else 'es'} from "
                                 f"the start)") from None

    def resolve_some(self, spec: str) -> str:
        """Like ``resolve``, but the empty state is an error."""
        vid = self.resolve(spec)
        if vid is None:
            raise UnknownVersion(f"{spec}: no version (the repository is empty there)")
        return vid

    def _resolve_base(self, spec: str, tags: bool = True) -> str | None:
        """Head and the reflog, then hashes (no walk of the history), then branch
        names, tag references and, last, the tags on head's chain."""
        if spec in versionspec.HEAD_NAMES:
            return self.head()
        at = versionspec.Spec(spec, 0).reflog
        if at is not None:
            return _reflog_version(self, spec, *at)
        ambiguous = None
        try:
            return self.store.resolve("version", spec)
        except AmbiguousPrefix as exc:
            ambiguous = exc
        except (ObjectNotFound, InvalidId):
            pass
        dotdir = getattr(self, "dotdir", None)
        if tags and dotdir is not None:
            if spec == heads.current_branch(dotdir):
                return self.head()
            for found in (heads.stored_branch(dotdir, spec), heads.tag_ref(dotdir, spec)):
                if found is not heads.MISSING:
                    return found
        if tags:
            named = self.history.tags(self.head())
            if spec in named:
                return named[spec]
        if ambiguous is not None:
            raise UnknownVersion(str(ambiguous)) from None
        problems = self.store.unreadable_parts()
        if problems:        # it may be in the pack that cannot be read
            raise CannotTell(f"version {spec}", problems[0])
        what = "version" if is_id(spec) else "version, branch, tag or hash prefix"
        raise UnknownVersion(f"unknown {what}: {spec}") from None


def _tags_of(repo) -> dict[str, str]:
    """``repo.tags()``, or the chain's tags for an object without a ``.verfs``."""
    if getattr(repo, "dotdir", None) is not None:
        return repo.tags()
    return repo.history.tags(repo.head())


def _reflog_version(repo, spec: str, branch: str | None, n: int) -> str | None:
    """``@{N}``: the version head was at N moves ago (``@{0}``: head); ``NAME@{N}``:
    branch NAME's, from its own reflog."""
    if getattr(repo, "dotdir", None) is None:
        raise UnknownVersion(f"{spec}: no reflog here (a remote store has none)")
    if branch is None:
        if n == 0:
            return repo.head()
        entries = repo.reflog()
    else:
        named = repo.branches()
        if branch not in named:
            raise UnknownVersion(f"{spec}: no branch {branch!r}")
        if n == 0:
            return named[branch]
        entries = repo.branch_reflog(branch)
    if n >= len(entries):
        whose = "head's reflog" if branch is None else f"branch {branch}'s reflog"
        raise UnknownVersion(f"{spec}: {whose} has only {len(entries)} "
                             f"entr{'y' if len(entries) == 1 else 'ies'}")
    return entries[n].vid
