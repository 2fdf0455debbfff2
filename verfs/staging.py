"""Building a new repository beside its target and moving it into place, so that a
killed ``import`` or ``clone`` leaves no half-made target behind.

The repository is built in a hidden sibling directory (``.verfs-import-*``,
``.verfs-clone-*``) and renamed onto the target at the very end — or, when the
target is an existing empty directory, its ``.verfs`` is moved in with a journal
that the next step (or command) finishes (see ``build``).  Who owns a staging
directory is told by ``flock`` on the directory itself, held from its making to its
move: the lock dies with its process, so a later run that can take it (without
blocking) knows the owner is dead and removes the leftover.  A staging directory's
name carries a hash of its target's name, and looking for a live one and making
one's own happen under a brief flock of the parent directory: so of two runs for one
target the second is told that another one is running.
"""

import errno
import fcntl
import hashlib
import logging
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from store.staging import remove_tree, sweep
from store.swallow import Swallowed

from .errors import Refused
from .repo import DOTDIR
from .testhook import pause

PREFIXES = (".verfs-import-", ".verfs-clone-")
swallowed = Swallowed(logging.getLogger("verfs.repo"))     # said and counted
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


@contextmanager
def _parent_locked(parent: str):
    """The parent directory's flock, held for a moment: looking for a live staging
    directory and making one are a single step (and cleaners take turns)."""
    try:
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:  # unreadable: go on unguarded rather than not at all
        swallowed("staging: cannot lock the target's parent directory (two runs for "
                  "one target are not told apart)", exc)
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _survey(parent: str) -> list[str]:
    """Remove the staging directories in ``parent`` that no live process owns; the
    names of those that one does."""
    try:
        return sweep(parent, PREFIXES)[1]
    except OSError:         # an unreadable parent: nothing to survey
        return []


def remove_stale(parent: str) -> None:
    """Remove the leftovers of killed imports and clones in ``parent``."""
    with _parent_locked(parent):
        _survey(parent)


def _tag(target: str) -> str:
    """Names the target in its staging directories' names (any length of name)."""
    return hashlib.sha256(os.fsencode(os.path.basename(target))).hexdigest()[:12]


def _new_staging(parent: str, prefix: str) -> tuple[str, int]:
    """A new staging directory and its locked descriptor."""
    path = tempfile.mkdtemp(dir=parent, prefix=prefix)
    fd = os.open(path, _DIR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o777 & ~umask)      # mkdtemp's 0700 is not what a new directory gets
    return path, fd


def _check_target(target: str) -> None:
    if os.path.lexists(target) and (not os.path.isdir(target) or os.path.islink(target)
                                    or os.listdir(target)):
        raise Refused(f"{target}: exists and is not an empty directory")


@dataclass(frozen=True)
class Staging:
    path: str           # where to build the repository
    in_place: bool      # the target is an existing directory (see build)


@contextmanager
def build(target: str, what: str):
    """A staging directory for a new repository at ``target`` (absent or an empty
    directory), moved onto it when the block ends without an error, and removed when
    it does not (``target`` stays as it was).  ``what`` names the command: import,
    clone.

    An absent target is the staging directory renamed: one step.  An existing one
    stays (it may be someone's current directory), so only the staging ``.verfs`` is
    moved into it: the block then builds the repository without its working tree and
    leaves a journal (journal.py) saying which tree to write, which the caller (or,
    after a kill, the next command) finishes in place."""
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tag = _tag(target)
    with _parent_locked(parent):
        for name in _survey(parent):
            for kind in PREFIXES:
                if name.startswith(f"{kind}{tag}-"):
                    raise Refused(f"another {kind.split('-')[1]} into {target} is running")
        _check_target(target)
        path, fd = _new_staging(parent, f".verfs-{what}-{tag}-")
    in_place = os.path.isdir(target)
    try:
        pause("staged")
        yield Staging(path, in_place)
        try:
            if in_place:
                os.rename(os.path.join(path, DOTDIR), os.path.join(target, DOTDIR))
                os.rmdir(path)
            else:
                os.rename(path, target)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            raise Refused(f"{target} was made by another command meanwhile; "
                             f"nothing of this {what} was kept") from None
    except BaseException:
        remove_tree(path)
        raise
    finally:
        os.close(fd)
