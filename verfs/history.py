"""Versions, their chains, and reconstruction of a version's tree.

The state of version v: walk version files back from v, collecting patches, until a
version whose root tree is cached, or one that names an inventory (whose recorded
tree is the state before it), or the start of history; then apply the collected
patches to that tree, writing only what changes, and cache v → root tree.  Every
operation that makes a version caches its root as it goes, so this walk is short.

Works on a bare store: the mount uses it without any repository around.  The trees
and blobs of states are derived data: they are written to ``states`` (the store's
cache area), never to the store of the history itself.

Derived data heals (see store/layered.py): a History is a healer of its states.  A
derived object found absent or corrupt while reading is rebuilt by replaying, from
the empty tree, the whole chain of a version this History handed out a root for —
newest first — which writes every object of every state on it that is missing; the
read is then tried again.  One heal at a time; a second reader of the same object
waits for it, and an object no replay brings back is remembered as such.
"""

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from store import BLOB, EMPTY_TREE_ID, Inventory, ObjectStore, Version
from store.cache import LRU
from store.errors import CorruptObject, ObjectNotFound

from .patch.named import Patch
from .stamps import STAMPS, Stamps, parse, patch_stamp, produced

log = logging.getLogger("verfs.history")
# Prims, their text and replaying them (.patch.prims, .text, .apply, .trees) are
# imported when first needed: ``verfs log`` reads only patches' infos.
ASKED = 4096        # versions whose roots were handed out, remembered for healing

ROOTS = "roots"                 # derived-cache area: version → root tree
CLOSED = "closed-inventory"     # derived-cache area: version → the inventory it closes
# K: an inventory is closed at every tag and after every K patches without one, so
# reconstruction never replays more than K patches, whatever the version's depth.
CHECKPOINT = 64


def _patch_size(patch: Patch) -> int:
    """About the memory a parsed patch holds: its lines, and an object per prim."""
    from .patch.prims import Hunk
    lines = sum(len(x) + 40 for p in patch.prims if isinstance(p, Hunk)
                for x in (*p.old, *p.new))
    return 500 + 150 * len(patch.prims) + lines


class Step(NamedTuple):
    """One version of a chain, with its parsed patch."""

    vid: str
    version: Version
    patch: Patch


