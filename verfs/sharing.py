"""Sharing a history through a remote store (store/remote): push, pull, clone.

**Push** uploads what the remote lacks — the history objects of head's chain since the
remote's head, and the trees and blobs of those versions' states — as packs of
bounded size, each added to the remote's manifest as soon as it is written, so a push
killed half-way has left whole packs that the next one does not send again; then the
derived tables (roots, stamps, closed inventories) of the versions it pushed; and
then the remote's tag table; and last moves the remote's head, by a conditional write
naming the head it read first.  Until that write the remote is a valid store at its
old head: extra packs are harmless.  A remote head that is not in local head's chain
is refused (pull first), and so is a head that moved while pushing: two machines
pushing at once never lose a patch.

**Tags** travel with the history: a push also uploads the chains of every tag
reference (``.verfs/tags/``; a tag imported off the first-parent line has no other
way in) that the remote lacks — they share their tails with head's, so only their own
versions go — and adds the tags the remote does not have to its table (``tags``,
beside ``head``).  The table is written after every pack and table, so it never names
a version the remote lacks, and before head (a push killed between the two has
published its tags, none of them dangling); it is written on condition that it is
what was read, and on a lost race read again and merged again.  A name the remote
already has at another version keeps the remote's (said, as a warning: the rest is
pushed), as git refuses to move a pushed tag — unless ``--force``, which moves it, as
git's does.  **Pull** and **clone** bring the chains the remote's table names and
write the tag references the repository lacks; a local tag at another version is kept
(said).  Branches do not travel: a push carries the checked-out head only.

What the remote lacks is known from the ids its packs hold (their indices, fetched
once and kept in the remote's local cache): for the states, a Merkle walk of each
pushed version's root that does not go into a tree the remote (or this push) already
has — so only what changed since the version's parent is looked at.  The stamps
pushed are those of what each version's patch made (verfs/stamps.py's ``produced``,
the Merkle diff against its parent's root), as recording gives them.

**Pull** and **clone** download whole packs — those holding an object the local store
lacks — verify every object, and install them as local packs (history packs into the
store, states packs into its derived store); then copy, one by one, any object of the
remote head's chain still missing (a remote's loose objects); then import the
remote's tables into the local derived cache (only lines whose checks hold, stamps
never over a stamp already given).  Which remote packs are known to be all here is
kept in the local derived cache (``PACKS_HERE``), so a later pull does not look at
them again; deleting the cache only makes the next pull look once more.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from store import DIR, KINDS
from store.base import WELL_KNOWN
from store.remote.transport import PreconditionFailed, ReadOnlyRemote

from . import heads
from .errors import DirtyWorkingTree, UsageError, VerfsError
from .history import CLOSED, ROOTS, History, Step
from .journal import change_tree
from .ops import new_repository, working_tree
from .patch.prims import Binary
from .patch.text import read_patch
from .repo import Repository
from .stamps import STAMPS, produced
from .testhook import pause

log = logging.getLogger("verfs.sharing")

PACK_BYTES = 32 << 20           # objects' bytes in one uploaded pack (at most, but one)
HISTORY, STATES = "history", "states"   # the roles of a remote's packs
HISTORY_KINDS = ("blob", "patch", "inventory", "version")
STATES_KINDS = ("tree", "blob")
TABLES = (ROOTS, STAMPS, CLOSED)
PACKS_HERE = "remote-packs"     # local derived-cache area: remote pack name → "here"
TABLES_HERE = "remote-tables"   # ... remote table name → "imported"
TAG_TRIES = 8                   # conditional writes of the tag table before giving up


class RemoteAhead(VerfsError):
    """The remote's head is not in local head's chain: pushing would lose it."""


class HeadMoved(VerfsError):
    """Another push moved the remote's head while this one was pushing."""


class TagsMoved(VerfsError):
    """The remote's tag table kept changing under this push's conditional writes."""


