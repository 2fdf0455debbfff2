"""Writing a file so that no reader ever sees it half-written, with the mode every
file of a repository gets.

The one recipe the store, its cache and the repository's head pointer share: a
temporary file in the target's directory, then ``rename`` over the target.  When the
write must also survive a crash (``durable``), the file is fsynced before the rename
and its directory after it.

**Modes.**  Every file verfs makes is created ``0666 & ~umask`` (``FILE_MODE``), as
git does by default and as ``open`` does: who may read a repository is the umask's
choice (022: everyone; 077: only its owner; 002: its group too), the same for objects,
packs, head, reflog, lock and the derived cache.  ``tempfile.mkstemp`` would make
0600 whatever the umask, so temporary files are made here with ``os.open`` instead.
"""

import contextlib
import os
from collections.abc import Iterator

FILE_MODE = 0o666       # before the umask, which the kernel applies


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_temp(directory: str, prefix: str) -> tuple[int, str]:
    """A new file (fd, path) with a unique name in ``directory``, ``FILE_MODE`` &
    ~umask — what ``tempfile.mkstemp`` does, but with the mode every file gets."""
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{os.getpid()}-{os.urandom(6).hex()}")
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                           FILE_MODE), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


@contextlib.contextmanager
def temp_file(directory: str, prefix: str = ".tmp-") -> Iterator[tuple[int, str]]:
    """A new temporary file in ``directory`` (``create_temp``): ``(fd, path)``, for the
    block to write and rename into place.  Whatever goes wrong in the block, the
    temporary name is gone afterwards (the descriptor is the block's to close)."""
    fd, tmp = create_temp(directory, prefix)
    try:
        yield fd, tmp
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_new(path: str, data: bytes) -> None:
    """Create ``path`` (it must not exist) holding ``data``, not synced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def write_atomic(path: str, data: bytes, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` in one step; the directory must exist."""
    directory = os.path.dirname(path)
    with temp_file(directory) as (fd, tmp):
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    if durable:
        fsync_dir(directory)


def link_atomic(source: str, path: str, durable: bool = True) -> None:
    """Make ``path`` a hard link to ``source`` in one step (a temporary name, then
    ``rename``); when ``durable``, the data is fsynced first and the directory after."""
    directory = os.path.dirname(path)
    if durable:
        fsync_file(source)
    tmp = os.path.join(directory, f".tmp-link-{os.getpid()}-{os.path.basename(path)}")
    os.link(source, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    if durable:
        fsync_dir(directory)
