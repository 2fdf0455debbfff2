"""Staging directories: where a batch or a repack writes before anything is in view,
and how what a killed process left there is found and removed.

A writer makes ``ROOT/.staging-*`` and holds an exclusive ``flock`` on the directory
itself for as long as it works there.  The kernel drops the lock when the process
dies, however it dies (kill -9 included), so a cleaner that can take the lock without
waiting knows the owner is gone and removes the directory; one whose lock is held is
left alone.  No clock is involved: a slow writer is never mistaken for a dead one.
"""

import fcntl
import logging
import os
import shutil
import tempfile

from .swallow import Swallowed

PREFIX = ".staging-"
log = logging.getLogger("verfs.store")
swallowed = Swallowed(log)      # leftovers that could not be removed (``count``)


def remove_tree(path: str) -> bool:
    """``rm -r path`` as far as it goes; a failure is said and counted (the next
    cleaner tries again), never raised.  Whether it is all gone."""
    try:
        shutil.rmtree(path)
        return True
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):      # gone meanwhile: no failure
            swallowed("cannot remove a leftover directory (the next gc tries again)", exc)
        shutil.rmtree(path, ignore_errors=True)
        return not os.path.lexists(path)


class Staging:
    """A staging directory this process owns (``path``) until ``remove``; ``what``
    goes into its name (``.staging-verify-*``), for a reader of the directory."""

    def __init__(self, root: str, what: str = ""):
        os.makedirs(root, exist_ok=True)
        while True:
            path = tempfile.mkdtemp(dir=root, prefix=PREFIX + (what and what + "-"))
            # A cleaner may take the lock between mkdtemp and flock (the directory
            # looks abandoned) and remove it: then start again.
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self.path, self._fd = path, fd

    def remove(self) -> None:
        """Remove the directory and what is left in it, then let go of the lock."""
        remove_tree(self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def clean_abandoned(root: str, prefix: str | tuple[str, ...] = PREFIX) -> int:
    """Remove the staging directories under ``root`` (named ``prefix*``) that no live
    process holds; how many."""
    return sweep(root, prefix)[0]


def sweep(root: str, prefix: str | tuple[str, ...] = PREFIX) -> tuple[int, list[str]]:
    """``clean_abandoned``, and the names of the staging directories a live process
    holds (left alone)."""
    try:
        names = [n for n in os.listdir(root) if n.startswith(prefix)]
    except (FileNotFoundError, NotADirectoryError):
        return 0, []
    removed, live = 0, []
    for name in names:
        path = os.path.join(root, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:             # gone meanwhile, or not a directory
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:     # its owner is alive
                live.append(name)
                continue
            removed += remove_tree(path)
        finally:
            os.close(fd)
    return removed, live