class Diverged(VerfsError):
    """Pull fetched the remote's history, but its head and local head each have
    patches the other lacks: head is not moved (verfs does not merge)."""


def short(vid: str | None) -> str:
    return vid[:12] if vid else "(empty)"


@dataclass
class Counts:
    """What a push or pull did, for its summary line."""

    versions: int = 0
    objects: int = 0
    packs: int = 0
    tables: int = 0
    sent: int = 0           # bytes
    received: int = 0
    requests: int = 0
    old: str | None = None      # the head before (remote's for push, local's for pull)
    new: str | None = None      # the head after
    theirs: str | None = None   # the remote's head (pull, clone)
    moved: bool = False         # whether that head moved
    tags: list[str] = field(default_factory=list)       # tags added (remote's or local)
    forced: list[str] = field(default_factory=list)     # remote tags moved (push --force)


# --- the chain ---------------------------------------------------------------------------
def since(history: History, head: str | None, base: str | None) -> list[str] | None:
    """The versions of ``head``'s chain after ``base``, oldest first; None when
    ``base`` is not in that chain (None, the empty state, always is)."""
    out = []
    vid = head
    while vid != base:
        if vid is None:
            return None
        out.append(vid)
        vid = history.version(vid).parent
    return out[::-1]


def _contains(history: History, head: str | None, vid: str | None) -> bool:
    return since(history, head, vid) is not None


def history_objects(history: History, vid: str, have: set) -> Iterator[tuple[str, str]]:
    """The history objects version ``vid`` adds to its parent's that ``have`` (a set
    of (kind, id)) lacks, added to it as they are given: its patch, the blobs its
    binary prims name, the inventories it names back to one ``have`` holds, and the
    version itself, last."""
    step = history.step(vid)
    wanted = [("patch", step.version.patch)]
    for p in step.patch.prims:
        if isinstance(p, Binary):
            wanted += [("blob", p.old), ("blob", p.new)]
    inv = step.version.inventory
    while inv and ("inventory", inv) not in have:
        wanted.append(("inventory", inv))
        inv = history.store.get_inventory(inv).parent
    wanted.append(("version", vid))
    for key in wanted:
        if key not in have:
            have.add(key)
            yield key


def state_objects(states, root: str, have: set) -> Iterator[tuple[str, str]]:
    """The trees and blobs of tree ``root`` that ``have`` (a set of (kind, id)) lacks,
    added to it as they are given, never going into a tree it holds: pushing version
    after version, the parent's root is all in ``have``, so this is a Merkle diff
    against it."""
    todo = [root]
    while todo:
        tree = ("tree", todo.pop())
        if tree in have:
            continue
        have.add(tree)
        yield tree
        for e in states.get_tree(tree[1]).entries:
            if e.kind == DIR:
                todo.append(e.oid)
            elif ("blob", e.oid) not in have:
                have.add(("blob", e.oid))
                yield "blob", e.oid


class Packer:
    """Objects gathered into packs of at most ``limit`` bytes (but one object), each
    uploaded as soon as it is full — and so in the remote's manifest."""

    def __init__(self, remote, role: str, limit: int, counts: Counts,
                 uploaded: Callable[[str], None]):
        self.remote, self.role, self.limit = remote, role, limit
        self.counts, self.uploaded = counts, uploaded
        self.items: list[tuple[str, str, bytes]] = []
        self.size = 0

    def add(self, kind: str, oid: str, data: bytes) -> None:
        if (kind, oid) in WELL_KNOWN:
            return
        if self.items and self.size + len(data) > self.limit:
            self.flush()
        self.items.append((kind, oid, data))
        self.size += len(data)

    def flush(self) -> None:
        if not self.items:
            return
        name = self.remote.upload_pack(self.items, self.role)
        self.counts.objects += len(self.items)
        self.counts.packs += 1
        self.items, self.size = [], 0
        self.uploaded(name)


