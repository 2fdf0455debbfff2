"""A verfs store elsewhere (S3, a web server, a directory), behind the store contract.

Reading an object: the local cache first (store/remote/cache.py); else the packs the
manifest lists, each by its fan (``packs/<name>.fan``: where the index records of
each kind and first byte are) and the one slice of its index that can hold the id —
fans and slices are fetched once and kept — so that once a slice is local, an object
costs one ranged GET; else ``objects/<kind>/<id>``, a loose object.  What is fetched
is verified against its id before it is kept or served: a damaged remote object is
CorruptObject naming its URL, never wrong bytes.  A miss is final only after
``refresh`` finds the manifest unchanged (another machine may have just pushed the
pack that holds it), as a local store's packs are listed again.

Writing: a single put is a loose object; a ``batch()`` collects its objects and
uploads them as one pack at its end; ``upload_pack`` / ``upload_table`` (push) write
a pack and its fan or a table, then add their line to the manifest with a
conditional write, retried when another writer got there first — so the manifest
only grows and no writer's line is lost.  ``head`` moves only by ``write_head``,
conditional on the ETag its writer read, and the tag table (``tags``) only by
``write_tags``, alike.

The derived side stays local: ``cache`` is the derived cache in ``cache_dir``
(SQLite, as a disk store's), which falls back to the remote's tables — a key's
bucket fetched once, its lines copied locally; ``states`` writes reconstructed trees
and blobs to a local derived store in ``cache_dir``, over this one (whose states
packs hold those a pusher uploaded).

Thread-safe: a mount reads from many threads.
"""

import contextlib
import functools
import hashlib
import logging
import os
import threading
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from ..base import BLOB, DerivedCache, ObjectStore
from ..blocks import BlockLists
from ..cache import LRU
from ..disk import DiskStore
from ..diskcache import DiskCache
from ..errors import (
    CannotTell,
    CorruptObject,
    Error,
    FormatError,
    ObjectNotFound,
    StoreError,
)
from ..files import create_temp, temp_file
from ..ids import EMPTY_BLOB, hash_bytes, is_id
from ..overlay import _absent
from ..pack import RECORD, SUFFIX, TRAILER, BadPack, PackWriter
from ..place import PLAIN, RAW, ZLIB, decode, encode, is_plain
from . import layout
from .cache import LocalCache
from .layout import HEAD_KEY, HISTORY, MANIFEST_KEY, MARKER, MARKER_KEY, TAGS_KEY, Fan, Manifest
from .transport import (
    NotARemoteStore,
    PreconditionFailed,
    ReadOnlyRemote,
    RemoteError,
    Transport,
)
from .url import open_transport

log = logging.getLogger("verfs.store")

DEFAULT_CACHE_SIZE = 2 << 30
FETCH_CHUNK = 32 << 20      # a whole pack, or a large blob, is fetched in ranges of this size
STREAM_ABOVE = 8 << 20      # a packed blob larger than this is streamed into the cache
TABLE_THREADS = 8           # buckets of the remote tables fetched at once
WHOLE_AFTER = 64            # objects fetched one by one from a history pack before it is
WHOLE_MAX = 64 << 20        # fetched whole (if no larger than this, nor than an eighth of
                            # the cache's bound); a states pack after a sixteenth of its objects


