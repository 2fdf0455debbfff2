"""darcs's token replace (``Patch/TokenReplace.hs``, ``Patch/RegChars.hs``).

A file is split into maximal runs of token characters; each run equal to OLD
becomes NEW.  A newline is never a token character, so replacing over a whole file
and replacing line by line agree (commuting a hunk past a replace relies on it).
If any run already equals NEW the replace cannot apply (it would not be invertible).
Bytes, not text: darcs works on the raw bytes.
"""

import re
from functools import lru_cache


@lru_cache(maxsize=64)
def token_pattern(chars: str) -> re.Pattern:
    """``A-Za-z_0-9`` (ranges, singles, ``\\`` escapes, leading ``^`` to negate) →
    a bytes regex matching maximal token runs."""
    spec = chars.encode("utf-8", "surrogateescape")
    negate = spec.startswith(b"^")
    if negate:
        spec = spec[1:]
    members = set()
    i = 0
    while i < len(spec):
        c = spec[i]
        if c == ord("\\") and i + 1 < len(spec):
            i += 1
            c = spec[i]
        if i + 2 < len(spec) and spec[i + 1] == ord("-"):
            members.update(range(c, spec[i + 2] + 1))
            i += 3
        else:
            members.add(c)
            i += 1
    if negate:
        members = set(range(256)) - members
    members.discard(ord("\n"))     # tokens never span lines, so hunks can be rewritten
    if not members:
        return re.compile(rb"(?!)")
    cls = b"".join(re.escape(bytes([b])) for b in sorted(members))
    return re.compile(b"[" + cls + b"]+")


def replace_tokens(data: bytes, chars: str, old: bytes, new: bytes) -> bytes | None:
    """``data`` with every token ``old`` turned into ``new``; None if ``new`` is
    already a token of ``data``."""
    pattern = token_pattern(chars)
    clash = False

    def swap(m: re.Match) -> bytes:
        nonlocal clash
        tok = m.group(0)
        if tok == new:
            clash = True
        return new if tok == old else tok

    out = pattern.sub(swap, data)
    return None if clash else out


def is_token(chars: str, text: bytes) -> bool:
    return token_pattern(chars).fullmatch(text) is not None
