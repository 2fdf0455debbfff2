"""Errors swallowed on purpose, said and counted.

Some failures are no failure of the work in hand: a derived entry that cannot be
cached is recomputed next time, a leftover that cannot be removed is tried again by
the next ``gc``.  Going on is right, going on silently is not: each is counted (tests,
and anyone curious, read ``count``) and logged — a warning the first time each kind
happens in this process, debug after, so a failure on a hot path (every read of a
read-only cache) does not flood the log, and costs no formatting when debug is off.
"""

import logging
import threading


class Swallowed:
    """The swallowed errors of one component (a cache, a module's cleaners)."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self.count = 0
        self._said: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, what: str, exc: object = None) -> None:
        """One more: ``what`` names the kind (said once), ``exc`` says the detail."""
        with self._lock:
            self.count += 1
            first = what not in self._said
            self._said.add(what)
        detail = "" if exc is None else f": {exc}"
        if first:
            self.log.warning("%s%s", what, detail)
        elif self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("%s (again)%s", what, detail)
