"""The store interface: the logic once, over a few raw methods.

A backend (disk, memory) supplies ``_read``, ``_write``, ``contains``, ``iter_ids`` and
optionally ``_ids_with_prefix`` and ``where``.  Everything else — hashing on put,
verifying on every get, parsing typed objects, prefix resolution — lives here, as in
dulwich's ``BaseObjectStore``.
"""

import contextlib
import threading
from collections.abc import Iterable, Iterator

from .cache import LRU
from .errors import AmbiguousPrefix, CorruptObject, FormatError, ObjectNotFound, UnknownPrefix
from .ids import EMPTY_BLOB, check_id, check_prefix, hash_bytes, is_id
from .objects import EMPTY_TREE, Inventory, Tree, Version

BLOB, TREE, PATCH, INVENTORY, VERSION = "blob", "tree", "patch", "inventory", "version"
KINDS = (BLOB, TREE, PATCH, INVENTORY, VERSION)
DIRS = {BLOB: "blobs", TREE: "trees", PATCH: "patches", INVENTORY: "inventories",
        VERSION: "versions"}

EMPTY_TREE_BYTES = EMPTY_TREE.serialize()
EMPTY_TREE_ID = hash_bytes(EMPTY_TREE_BYTES)
# Objects every store has without storing them: the empty file and the empty directory.
WELL_KNOWN = {(BLOB, EMPTY_BLOB): b"", (TREE, EMPTY_TREE_ID): EMPTY_TREE_BYTES}


def _tree_size(tree: Tree) -> int:
    """Bytes a parsed tree really holds in memory (entries, their strings, the index
    by name), so the cache's bound is a bound on memory."""
    return 300 + 400 * len(tree.entries)


class ObjectStore:
    """Content-addressed objects of five kinds, each verified when read."""

    def __init__(self, tree_cache_bytes: int = 64 << 20):
        self._trees = LRU(tree_cache_bytes, _tree_size)
        self.cache: DerivedCache = MemoryCache()

    # --- raw methods a backend supplies -------------------------------------------
    def _read(self, kind: str, oid: str) -> bytes:
        """The stored canonical bytes, unverified; ObjectNotFound if absent."""
        raise NotImplementedError

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        """Store ``data`` under ``oid``; called only when the object is absent."""
        raise NotImplementedError

    def contains(self, kind: str, oid: str) -> bool:
        raise NotImplementedError

    def iter_ids(self, kind: str) -> Iterator[str]:
        raise NotImplementedError

    def where(self, kind: str, oid: str) -> str | None:
        """Where the object lives, for error messages (a path, or None)."""
        return None

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        return [oid for oid in self.iter_ids(kind) if oid.startswith(prefix)]

    # --- the logic ------------------------------------------------------------------
    def put(self, kind: str, data: bytes) -> str:
        """Store canonical bytes; return their id.  Idempotent."""
        oid = hash_bytes(data)
        if not self.contains(kind, oid):
            self._write(kind, oid, data)
        return oid

    def get(self, kind: str, oid: str) -> bytes:
        """The object's bytes, verified against its id (CorruptObject if not)."""
        check_id(oid)
        known = WELL_KNOWN.get((kind, oid))
        if known is not None:
            return known
        data = self._read(kind, oid)
        if hash_bytes(data) != oid:
            raise CorruptObject(kind, oid, self.where(kind, oid), "content does not match its hash")
        return data

    def parsed(self, kind: str, oid: str, parse):
        """``parse`` of the object's verified bytes; bytes that do not parse are a
        corrupt object (an error of the store), not a format error of the caller."""
        data = self.get(kind, oid)
        try:
            return parse(data)
        except FormatError as exc:
            raise CorruptObject(kind, oid, self.where(kind, oid), str(exc)) from exc

    # typed access
    def get_blob(self, oid: str) -> bytes:
        return self.get(BLOB, oid)

    def put_blob(self, data: bytes) -> str:
        return self.put(BLOB, data)

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        """``size`` bytes of a blob from ``offset``; backends may avoid loading it whole."""
        return self.get_blob(oid)[offset:offset + size]

    def blob_size(self, oid: str) -> int:
        return len(self.get_blob(oid))

    def plain_blob(self, oid: str) -> str | None:
        """The path of a file holding exactly the blob's bytes, already checked against
        its id, if the backend keeps one (large blobs on disk); else None."""
        return None

    def adopt(self, kind: str, oid: str, source: "ObjectStore") -> None:
        """Make ``source``'s object ``oid`` part of this store too (verified on the
        way); backends may share the bytes instead of copying them."""
        if not self.contains(kind, oid):
            self._write(kind, oid, source.get(kind, oid))

    def get_tree(self, oid: str) -> Tree:
        if oid == EMPTY_TREE_ID:
            return EMPTY_TREE
        return self._trees.get_or_compute(oid, lambda: self.parsed(TREE, oid, Tree.parse))

    def put_tree(self, tree: Tree) -> str:
        return self.put(TREE, tree.serialize())

    def get_version(self, oid: str) -> Version:
        return self.parsed(VERSION, oid, Version.parse)

    def put_version(self, version: Version) -> str:
        return self.put(VERSION, version.serialize())

    def get_inventory(self, oid: str) -> Inventory:
        return self.parsed(INVENTORY, oid, Inventory.parse)

    def put_inventory(self, inventory: Inventory) -> str:
        return self.put(INVENTORY, inventory.serialize())

    def has(self, kind: str, oid: str) -> bool:
        """Whether the object is available (stored, or one of the well-known ones)."""
        return (kind, oid) in WELL_KNOWN or self.contains(kind, oid)

    def has_tree(self, oid: str) -> bool:
        return self.has(TREE, oid)

    def resolve(self, kind: str, text: str) -> str:
        """A full id from a full id or a unique prefix of ≥ 4 hex digits."""
        prefix = check_prefix(text)
        if is_id(prefix):
            if not self.contains(kind, prefix):
                raise ObjectNotFound(kind, prefix)
            return prefix
        found = sorted(self._ids_with_prefix(kind, prefix))
        if not found:
            raise UnknownPrefix(kind, prefix)
        if len(found) > 1:
            raise AmbiguousPrefix(kind, prefix, found)
        return found[0]

    def storage_problems(self) -> list[str]:
        """What is wrong with the containers objects live in (say, a pack file that
        does not match its name), beyond any one object; one line each."""
        return []

    def unreadable_parts(self) -> list[str]:
        """The containers that cannot be read at all (a pack whose index is damaged),
        one line each: what a look-up that missed cannot have searched.  Cheap, unlike
        ``storage_problems``, which verifies every container."""
        return []

    def prefetch(self, kind: str, oids: list[str]) -> None:
        """A hint: these objects are about to be read.  A remote store fetches them
        together (one round trip, not one each); others need nothing."""

    def batch(self):
        """A context in which writes may be grouped for speed (see DiskStore)."""
        return contextlib.nullcontext(self)

    @property
    def states(self) -> "ObjectStore":
        """Where the trees and blobs of reconstructed states are read and written:
        derived objects kept apart from the history itself (see store/layered.py).
        A store that keeps no such area answers itself."""
        return self

    def close(self) -> None:
        pass