def remote_ids(remote) -> set[tuple[str, str]]:
    """Every (kind, id) the remote holds (its packs' indices, and its loose objects).
    Not the objects every store has (the empty tree and file): those are never
    uploaded (``Packer``), but a version's walk meets them, so that their stamps go
    with the rest."""
    have = set()
    for kind in KINDS:
        have.update((kind, oid) for oid in remote.iter_ids(kind))
    return have


# --- push ----------------------------------------------------------------------------------
def push(repo: Repository, remote, force: bool = False, pack_bytes: int = PACK_BYTES,
         progress: Callable[[int], None] | None = None,
         ready: Callable[[], None] | None = None) -> Counts:
    """Make the remote's head local head, uploading what it lacks (see the module's
    docstring).  ``force``: whatever head the remote has is overwritten.  A head that
    another push moved meanwhile to a version local head contains is pushed over
    (what is still missing uploaded first); one it does not contain refuses.
    ``ready`` is called just before head is first written (tests gate concurrent
    pushes there)."""
    if not remote.transport.writable:
        raise ReadOnlyRemote(f"{remote.url}: a plain web server is read-only; push to "
                             f"s3:// or a directory (file:///DIR), and copy that to it")
    start = remote.stats.copy()
    counts = Counts()
    while True:
        try:
            _push(repo, remote, force, pack_bytes, progress, ready, counts)
            return _done(counts, remote, start)
        except PreconditionFailed:
            theirs, _ = remote.read_head()
            if not (_known(repo, theirs) and _contains(repo.history, counts.new, theirs)):
                raise HeadMoved("the remote's head moved while pushing: pull first") from None
            ready = None        # the race is over: this push goes on on top of the winner


def _push(repo: Repository, remote, force: bool, pack_bytes: int, progress, ready,
          counts: Counts) -> None:
    """One try of ``push``: PreconditionFailed when the remote's head moved since it
    was read."""
    remote.refresh()
    head = repo.head()
    old, etag = remote.read_head()
    counts.old, counts.new = old, head
    new = since(repo.history, head, old) if _known(repo, old) else None
    if new is None and not force:
        raise RemoteAhead(f"the remote's head {short(old)} is not in yours: pull first "
                          f"(or push --force)")
    if new is None:
        new = since(repo.history, head, None)
    theirs, tags_etag = remote.read_tags()
    mine = heads.tag_refs(repo.dotdir)
    wanted = _tags_to_push(mine, theirs, force)
    if old == head and not wanted:
        _say_differing(mine, theirs, "the remote's")
        return
    have = remote_ids(remote)
    chains = [new] + _tag_chains(repo.history, wanted, have, set(new))
    sent = _upload(repo, remote, chains, have, pack_bytes, progress, counts)
    if wanted:
        _write_tags(remote, mine, theirs, tags_etag, force, counts)
    if old != head:
        if ready:
            ready()
        remote.write_head(head, etag, force=force)
        counts.moved = True
    repo.store.cache.put_many([(PACKS_HERE, name, "here") for name in sent[0]]
                              + [(TABLES_HERE, name, "imported") for name in sent[1]])


def _tags_to_push(mine: dict[str, str], theirs: dict[str, str], force: bool) -> dict[str, str]:
    """The local tag references the remote's table lacks (or, ``force``, has at
    another version)."""
    return {n: v for n, v in mine.items() if theirs.get(n) != v and (force or n not in theirs)}


def _say_differing(mine: dict[str, str], theirs: dict[str, str], kept: str) -> None:
    """A warning (the CLI says it after the command's summary) for each name the two
    tables give different versions; ``kept``: whose was kept."""
    for name in sorted(mine.keys() & theirs.keys()):
        if mine[name] != theirs[name]:
            log.warning("tag %s differs on the remote; kept %s", name, kept)