class History:
    """``store`` holds the history (versions, patches, inventories, binary blobs);
    ``states`` — derived trees and blobs over it — the states it passes through."""

    def __init__(self, store: ObjectStore, patch_cache_bytes: int = 32 << 20,
                 states: ObjectStore | None = None):
        self.store = store
        self.states = states if states is not None else store.states
        self._patches = LRU(patch_cache_bytes, _patch_size)
        self._versions = LRU(4 << 20, lambda v: 200)
        self.replayed = 0       # patches applied by reconstruction (tests count them)
        self.healed = 0         # derived objects brought back by a rebuild
        self.restamped = 0      # chains replayed because stamps were missing
        self._stamp_lock = threading.Lock()
        self._futile: set[str] = set()  # versions a restamp did not complete
        # the last version made, its root, and whether that is stamped (importing
        # puts each commit on the last one: no question to the cache for its base)
        self._last: tuple[str, str, bool] | None = None
        self._asked: OrderedDict[str, None] = OrderedDict()
        self._asked_lock = threading.Lock()
        self._heal_lock = threading.RLock()
        self._in_heal = threading.local()
        self._lost: set[tuple[str, str]] = set()
        healers = getattr(self.states, "healers", None)
        if healers is not None:
            healers.append(self._heal)

    # --- reading --------------------------------------------------------------------
    def version(self, vid: str) -> Version:
        return self._versions.get_or_compute(vid, lambda: self.store.get_version(vid))

    def patch(self, rep: str) -> Patch:
        from .patch.text import read_patch
        return self._patches.get_or_compute(
            rep, lambda: self.store.parsed("patch", rep, read_patch))

    def step(self, vid: str) -> Step:
        v = self.version(vid)
        return Step(vid, v, self.patch(v.patch))

    def chain(self, vid: str | None) -> Iterator[Step]:
        """The versions from ``vid`` back to the first patch, newest first."""
        while vid:
            s = self.step(vid)
            yield s
            vid = s.version.parent

    def ancestor(self, vid: str | None, n: int) -> str | None:
        """The n-th parent version; ValueError if the chain is shorter."""
        for _ in range(n):
            if vid is None:
                raise ValueError(n)
            vid = self.version(vid).parent
        return vid

    def depth(self, vid: str | None) -> int:
        return sum(1 for _ in self._vids(vid))

    def _vids(self, vid: str | None) -> Iterator[str]:
        while vid:
            yield vid
            vid = self.version(vid).parent

    # --- reconstruction -------------------------------------------------------------
    def cached_root(self, vid: str) -> str | None:
        root = self.store.cache.get(ROOTS, vid)
        if root and self.states.has_tree(root):
            return root
        return None

    def root_tree(self, vid: str | None) -> str:
        """The root tree id of version ``vid`` (the empty tree for None).

        The walk back stops at a version whose root is cached, or at one naming an
        inventory whose tree is present: at most K patches to replay.  An inventory
        whose tree is gone (the derived cache was deleted) does not stop it: the walk
        goes on to the start of history (or to a cached root), and the replay then
        keeps the root of every version it passes, as importing and recording did,
        checking each inventory's recorded tree on the way — one long walk after the
        cache is lost, and every version of that chain opens as quickly as before.
        """
        if vid is None:
            return EMPTY_TREE_ID
        with self._asked_lock:
            if vid not in self._asked:
                self._lost.clear()      # a new version to rebuild may bring them back
            self._asked[vid] = None
            self._asked.move_to_end(vid)
            if len(self._asked) > ASKED:
                self._asked.popitem(last=False)
        root = self.cached_root(vid)
        if root:
            return root
        todo: list[tuple[str, Version]] = []
        cur: str | None = vid
        base = EMPTY_TREE_ID
        long = False
        while cur:
            root = self.cached_root(cur)
            if root:
                base = root
                break
            v = self.version(cur)
            todo.append((cur, v))
            if v.inventory:
                tree = self.store.get_inventory(v.inventory).tree
                if self.states.has_tree(tree):
                    base = tree
                    break
                long = True
            cur = v.parent
        # Stamps only on a stamped base: what the patches produce is then all that
        # the states they give lack.
        stamp = self._is_stamped(base)
        stamps = Stamps()
        from .patch.apply import apply_prims
        from .trees import TreeEditor
        # The long walk writes thousands of trees and blobs: as one batch, a pack.
        with self.states.batch() if long else contextlib.nullcontext():
            ed = TreeEditor(self.states, base, track=stamp)
            kept = []
            for step_vid, v in reversed(todo):
                if long and v.inventory:
                    self._check_inventory(v.inventory, ed.commit())
                patch = self.patch(v.patch)
                apply_prims(ed, patch.prims)
                self.replayed += 1
                if long or stamp:
                    kept.append((ROOTS, step_vid, ed.commit()))
                    stamps.add(ed.produced(), patch)
            root = ed.commit()
            self.store.cache.put_many([*kept, (ROOTS, vid, root)], stamps.entries())
        return root

    # --- healing ----------------------------------------------------------------------
    def rebuild(self, vid: str) -> set[str]:
        """Replay the whole chain of ``vid`` from the empty tree, trusting no cached
        root and no inventory's tree: every derived object of every state on it that
        is absent is written again, and every version's root is cached.  The
        versions replayed."""
        vids = list(self._vids(vid))
        self._replay_recording(EMPTY_TREE_ID, vids[::-1])
        return set(vids)

    def _replay_recording(self, base: str, vids: list[str]) -> None:
        """Replay ``vids`` (oldest first) on tree ``base``, stamped, as one batch,
        checking each inventory's recorded tree; cache every version's root and the
        stamps of what each patch produced."""
        from .patch.apply import apply_prims
        from .trees import TreeEditor
        kept = []
        stamps = Stamps()
        with self.states.batch():
            ed = TreeEditor(self.states, base, track=True)
            for v in vids:
                version = self.version(v)
                if version.inventory:
                    self._check_inventory(version.inventory, ed.commit())
                patch = self.patch(version.patch)
                apply_prims(ed, patch.prims)
                self.replayed += 1
                kept.append((ROOTS, v, ed.commit()))
                stamps.add(ed.produced(), patch)
            self.store.cache.put_many(kept, stamps.entries())

    # --- stamps (verfs/stamps.py) -----------------------------------------------------
    def stamps(self, vid: str, oids: Iterable[str]) -> dict[str, int]:
        """The stamp (ns since the epoch, whole seconds) of each tree or blob id in
        version ``vid``'s tree: one cache query for the lot.  On a miss (the derived
        cache was deleted, or the store was made before stamps) ``vid``'s chain is
        restamped, once; an id still without one (not in ``vid``'s tree, or the cache
        cannot be written) gets the date of ``vid``'s own patch, not recorded."""
        oids = list(dict.fromkeys(oids))
        found = self._stamps_known(oids)
        if len(found) < len(oids):
            with self._stamp_lock:     # one restamp, however many threads miss
                found.update(self._stamps_known([o for o in oids if o not in found]))
                if len(found) < len(oids) and vid not in self._futile:
                    log.info("stamps of version %s are missing: replaying its chain", vid)
                    self.restamp(vid)
                    found.update(self._stamps_known([o for o in oids if o not in found]))
                    if len(found) < len(oids):
                        if len(self._futile) >= ASKED:
                            self._futile.clear()
                        self._futile.add(vid)
            if len(found) < len(oids):
                own = patch_stamp(self.step(vid).patch)
                found.update((o, own) for o in oids if o not in found)
        return found

    def restamp(self, vid: str) -> None:
        """Record the stamps of ``vid``'s chain: replay it from the empty tree, or
        from the newest root on it that is stamped (everything in that root is) —
        so going through the versions of a store made before stamps, oldest first,
        replays each patch once, not each chain."""
        self.restamped += 1
        todo = []
        base = EMPTY_TREE_ID
        for v in self._vids(vid):
            root = self.cached_root(v)
            if root is not None and self._is_stamped(root):
                base = root
                break
            todo.append(v)
        self._replay_recording(base, todo[::-1])

    def _stamps_known(self, oids: list[str]) -> dict[str, int]:
        if not oids:
            return {}
        got = self.store.cache.get_many(STAMPS, oids)
        return {k: n for k, n in ((k, parse(v)) for k, v in got.items()) if n is not None}

    def _is_stamped(self, root: str) -> bool:
        """Whether tree ``root`` is stamped — and so everything beneath it."""
        return root == EMPTY_TREE_ID or self.store.cache.get(STAMPS, root) is not None

    def _heal(self, kind: str, oid: str) -> bool:
        """A derived object is absent (or corrupt): rebuild the states of the
        versions asked for, newest first, until it is back.  Whether it is."""
        if getattr(self._in_heal, "on", False) or (kind, oid) in self._lost:
            return False        # a rebuild's own reads do not heal again
        with self._heal_lock:
            if self.states.contains(kind, oid):
                return True     # another thread healed it meanwhile
            with self._asked_lock:
                asked = list(reversed(self._asked))
            done: set[str] = set()
            self._in_heal.on = True
            try:
                for vid in asked:
                    if vid in done:
                        continue
                    log.warning("derived %s %s is missing: rebuilding the states up to "
                                "version %s", kind, oid, vid)
                    done |= self._rebuild_shunning(vid)
                    if self.states.contains(kind, oid):
                        self.healed += 1
                        return True
            finally:
                self._in_heal.on = False
            self._lost.add((kind, oid))
            return False

    def _rebuild_shunning(self, vid: str) -> set[str]:
        """``rebuild``, again as long as it finds more corrupt derived copies (each
        is written anew the next time round)."""
        while True:
            bad = getattr(self.states, "bad", 0)
            try:
                return self.rebuild(vid)
            except (ObjectNotFound, CorruptObject):
                if getattr(self.states, "bad", 0) == bad:
                    return set()

    def _check_inventory(self, inv_id: str, tree: str) -> None:
        """The state at an inventory's end, replayed, must be the tree it records."""
        inv = self.store.get_inventory(inv_id)
        if tree != inv.tree:
            raise CorruptObject("inventory", inv_id, None,
                                f"records tree {inv.tree} but its patches give {tree}")

    # --- making versions ------------------------------------------------------------
    def closes_inventory(self, vid: str) -> bool:
        """Whether the version after ``vid`` names an inventory: ``vid`` is a tag, or
        the K-th version since the last inventory (a checkpoint)."""
        if self.step(vid).patch.is_tag:
            return True
        for n, v in enumerate(self._vids(vid), 1):
            if n >= CHECKPOINT:
                return True
            if self.version(v).inventory:
                return False
        return False

    def closed_inventory(self, vid: str) -> str:
        """The inventory closed at version ``vid``: the patches since the previous
        one, its parent, and the tree at ``vid``.  A pure function of the chain (so
        commuting back finds the very same one), stored when first asked for and
        remembered in the derived cache."""
        known = self.store.cache.get(CLOSED, vid)
        if known and self.store.contains("inventory", known):
            return known
        entries = []
        parent = None
        for s in self.chain(vid):
            entries.append((s.patch.identity, s.version.patch))
            if s.version.inventory:
                parent = s.version.inventory
                break
        inv = Inventory(self.root_tree(vid), tuple(reversed(entries)), parent)
        inv_id = self.store.put_inventory(inv)
        self.store.cache.put(CLOSED, vid, inv_id)
        return inv_id

    def add_version(self, parent: str | None, patch: Patch, root: str | None = None) -> str:
        """Store ``patch`` and the version that puts it on ``parent``; cache its root
        tree (computed from the parent's unless given)."""
        self._keep_blobs(patch)
        from .patch.text import write_patch
        rep = self.store.put("patch", write_patch(patch))
        inventory = None
        if parent and self.closes_inventory(parent):
            inventory = self.closed_inventory(parent)
        vid = self.store.put_version(Version(rep, parent, inventory))
        last = self._last
        if last is not None and parent == last[0]:
            base, stamp = last[1], last[2]
        else:
            base = self.root_tree(parent)
            stamp = self._is_stamped(base)
        if root is None:
            from .patch.apply import apply_prims
            from .trees import TreeEditor
            ed = TreeEditor(self.states, base, track=stamp)
            apply_prims(ed, patch.prims)
            root = ed.commit()
            made = ed.produced()
        else:
            made = produced(self.states, base, root,
                            lambda oids: set(self._stamps_known(oids))) if stamp else []
        stamps = Stamps()
        stamps.add(made, patch)
        self.store.cache.put_many([(ROOTS, vid, root)], stamps.entries())
        self._last = (vid, root, stamp)
        return vid

    def _keep_blobs(self, patch: Patch) -> None:
        """The blobs a patch names are part of the history: the durable store adopts
        them from the derived states (where recording and importing wrote them) — a
        large one by a hard link, so it is on disk once."""
        from .patch.prims import Binary
        for p in patch.prims:
            if isinstance(p, Binary):
                for oid in (p.old, p.new):
                    if not self.store.has(BLOB, oid):
                        self.store.adopt(BLOB, oid, self.states)

    def extend(self, base: str | None, patches) -> str | None:
        """Put ``patches`` on ``base`` one after another; the last version."""
        vid = base
        for p in patches:
            vid = self.add_version(vid, p)
        return vid

    def tags(self, vid: str | None) -> dict[str, str]:
        """Tag name → version, along the chain of ``vid`` (the newest of a name).

        Only closure points can be tags: every tag closes an inventory, which the next
        version names.  So this reads version files, and the patches of just ``vid``
        and of the parents of versions that name an inventory."""
        found: dict[str, str] = {}

        def see(v: str) -> None:
            name = self.step(v).patch.info.tag_name
            if name is not None and name not in found:
                found[name] = v

        if vid:
            see(vid)
        for v in self._vids(vid):
            version = self.version(v)
            if version.inventory and version.parent:
                see(version.parent)
        return found