class DerivedCache:
    """Derived data (version → root tree, and such): small text values under keys,
    in an area that may be deleted at any time.  A missing or unreadable entry is
    simply absent; callers validate what they read.

    ``put_many``'s ``if_absent`` entries are written only where their key has no
    entry yet — the first writer wins — for data that must never change once given
    (the mount's stamps: the kernel caches what it was told)."""

    def get(self, area: str, key: str) -> str | None:
        raise NotImplementedError

    def get_many(self, area: str, keys: Iterable[str]) -> dict[str, str]:
        """The entries present among ``keys``, by key; backends make it one query."""
        found = {}
        for key in keys:
            value = self.get(area, key)
            if value is not None:
                found[key] = value
        return found

    def put(self, area: str, key: str, value: str) -> None:
        self.put_many([(area, key, value)])

    def put_many(self, entries, if_absent=()) -> None:
        """Many ``(area, key, value)`` at once, and the ``if_absent`` ones where no
        entry is yet (in order: the first of a key wins); backends make it one write."""
        raise NotImplementedError

    def directory(self, name: str) -> str | None:
        """A directory of the derived area for derived files of one kind (the path
        logs, the trigram index), made if absent; None where the cache keeps no files
        (in memory): such data is then made for each use and not kept."""
        return None


class MemoryCache(DerivedCache):
    def __init__(self):
        self.data: dict[tuple[str, str], str] = {}

    def get(self, area: str, key: str) -> str | None:
        return self.data.get((area, key))

    def put_many(self, entries, if_absent=()) -> None:
        for area, key, value in entries:
            self.data[(area, key)] = value
        for area, key, value in if_absent:
            self.data.setdefault((area, key), value)


class HeldCache(DerivedCache):
    """Entries held in memory until ``flush``: a store batch holds its derived data
    back until its objects are in view, so a failed batch leaves no entry naming
    objects that never appeared.  Once the batch is ending (``seal``), entries go
    straight to the base: the objects they name are written outside the batch then.
    A held ``if_absent`` entry gives way to the base's, which was there first."""

    def __init__(self, base: DerivedCache):
        self.base = base
        self.held: dict[tuple[str, str], str] = {}
        self.held_absent: dict[tuple[str, str], str] = {}
        self._sealed = False
        self._lock = threading.Lock()

    def get(self, area: str, key: str) -> str | None:
        return (self.held.get((area, key)) or self.base.get(area, key)
                or self.held_absent.get((area, key)))

    def get_many(self, area: str, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        found = {k: self.held[(area, k)] for k in keys if (area, k) in self.held}
        found.update(self.base.get_many(area, [k for k in keys if k not in found]))
        found.update((k, self.held_absent[(area, k)]) for k in keys
                     if k not in found and (area, k) in self.held_absent)
        return found

    def put_many(self, entries, if_absent=()) -> None:
        entries, if_absent = list(entries), list(if_absent)
        with self._lock:
            if not self._sealed:
                self.held.update(((area, key), value) for area, key, value in entries)
                for area, key, value in if_absent:
                    self.held_absent.setdefault((area, key), value)
                return
        self.base.put_many(entries, if_absent)

    def directory(self, name: str) -> str | None:
        return self.base.directory(name)

    def seal(self) -> None:
        with self._lock:
            self._sealed = True

    def flush(self) -> None:
        """Write the held entries to the base (the batch's objects are in view)."""
        self.base.put_many(((area, key, value) for (area, key), value in self.held.items()),
                           [(area, key, value) for (area, key), value in self.held_absent.items()])