def _tag_chains(history: History, tags: dict[str, str], have: set,
                scheduled: set) -> list[list[str]]:
    """For each tag (by name), the versions of its chain that neither the remote
    (``have``, (kind, id) pairs) nor an earlier chain (``scheduled``, added to) holds,
    oldest first: a tag off head's line shares its tail with head's, so only the
    versions of its own go.  A chain's first version's parent is on the remote or in
    an earlier chain — pushed in this order, each version's parent goes first."""
    out = []
    for _, vid in sorted(tags.items()):
        chain = []
        while vid is not None and vid not in scheduled and ("version", vid) not in have:
            chain.append(vid)
            scheduled.add(vid)
            vid = history.version(vid).parent
        if chain:
            out.append(chain[::-1])
    return out


def _upload(repo: Repository, remote, chains: list[list[str]], have: set, pack_bytes: int,
            progress, counts: Counts) -> tuple[list[str], list[str]]:
    """Upload the history objects, states and derived tables of the versions of
    ``chains`` (each oldest first, its first version's parent on the remote or in an
    earlier chain); the names of the packs and of the tables sent."""
    sent: list[str] = []

    def uploaded(name: str) -> None:
        sent.append(name)
        if len(sent) == 1:
            pause("pushed-pack")
    history = repo.history
    states = history.states
    packers = {role: Packer(remote, role, pack_bytes, counts, uploaded)
               for role in (HISTORY, STATES)}
    roots: dict[str, str] = {}
    stamps: dict[str, str] = {}
    for chain in chains:
        parent = history.root_tree(history.version(chain[0]).parent) if chain else None
        for vid in chain:
            for kind, oid in history_objects(history, vid, have):
                packers[HISTORY].add(kind, oid, repo.store.get(kind, oid))
                counts.versions += kind == "version"
            root = roots[vid] = history.root_tree(vid)
            for kind, oid in state_objects(states, root, have):
                packers[STATES].add(kind, oid, states.get(kind, oid))
            # Stamps of what is new where it is (a binary file's blob too, which went
            # with the history): a reader's stamps come from these tables.
            made = produced(states, parent, root, lambda ids: {i for i in ids if i in stamps})
            for oid, n in history.stamps(vid, made).items() if made else ():
                stamps.setdefault(oid, str(n))
            parent = root
            if progress:
                progress(1)
    for packer in packers.values():
        packer.flush()
    closed = repo.store.cache.get_many(CLOSED, list(roots))
    tables = [remote.upload_table(area, entries)
              for area, entries in ((ROOTS, roots), (STAMPS, stamps), (CLOSED, closed))
              if entries]
    counts.tables += len(tables)
    return sent, tables


def _write_tags(remote, mine: dict[str, str], theirs: dict[str, str], etag: str | None,
                force: bool, counts: Counts) -> None:
    """Add the local tags to the remote's table (``theirs``, read with ``etag``): a
    name it has at another version keeps the remote's, but for ``force``.  Written
    on condition that the table is still what was read; on a lost race, read and
    merged again (what another push added is kept)."""
    for _ in range(TAG_TRIES):
        wanted = _tags_to_push(mine, theirs, force)
        counts.tags = sorted(wanted)
        counts.forced = sorted(n for n in wanted if n in theirs)
        if not wanted:
            break
        pause("tag-table")
        try:
            remote.write_tags({**theirs, **wanted}, etag)
        except PreconditionFailed:
            theirs, etag = remote.read_tags()
            continue
        pause("pushed-tags")
        break
    else:
        raise TagsMoved("the remote's tags kept changing while pushing: push again")
    if not force:
        _say_differing(mine, theirs, "the remote's")


def _known(repo: Repository, vid: str | None) -> bool:
    return vid is None or repo.store.contains("version", vid)


def _done(counts: Counts, remote, start) -> Counts:
    now = remote.stats
    counts.requests = now.requests - start.requests
    counts.sent = now.bytes_out - start.bytes_out
    counts.received = now.bytes_in - start.bytes_in
    return counts


# --- fetching: pull and clone ----------------------------------------------------------------
def pack_ids(remote, name: str) -> list[tuple[str, str]]:
    """The (kind, id) of every object of the remote's pack ``name`` (its index,
    fetched once and kept in the remote's local cache)."""
    return [(kind, oid) for kind, oids in remote.pack_ids(name).items() for oid in oids]


