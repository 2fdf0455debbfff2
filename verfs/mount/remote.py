"""A mount of a remote store: its head, polled, and what the mount says while the
remote cannot be reached.

Everything of a remote store but ``head`` and its tag table (``tags``) is immutable,
so the mount follows those two alone: the follower (follow.py) asks ``RemoteHead.poll``
on each of its looks, which asks the remote at most every ``every`` seconds — one
conditional request each (a 304 while nothing moved) — and, when one moved, reads it
and refreshes the store's manifest before the new state is shown, so the new
versions' objects are found at once.  No FUSE request ever waits for that: a look at
``head/`` or ``tags/`` reads what the last poll left.

While the remote cannot be reached, reads through the mount answer EIO (the
transport's timeouts bound each wait); saying so once per kind of failure is enough
for a log that a mount of a laptop on a train would otherwise fill (``Outage``).
"""

import logging
import threading
import time

from store.errors import Error, FormatError
from store.remote.layout import TAGS_KEY, parse_tags
from store.remote.transport import RemoteError

from ..errors import DamagedRepository
from .refs import Names

log = logging.getLogger("verfs.mount")

POLL_EVERY = 3.0        # seconds between looks at the remote's head (``--poll``)


class Outage:
    """Failures to reach the remote, logged once per kind (the error's class) until it
    answers again, then one line saying how many requests failed meanwhile."""

    def __init__(self):
        self._lock = threading.Lock()
        self._kinds: set[str] = set()
        self.failed = 0         # requests failed since the remote last answered

    def failure(self, what: str, exc: Exception) -> None:
        kind = type(exc).__name__
        with self._lock:
            self.failed += 1
            first = kind not in self._kinds
            self._kinds.add(kind)
        if first:
            log.error("%s: %s (the remote cannot be reached: reads answer EIO until it "
                      "answers again; said once)", what, exc)

    def answered(self) -> None:
        with self._lock:
            failed, self.failed = self.failed, 0
            self._kinds.clear()
        if failed:
            log.info("the remote answers again (%d requests failed meanwhile)", failed)


OUTAGE = Outage()       # the daemon's: one mount per process


class RemoteHead:
    """The head source (refs.py) of a remote store: the head read at start (``first``,
    as ``RemoteStore.read_head`` gives it) and its tag table (read here), then what the
    polls found.  Its names beside head are the tag table alone (no branches)."""

    has_names = True        # the tag table is read as a repository's names are ...
    has_branches = False    # ... but a remote keeps no branches: no ``branches/``

    def __init__(self, remote, first: tuple[str | None, str | None],
                 every: float = POLL_EVERY, outage: Outage = OUTAGE):
        self.remote = remote
        self.every = every
        self.outage = outage
        self._head, self._etag = first
        self._tags: dict[str, str] = {}
        self._tags_etag: str | None = None
        self._read_tags()
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._damage: str | None = None     # the damage of head last said

    def _read_tags(self) -> None:
        """The tag table, now (a damaged or unreachable one: said, the last kept)."""
        try:
            self._tags, self._tags_etag = self.remote.read_tags()
        except RemoteError as exc:
            self.outage.failure(f"reading {self.remote.url}/tags", exc)
        except Error as exc:
            log.warning("%s; the mount keeps showing the tags it last read", exc)

    def key(self) -> tuple:
        return (self._etag, self._tags_etag)

    def read_names(self) -> Names:
        """The tag table the last poll read (no request: FUSE threads ask this)."""
        return Names(branch="", tags=dict(self._tags))

    def read(self) -> str | None:
        if self._etag is None:
            raise DamagedRepository(f"{self.remote.url} has no head (a push that never "
                                    f"finished?)")
        return self._head

    def names(self, vid: str) -> bool:
        """A remote keeps no reflog: no version is known lost."""
        return False

    def poll(self, now: bool = False) -> bool:
        """Look at the remote's head if ``every`` seconds went by since the last look
        (at once with ``now``); whether it moved."""
        with self._lock:
            if not now and time.monotonic() - self._last < self.every:
                return False
            self._last = time.monotonic()
            tags = self._poll_tags()
            if tags is None:        # unreachable: said; head is not asked as well
                return False
            try:
                got = self.remote.transport.get_if_changed("head", self._etag)
                if got is False or (got is None and self._etag is None):
                    self.outage.answered()
                    return tags
                head, etag = self.remote.read_head()
                self.remote.refresh()
            except RemoteError as exc:
                self.outage.failure(f"polling {self.remote.url}/head", exc)
                return False
            except Error as exc:    # a damaged head: as a repository's, said once
                self.outage.answered()
                if str(exc) != self._damage:
                    self._damage = str(exc)
                    log.warning("%s; the mount keeps showing %s as head", exc,
                                self._head or "no version")
                return False
            self.outage.answered()
            self._damage = None
            moved = (head, etag) != (self._head, self._etag)
            if moved:
                log.info("the remote's head is %s now", head or "empty")
            self._head, self._etag = head, etag
            return moved or tags

    def _poll_tags(self) -> bool | None:
        """Whether the tag table moved (one conditional request; the manifest read
        again before the new tags are shown, as for head); None if the remote cannot
        be reached.  A damaged table is said once, and the last tags stay shown."""
        try:
            got = self.remote.transport.get_if_changed(TAGS_KEY, self._tags_etag)
            if got is False or (got is None and self._tags_etag is None):
                return False
            data, etag = got if got is not None else (None, None)
            try:
                tags = parse_tags(data) if data is not None else {}
            except FormatError as exc:
                log.warning("%s/%s: %s; the mount keeps showing the tags it last read",
                            self.remote.url, TAGS_KEY, exc)
                self._tags_etag = etag      # said once: asked again when it changes
                return False
            self.remote.refresh()
        except RemoteError as exc:
            self.outage.failure(f"polling {self.remote.url}/{TAGS_KEY}", exc)
            return None
        moved = tags != self._tags
        self._tags, self._tags_etag = tags, etag
        return moved
