"""A write batch: one transaction of a disk store, as a value.

A ``Batch`` owns everything its writes are waiting in — a pack being written, the
large blobs staged as files beside it, the derived-cache entries held back — in a
staging directory of its own (store/staging.py: a killed batch's is removed by the
next process that looks).  It is the store's, not a thread's: while one is open every
thread's writes join it (a mount's long walk and its other FUSE threads share a
store), and readers look in it first.

The store holds its open batch in a ``BatchSlot``, whose one reference is set and
cleared under a lock; a writer or reader takes the batch from it once and works with
that value, so it never sees half of one batch and half of another.  Ending a batch
``seal``s it first — from then on it takes nothing more, and writes that meet it go
loose, as outside a batch — then makes its objects durable and puts them in view
(``commit``), and only then leaves the slot, so no read between misses them.
"""

import os
import threading

from .base import DerivedCache, HeldCache
from .files import fsync_dir, fsync_file, write_new
from .loose import LooseFiles
from .pack import PackSet, PackWriter
from .place import PLAIN, Packed, Place

PACK_MIN = 32           # a batch of fewer objects is written as loose files


class Batch:
    def __init__(self, root: str, cache: DerivedCache, loose: LooseFiles):
        from .staging import Staging  # writing only: a reader never loads it
        self.staging = Staging(root)
        self.writer = PackWriter(self.staging.path)
        self.held = HeldCache(cache)
        self._loose = loose
        self._staged: dict[tuple[str, str], str] = {}   # large blobs: their files here
        self._lock = threading.Lock()       # staging a file against sealing

    # --- writing ------------------------------------------------------------------
    def add(self, kind: str, oid: str, encoded: bytes) -> bool:
        """Append an object to the batch's pack; False once the batch is ending."""
        return self.writer.add(kind, oid, encoded)

    def stage(self, kind: str, oid: str, make) -> bool:
        """Stage a large blob — ``make(tmp)`` creates its file — or say False once
        the batch is ending."""
        with self._lock:
            if self.writer.sealed:
                return False
            if (kind, oid) not in self._staged:     # else another thread just did
                tmp = os.path.join(self.staging.path, f".tmp-{oid}")
                make(tmp)
                self._staged[(kind, oid)] = tmp
            return True

    # --- reading ------------------------------------------------------------------
    def contains(self, kind: str, oid: str) -> bool:
        return (kind, oid) in self.writer or (kind, oid) in self._staged

    def locate(self, kind: str, oid: str) -> Place | None:
        """Where the object is in the batch; None when it is not (any more: a staged
        file that is gone was put in view, where the store finds it)."""
        place = self.writer.find(kind, oid)
        if place is not None:
            return Packed(kind, oid, self.writer, *place, "the current batch")
        staged = self._staged.get((kind, oid))
        return None if staged is None else self._loose.open_plain(kind, oid, staged)

    def staged_path(self, kind: str, oid: str) -> str | None:
        return self._staged.get((kind, oid))

    def ids(self, kind: str) -> set[str]:
        with self._lock:
            staged = [oid for k, oid in self._staged if k == kind]
        return set(self.writer.ids(kind)) | set(staged)

    # --- ending -------------------------------------------------------------------
    def seal(self) -> None:
        with self._lock:
            self.writer.seal()
        self.held.seal()

    def commit(self, packs: PackSet, durable: bool) -> None:
        """Put the objects in view: a batch of at least ``PACK_MIN`` objects as a
        pack, a smaller one as loose files, large blobs as plain files.  Every file is
        fsynced before any is renamed into view, and every directory after; then the
        held cache entries are written."""
        files = {key: (tmp, True) for key, tmp in self._staged.items()}
        writer = self.writer
        if len(writer) < PACK_MIN:     # (still readable until the batch leaves its slot)
            for kind, oid in writer.objects():
                tmp = os.path.join(self.staging.path, f".tmp-{kind}-{oid}")
                write_new(tmp, writer.get(kind, oid))
                files[(kind, oid)] = (tmp, False)
            writer = None
        if durable:
            for tmp, _ in files.values():
                fsync_file(tmp)
        if writer is not None:
            writer.finish(packs.directory, durable)
            packs.refresh()
        dirs = set()
        for (kind, oid), (tmp, plain) in files.items():
            final = self._loose.path(kind, oid) + (PLAIN if plain else "")
            dirs.add(os.path.dirname(final))
            self._loose.install(final, lambda path, tmp=tmp: os.replace(tmp, path))
        if durable:
            for d in dirs | {os.path.dirname(d) for d in dirs}:
                fsync_dir(d)
        self.held.flush()

    def abort(self) -> None:
        """Give everything up: the batch's objects are gone, for readers too."""
        self.writer.abort()

    def remove(self) -> None:
        """Remove the staging directory (what is left in it: nothing, once committed)."""
        self.staging.remove()


class BatchSlot:
    """The batch a store has open, if any.  The entry that opened it ends it; entries
    made while it was open (nested, or from other threads) join it and end nothing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._batch: Batch | None = None

    def current(self) -> Batch | None:
        return self._batch

    def enter(self, make) -> tuple[Batch, bool]:
        """The open batch (made by ``make()`` if none is); whether it was made now."""
        with self._lock:
            if self._batch is not None:
                return self._batch, False
            self._batch = make()
            return self._batch, True

    def leave(self, batch: Batch) -> None:
        with self._lock:
            if self._batch is batch:
                self._batch = None