def fetch(repo: Repository, remote, head: str | None, stop: str | None,
          progress: Callable[[int], None] | None = None, counts: Counts | None = None,
          more: Iterable[str] = ()) -> Counts:
    """Bring into ``repo``'s store everything of the remote's version ``head``'s chain
    (down to ``stop``, a version whose chain is known complete here), and of the
    chains of the versions ``more`` (the remote's tags this repository did not have),
    and the remote's tables into its derived cache."""
    counts = counts or Counts()
    cache = repo.store.cache
    for role, store, kinds, look in ((HISTORY, repo.store, HISTORY_KINDS, repo.store),
                                     (STATES, repo.store.derived, STATES_KINDS,
                                      repo.history.states)):
        names = remote.pack_names(role)
        here = cache.get_many(PACKS_HERE, names)
        for name in names:
            if name not in here:
                if not all(look.contains(k, o) for k, o in pack_ids(remote, name)):
                    counts.objects += store.install_pack(
                        name, lambda path, name=name: remote.fetch_pack(name, path), kinds)
                    counts.packs += 1
                cache.put(PACKS_HERE, name, "here")
            if progress:
                progress(1)
    counts.versions = _complete(repo, remote, [head, *more], {stop})
    _import_tables(repo, remote, counts)
    return counts


def _complete(repo: Repository, remote, tips: list[str | None], stops: set) -> int:
    """Copy, one by one, whatever of the chains of ``tips`` down to a version of
    ``stops`` (whose chains are known complete here) the local store still lacks
    (objects the remote keeps loose, not in packs); how many versions those chains
    have.  Chains that share a tail walk it once."""
    local = _Lacking(repo.store, remote)
    seen: set[tuple[str, str]] = set()
    done = set(stops)
    n = 0
    with repo.store.batch():
        for vid in tips:
            while vid is not None and vid not in done:
                done.add(vid)
                for kind, oid in history_objects(local, vid, seen):
                    local.here(kind, oid)
                n += 1
                vid = repo.store.get_version(vid).parent
    return n


class _Lacking:
    """What ``history_objects`` reads (a History's ``step`` and ``store``), from the
    local store, each object copied (verified) from the remote first when it is not
    there."""

    def __init__(self, local, remote):
        self.store = self
        self._local, self._remote = local, remote

    def here(self, kind: str, oid: str) -> None:
        if not self._local.has(kind, oid):
            self._local.adopt(kind, oid, self._remote)

    def get_inventory(self, oid: str):
        self.here("inventory", oid)
        return self._local.get_inventory(oid)

    def step(self, vid: str) -> Step:
        self.here("version", vid)
        version = self._local.get_version(vid)
        self.here("patch", version.patch)
        return Step(vid, version, self._local.parsed("patch", version.patch, read_patch))


def _import_tables(repo: Repository, remote, counts: Counts) -> None:
    """The remote's tables not yet imported, into the local derived cache: entries
    only where the key has none (a stamp once given never changes)."""
    cache = repo.store.cache
    tables = [(area, name) for area, name in remote.manifest.tables if area in TABLES]
    done = cache.get_many(TABLES_HERE, [name for _, name in tables])
    for area, name in tables:
        if name in done:
            continue
        entries = remote.table_entries(name)
        cache.put_many([], [(area, key, value) for key, value in entries.items()])
        cache.put(TABLES_HERE, name, "imported")
        counts.tables += 1


