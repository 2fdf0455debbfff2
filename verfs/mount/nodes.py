"""The one record every layer of the mount passes around, its inode numbers, and the
typed errors of the view.

A ``Node`` is what ``stat`` needs and nothing more (ratarmount's FileInfo): the FUSE
adapter only turns it into a stat dict.

Inode numbers of what a version holds are derived from what an entry *is* — its kind,
executable bit and object id — and where it is in its version (``content_ino``), never
from which version shows it: an unchanged file or subtree is one file to GNU ``diff``
and ``cmp`` in every version that has it, and they skip it without reading, as
``diff -r`` of two versions compares entries at equal paths only.  Equal content at two
paths of one version stays two files, so ``tar`` and ``cp -a`` (which take two names
of one inode for a hard link, ``tar`` for any file once it has several arguments)
copy a version as a checkout has it.  Files keep ``st_nlink`` 1.  No directory can be
its own ancestor (a tree's id hashes its children's), so no tool sees a loop.  The
mount's own names (``/``, ``versions/``, a version's root, ``info/<hash>``...) take
inodes derived from their path (``child_ino``).  The kernel's node ids stay per path
either way (libfuse assigns them): only ``st_ino`` is shared.
"""

import errno
import hashlib
from dataclasses import dataclass

from store import DIR, FILE, LINK

from ..errors import VerfsError

__all__ = ["DIR", "FILE", "LINK", "ROOT_INO", "IsADirectory", "Node", "NoSuchAttribute",
           "NoSuchPath", "NotADirectory", "NotASymlink", "ViewError", "child_ino",
           "content_ino", "dir_size"]

ROOT_INO = 1
_INO_MASK = (1 << 63) - 1       # positive in any signed 64-bit st_ino


def child_ino(parent: int, name: str) -> int:
    """The inode number of ``name`` in the directory whose inode is ``parent``."""
    h = hashlib.blake2b(parent.to_bytes(8, "little") + name.encode("utf-8", "surrogateescape"),
                        digest_size=8)
    ino = int.from_bytes(h.digest(), "little") & _INO_MASK
    return ino if ino > ROOT_INO else ino + 2


def content_ino(kind: str, exe: bool, oid: str, rel: str) -> int:
    """The inode number of the entry at ``rel`` (its path inside its version): 63 bits
    of the SHA-256 of what and where it is.  Why 63 bits suffice is in docs/FORMAT.md
    ("Inode numbers")."""
    where = rel.encode("utf-8", "surrogateescape")
    h = hashlib.sha256(f"{kind} {int(exe)} {oid} ".encode() + where).digest()
    ino = int.from_bytes(h[:8], "little") & _INO_MASK
    return ino if ino > ROOT_INO else ino + 2


def dir_size(names) -> int:
    """A directory's ``st_size`` as ext4 shows one: its entries (8 bytes and the name,
    rounded up to 4) and ``.`` and ``..``, in whole 4 KiB blocks."""
    used = 24 + sum(8 + ((len(n.encode("utf-8", "surrogateescape")) + 3) & ~3) for n in names)
    return -(-used // 4096) * 4096


@dataclass(frozen=True, slots=True)
class Node:
    """One path of the mount.  ``oid`` is the tree (directory) or blob (file, link)
    behind it; ``data`` is the content of a file or link target made up by the view
    (``info/``...); ``vid`` the version an entry is shown in; ``role`` says which
    listing a directory has ("version" for a version's root); ``nlink`` is 2 and the
    number of subdirectories for a directory, 1 otherwise; ``rel`` the path inside the
    version."""

    ino: int
    kind: str
    size: int
    mtime_ns: int
    exec: bool = False
    oid: str | None = None
    data: bytes | None = None
    vid: str | None = None
    role: str = "tree"
    nlink: int = 1
    rel: str = ""

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


class NoSuchAttribute(ViewError):
    """No extended attribute of that name here (ENODATA)."""

    fuse_errno = errno.ENODATA


class NotASymlink(ViewError):
    """A link target was asked of something that is not a symbolic link (EINVAL)."""

    fuse_errno = errno.EINVAL


def file_node(ino: int, data: bytes, mtime_ns: int, role: str = "text") -> Node:
    return Node(ino, FILE, len(data), mtime_ns, data=data, role=role)


