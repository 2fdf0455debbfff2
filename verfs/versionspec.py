"""The grammar of a VERSION argument, as pure functions (``Repository.resolve`` looks
the parts up).

    VERSION  = BASE SUFFIX*
    BASE     = head | HEAD | @ | [NAME]@{N} | full id | hash prefix | branch | tag
    SUFFIX   = ~ | ~N | ^ | ^0 | ^1          (git's: ~N is N first parents back,
                                              ^ one; a version has one parent)

``@{N}`` is the Nth previous head of the reflog (``@{0}``: head), ``NAME@{N}`` the
Nth previous version of branch NAME (its own reflog, ``.verfs/logs/NAME``).  Branch
and tag names never hold ``~``, ``^`` or ``@`` (``verfs.heads.check_name``), so the
suffixes are split off the end with no look-up; a tag made before that rule whose
name holds them is still found by its whole name (``Repository.resolve``).
"""

import re
from typing import NamedTuple

from .errors import UnknownVersion

# DOTALL and ASCII: a name with a newline (typed in quotes) or a non-ASCII digit is
# only a name that is not found, never a crash or a suffix.
_SPLIT = re.compile(r"(.*?)((?:~\d*|\^\d*)*)", re.S | re.A)
_SUFFIX = re.compile(r"([~^])(\d*)", re.A)
_REFLOG = re.compile(r"(.*)@\{(\d+)\}", re.S | re.A)
HEAD_NAMES = ("head", "HEAD", "@")


class Spec(NamedTuple):
    base: str               # what the suffixes apply to (may itself be NAME@{N})
    back: int               # how many first parents back from it

    @property
    def reflog(self) -> tuple[str | None, int] | None:
        """``(branch name or None for head's reflog, N)`` when the base is ``@{N}``."""
        m = _REFLOG.fullmatch(self.base)
        if m is None:
            return None
        name = m.group(1)
        return (None if name in ("", *HEAD_NAMES) else name), int(m.group(2))


def parse(spec: str) -> Spec:
    """``spec`` split into its base and how far back the suffixes go; a suffix that
    names no version (``^2``: a version has one parent) is an ``UnknownVersion``."""
    m = _SPLIT.fullmatch(spec)
    base, tail = m.group(1), m.group(2)
    back = 0
    for op, digits in _SUFFIX.findall(tail):
        n = int(digits) if digits else 1
        if op == "^" and n > 1:
            raise UnknownVersion(f"{spec}: ^{n} names no version (a version has one "
                                 f"parent: use ~{n} for {n} back)")
        back += n
    return Spec(base, back)


def of_head(spec: str) -> bool:
    """Whether ``spec`` can only mean a version, never a path or a tag: its base is
    head (``head``, ``HEAD``, ``@``) or head's reflog (``@{N}``, ``head@{N}``),
    whatever its suffixes (``head~3``, ``@{2}^``; a wrong one, ``head^2``, is
    still meant as a version, for ``parse`` to refuse)."""
    base = _SPLIT.fullmatch(spec).group(1)
    if base in HEAD_NAMES:
        return True
    m = _REFLOG.fullmatch(base)
    return m is not None and m.group(1) in ("", *HEAD_NAMES)