def pull(repo: Repository, remote, url: str,
         progress: Callable[[int], None] | None = None) -> Counts:
    """Bring the remote's new history and the tags this repository lacks, then move
    head to the remote's when that contains local head and the working tree has no
    unrecorded changes.  The fetching needs no lock (objects only join the store);
    writing tags and moving head take it."""
    start = remote.stats.copy()
    remote.refresh()
    head, _ = remote.read_head()
    theirs, _ = remote.read_tags()
    old = repo.head()
    counts = Counts(old=old, new=old, theirs=head)
    tags = _tags_to_take(theirs, heads.tag_refs(repo.dotdir))
    lacking = [vid for vid in tags.values() if not _known(repo, vid)]
    behind = head is not None and not (_known(repo, head) and _contains(repo.history, old, head))
    if behind or lacking:
        fetch(repo, remote, head if behind else None, old, progress, counts, lacking)
    with repo.locked():
        old = counts.old = counts.new = repo.head()     # a command may have moved it
        counts.tags = _write_tag_refs(repo, tags)
        if head is None:
            return _done(counts, remote, start)
        history = repo.history
        if _contains(history, old, head):       # up to date, or ahead of the remote
            return _done(counts, remote, start)
        if not _contains(history, head, old):
            raise Diverged(f"pull: the remote's head {short(head)} and yours {short(old)} "
                           f"each have patches the other lacks; its history is fetched, "
                           f"head not moved ('verfs restore {short(head)} --yes-i-know' "
                           f"takes the remote's)")
        work = working_tree(repo)
        if work != history.root_tree(old):
            raise DirtyWorkingTree(f"pull: the working tree has unrecorded changes; the "
                                   f"remote's history is fetched, head not moved (record "
                                   f"them, or 'verfs restore {short(head)} --yes-i-know "
                                   f"--force' to discard them)")
        change_tree(repo, work, history.root_tree(head), head, f"pull from {url}")
        counts.new, counts.moved = head, True
        return _done(counts, remote, start)


def _tags_to_take(theirs: dict[str, str], mine: dict[str, str]) -> dict[str, str]:
    """The remote's tags to write here: those whose name this repository has no tag
    reference of and verfs takes as a name (``heads.check_name``).  A local tag at
    another version is kept, and that is said (a warning), as is a name refused."""
    out = {}
    for name, vid in sorted(theirs.items()):
        if name in mine:
            continue
        try:
            heads.check_name(name, "tag")
        except UsageError as exc:
            log.warning("the remote's tag %r is not taken: %s", name, exc)
            continue
        out[name] = vid
    _say_differing(mine, theirs, "yours")
    return out


def _write_tag_refs(repo: Repository, tags: dict[str, str]) -> list[str]:
    """Write the tag references ``tags`` that the repository (under its lock) still
    lacks: one made meanwhile here is kept.  The names written."""
    written = []
    for name, vid in tags.items():
        if heads.tag_ref(repo.dotdir, name) is heads.MISSING:
            heads.write_tag_ref(repo.dotdir, name, vid)
            written.append(name)
    return written


class _At(Repository):
    """A repository read as if its head were ``at`` (a clone being made: names such as
    ``head~3`` or a tag are the remote's)."""

    def __init__(self, root: str, at: str | None):
        super().__init__(root)
        self._at = at

    def head(self) -> str | None:
        return self._at


def clone(remote, url: str, dest: str, spec: str = "head",
          progress: Callable[[int], None] | None = None) -> tuple[Repository, Counts]:
    """A new repository at ``dest`` from the remote, with its tags, at the version
    ``spec`` names (read as the remote's: ``head`` is its head, a tag one of its
    tags), made as a local clone is."""
    start = remote.stats.copy()
    remote.refresh()
    head, _ = remote.read_head()
    theirs, _ = remote.read_tags()
    counts = Counts(theirs=head)

    def fill(dst: Repository) -> tuple[str | None, str]:
        tags = _tags_to_take(theirs, {})
        fetch(dst, remote, head, None, progress, counts, list(tags.values()))
        counts.tags = _write_tag_refs(dst, tags)
        vid = _At(dst.root, head).resolve(spec)
        counts.new = vid
        return vid, f"clone of {url} at {vid or 'the empty state'}"
    repo = new_repository(dest, fill)
    return repo, _done(counts, remote, start)
