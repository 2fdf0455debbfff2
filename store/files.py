"""Writing a file so that no reader ever sees it half-written.

The one recipe the store, its cache and the repository's head pointer share: a
temporary file in the target's directory, then ``rename`` over the target.  When the
write must also survive a crash (``durable``), the file is fsynced before the rename
and its directory after it.
"""

import os
import tempfile


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, data: bytes, durable: bool = True) -> None:
    """Replace ``path`` by ``data`` in one step; the directory must exist."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        fsync_dir(directory)


def link_atomic(source: str, path: str, durable: bool = True) -> None:
    """Make ``path`` a hard link to ``source`` in one step (a temporary name, then
    ``rename``); when ``durable``, the data is fsynced first and the directory after."""
    directory = os.path.dirname(path)
    if durable:
        fd = os.open(source, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    tmp = os.path.join(directory, f".tmp-link-{os.getpid()}-{os.path.basename(path)}")
    os.link(source, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    if durable:
        fsync_dir(directory)
