"""The derived cache's small entries on disk: one SQLite file for all of them.

Entries are tiny (a version's root tree id, say) and many — one per
version — so a file each would take a 4 KiB block each: 40 MiB for a 10,000-version
history, and 10,000 file creations at the end of its import.  They live in
``ROOT/cache/v<N>/index.sqlite`` instead, one table of (area, key, value), which a
mount and commands share from several processes (SQLite's locking; its rollback
journal, so that reading never changes the file).  Nothing in it
is needed for correctness: it is not synced, a missing or unreadable file reads as
empty, a damaged one is set aside and started afresh, and callers validate what they
read (a dangling root is absent).  ``rm -r ROOT/cache`` is always safe; an open store
notices that its file was deleted and makes a new one.

Every entry checks itself.  Objects are verified against their ids on every read,
but a (key → value) mapping has no id to check: two rows whose values were swapped
would each name a perfectly good tree — another version's.  So the stored value is
``<key> <value> <check>``, ``check`` being the SHA-256 of (area, key, value): an
entry moved to another row, or damaged, fails its check, is dropped (logged and
counted in ``dropped``) and reads as absent — so it is rebuilt, never trusted.
The check guards against damage, not against someone who rewrites the file on purpose.
"""

import functools
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .base import DerivedCache
from .files import FILE_MODE
from .ids import check_id, hash_bytes
from .swallow import Swallowed

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger("verfs.store")



@functools.cache
def _chunk() -> int:
    """Keys per query: under SQLite's bound on parameters (999; 32,766 since 3.32), so
    a directory listing's stamps are one query.  (sqlite3 is imported when the cache
    is first used: a command that never opens it — log, head — never loads it.)"""
    import sqlite3
    return 30_000 if sqlite3.sqlite_version_info >= (3, 32, 0) else 900

SCHEMA = ("CREATE TABLE IF NOT EXISTS entries (area TEXT NOT NULL, key TEXT NOT NULL, "
          "value TEXT NOT NULL, PRIMARY KEY (area, key)) WITHOUT ROWID")


def seal(area: str, key: str, value: str) -> str:
    """The stored form of an entry: it names its key and carries a check over all
    three (see the module's docstring)."""
    return f"{key} {value} {_check(area, key, value)}"


def unseal(area: str, key: str, stored) -> tuple[str | None, str | None]:
    """``(value, None)`` for an intact stored entry, else ``(None, why)``."""
    if not isinstance(stored, str) or not stored.isprintable():
        return None, "not one printable line"
    first, _, rest = stored.partition(" ")
    value, _, check = rest.rpartition(" ")
    if first != key:
        return None, f"it belongs to key {first[:64]!r}"
    if not value or check != _check(area, key, value):
        return None, "its checksum does not match"
    return value, None


def _check(area: str, key: str, value: str) -> str:
    return hash_bytes(f"{area}\0{key}\0{value}".encode("utf-8", "surrogateescape"))


