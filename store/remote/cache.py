"""The local read-through cache of a remote store: files under one directory.

What a remote store fetched — objects, fans, index slices, table buckets, the last
manifest seen — and what it derived locally (reconstructed states, the derived
cache's SQLite file) are files below ``root``.  Everything in it is immutable or only
grows (the manifest), so nothing is ever revalidated: a file here is right or
damaged, and damage is found by the checks every reader makes (objects by their id,
fans and tables by their checksums, table lines by theirs), then dropped and fetched
again.

Several processes of one user share a directory without locks: every file is
written under a temporary name and renamed into place, and a reader that finds a
file gone — another process evicted it, or the user deleted the directory — fetches
it again.  The directory is bounded in bytes: each process measures it (what every
process wrote) and keeps a running estimate on top of what it adds itself; when that
passes ``limit`` — or it has added half the room left at its last measure, since
others add too — it measures the directory again and, above the bound, removes the
least recently used files (by mtime, which a read touches) until it holds
``LOW_WATER`` of it.
"""

import hashlib
import logging
import os
import threading
import time

from ..files import write_atomic
from ..staging import PREFIX as STAGING
from ..swallow import Swallowed

log = logging.getLogger("verfs.store")

BLOCK = 4096            # a file's share of the disk is whole blocks of about this size
LOW_WATER = 0.75        # a trim goes down to this fraction of the bound
TOUCH_EVERY = 30.0      # seconds: a file read more often is touched once in this time
KEEP = ("index.sqlite",)
_DIGEST = 32    # never evicted (the derived cache's database, its journal)


class LocalCache:
    def __init__(self, root: str, limit: int):
        self.root = os.path.abspath(root)
        self.limit = limit
        self._estimate: int | None = None   # bytes in the directory, as far as we know
        self._since = 0                     # bytes we added since we last measured it
        self._every = 0                     # ... after which we measure it again
        self._lock = threading.Lock()
        self._trimming = threading.Lock()
        self._touched: dict[str, float] = {}
        self.trims = 0                      # times the directory was measured and trimmed
        self.evicted = 0                    # files removed by trims
        self.damaged = 0                    # checked files found damaged and removed
        self.swallowed = Swallowed(log)

    def path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    # --- files --------------------------------------------------------------------------
    def read(self, rel: str) -> bytes | None:
        """A cached file's bytes (touched: it was used), or None if it is not here."""
        path = self.path(rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.swallowed(f"remote cache: cannot read {path} (fetched again)", exc)
            return None
        self.touch(path)
        return data

    def write(self, rel: str, data: bytes) -> None:
        """Keep ``data`` as ``rel`` (atomically); a cache that cannot be written is
        only a slower one."""
        path = self.path(rel)
        try:
            for last in (False, True):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                try:
                    write_atomic(path, data, durable=False)
                    break
                except FileNotFoundError:       # the directory went meanwhile
                    if last:
                        raise
        except OSError as exc:
            self.swallowed(f"remote cache: cannot keep {path}", exc)
            return
        self.added(len(data), keep=path)

    def read_checked(self, rel: str) -> bytes | None:
        """A file ``write_checked`` kept, if it is intact; a damaged one is removed
        (and counted in ``damaged``): None."""
        data = self.read(rel)
        if data is None:
            return None
        body, check = data[:-_DIGEST], data[-_DIGEST:]
        if len(data) >= _DIGEST and hashlib.sha256(body).digest() == check:
            return body
        self.damaged += 1
        log.warning("remote cache: dropped the damaged %s (fetched again)", self.path(rel))
        self.drop(rel)
        return None

    def write_checked(self, rel: str, data: bytes) -> None:
        """Keep ``data`` with its SHA-256 after it: for what has no check of its own
        (an index slice), so that damage here is found, not read as a miss."""
        self.write(rel, data + hashlib.sha256(data).digest())

    def drop(self, rel_or_path: str) -> None:
        """Remove a damaged file (it is fetched again)."""
        self._unlink(rel_or_path if os.path.isabs(rel_or_path) else self.path(rel_or_path))

    def _unlink(self, path: str) -> bool:
        """Remove a file (gone already: fine); whether it is gone."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.swallowed(f"remote cache: cannot remove {path}", exc)
            return False
        return True

    def touch(self, path: str) -> None:
        """Mark a file used now (its mtime), at most once per ``TOUCH_EVERY``."""
        now = time.monotonic()
        if now - self._touched.get(path, -TOUCH_EVERY) < TOUCH_EVERY:
            return
        self._touched[path] = now
        if len(self._touched) > 100_000:
            self._touched.clear()
        try:
            os.utime(path)
        except OSError:
            pass            # gone (evicted, deleted): it is fetched again when needed

    # --- the bound ----------------------------------------------------------------------
    def added(self, nbytes: int, keep: str | None = None) -> None:
        """``nbytes`` were written below the root (by us, or by the local derived
        store); trim when the estimate passes the bound.  ``keep``: a file just
        written, which its writer is about to read — never the one evicted."""
        nbytes = -(-nbytes // BLOCK) * BLOCK        # a file takes whole blocks
        with self._lock:
            if self._estimate is not None:
                self._estimate += nbytes
                self._since += nbytes
                if self._estimate <= self.limit and self._since <= self._every:
                    return
        self.trim(keep)

    def usage(self) -> int:
        """Bytes of every file below the root now."""
        return sum(size for _, size, _ in self._files())

    def _files(self) -> list[tuple[float, int, str]]:
        out = []
        for dirpath, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if not d.startswith(STAGING)]
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                # What the file takes on disk (a 300-byte object takes a 4 KiB
                # block): the bound is on the disk the cache uses, not on its bytes.
                out.append((st.st_mtime, max(st.st_size, st.st_blocks * 512), path))
        return out

    def trim(self, keep: str | None = None) -> None:
        """Measure the directory; if it holds more than the bound, remove the least
        recently used files until it holds ``LOW_WATER`` of it.  One trim at a time
        in a process; other processes may trim too (a file gone is skipped)."""
        if not self._trimming.acquire(blocking=False):
            return              # another thread is trimming: it sees our file too
        try:
            files = self._files()
            total = sum(size for _, size, _ in files)
            if total > self.limit:
                self.trims += 1
                goal = int(self.limit * LOW_WATER)
                for _, size, path in sorted(files):
                    if total <= goal:
                        break
                    name = os.path.basename(path)
                    if path == keep or name.startswith(KEEP) or name.startswith(".tmp-"):
                        continue
                    if not self._unlink(path):
                        continue
                    total -= size
                    self.evicted += 1
            with self._lock:
                # Others write here too: measure again once we added half of the room
                # left (or a 64th of the bound), so what all of us add meanwhile stays
                # near the bound, however many we are.
                self._estimate, self._since = total, 0
                self._every = max((self.limit - total) // 2, self.limit // 64)
        finally:
            self._trimming.release()
