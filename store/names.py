"""Escaping of file names and paths in the text formats.

The same rule as darcs (``Util/Path.hs`` ``encodeWhite``): every whitespace character
and the backslash become ``\\<decimal code point>\\``; every other character is written
raw, as UTF-8.  Names are ``str`` decoded with ``surrogateescape``, so names that are
not valid UTF-8 round-trip byte for byte.  A path is written ``./a/b``.
"""

import re

from .errors import FormatError

_ESCAPE = re.compile(r"\\([0-9]+)\\")


def _canonical_text(text: str) -> bool:
    """Whether ``text`` is what its own bytes decode to.  A lone surrogate other than
    surrogateescape's, or escapes of bytes that decode to something else, would give
    one name two spellings (or none at all: it could not be written back)."""
    if text.isascii():
        return True
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape") == text
    except UnicodeEncodeError:
        return False


def _escape_char(c: str) -> str:
    return f"\\{ord(c)}\\" if c == "\\" or c.isspace() else c


def escape(name: str) -> bytes:
    """The canonical written form of a name (or of any single-line text such as a link
    target): no whitespace and no newline survive, so it can sit in a line of text."""
    if name.isprintable() and " " not in name and "\\" not in name:
        return name.encode("utf-8", "surrogateescape")
    return "".join(_escape_char(c) for c in name).encode("utf-8", "surrogateescape")


def unescape(data: bytes) -> str:
    """Inverse of :func:`escape`; also reads darcs's escapes."""
    text = data.decode("utf-8", "surrogateescape")
    if "\\" not in text:
        return text
    try:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1))), text)
    except (ValueError, OverflowError) as exc:
        raise FormatError(f"bad escape in name {data!r}") from exc
    if not _canonical_text(text):
        raise FormatError(f"escape in {data!r} is not a character")
    return text


def check_name(name: str) -> str:
    """A tree entry name: not empty, not ``.`` or ``..``, no ``/`` and no NUL, and
    the one ``str`` its bytes decode to."""
    if not name or name in (".", "..") or "/" in name or "\0" in name \
            or not _canonical_text(name):
        raise FormatError(f"invalid file name {name!r}")
    return name


def split_path(path: str) -> list[str]:
    """``a/b/c`` → ``["a", "b", "c"]``; the root is ``""`` → ``[]``."""
    if path == "":
        return []
    parts = path.split("/")
    for part in parts:
        check_name(part)
    return parts


def write_path(path: str) -> bytes:
    """A repository path in patch text: ``./`` and the escaped components."""
    return b"./" + b"/".join(escape(p) for p in split_path(path))


def read_path(data: bytes) -> str:
    """Inverse of :func:`write_path`; rejects anything that is not ``./``-relative."""
    if data == b".":
        return ""
    if not data.startswith(b"./"):
        raise FormatError(f"path does not start with ./: {data!r}")
    parts = [unescape(p) for p in data[2:].split(b"/")]
    for part in parts:
        check_name(part)
    return "/".join(parts)


def sort_key(name: str) -> bytes:
    """Entries sort by the raw bytes of their names."""
    return name.encode("utf-8", "surrogateescape")