class DiskCache(DerivedCache):
    FORMAT = 2      # 2: entries check themselves (1: bare values)

    def __init__(self, root: str):
        self.base = os.path.join(root, "cache", f"v{self.FORMAT}")
        self.path = os.path.join(self.base, "index.sqlite")
        self.writable = True
        self._db: sqlite3.Connection | None = None
        self._ino: int | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()       # one connection, shared by FUSE's threads
        self.dropped = 0                    # damaged entries found and dropped
        self.swallowed = Swallowed(log)     # failures gone on from (``count``)

    # --- the connection -----------------------------------------------------------------
    def _inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.swallowed(f"derived cache: cannot look at {self.path}", exc)
            return None

    def _open(self, create: bool) -> "sqlite3.Connection | None":
        """The connection (under ``_lock``), reopened when the file was replaced or
        deleted; None when there is no file and ``create`` is false."""
        ino = self._inode()
        if self._db is not None and ino == self._ino and self._pid == os.getpid():
            return self._db
        if self._pid != os.getpid():    # forked (the mount's daemon): not ours to use
            self._db = None
        self._close()
        if ino is None and not create:
            return None
        import sqlite3
        os.makedirs(self.base, exist_ok=True)
        if ino is None:     # made here, so that it gets the mode every file gets (SQLite: 0644)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, FILE_MODE))
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("PRAGMA synchronous=OFF")     # derived: rebuilt if lost
            try:
                db.execute(SCHEMA)
            except sqlite3.OperationalError as exc:
                if _errname(exc) != "SQLITE_READONLY":
                    raise
        except sqlite3.DatabaseError:
            db.close()
            raise
        self._db, self._ino, self._pid = db, self._inode(), os.getpid()
        return db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = self._ino = None

    def _run(self, create: bool, work):
        """``work(connection)``, or None when there is nothing to read.  A file that
        is not a database (damaged) is set aside and started afresh, once; one that
        cannot be opened or written (read-only media) makes the cache read-nothing."""
        import sqlite3
        with self._lock:
            for attempt in (0, 1):
                try:
                    db = self._open(create)
                    return None if db is None else work(db)
                except sqlite3.OperationalError as exc:
                    # Busy for too long, or no table yet (a reader): this entry is just
                    # not cached.  Read-only media: nothing will be.
                    name = _errname(exc) or "SQLite error"
                    if name in ("SQLITE_READONLY", "SQLITE_CANTOPEN"):
                        self.writable = False
                    self.swallowed(f"derived cache {self.path}: not used ({name})", exc)
                    return None
                except sqlite3.DatabaseError as exc:    # "file is not a database", ...
                    self._close()
                    if attempt:
                        self.swallowed(f"derived cache {self.path}: not used (damaged "
                                       f"again once started afresh)", exc)
                        return None
                    self.swallowed(f"derived cache {self.path}: damaged, set aside as "
                                   f"index.sqlite.damaged and started afresh", exc)
                    self._set_aside()
                except OSError as exc:
                    self.writable = False
                    self.swallowed(f"derived cache {self.path}: not used", exc)
                    return None
            return None

    def _set_aside(self) -> None:
        for suffix in ("", "-journal"):
            try:
                os.replace(self.path + suffix, f"{self.path}{suffix}.damaged")
            except FileNotFoundError:
                pass            # no rollback journal: the usual case
            except OSError as exc:
                self.swallowed(f"derived cache: cannot set {self.path}{suffix} aside", exc)

    # --- entries ------------------------------------------------------------------------
    def get(self, area: str, key: str) -> str | None:
        """The entry's value; None if absent, or damaged — then it is dropped."""
        check_id(key)
        row = self._run(False, lambda db: db.execute(
            "SELECT value FROM entries WHERE area = ? AND key = ?", (area, key)).fetchone())
        if not row:
            return None
        value, why = unseal(area, key, row[0])
        if why is not None:
            self._drop(area, key, row[0], why)
        return value

    def get_many(self, area: str, keys: Iterable[str]) -> dict[str, str]:
        """The entries present among ``keys``, by key: one query per ``_chunk()`` keys
        (a directory listing's stamps); damaged ones are dropped, as ``get`` does."""
        keys = [check_id(k) for k in dict.fromkeys(keys)]
        rows: list[tuple[str, str]] = []
        chunk = _chunk()
        for i in range(0, len(keys), chunk):
            part = keys[i:i + chunk]
            marks = ", ".join("?" * len(part))
            rows += self._run(False, lambda db, part=part, marks=marks: db.execute(
                f"SELECT key, value FROM entries WHERE area = ? AND key IN ({marks})",
                (area, *part)).fetchall()) or []
        found = {}
        for key, stored in rows:
            value, why = unseal(area, key, stored)
            if why is not None:
                self._drop(area, key, stored, why)
            else:
                found[key] = value
        return found

    def _drop(self, area: str, key: str, stored, why: str) -> None:
        """Forget a damaged entry, if it is still the one found (a writer may have
        just replaced it with a good one)."""
        self.dropped += 1
        log.warning("derived cache: dropped the damaged entry %s/%s (%s); it is rebuilt",
                    area, key, why)
        if self.writable:
            self._run(False, lambda db: db.execute(
                "DELETE FROM entries WHERE area = ? AND key = ? AND value IS ?",
                (area, key, stored)))

    def entries(self) -> Iterator[tuple[str, str, str | None, str | None]]:
        """Every entry as ``(area, key, value, None)``, or ``(area, key, None, why)``
        when it is damaged — read only, for ``verfs fsck``."""
        rows = self._run(False, lambda db: db.execute(
            "SELECT area, key, value FROM entries ORDER BY area, key").fetchall()) or []
        for area, key, stored in rows:
            value, why = unseal(area, key, stored)
            yield area, key, value, why

    def directory(self, name: str) -> str | None:
        path = os.path.join(self.base, name)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            self.swallowed(f"derived cache: cannot make {path}", exc)
            return None
        return path

    def put(self, area: str, key: str, value: str) -> None:
        self.put_many([(area, key, value)])

    def put_many(self, entries: Iterable[tuple[str, str, str]],
                 if_absent: Iterable[tuple[str, str, str]] = ()) -> None:
        """Many entries in one transaction (a batch's, at its end); the ``if_absent``
        ones only where their key has none (SQLite's INSERT OR IGNORE, in order)."""
        rows = [(area, check_id(key), seal(area, key, value)) for area, key, value in entries]
        first = [(area, check_id(key), seal(area, key, value))
                 for area, key, value in if_absent]
        if not self.writable or not (rows or first):
            return

        def write(db):
            with db:        # one transaction
                db.execute("BEGIN")
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
                db.executemany("INSERT OR IGNORE INTO entries VALUES (?, ?, ?)", first)
        self._run(True, write)

    def clear(self, area: str) -> None:
        """Forget every entry of one area."""
        self._run(False, lambda db: db.execute("DELETE FROM entries WHERE area = ?", (area,)))

    def close(self) -> None:
        with self._lock:
            self._close()


def _errname(exc: "sqlite3.Error") -> str:
    return getattr(exc, "sqlite_errorname", "") or ""