def default_cache_dir(url: str) -> str:
    """``$XDG_CACHE_HOME/verfs/<16 hex of the URL's hash>`` (~/.cache/verfs/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "verfs", hashlib.sha256(url.encode()).hexdigest()[:16])


def open_remote(url: str, cache_dir: str | None = None, cache_size: int | None = None,
                create: bool = False, transport: Transport | None = None) -> "RemoteStore":
    """The remote store at ``url`` (NotARemoteStore if it holds none; ``create``:
    make it one, for a first push)."""
    return RemoteStore(transport or open_transport(url), url,
                       cache_dir or default_cache_dir(url),
                       DEFAULT_CACHE_SIZE if cache_size is None else cache_size, create)


class _LocalStore(DiskStore):
    """A disk store in the cache directory whose writes count towards its bound."""

    def __init__(self, root: str, local: LocalCache, **kw):
        super().__init__(root, lazy=True, durable=False, **kw)
        self._local = local

    def _write(self, kind: str, oid: str, data: bytes) -> None:
        super()._write(kind, oid, data)
        path = self.path(kind, oid) + (PLAIN if is_plain(kind, len(data)) else "")
        try:
            size = os.stat(path).st_size
        except OSError:         # in a batch's pack (or evicted at once)
            size = len(data)
        self._local.added(size, keep=path)


class RemoteStore(ObjectStore):
    def __init__(self, transport: Transport, url: str, cache_dir: str,
                 cache_size: int = DEFAULT_CACHE_SIZE, create: bool = False, **kw):
        super().__init__(**kw)
        self.transport, self.url = transport, url
        self.cache_dir = os.path.abspath(cache_dir)
        self.local = LocalCache(self.cache_dir, cache_size)
        self._db = DiskCache(self.cache_dir)
        self._cache = RemoteCache(self, self._db)
        self.blocks = BlockLists(os.path.join(self._db.base, "blocks"))
        self.fetched = _LocalStore(os.path.join(self.cache_dir, "objects"), self.local,
                                   cache=self._db, blocks=self.blocks)
        self._lock = threading.Lock()
        self._manifest = Manifest()
        self._manifest_data: bytes | None = None
        self._manifest_etag: str | None = None
        self._fans: dict[str, Fan] = {}
        self._fan_lock = threading.Lock()
        self._slices = LRU(32 << 20, lambda records: 100 + 80 * len(records))
        self._broken: dict[str, str] = {}           # pack name → why it cannot be read
        self._recent: dict[str, str] = {}           # kind → the pack of its last hit
        self._hits: dict[str, int] = {}             # pack name → objects fetched from it
        self._refresh_lock = threading.Lock()
        self._headers: dict[str, layout.TableHeader | None] = {}     # of tables, by name
        self._buckets = LRU(8 << 20, lambda entries: 100 + 200 * len(entries))
        self._pending: dict[tuple[str, str], bytes] | None = None   # an open batch
        self._sealed = False
        self._batch_lock = threading.Lock()
        self._damage = 0        # damaged cached files and table lines found and dropped
        self._check_marker(create)
        self._load_manifest()

    # --- opening ------------------------------------------------------------------------
    def _check_marker(self, create: bool) -> None:
        """The remote holds a verfs store (its marker; seen once is enough for a
        reader).  A writer always asks: the remote may have been emptied since this
        cache saw it, and its first push must make the marker again."""
        if not create and self.local.read("remote/verfs-remote") == MARKER:
            return
        got = self.transport.get(MARKER_KEY)
        if got is None and create:
            try:
                self.transport.put(MARKER_KEY, MARKER, if_none_match=True)
            except PreconditionFailed:
                pass        # another first push made it meanwhile
            got = self.transport.get(MARKER_KEY)
        if got is None:
            raise NotARemoteStore(f"{self.url} holds no verfs store")
        if got[0] != MARKER:
            raise NotARemoteStore(f"{self.url} holds a verfs store of another format "
                                  f"({got[0][:40]!r})")
        self.local.write("remote/verfs-remote", MARKER)

    def _load_manifest(self) -> None:
        """The manifest last seen through this cache directory, else the remote's."""
        kept = self.local.read("remote/manifest")
        if kept is not None:
            etag, _, data = kept.partition(b"\n")
            try:
                self._set_manifest(data, etag.decode() or None, keep=False)
            except (FormatError, UnicodeDecodeError):
                self._dropped("remote/manifest")
            else:
                # One conditional request (a 304 when nothing changed), so a remote
                # emptied and pushed to again at the same URL is never taken for the
                # one this cache saw; offline, what was seen is read (objects cannot
                # change, and a miss asks again).
                try:
                    self.refresh()
                except RemoteError as exc:
                    log.warning("%s: cannot read its manifest (%s); using the one last seen",
                                self.url, exc)
                return
        self.refresh()

    def _set_manifest(self, data: bytes, etag: str | None, keep: bool = True,
                      fresh: bool = False) -> bool:
        """Make ``data`` the manifest known, if it is newer (it only grows); whether
        it added anything.  A ``fresh`` one (just read from the remote, refreshes
        being one at a time) that lacks lines of the known one means the remote was
        emptied and made again: it is the truth then, and what this cache knew of
        the old one's packs is simply no longer asked (objects are named by their
        hashes, so none of it can be wrong)."""
        manifest = layout.parse_manifest(data)
        with self._lock:
            old = self._manifest
            if not (set(old.packs) <= set(manifest.packs)
                    and set(old.tables) <= set(manifest.tables)):
                if not fresh:
                    return False    # older than what is known (a race of two readers)
                log.warning("%s: the remote's manifest lost packs this cache knew; the "
                            "remote was made again, and is read as it is now", self.url)
                self._recent.clear()
            self._manifest, self._manifest_data, self._manifest_etag = manifest, data, etag
        if keep:
            self.local.write("remote/manifest", (etag or "").encode() + b"\n" + data)
        return manifest != old

    @property
    def dropped(self) -> int:
        """Damaged cached files and remote table lines found (and not used)."""
        return self._damage + self.local.damaged

    def _dropped(self, rel: str) -> None:
        self._damage += 1
        log.warning("remote cache: dropped the damaged %s (fetched again)",
                    os.path.join(self.cache_dir, rel))
        self.local.drop(rel)

    @property
    def stats(self):
        return self.transport.stats

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def refresh(self) -> bool:
        """Read the manifest again (a cheap request when it has not changed);
        whether it lists anything new."""
        with self._refresh_lock:
            got = self.transport.get_if_changed(MANIFEST_KEY, self._manifest_etag)
            if got is None and self._manifest.packs:
                got = (layout.MANIFEST_HEADER, None)     # emptied since: nothing is there
            if not got:         # unchanged (False), or no manifest yet (None)
                return False
            data, etag = got
            try:
                return self._set_manifest(data, etag, fresh=True)
            except FormatError as exc:
                raise FormatError(f"{self._where(MANIFEST_KEY)}: {exc}") from None

    def pack_names(self, role: str | None = None) -> list[str]:
        return self._manifest.pack_names(role)

    # --- fans and slices ----------------------------------------------------------------
    def _where(self, key: str) -> str:
        return f"{self.transport.label}/{key}"

    def _fan(self, name: str) -> Fan | None:
        """The pack's fan (kept, fetched once); None if the pack is unreadable."""
        fan = self._fans.get(name)
        if fan is not None or name in self._broken:
            return fan
        with self._fan_lock:
            fan = self._fans.get(name)
            if fan is not None or name in self._broken:
                return fan
            rel = f"remote/fans/{name}"
            kept = self.local.read(rel)
            if kept is not None:
                try:
                    fan = layout.parse_fan(kept)
                except FormatError:
                    self._dropped(rel)
            if fan is None:
                got = self.transport.get(layout.fan_key(name))
                if got is None:
                    return self._broke(name, "it has no fan")
                try:
                    fan = layout.parse_fan(got[0])
                except FormatError as exc:
                    return self._broke(name, f"its fan: {exc}")
                self.local.write(rel, got[0])
            self._fans[name] = fan
            return fan

    def _broke(self, name: str, why: str) -> None:
        log.warning("remote pack %s is unreadable: %s", self._where(layout.pack_key(name)), why)
        self._broken[name] = why
        return None

    def _slice(self, name: str, fan: Fan, kind: str, first: int) -> dict[str, tuple[int, int]]:
        """The records of the pack's index for ``kind`` and first byte ``first``."""
        def load():
            rel = f"remote/slices/{name}/{kind}-{first:02x}"
            kept = self.local.read_checked(rel)
            if kept is not None:
                try:
                    return layout.parse_slice(kept, kind, first)
                except FormatError:
                    self._dropped(rel)
            offset, length = fan.byte_range(*fan.records(kind, first))
            data = self.transport.get_range(layout.pack_key(name), offset, length)
            try:
                records = layout.parse_slice(data, kind, first) if len(data) == length \
                    else None
            except FormatError:
                records = None
            if records is None:
                self._broke(name, f"its index slice of {kind}s {first:02x} is damaged")
                return {}
            self.local.write_checked(rel, data)
            return records
        return self._slices.get_or_compute((name, kind, first), load)

    def _find_packed(self, kind: str, oid: str) -> tuple[str, int, int] | None:
        """``(pack name, offset, length)`` of the object in a pack of the manifest."""
        first = int(oid[:2], 16)
        names = self._manifest.pack_names()
        recent = self._recent.get(kind)
        if recent in names:         # neighbours come together: first where the last was
            names = [recent, *(n for n in names if n != recent)]
        self._prefetch_fans(names)
        for i, name in enumerate(names):
            fan = self._fan(name)
            if fan is None:
                continue
            start, end = fan.records(kind, first)
            if start == end:
                continue
            if i:       # the likeliest pack missed: ask the others' slices at once
                self._prefetch_slices(names[i:], kind, first)
            hit = self._slice(name, fan, kind, first).get(oid)
            if hit is not None:
                self._recent[kind] = name
                return name, *hit
        return None

    def _prefetch_fans(self, names: list[str]) -> None:
        """Fetch, in parallel, the fans not yet known: one round trip for all of them
        rather than one per pack, the first time a look-up needs them."""
        missing = [n for n in names if n not in self._fans and n not in self._broken]
        if len(missing) > 1:
            list(self._pool.map(self._fan, missing))

    def _prefetch_slices(self, names: list[str], kind: str, first: int) -> None:
        """The slices of ``kind`` and ``first`` of the packs ``names`` not yet known,
        fetched in parallel: a cold look-up costs one round trip more, not one per pack."""
        todo = []
        for name in names:
            fan = self._fans.get(name)
            if fan is None or self._slices.get((name, kind, first)) is not None:
                continue
            start, end = fan.records(kind, first)
            if start != end:
                todo.append((name, fan))
        if len(todo) > 1:
            list(self._pool.map(lambda nf: self._slice(nf[0], nf[1], kind, first), todo))

    def _settled(self, probe):
        """``probe()`` until it finds something, or misses with the manifest
        unchanged at the end of its pass (the miss rule)."""
        while True:
            hit = probe()
            if hit is not None or not self.refresh():
                return hit

    # --- reading objects ----------------------------------------------------------------
    def _cached(self, kind: str, oid: str) -> bool:
        """Whether the local cache holds the object (one that cannot be read: no)."""
        try:
            return self.fetched.contains(kind, oid)
        except OSError as exc:
            self.local.swallowed("remote cache: cannot look in it", exc)
            return False

    def _local_copy(self, kind: str, oid: str) -> bytes | None:
        """The cached copy's verified bytes; a damaged one is dropped (None)."""
        try:
            place = self.fetched.locate(kind, oid)
        except OSError as exc:      # a cache that cannot be read is an empty one
            self.local.swallowed("remote cache: cannot look in it", exc)
            return None
        if place is None:
            return None
        with place:
            try:
                data = place.read()
                good = hash_bytes(data) == oid
            except CorruptObject:
                good = False
            path = place.where
        if good:
            self.local.touch(path)
            return data
        self._dropped(path)
        return None

    def _fetch(self, kind: str, oid: str, keep_only: bool = False) -> bytes | bool | None:
        """The object from the remote, verified, and kept in the local cache; None
        if the remote does not have it (after the miss rule).  ``keep_only``: the
        caller reads the cached copy, so a large packed blob is streamed into the
        cache rather than held in memory (True once kept)."""
        def probe():
            hit = self._find_packed(kind, oid)
            if hit is not None:
                name, offset, length = hit
                key = layout.pack_key(name)
                where = f"{self._where(key)} at {offset}"
                if keep_only and kind == BLOB and length > STREAM_ABOVE:
                    return self._stream_blob(oid, key, offset, length, where)
                raw = self.transport.get_range(key, offset, length)
                if len(raw) != length:
                    raise CorruptObject(kind, oid, where, "the pack is shorter than its index says")
                self._fetched_from(name)
                return raw, where
            key = layout.object_key(kind, oid)
            got = self.transport.get(key)
            return None if got is None else (got[0], self._where(key))
        found = self._settled(probe)
        if found is None or isinstance(found, bool):
            return found
        raw, where = found
        data = decode(kind, oid, raw, where)
        if hash_bytes(data) != oid:
            raise CorruptObject(kind, oid, where, "content does not match its hash")
        try:
            self.fetched._write(kind, oid, data)
        except OSError as exc:
            self.local.swallowed("remote cache: cannot keep a fetched object", exc)
        return data

    def _fetched_from(self, name: str) -> None:
        """Count an object fetched from pack ``name`` by range; after ``WHOLE_AFTER``
        of a history pack's (a sixteenth of a states pack's), fetch the pack whole
        into the cache, where the local store reads it: listing ``history/`` or
        walking a log reads a whole chain, one object after the other, and one GET of
        the pack costs less than thousands of ranged ones.  What a fetch costs beyond
        that is bounded (``WHOLE_MAX``, an eighth of the cache's bound); a failure
        only means reading on by range."""
        fan = self._fans.get(name)
        if fan is None:
            return
        with self._lock:
            hits = self._hits.get(name, 0) + 1
            self._hits[name] = hits
        role = next((r for r, n in self._manifest.packs if n == name), None)
        after = WHOLE_AFTER if role == HISTORY else max(WHOLE_AFTER, fan.count // 16)
        size = fan.index_offset + fan.count * RECORD.size + TRAILER.size
        if hits != after or size > min(WHOLE_MAX, self.local.limit // 8):
            return
        dest = os.path.join(self.fetched.root, "packs", name + SUFFIX)
        try:
            self.fetch_pack(name, dest)
        except (StoreError, OSError) as exc:
            self.local.swallowed("remote cache: cannot keep a whole pack", exc)
            return
        self.local.added(size, keep=dest)
        log.info("fetched the whole pack %s (%d bytes) after %d objects of it",
                 self._where(layout.pack_key(name)), size, hits)

    def _stream_blob(self, oid: str, key: str, offset: int, length: int, where: str) -> bool:
        """Fetch a large packed blob into the cache as its plain file, by ranges of
        ``FETCH_CHUNK``, decoded and hashed as it comes: verified before it is put in
        place.  True, or False if the cache cannot keep it."""
        final = self.fetched.path(BLOB, oid) + PLAIN
        try:
            os.makedirs(os.path.dirname(final), exist_ok=True)
            fd, tmp = create_temp(os.path.dirname(final), ".tmp-fetch-")
        except OSError as exc:
            self.local.swallowed("remote cache: cannot keep a fetched object", exc)
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                hasher = hashlib.sha256()
                for part in _decoded(self.transport, key, offset, length, oid, where):
                    hasher.update(part)
                    f.write(part)
            if hasher.hexdigest() != oid:
                raise CorruptObject(BLOB, oid, where, "content does not match its hash")
            self.fetched.loose.install(final, lambda path: os.replace(tmp, path))
        except OSError as exc:
            self.local.swallowed("remote cache: cannot keep a fetched object", exc)
            return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self.local.added(length, keep=final)
        return True

    def _missing(self, kind: str, oid: str) -> ObjectNotFound:
        broken = self.unreadable_parts()
        if broken:
            raise CannotTell(f"{kind} {oid}", broken[0])
        return ObjectNotFound(kind, oid, f" (in {self.url})")

    def _read(self, kind: str, oid: str) -> bytes:
        pending = self._pending
        if pending is not None and (kind, oid) in pending:
            return pending[(kind, oid)]
        data = self._local_copy(kind, oid)
        if data is None:
            data = self._fetch(kind, oid)
        if data is None:
            raise self._missing(kind, oid)
        return data

    def contains(self, kind: str, oid: str) -> bool:
        pending = self._pending
        if pending is not None and (kind, oid) in pending:
            return True
        if self._cached(kind, oid):
            return True
        key = layout.object_key(kind, oid)
        return self._settled(lambda: self._find_packed(kind, oid)
                             or self.transport.size(key)) is not None

    def where(self, kind: str, oid: str) -> str | None:
        hit = self._find_packed(kind, oid)
        if hit is not None:
            return f"{self._where(layout.pack_key(hit[0]))} at {hit[1]}"
        return self._where(layout.object_key(kind, oid))

    def _local_place(self, oid: str, use, fallback):
        """``use(fetched)`` on the blob's local copy (fetched whole first); a copy
        found damaged is dropped and fetched again, once.  ``fallback()`` when the
        cache cannot keep it (unwritable)."""
        for last in (False, True):
            if not self._cached(BLOB, oid):
                got = self._fetch(BLOB, oid, keep_only=True)
                if got is None:
                    raise self._missing(BLOB, oid)
                if not self._cached(BLOB, oid):
                    return fallback()
            try:
                return use(self.fetched)
            except ObjectNotFound:      # evicted meanwhile
                if last:
                    return fallback()
            except CorruptObject as exc:
                if last or exc.path is None or not exc.path.startswith(self.cache_dir):
                    raise
                self._dropped(exc.path.split(" at ")[0])
        return fallback()

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        """Verified: the blob fetched whole into the cache once, then read there by
        range (a large one by its blocks)."""
        pending = self._pending
        if pending is not None and (BLOB, oid) in pending:
            return pending[(BLOB, oid)][offset:offset + size]
        if oid == EMPTY_BLOB:
            return b""
        return self._local_place(oid, lambda s: s.read_blob_range(oid, offset, size),
                                 lambda: self.get(BLOB, oid)[offset:offset + size])

    def blob_size(self, oid: str) -> int:
        pending = self._pending
        if pending is not None and (BLOB, oid) in pending:
            return len(pending[(BLOB, oid)])
        if oid == EMPTY_BLOB:
            return 0
        return self._local_place(oid, lambda s: s.blob_size(oid),
                                 lambda: len(self.get(BLOB, oid)))

    def plain_blob(self, oid: str) -> str | None:
        """The cached copy of a large blob (fetched whole first), checked: a file the
        kernel may read directly.  None for a small one."""
        if oid == EMPTY_BLOB:
            return None
        return self._local_place(oid, lambda s: s.plain_blob(oid), lambda: None)

    def prefetch(self, kind: str, oids: list[str]) -> None:
        """Fetch the objects not cached yet in parallel (on a pool of their own: a
        fetch may itself ask fans and slices on ``_pool``).  Failures are left for the
        read that follows, which says them."""
        pending = self._pending or {}
        todo = [o for o in dict.fromkeys(oids)
                if (kind, o) not in pending and o != EMPTY_BLOB and not self._cached(kind, o)]
        if len(todo) < 2:
            return

        def fetch(oid):
            try:
                self._fetch(kind, oid)
            except Error:
                pass
        list(self._fetchers.map(fetch, todo))

    @functools.cached_property
    def _fetchers(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(TABLE_THREADS, thread_name_prefix="verfs-prefetch")

    # --- listing ------------------------------------------------------------------------
    def _index_ids(self, name: str) -> dict[str, list[str]]:
        """Every id of a pack's whole index (fetched once and kept)."""
        fan = self._fan(name)
        if fan is None:
            return {}
        rel = f"remote/index/{name}"
        offset, length = fan.byte_range(0, fan.count)
        data = self.local.read_checked(rel)
        for attempt in (0, 1):
            if data is None:
                data = self.transport.get_range(layout.pack_key(name), offset, length)
                attempt = 1
            try:
                if len(data) != length:
                    raise FormatError("cut short")
                ids = layout.parse_index(data)
            except FormatError:
                if attempt:
                    self._broke(name, "its index is damaged")
                    return {}
                self._dropped(rel)
                data = None
                continue
            self.local.write_checked(rel, data)
            return ids
        return {}

    def pack_ids(self, name: str) -> dict[str, list[str]]:
        """Every id of the pack ``name``, by kind (its whole index: one ranged GET,
        kept in the cache)."""
        return self._index_ids(name)

    def _ids(self, kind: str, prefix: str = "") -> set[str]:
        self.refresh()
        found: set[str] = set()
        for name in self._manifest.pack_names():
            if len(prefix) >= 2:
                fan = self._fan(name)
                if fan is not None:
                    found.update(self._slice(name, fan, kind, int(prefix[:2], 16)))
            else:
                found.update(self._index_ids(name).get(kind, ()))
        try:
            base = f"objects/{kind}/"
            found.update(key[len(base):] for key in self.transport.list(base + prefix)
                         if is_id(key[len(base):]))
        except ReadOnlyRemote:
            pass            # a web server cannot list: loose objects are not listed
        pending = self._pending
        if pending is not None:
            found.update(o for k, o in list(pending) if k == kind)
        return {oid for oid in found if oid.startswith(prefix)}

    def iter_ids(self, kind: str) -> Iterator[str]:
        return iter(sorted(self._ids(kind)))

    def _ids_with_prefix(self, kind: str, prefix: str) -> list[str]:
        return sorted(self._ids(kind, prefix))

    def unreadable_parts(self) -> list[str]:
        return [f"unreadable pack {self._where(layout.pack_key(n))}: {why}"
                for n, why in sorted(self._broken.items())]

    def storage_problems(self) -> list[str]:
        return self.unreadable_parts()

    # --- writing ------------------------------------------------------------------------
    def _write(self, kind: str, oid: str, data: bytes) -> None:
        """Into the open batch, else a loose object (ReadOnlyRemote on a web server)."""
        with self._batch_lock:
            if self._pending is not None and not self._sealed:
                self._pending[(kind, oid)] = data
                return
        body = RAW + data if is_plain(kind, len(data)) else encode(kind, data)
        self.transport.put(layout.object_key(kind, oid), body)

    @contextlib.contextmanager
    def batch(self):
        """Writes collected and uploaded as one pack at the end (nested: joins the
        open one).  A batch that fails uploads nothing."""
        with self._batch_lock:
            mine = self._pending is None
            if mine:
                self._pending, self._sealed = {}, False
        if not mine:
            yield self
            return
        try:
            yield self
            with self._batch_lock:
                self._sealed = True     # later writes (other threads) go loose
                items = [(k, o, d) for (k, o), d in self._pending.items()]
            if items:
                self.upload_pack(items, HISTORY)
        finally:
            with self._batch_lock:
                self._pending, self._sealed = None, False

    def upload_pack(self, items: list[tuple[str, str, bytes]], role: str) -> str:
        """Upload ``items`` (kind, id, canonical bytes) as one pack with its fan, then
        add it to the manifest; the pack's name."""
        tmp = os.path.join(self.cache_dir, "tmp")
        os.makedirs(tmp, exist_ok=True)
        writer = PackWriter(tmp)
        try:
            for kind, oid, data in items:
                writer.add(kind, oid, encode(kind, data))
            path = writer.finish(tmp, durable=False)
        except BaseException:
            writer.abort()
            raise
        try:
            name = os.path.basename(path)[:-len(SUFFIX)]
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                index_offset, count = layout.parse_trailer(
                    os.pread(f.fileno(), TRAILER.size, size - TRAILER.size), size)
                index = os.pread(f.fileno(), count * RECORD.size, index_offset)
            fan = layout.build_fan(index, index_offset)
            if name not in self._manifest.pack_names():
                self.transport.put_file(layout.pack_key(name), path)
                self.transport.put(layout.fan_key(name), fan)
                self.local.write(f"remote/fans/{name}", fan)
                self._add_lines([layout.pack_line(role, name)])
            return name
        finally:
            os.unlink(path)

    def upload_table(self, area: str, entries: dict[str, str]) -> str:
        """Upload the derived entries of one area as a table, then add it to the
        manifest; the table's name."""
        data = layout.build_table(area, entries)
        name = hash_bytes(data)
        if name not in self._manifest.table_names(area):
            self.transport.put(layout.table_key(name), data)
            self._add_lines([layout.table_line(area, name)])
        return name

    def _add_lines(self, lines: list[str]) -> None:
        """Add lines to the remote's manifest: read it, add, write it back on
        condition that it has not changed meanwhile; again if it had."""
        while True:
            got = self.transport.get(MANIFEST_KEY)
            data, etag = got if got is not None else (None, None)
            new = layout.add_lines(data, lines)
            if new == data:
                self._set_manifest(data, etag)
                return
            try:
                etag = self.transport.put(MANIFEST_KEY, new, if_match=etag,
                                          if_none_match=etag is None)
            except PreconditionFailed:
                continue
            self._set_manifest(new, etag)
            return

    def read_head(self) -> tuple[str | None, str | None]:
        """The remote's head (None: an empty history) and its ETag (None: no head yet)."""
        got = self.transport.get(HEAD_KEY)
        if got is None:
            return None, None
        try:
            return layout.parse_head(got[0]), got[1]
        except FormatError as exc:
            raise FormatError(f"{self._where(HEAD_KEY)}: {exc}") from None

    def write_head(self, vid: str | None, etag: str | None, force: bool = False) -> str:
        """Move the remote's head to ``vid`` if it is still what ``etag`` named (None:
        that there is no head yet) — PreconditionFailed if not — or, ``force``,
        whatever it is; the new ETag."""
        data = layout.format_head(vid)
        if force:
            return self.transport.put(HEAD_KEY, data)
        return self.transport.put(HEAD_KEY, data, if_match=etag, if_none_match=etag is None)

    def read_tags(self) -> tuple[dict[str, str], str | None]:
        """The remote's tag references (name → version; none yet: empty) and the
        table's ETag (None: no table yet)."""
        got = self.transport.get(TAGS_KEY)
        if got is None:
            return {}, None
        try:
            return layout.parse_tags(got[0]), got[1]
        except FormatError as exc:
            raise FormatError(f"{self._where(TAGS_KEY)}: {exc}") from None

    def write_tags(self, tags: dict[str, str], etag: str | None) -> str:
        """Make ``tags`` the remote's tag table if it is still what ``etag`` named
        (None: that there is none yet) — PreconditionFailed if not; the new ETag.
        The caller merges and retries (verfs/sharing.py): the policy of which of two
        versions of a name wins is not the store's."""
        return self.transport.put(TAGS_KEY, layout.format_tags(tags), if_match=etag,
                                  if_none_match=etag is None)

    # --- whole packs and tables (pull, clone) -------------------------------------------
    def fetch_pack(self, name: str, dest_path: str) -> None:
        """The whole pack, verified against its name, as the file ``dest_path``
        (made atomically); BadPack if the remote's copy is damaged."""
        key = layout.pack_key(name)
        size = self.transport.size(key)
        if size is None:
            raise BadPack(self._where(key), "it is missing")
        directory = os.path.dirname(os.path.abspath(dest_path))
        os.makedirs(directory, exist_ok=True)
        with temp_file(directory, ".tmp-fetch-") as (fd, tmp):
            hasher = hashlib.sha256()
            with os.fdopen(fd, "wb") as f:
                for at in range(0, size, FETCH_CHUNK):
                    chunk = self.transport.get_range(key, at, min(FETCH_CHUNK, size - at))
                    hasher.update(chunk)
                    f.write(chunk)
            if hasher.hexdigest() != name:
                raise BadPack(self._where(key), "content does not match its name")
            os.replace(tmp, dest_path)

    def table_entries(self, name: str) -> dict[str, str]:
        """Every intact entry of a table (lines that fail their check are dropped)."""
        area = next((a for a, n in self._manifest.tables if n == name), None)
        key = layout.table_key(name)
        if area is None:
            raise StoreError(f"{self._where(key)}: no such table in the manifest")
        got = self.transport.get(key)
        if got is None:
            raise FormatError(f"{self._where(key)}: the manifest's table is missing")
        data = got[0]
        try:
            header = layout.parse_table_header(data, area)
        except FormatError as exc:
            raise FormatError(f"{self._where(key)}: {exc}") from None
        out = {}
        for first in range(layout.TABLE_BUCKETS):
            offset, length = header.bucket(first)
            found, bad = layout.parse_bucket(area, first, data[offset:offset + length])
            self._count_bad(key, bad)
            out.update(found)
        return out

    def _count_bad(self, key: str, bad: int) -> None:
        if bad:
            self._damage += bad
            log.warning("remote table %s: dropped %d damaged lines", self._where(key), bad)

    # --- tables, for the derived cache --------------------------------------------------
    def _table_header(self, name: str, area: str) -> layout.TableHeader | None:
        """The table's header (kept in memory once read, as its fans are)."""
        if name not in self._headers:
            self._headers[name] = self._read_table_header(name, area)
        return self._headers[name]

    def _read_table_header(self, name: str, area: str) -> layout.TableHeader | None:
        rel = f"remote/tables/{name}/head"
        kept = self.local.read(rel)
        if kept is not None:
            try:
                return layout.parse_table_header(kept, area)
            except FormatError:
                self._dropped(rel)
        key = layout.table_key(name)
        data = self.transport.get_range(key, 0, layout.table_header_size(area))
        try:
            header = layout.parse_table_header(data, area)
        except FormatError as exc:
            log.warning("remote table %s is unreadable: %s", self._where(key), exc)
            return None
        self.local.write(rel, data)
        return header

    def _bucket(self, name: str, area: str, header: layout.TableHeader,
                first: int) -> dict[str, str]:
        """The entries of one bucket of a table (kept in memory, a bounded number)."""
        return self._buckets.get_or_compute(
            (name, first), lambda: self._read_bucket(name, area, header, first))

    def _read_bucket(self, name: str, area: str, header: layout.TableHeader,
                     first: int) -> dict[str, str]:
        rel = f"remote/tables/{name}/{first:03x}"
        kept = self.local.read(rel)
        if kept is not None:
            found, bad = layout.parse_bucket(area, first, kept)
            if not bad:
                return found
            self._dropped(rel)
        key = layout.table_key(name)
        offset, length = header.bucket(first)
        data = self.transport.get_range(key, offset, length)
        found, bad = layout.parse_bucket(area, first, data)
        self._count_bad(key, bad)
        if not bad:
            self.local.write(rel, data)
        return found

    @functools.cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(TABLE_THREADS, thread_name_prefix="verfs-tables")

    def table_lookup(self, area: str, keys: Iterable[str]) -> dict[str, str]:
        """The entries of the remote's tables of ``area`` among ``keys``: each needed
        bucket read once (from the cache, else one ranged GET; in parallel)."""
        missing = {k for k in keys if is_id(k)}
        found: dict[str, str] = {}
        for name in self._manifest.table_names(area):
            if not missing:
                break
            header = self._table_header(name, area)
            if header is None:
                continue
            firsts = sorted({layout.bucket_of(k) for k in missing})
            firsts = [b for b in firsts if header.bucket(b)[1]]
            if len(firsts) > 1:
                parts = list(self._pool.map(
                    lambda b, name=name, header=header: self._bucket(name, area, header, b),
                    firsts))
            else:
                parts = [self._bucket(name, area, header, b) for b in firsts]
            for part in parts:
                for key in missing & part.keys():
                    found[key] = part[key]
            missing -= found.keys()
        return found

    # --- the derived side ---------------------------------------------------------------
    @property
    def cache(self) -> DerivedCache:
        return self._cache

    @cache.setter
    def cache(self, value: DerivedCache) -> None:
        self._cache = value

    @functools.cached_property
    def derived(self) -> DiskStore:
        """Reconstructed trees and blobs, local: ``cache_dir/derived``."""
        return _LocalStore(os.path.join(self.cache_dir, "derived"), self.local,
                           cache=self._db, blocks=self.blocks)

    @functools.cached_property
    def states(self) -> ObjectStore:
        """The local derived store over the remote (see store/layered.py) — in
        memory when the cache directory cannot be written (as a mount of an
        unwritable store keeps its trees, store/overlay.py)."""
        from ..layered import LayeredStore
        from ..memory import MemoryStore
        top = self.derived if _writable(self.cache_dir) else MemoryStore()
        return LayeredStore(top, _StatesBase(self))

    def contains_packed(self, kind: str, oid: str) -> bool:
        """Whether the object is here without asking the remote anything but index
        slices: in the local cache, the open batch or a pack of the manifest known —
        no loose object, no manifest read again.  Enough for derived objects, whose
        absence only means they are made (again) locally."""
        pending = self._pending
        return (pending is not None and (kind, oid) in pending) or \
            self._cached(kind, oid) or self._find_packed(kind, oid) is not None

    def close(self) -> None:
        for pool in ("_pool", "_fetchers"):
            if pool in self.__dict__:
                self.__dict__[pool].shutdown(wait=False)
        self._db.close()


def _writable(directory: str) -> bool:
    """Whether files can be made in ``directory`` (made if need be)."""
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = create_temp(directory, ".tmp-probe-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


def _decoded(transport: Transport, key: str, offset: int, length: int, oid: str,
             where: str) -> Iterator[bytes]:
    """The canonical bytes of the encoded blob at ``offset`` of ``key``, piece by
    piece (fetched by ranges, inflated with a bound on each piece)."""
    inflate = None
    for at in range(0, length, FETCH_CHUNK):
        want = min(FETCH_CHUNK, length - at)
        chunk = transport.get_range(key, offset + at, want)
        if len(chunk) != want:
            raise CorruptObject(BLOB, oid, where, "the pack is shorter than its index says")
        if at == 0:
            tag, chunk = chunk[:1], chunk[1:]
            if tag == ZLIB:
                inflate = zlib.decompressobj()
            elif tag != RAW:
                raise CorruptObject(BLOB, oid, where, "unknown encoding byte")
        if inflate is None:
            yield chunk
            continue
        try:
            while chunk:
                yield inflate.decompress(chunk, FETCH_CHUNK)
                chunk = inflate.unconsumed_tail
        except zlib.error as exc:
            raise CorruptObject(BLOB, oid, where, f"bad zlib data: {exc}") from None
    if inflate is not None:
        if not inflate.eof:
            raise CorruptObject(BLOB, oid, where, "bad zlib data: cut short")
        yield inflate.flush()


class RemoteCache(DerivedCache):
    """The derived cache of a remote store: the local SQLite file first, then the
    remote's tables (what is found there is copied locally).  Writes stay local."""

    def __init__(self, remote: RemoteStore, local: DiskCache):
        self.remote, self.local = remote, local

    def get(self, area: str, key: str) -> str | None:
        return self.get_many(area, [key]).get(key)

    def get_many(self, area: str, keys: Iterable[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        found = self.local.get_many(area, keys)
        missing = [k for k in keys if k not in found]
        if missing and self.remote.manifest.table_names(area):
            more = self.remote.table_lookup(area, missing)
            if more:
                self.local.put_many([], [(area, k, v) for k, v in more.items()])
                found.update(more)
        return found

    def put_many(self, entries, if_absent=()) -> None:
        """``if_absent`` entries give way to the remote tables' too."""
        self.local.put_many(entries, _absent(self, if_absent))

    def directory(self, name: str) -> str | None:
        """Derived files (path logs, the trigram index) are kept locally too."""
        return self.local.directory(name)


class _StatesBase(ObjectStore):
    """The remote as the base of the local derived store: every read is the
    remote's, but ``contains`` asks only what is known (``contains_packed``) —
    reconstruction asks it of every tree and blob it makes, and a derived object
    taken for absent is only written locally, where a remote miss would cost two
    requests each."""

    def __init__(self, remote: RemoteStore):
        self.remote = remote
        super().__init__(tree_cache_bytes=0)

    @property
    def cache(self) -> DerivedCache:
        return self.remote.cache

    @cache.setter
    def cache(self, value) -> None:
        pass            # (ObjectStore's __init__): the remote's is the one

    def _read(self, kind: str, oid: str) -> bytes:
        return self.remote._read(kind, oid)

    def contains(self, kind: str, oid: str) -> bool:
        return self.remote.contains_packed(kind, oid)

    def iter_ids(self, kind: str) -> Iterator[str]:
        return self.remote.iter_ids(kind)

    def where(self, kind: str, oid: str) -> str | None:
        return self.remote.where(kind, oid)

    def read_blob_range(self, oid: str, offset: int, size: int) -> bytes:
        return self.remote.read_blob_range(oid, offset, size)

    def blob_size(self, oid: str) -> int:
        return self.remote.blob_size(oid)

    def plain_blob(self, oid: str) -> str | None:
        return self.remote.plain_blob(oid)

    def prefetch(self, kind: str, oids: list[str]) -> None:
        self.remote.prefetch(kind, oids)

    def unreadable_parts(self) -> list[str]:
        return self.remote.unreadable_parts()
