"""A pause point for tests that kill a command at a chosen moment (a test hook).

Tests (and ``scripts/torture``) cannot kill a process at "the middle of a checkout"
by timing; instead the command stops there and waits.  The CLI arms it once from
``VERFS_TEST_PAUSE_AT=<point>:<fifo>``; nothing else reads that variable, and unarmed
(the normal case) ``pause`` does nothing.

At the named point the command opens the FIFO for writing, writes ``<point>\\n`` and
closes it, then opens it for reading and reads until end of file.  So the test reads
one line (the command is now parked), then either kills the command or lets it go
on by closing its own read end and opening and closing the FIFO for writing.
Points: ``checkout`` (the working tree has just had its first entry changed, with
the journal written), ``head`` (a journalled change has written the whole tree, head
not yet moved), ``staged`` (a new import's or clone's staging directory is made and
owned, before anything is written to it), ``verify`` (``fsck --verify-data`` has
replayed its first version into its scratch store), ``pushed-pack`` (a push has
uploaded its first pack and added it to the remote's manifest; the remote's head is
not yet moved), ``tag-table`` (a push has uploaded every pack and table and read the
remote's tag table, not yet written), ``pushed-tags`` (a push has written the tag
table; head not yet moved), ``index-write`` (a trigram index update has found what to index,
nothing written yet), ``index-merge`` (a merge of index segments holds the merge
lock and has read its inputs, nothing written yet), ``path-log`` (a reader is about to
open a kept path log, verfs/filelog.py), ``log-walked`` (``verfs log`` has read the
first version of the history, its last entry not yet flushed), ``tag-made`` (``verfs
tag`` has stored its version, head not yet moved), ``tag-head`` (it has moved head, its
tag reference not yet written).
"""

_armed: tuple[str, str] | None = None


def arm(spec: str | None) -> None:
    """``<point>:<fifo path>``, or None/empty to disarm."""
    global _armed
    point, sep, fifo = (spec or "").partition(":")
    _armed = (point, fifo) if sep and point and fifo else None


def pause(point: str) -> None:
    """Park at ``point`` if a test asked for it (once: the hook disarms itself)."""
    global _armed
    if _armed is None or _armed[0] != point:
        return
    fifo = _armed[1]
    _armed = None
    with open(fifo, "wb") as f:
        f.write(point.encode() + b"\n")
    with open(fifo, "rb") as f:
        f.read()
