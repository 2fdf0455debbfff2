"""The object store on disk: the parts put together.

An object is *loose* (store/loose.py: a file of its own), *packed* (store/pack.py:
thousands of tiny objects in one file), or, a blob larger than ``RAW_ABOVE``, *plain*
(a loose file of exactly its bytes, read by range and verified block by block — see
store/blocks.py; the mount may hand it to the kernel, FUSE passthrough).  Wherever it
is, finding it gives one ``Place`` (store/place.py) that reads it.

Single writes are loose, atomic and durable: a temporary file in the target
directory, fsync, rename, fsync of the directory.  A ``batch()`` (imports, clones) is
a transaction (store/batch.py): its writes go into one pack, which appears, durable
and complete, when it ends; a failed one leaves nothing behind.  ``repack``
(store/repack.py: ``verfs gc``, and ``pack_if_needed`` after commands) gathers loose
objects and packs into one pack.  Nothing is removed before what replaces it is
durable, and no reader ever calls an existing object missing meanwhile.
"""

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .base import DIRS, KINDS, DerivedCache, ObjectStore
from .batch import PACK_MIN, Batch, BatchSlot
from .blocks import BlockLists
from .diskcache import DiskCache
from .errors import ObjectNotFound, StoreError
from .files import fsync_dir, fsync_file, link_atomic, write_atomic, write_new
from .ids import EMPTY_BLOB
from .loose import LooseFiles
from .pack import SUFFIX, BadPack, PackSet, verify_pack
from .place import LEVEL, PLAIN, RAW, RAW_ABOVE, ZLIB, Packed, Place, encode, is_plain

if TYPE_CHECKING:
    from .repack import Repacked

__all__ = ["DiskStore", "Repacked", "PACK_MIN", "PLAIN", "RAW", "RAW_ABOVE", "ZLIB",
           "encode", "is_plain"]



def __getattr__(name: str):
    """``Repacked``, from store/repack.py, loaded when asked for: a command that only
    reads (``verfs log``) does not load the writing side (repack, staging)."""
    if name == "Repacked":
        from .repack import Repacked
        return Repacked
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DERIVED_LEVEL = 1       # zlib level of derived objects, written while a mount waits for them
PACKS = "packs"         # the directory of packs
BLOCKS = "blocks"       # the derived-cache directory of large blobs' block lists


