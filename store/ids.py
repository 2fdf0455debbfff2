"""Object ids: SHA-256 in lowercase hex, fixed here and nowhere else.

Every object is named by the SHA-256 of its canonical, uncompressed bytes.  Ids cross
every layer as plain ``str`` (64 lowercase hex digits); this module is the one place
that knows the algorithm, the length, and what a valid prefix is.
"""

import re

from .errors import InvalidId

HEX_LEN = 64
MIN_PREFIX = 4
EMPTY_BLOB = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # of b""

_HEX = re.compile(r"[0-9a-f]+")


def hash_bytes(data: bytes) -> str:
    """The id of an object whose canonical bytes are ``data``.  (``hashlib`` is
    imported here, not above: loading OpenSSL is most of the cost of a command that
    hashes nothing, such as ``verfs head``.)"""
    import hashlib
    return hashlib.sha256(data).hexdigest()


def new_hasher():
    """An incremental hasher for objects too large to hold in memory."""
    import hashlib
    return hashlib.sha256()


def is_id(text: str) -> bool:
    return len(text) == HEX_LEN and _HEX.fullmatch(text) is not None


def check_id(text: str) -> str:
    """Return ``text`` if it is a full id; raise InvalidId otherwise.

    Disk paths are built only from ids that passed this check, so no id can escape
    the store's directories.
    """
    if not is_id(text):
        raise InvalidId(f"not a {HEX_LEN}-digit lowercase hex id: {text!r}")
    return text


def check_prefix(text: str) -> str:
    """Return ``text`` lowercased if it can name an object by prefix (≥ 4 hex digits)."""
    low = text.lower()
    if not (MIN_PREFIX <= len(low) <= HEX_LEN and _HEX.fullmatch(low)):
        raise InvalidId(
            f"not a hash or a prefix of at least {MIN_PREFIX} hex digits: {text!r}"
        )
    return low


def short(oid: str, n: int = 12) -> str:
    """The short form shown to people."""
    return oid[:n]
