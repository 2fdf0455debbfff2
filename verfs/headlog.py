"""The formats of ``.verfs/head`` and ``.verfs/reflog``, read strictly.

Head is one version id and a newline (65 bytes), or just a newline when the repository
is empty; anything else is damage, named, never read as a version or as "empty".  Zero
bytes are what ``verfs init`` wrote before this rule: they still mean empty, but only
where the reflog agrees (its last entry is ``-``, or there is no reflog); with a
version as the reflog's last entry they are a truncated head.

A reflog line is ``<UTC time> <version id or -> <operation>``, the time as
``YYYY-MM-DDThh:mm:ssZ``.  A line that is not is reported (by ``fsck``) and skipped,
never read as a version.

Pure functions over bytes: ``verfs.repo`` does the reading.
"""

import re
from typing import NamedTuple

from store.ids import HEX_LEN, is_id

HEAD_SIZE = HEX_LEN + 1
_REFLOG_LINE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) "
                          r"([0-9a-f]{" + str(HEX_LEN) + r"}|-) (\S.*)")


class RefEntry(NamedTuple):
    when: str
    vid: str | None
    operation: str


class Reflog(NamedTuple):
    """The entries, newest first, and the lines that are not entries (number, text)."""

    entries: list[RefEntry]
    bad: list[tuple[int, str]]

    @property
    def last(self) -> RefEntry | None:
        return self.entries[0] if self.entries else None


def parse_reflog(data: bytes) -> Reflog:
    """Entries split on ``\\n`` only: an operation may hold any other character."""
    text = data.decode("utf-8", "surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    entries, bad = [], []
    for n, line in enumerate(lines, 1):
        m = _REFLOG_LINE.fullmatch(line)
        if m is None:
            bad.append((n, line))
        else:
            vid = None if m.group(2) == "-" else m.group(2)
            entries.append(RefEntry(m.group(1), vid, m.group(3)))
    entries.reverse()
    return Reflog(entries, bad)


def bad_lines(path: str, reflog: Reflog) -> list[str]:
    """One problem line (``fsck``'s) per line of the reflog at ``path`` that is no entry."""
    return [f"{path} is damaged: line {n} is not '<time> <version or -> <operation>': "
            f"{line[:80]!r}" for n, line in reflog.bad]


def reflog_line(when: str, vid: str | None, operation: str) -> bytes:
    """One entry; a newline in the operation would end it early, so it is a space."""
    operation = operation.replace("\n", " ").strip() or "?"
    return f"{when} {vid or '-'} {operation}\n".encode("utf-8", "surrogateescape")


def head_problem(data: bytes, last: RefEntry | None, reflog_exists: bool) -> str | None:
    """Why ``data`` is no head (None: it is one).  ``last`` is the reflog's last entry
    (only looked at when ``data`` is empty)."""
    if data == b"\n":
        return None
    if data == b"":
        if last is None:
            return "empty" if reflog_exists else None
        return "empty" if last.vid is not None else None
    if len(data) > HEAD_SIZE:
        return f"{len(data)} bytes, where a head is at most {HEAD_SIZE}"
    if data.endswith(b"\n") and is_id(data[:-1].decode("ascii", "replace")):
        return None
    return "not one version id and a newline"


def parse_head(data: bytes) -> str | None:
    """The version a head names (None: empty); only for bytes ``head_problem`` passed."""
    text = data.decode("ascii").strip()
    return text or None