class DiskStore(ObjectStore):
    def __init__(self, root: str, create: bool = False, lazy: bool = False,
                 durable: bool = True, cache: DerivedCache | None = None,
                 blocks: BlockLists | None = None, **kw):
        """``create``: make the directories now; ``lazy``: as they are first written
        (a derived store that may never be needed); otherwise the store must exist.
        ``durable=False`` (derived objects, which can be rebuilt): writes stay atomic
        — temp file and rename — but are not fsynced, and zlib works at its fastest
        level: a mount waits for them, and their size is not the history's.
        ``cache``/``blocks``: the derived cache area to use (a derived store shares
        its durable store's)."""
        self.batches = BatchSlot()      # first: ObjectStore's __init__ sets the cache
        super().__init__(**kw)
        self.root = os.path.abspath(root)
        self.durable = durable
        self.level = LEVEL if durable else DERIVED_LEVEL
        if create:
            for kind in KINDS:
                os.makedirs(os.path.join(self.root, DIRS[kind]), exist_ok=True)
        elif not lazy and not os.path.isdir(os.path.join(self.root, DIRS["version"])):
            raise StoreError(f"not a verfs store: {self.root}")
        self._cache = cache if cache is not None else DiskCache(self.root)
        self.blocks = blocks or BlockLists(os.path.join(self._cache.base, BLOCKS))
        self.loose = LooseFiles(self.root, self.blocks, durable)
        self.packs = PackSet(os.path.join(self.root, PACKS))

    @property
    def cache(self) -> DerivedCache:
        """The derived cache — held back by the open batch, if there is one."""
        batch = self.batches.current()
        return batch.held if batch is not None else self._cache

    @cache.setter
    def cache(self, value: DerivedCache) -> None:
        self._cache = value

    @functools.cached_property
    def derived(self) -> "DiskStore":
        """Derived trees and blobs: ``ROOT/cache/v2/objects``, a store of the same
        format, so that deleting the cache area deletes them too."""
        return DiskStore(os.path.join(self._cache.base, "objects"), lazy=True,
                         durable=False, cache=self._cache, blocks=self.blocks)

    @functools.cached_property
    def states(self) -> ObjectStore:
        """The derived store over this one (see store/layered.py)."""
        from .layered import LayeredStore
        return LayeredStore(self.derived, self)

    # --- where objects are ----------------------------------------------------------
    def path(self, kind: str, oid: str) -> str:
        """Where the object's loose tagged file goes (a plain blob: this plus ``PLAIN``)."""
        return self.loose.path(kind, oid)

    def locate(self, kind: str, oid: str) -> Place | None:
        """Where the object is (an open batch, a pack, a loose file); None if nowhere.

        A miss is final only after a pass — packs of one listing, then loose files —
        at whose end ``packs/`` lists the same packs: another process may be packing
        the object (and removing its loose file) or replacing its pack meanwhile."""
        batch = self.batches.current()
        if batch is not None:
            place = batch.locate(kind, oid)
            if place is not None:
                return place

        def probe(listing):
            hit = listing.find(kind, oid)
            if hit is None:
                return self.loose.open(kind, oid)
            pack, offset, length = hit
            return Packed(kind, oid, pack, offset, length, f"{pack.path} at {offset}")
        return self._settled(probe)

    def _settled(self, probe: Callable) -> object | None:
        """``probe(listing)`` (packs of one listing, then loose files) until it finds
        something (not None) or misses with ``packs/`` listing the same packs at the
        end of its pass: then None."""
        listing = self.packs.current()
        while True:
            hit = probe(listing)
            if hit is not None:
                return hit
            fresh = self.packs.refresh()
            if fresh is listing:
                return None
            listing = fresh

    def _located(self, kind: str, oid: str) -> Place:
        place = self.locate(kind, oid)
        if place is None:
            broken = sorted(self.packs.broken)
            note = f" (and {os.path.join(PACKS, broken[0])} is unreadable)" if broken else ""
            raise ObjectNotFound(kind, oid, note)
        return place

    def where(self, kind: str, oid: str) -> str | None:
        place = self.locate(kind, oid)
        if place is None:
            return self.path(kind, oid)
        with place:
            return place.where

    # --- raw methods ----------------------------------------------------------------
    def contains(self, kind: str, oid: str) -> bool:
        batch = self.batches.current()
        if batch is not None and batch.contains(kind, oid):
            return True
        return self._settled(lambda listing: listing.find(kind, oid)
                             or self.loose.exists(kind, oid)) is not None

    def _read(self, kind: str, oid: str) -> bytes:
        with self._located(kind, oid) as place:
            return place.read()

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        """Into the open batch (a large blob: its staging directory), else a loose
        file.  A batch that is ending takes nothing more: the object is then loose."""
        plain = is_plain(kind, len(data))
        body = data if plain else encode(kind, data, self.level)
        batch = self.batches.current()
        if batch is not None:
            if plain and batch.stage(kind, oid, lambda tmp: write_new(tmp, body)):
                return
            if not plain and batch.add(kind, oid, body):
                return
        final = self.path(kind, oid) + (PLAIN if plain else "")
        self.loose.install(final, lambda path: write_atomic(path, body, self.durable))

    def adopt(self, kind: str, oid: str, source: ObjectStore) -> None:
        """A plain blob another store on this file system holds becomes this store's
        by a hard link — one copy on disk, however large — once its content is
        checked; anything else is copied."""
        if self.contains(kind, oid):
            return
        src = source.plain_blob(oid) if kind == "blob" else None
        if src is None:
            return super().adopt(kind, oid, source)
        batch = self.batches.current()
        try:
            if batch is not None and batch.stage(kind, oid, lambda tmp: os.link(src, tmp)):
                return
        except OSError:             # another file system, or no hard links there
            return super().adopt(kind, oid, source)
        try:
            self.loose.install(self.path(kind, oid) + PLAIN,
                               lambda path: link_atomic(src, path, self.durable))
        except OSError:
            return super().adopt(kind, oid, source)

    def _ids(self, kind: str, prefix: str = "") -> set[str]:
        """Every id of a kind starting with ``prefix``: loose, packed, in the batch.
        Loose files are listed before the packs: one packed meanwhile is in a pack
        that was in view before its loose file went."""
        fans = [prefix[:2]] if len(prefix) >= 2 else None
        found = {oid for oid, _, _ in self.loose.listing(kind, fans)}
        found |= self.packs.refresh().ids(kind, prefix)
        batch = self.batches.current()
        if batch is not None:
            found |= batch.ids(kind)
        return {oid for oid in found if oid.startswith(prefix)}

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(self._ids(kind)))

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        return sorted(self._ids(kind, prefix))

    # --- blobs by range -------------------------------------------------------------
    def blob_size(self, oid: str) -> int:
        if oid == EMPTY_BLOB:
            return 0
        with self._located("blob", oid) as place:
            return place.size()

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        """Verified: a plain blob (or a large raw one of older stores) by the blocks
        the range touches, anything else whole."""
        if oid == EMPTY_BLOB:
            return b""
        with self._located("blob", oid) as place:
            return place.read_range(offset, size)

    def plain_blob(self, oid: str) -> str | None:
        """The path of the file holding exactly the blob's bytes, every block of it
        checked just now — or None when the blob is not stored plain (small, or not
        here)."""
        batch = self.batches.current()
        path = batch.staged_path("blob", oid) if batch is not None else None
        place = self.loose.open_plain("blob", oid, path)
        if place is None and path is not None:      # the batch just put it in view
            path = None
            place = self.loose.open_plain("blob", oid)
        if place is None:
            return None
        with place:
            place.verify()
            return place.where

    # --- batches and packing ----------------------------------------------------------
    @contextlib.contextmanager
    def batch(self):
        """A transaction (store/batch.py); the Batch.  Nested, it joins the open one."""
        batch, mine = self.batches.enter(self._new_batch)
        if not mine:
            yield batch
            return
        try:
            yield batch
            batch.seal()
            batch.commit(self.packs, self.durable)
        except BaseException:
            batch.seal()
            batch.abort()
            raise
        finally:
            self.batches.leave(batch)
            batch.remove()

    def _new_batch(self) -> Batch:
        from .staging import clean_abandoned
        clean_abandoned(self.root)      # what killed batches and repacks left
        return Batch(self.root, self._cache, self.loose)

    def install_pack(self, name: str, fetch: Callable[[str], None], kinds=KINDS) -> int:
        """A pack made elsewhere (a remote's: pull, clone) becomes one of this store's
        packs: ``fetch(path)`` writes it into a staging directory, where every object
        is checked (``verify_pack``, only ``kinds`` allowed) and the file must hash to
        ``name``; then it is made durable and renamed into view, complete.  How many
        objects it holds.  A killed fetch leaves only a staging directory, which the
        next writer removes."""
        from .staging import Staging, clean_abandoned
        clean_abandoned(self.root)
        staging = Staging(self.root, "fetch")
        try:
            tmp = os.path.join(staging.path, name + SUFFIX)
            fetch(tmp)
            digest, count = verify_pack(tmp, kinds)
            if digest != name:
                raise BadPack(tmp, f"content does not match its name {name}")
            if self.durable:
                fsync_file(tmp)
            os.makedirs(self.packs.directory, exist_ok=True)
            os.replace(tmp, os.path.join(self.packs.directory, name + SUFFIX))
            if self.durable:
                fsync_dir(self.packs.directory)
        finally:
            staging.remove()
        self.packs.refresh()
        return count

    def storage_problems(self) -> list[str]:
        return self.packs.problems()

    def unreadable_parts(self) -> list[str]:
        return self.packs.unreadable()

    def repack(self, everything: bool = True, drop_corrupt: bool = False,
               progress: Callable[[int], None] | None = None) -> "Repacked":
        """See store/repack.py."""
        from . import repack as _repack
        return _repack.repack(self, everything, drop_corrupt, progress)

    def loose_estimate(self) -> int:
        from . import repack as _repack
        return _repack.loose_estimate(self)

    def pack_if_needed(self) -> "Repacked | None":
        from . import repack as _repack
        return _repack.pack_if_needed(self)
