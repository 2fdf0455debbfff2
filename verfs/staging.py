"""Building a new repository beside its target and renaming it into place, so that
a killed ``import`` or ``clone`` leaves no half-made target behind.

The repository is built in a hidden sibling directory (``.verfs-import-*``,
``.verfs-clone-*``) and renamed onto the target — absent or an empty directory —
at the very end.  Who owns a staging directory is told by ``flock`` on the directory
itself, held from its making to its rename: the lock dies with its process, so a
later run that can take it (without blocking) knows the owner is dead and removes
the leftover.  The target directory is locked the same way for as long as it is
being built, so two runs for one target cannot both go on: the second is told
another one is running.
"""

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager

from .errors import UsageError
from .testhook import pause

PREFIXES = (".verfs-import-", ".verfs-clone-")
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def remove_stale(parent: str) -> list[str]:
    """Remove the staging directories in ``parent`` that no live process owns; their
    names."""
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(PREFIXES):
            continue
        path = os.path.join(parent, name)
        try:
            fd = os.open(path, _DIR)
        except OSError:
            continue
        try:
            if _try_lock(fd) and os.path.samestat(os.fstat(fd), os.lstat(path)):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _claim_target(target: str, what: str) -> int:
    """The locked descriptor of the (empty) target directory."""
    fd = os.open(target, _DIR)
    try:
        if not _try_lock(fd):
            raise UsageError(f"another {what} into {target} is running")
        if not os.path.samestat(os.fstat(fd), os.stat(target)) or os.listdir(fd):
            raise UsageError(f"{target}: exists and is not an empty directory")
        return fd
    except BaseException:
        os.close(fd)
        raise


def _new_staging(parent: str, what: str) -> tuple[str, int]:
    """A new staging directory and its locked descriptor.  A cleaner may remove it
    between its making and the lock (it looked unowned): then make another."""
    umask = os.umask(0)
    os.umask(umask)
    while True:
        path = tempfile.mkdtemp(dir=parent, prefix=f".verfs-{what}-")
        fd = os.open(path, _DIR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.path.samestat(os.fstat(fd), os.lstat(path)):
                os.chmod(path, 0o777 & ~umask)   # mkdtemp's 0700 is not a new directory's
                return path, fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextmanager
def build(target: str, what: str):
    """A staging directory for a new repository at ``target`` (absent or an empty
    directory), renamed onto it when the block ends without an error; removed, with
    the target as it was, when it does not.  ``what`` names the command: import,
    clone."""
    target = os.path.abspath(target)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    remove_stale(parent)
    made = False
    try:
        os.mkdir(target)
        made = True
    except FileExistsError:
        if not os.path.isdir(target):
            raise UsageError(f"{target}: exists and is not a directory") from None
    try:
        tfd = _claim_target(target, what)
    except BaseException:
        if made:
            os.rmdir(target)
        raise
    try:
        path, sfd = _new_staging(parent, what)
        try:
            pause("staged")
            yield path
            os.rename(path, target)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            if made:
                _rmdir_quietly(target)
            raise
        finally:
            os.close(sfd)
    finally:
        os.close(tfd)


def _rmdir_quietly(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass
