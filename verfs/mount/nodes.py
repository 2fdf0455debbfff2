"""The one record every layer of the mount passes around, its inode numbers, and the
typed errors of the view.

A ``Node`` is what ``stat`` needs and nothing more (ratarmount's FileInfo): the FUSE
adapter only turns it into a stat dict.  Inodes are derived from (parent inode, name)
by hashing, as restic does: stable across remounts with no table, and never from
content — two equal files are not one file to ``cp -a`` or ``find``.
"""

import errno
import hashlib
from dataclasses import dataclass

from store import DIR, FILE, LINK

from ..errors import VerfsError

__all__ = ["DIR", "FILE", "LINK", "ROOT_INO", "IsADirectory", "Node", "NoSuchPath",
           "NotADirectory", "NotASymlink", "ViewError", "child_ino"]

ROOT_INO = 1
_INO_MASK = (1 << 63) - 1       # positive in any signed 64-bit st_ino


def child_ino(parent: int, name: str) -> int:
    """The inode number of ``name`` in the directory whose inode is ``parent``."""
    h = hashlib.blake2b(parent.to_bytes(8, "little") + name.encode("utf-8", "surrogateescape"),
                        digest_size=8)
    ino = int.from_bytes(h.digest(), "little") & _INO_MASK
    return ino if ino > ROOT_INO else ino + 2


@dataclass(frozen=True, slots=True)
class Node:
    """One path of the mount.  ``oid`` is the tree (directory) or blob (file, link)
    behind it; ``data`` is the content of a file or link target made up by the view
    (``info/``, ``head``...); ``vid`` the version a directory belongs to, when its
    tree is still to be reconstructed; ``role`` says which listing a directory has."""

    ino: int
    kind: str
    size: int
    mtime_ns: int
    exec: bool = False
    oid: str | None = None
    data: bytes | None = None
    vid: str | None = None
    role: str = "tree"

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR


class ViewError(VerfsError):
    """A path of the mount cannot be used as asked."""


class NoSuchPath(ViewError):
    """Nothing at this path (ENOENT)."""

    fuse_errno = errno.ENOENT


class NotADirectory(ViewError):
    """A path goes through something that is not a directory (ENOTDIR)."""

    fuse_errno = errno.ENOTDIR


class IsADirectory(ViewError):
    """File content was asked of a directory (EISDIR)."""

    fuse_errno = errno.EISDIR


class NotASymlink(ViewError):
    """A link target was asked of something that is not a symbolic link (EINVAL)."""

    fuse_errno = errno.EINVAL


def file_node(ino: int, data: bytes, mtime_ns: int, role: str = "text") -> Node:
    return Node(ino, FILE, len(data), mtime_ns, data=data, role=role)


def link_node(ino: int, target: str, mtime_ns: int, role: str = "link") -> Node:
    data = target.encode("utf-8", "surrogateescape")
    return Node(ino, LINK, len(data), mtime_ns, data=data, role=role)
