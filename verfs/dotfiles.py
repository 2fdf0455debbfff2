"""Reading the small files of ``.verfs`` (head, reflogs, branches, tag references)
as files only: never through a symbolic link, never blocking on a FIFO.

A repository may be someone else's, unpacked from an archive, or damaged: a
``.verfs/tags/v1`` that is a link to ``/dev/zero`` or a named pipe must be named as
damage in one line, not read forever or followed out of the repository.
"""

import errno
import os
import stat


class NotAFile(Exception):
    """A file of ``.verfs`` that is a symbolic link, a directory, a device..."""


def read_small_file(path: str, limit: int | None, follow: bool = False) -> bytes:
    """A regular file's bytes (at most ``limit`` + 1 of them, so that a caller can
    tell a file longer than it may be); ``follow``: through a symbolic link too (a
    file of someone else's, such as a darcs repository's boring file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotAFile("a symbolic link, not a file") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotAFile("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read() if limit is None else f.read(limit + 1)
    finally:
        os.close(fd)
