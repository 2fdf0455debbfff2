"""Git's object ids and its ``GIT binary patch`` encoding, for ``git apply``.

A binary hunk is ``literal N`` (N the size of the new content), then the content
deflated by zlib and cut into lines of at most 52 bytes, each line a length
character (``A``-``Z`` for 1-26, ``a``-``z`` for 27-52) and the bytes in base 85
(git's alphabet is RFC 1924's, the one ``base64.b85encode`` uses; the last group
padded with zero bytes, the length character telling where the data ends), and a
blank line.  ``git apply`` checks the old content and the result against the full
blob ids of the ``index`` line, so those are computed as git computes them.
"""

import base64
import hashlib
import zlib

NULL_ID = "0" * 40
LINE_BYTES = 52


def blob_id(data: bytes) -> str:
    """Git's (SHA-1) id of a blob holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _length_char(n: int) -> bytes:
    return bytes([ord("A") + n - 1 if n <= 26 else ord("a") + n - 27])


def literal(data: bytes) -> bytes:
    """One ``literal`` hunk whose result is ``data``, blank line included."""
    packed = zlib.compress(data, 1)    # git's default level (core.compression)
    lines = [b"literal %d\n" % len(data)]
    for i in range(0, len(packed), LINE_BYTES):
        chunk = packed[i:i + LINE_BYTES]
        lines.append(_length_char(len(chunk)) + base64.b85encode(chunk, pad=True) + b"\n")
    lines.append(b"\n")
    return b"".join(lines)


def binary_patch(old: bytes, new: bytes) -> bytes:
    """What follows a binary file's ``index`` line: the forward hunk, then the
    reverse one (so ``git apply -R`` works too), as ``git diff --binary`` writes."""
    return b"GIT binary patch\n" + literal(new) + literal(old)
