"""Primitive changes, and their inverses.

A prim changes one thing in a tree.  Paths are repository-relative ``str`` with ``/``
separators (names decoded with ``surrogateescape``, so any bytes survive); hunk lines
are ``bytes`` without their ``\\n``.  Every prim carries enough context to be undone
(``Binary`` names the old blob, ``RmFile`` follows a hunk that emptied the file), so
``invert`` never needs the tree.

Beyond darcs's primitives verfs keeps what git histories have: the exec bit
(``Chmod``) and symbolic links (``AddLink``/``RmLink``).
"""

from dataclasses import dataclass, replace

from store.ids import EMPTY_BLOB


@dataclass(frozen=True, slots=True)
class Hunk:
    """Replace ``old`` lines by ``new`` lines, starting at 1-based ``line``."""

    path: str
    line: int
    old: tuple[bytes, ...]
    new: tuple[bytes, ...]

    @property
    def empty(self) -> bool:
        return not self.old and not self.new


@dataclass(frozen=True, slots=True)
class AddFile:
    """Create an empty file."""

    path: str


@dataclass(frozen=True, slots=True)
class RmFile:
    """Remove an empty file."""

    path: str


@dataclass(frozen=True, slots=True)
class AddDir:
    path: str


@dataclass(frozen=True, slots=True)
class RmDir:
    """Remove an empty directory."""

    path: str


@dataclass(frozen=True, slots=True)
class Move:
    """Rename a file, link or whole directory; ``dst`` must not exist."""

    src: str
    dst: str


@dataclass(frozen=True, slots=True)
class Binary:
    """Replace a file's whole content: the blob ids before and after."""

    path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class Replace:
    """darcs's token replace: every token equal to ``old`` becomes ``new``."""

    path: str
    chars: str
    old: bytes
    new: bytes


@dataclass(frozen=True, slots=True)
class ChangePref:
    """A repository preference (darcs ``setpref``); the tree is untouched."""

    name: str
    old: bytes
    new: bytes


@dataclass(frozen=True, slots=True)
class Chmod:
    """Set (``exec=True``) or clear the exec bit of a file."""

    path: str
    exec: bool


@dataclass(frozen=True, slots=True)
class AddLink:
    """Create a symbolic link to ``target``."""

    path: str
    target: str


@dataclass(frozen=True, slots=True)
class RmLink:
    """Remove a symbolic link that points to ``target``."""

    path: str
    target: str


Prim = Hunk | AddFile | RmFile | AddDir | RmDir | Move | Binary | Replace | ChangePref | Chmod \
    | AddLink | RmLink

# Prims that act on one file's content (the path is a file before and after).
FILE_CHANGES = (Hunk, Binary, Replace, Chmod)
# Prims that create or remove one path.
CREATES = (AddFile, AddDir, AddLink)
REMOVES = (RmFile, RmDir, RmLink)


def invert(p: Prim) -> Prim:
    match p:
        case Hunk(path, line, old, new):
            return Hunk(path, line, new, old)
        case AddFile(path):
            return RmFile(path)
        case RmFile(path):
            return AddFile(path)
        case AddDir(path):
            return RmDir(path)
        case RmDir(path):
            return AddDir(path)
        case Move(src, dst):
            return Move(dst, src)
        case Binary(path, old, new):
            return Binary(path, new, old)
        case Replace(path, chars, old, new):
            return Replace(path, chars, new, old)
        case ChangePref(name, old, new):
            return ChangePref(name, new, old)
        case Chmod(path, exe):
            return Chmod(path, not exe)
        case AddLink(path, target):
            return RmLink(path, target)
        case RmLink(path, target):
            return AddLink(path, target)
    raise TypeError(f"not a prim: {p!r}")


def invert_all(prims) -> list[Prim]:
    """The inverse of a sequence: each prim inverted, in reverse order."""
    return [invert(p) for p in reversed(prims)]


def paths(p: Prim) -> tuple[str, ...]:
    """The paths a prim touches (none for ChangePref)."""
    match p:
        case Move(src, dst):
            return (src, dst)
        case ChangePref():
            return ()
    return (p.path,)


def with_path(p: Prim, path: str) -> Prim:
    """The same prim on another path (not for Move or ChangePref)."""
    return replace(p, path=path)


def is_empty_file_blob(oid: str) -> bool:
    return oid == EMPTY_BLOB
