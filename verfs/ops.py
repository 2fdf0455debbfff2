"""The verbs of a repository, as plain functions (no click here).

Each changing verb takes the repository's lock, writes its objects (durable before
head moves), then moves head and appends to the reflog; one that changes the working
tree too writes its intent to the journal first (journal.py), so a kill half-way is
finished by the next command.  Versions are never deleted:
every state head was ever at stays in the store and in ``verfs versions``.
"""

import getpass
import itertools
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from store import EMPTY_TREE_ID, ObjectStore, hash_bytes
from store.disk import Repacked
from store.errors import ObjectNotFound
from store.overlay import OverlayStore

from . import heads, journal, staging
from .derived import after_new_versions
from .diff import tree_prims
from .errors import (
    CommuteError,
    DirtyWorkingTree,
    NothingToRecord,
    PatchApplyError,
    Refused,
    UnknownPath,
    UnknownVersion,
    UsageError,
)
from .fsck import readopt_blobs
from .history import Step
from .journal import change_tree
from .patch.apply import apply_to_tree
from .patch.commute import commute_patches
from .patch.named import TAG_PREFIX, Patch, PatchInfo, format_date
from .patch.prims import Binary, Prim
from .patch.text import write_prims
from .repo import DOTDIR, Repository
from .testhook import pause
from .trees import entry_at
from .worktree import checkout, select, snapshot

log = logging.getLogger("verfs.ops")


# --- who and when ---------------------------------------------------------------------
def default_author() -> str:
    for var in ("VERFS_AUTHOR", "DARCS_EMAIL", "EMAIL"):
        if os.environ.get(var):
            return os.environ[var]
    return f"{getpass.getuser()}@{socket.gethostname()}"


def parse_date_option(text: str | None) -> str:
    """``--date``: 14 digits (darcs's form, UTC) or ISO 8601; now when None."""
    if text is None:
        return format_date(datetime.now(UTC))
    if len(text) == 14 and text.isdigit():
        try:
            datetime.strptime(text, "%Y%m%d%H%M%S")
            return text
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a date: {text!r} (use YYYYMMDDhhmmss or ISO 8601)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_date(moment)


def date_zone(text: str | None) -> str:
    """The zone a recorded patch keeps (metadata ``zone``, see verfs/dates.py): the
    local one for now, the offset of an ISO ``--date`` that has one, else ``+0000``
    (a given date without an offset is taken as UTC, and is then shown as typed)."""
    from .dates import local_zone, zone_of
    if text is None:
        return local_zone()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "+0000"
    return zone_of(moment) if moment.tzinfo is not None else "+0000"


def _salted(parent: str | None, info: PatchInfo, prims) -> PatchInfo:
    """Give a recorded patch a unique identity, as darcs's ``Ignore-this`` does — but
    derived from where and what it records, so recording is deterministic."""
    seed = (parent or "").encode() + info.serialize() + write_prims(prims)
    meta = tuple(sorted((*info.meta, ("salt", hash_bytes(seed)[:16]))))
    return PatchInfo(info.name, info.author, info.date, info.comment, meta)


# --- the working tree -------------------------------------------------------------------
def working_tree(repo: Repository, store: ObjectStore | None = None,
                 also: tuple[str, ...] = ()) -> str:
    """The working tree's snapshot.  Ignored paths (.verfsignore) are in it only when
    head's tree, or one of ``also`` (the tree a command is about to check out), has
    them: those are the repository's, or in the way of what it writes."""
    return snapshot(store or repo.history.states, repo.root,
                    (repo.history.root_tree(repo.head()), *also))


def unrecorded(repo: Repository) -> list[Prim]:
    """The changes in the working tree against head, as prims (writes nothing)."""
    overlay = OverlayStore(repo.store)
    head_tree = repo.history.root_tree(repo.head())
    return tree_prims(overlay, head_tree, working_tree(repo, overlay))


def _carry_over(repo: Repository, old_tree: str, new_tree: str, new: str | None,
                force: bool, verb: str, operation: str, before=None) -> None:
    """Move the working tree from head's ``old_tree`` to ``new_tree`` and head to
    ``new``, keeping the unrecorded changes when they still apply (else refuse, or
    drop them with force).  ``before()``: what to do once it is sure to go on."""
    store = repo.history.states
    work = working_tree(repo, also=(new_tree,))
    target = new_tree
    if work != old_tree:
        try:
            target = apply_to_tree(store, new_tree, tree_prims(store, old_tree, work))
        except PatchApplyError:
            if not force:
                raise DirtyWorkingTree(
                    f"{verb}: the unrecorded changes in the working tree would not apply "
                    f"afterwards; record them first, or use --force to discard them") from None
            target = new_tree
    if before is not None:
        before()
    change_tree(repo, work, target, new, operation)


# --- recording ----------------------------------------------------------------------------
def record(repo: Repository, name: str, author: str | None = None, date: str | None = None,
           comment: tuple[str, ...] = (), paths: list[str] | None = None) -> str:
    """Record the working tree's changes (or those under ``paths``) as one patch."""
    if not name.strip():
        raise UsageError("a patch needs a name (-m NAME)")
    if name.startswith(TAG_PREFIX):
        raise UsageError(f"patch names starting with {TAG_PREFIX!r} are tags; use 'verfs tag'")
    with repo.locked():
        try:
            vid = _record(repo, name, author, date, comment, paths)
        except ObjectNotFound:
            # A derived object went missing meanwhile (cache/ deleted, which is always
            # allowed): once more from the working tree, which writes it again.
            vid = _record(repo, name, author, date, comment, paths)
        repo.set_head(vid, f"record: {name}")
        after_new_versions(repo.history, vid)
        return vid


def _record(repo: Repository, name: str, author, date, comment, paths) -> str:
    """The version recording the working tree's changes on head (head not moved)."""
    store, history = repo.history.states, repo.history
    head = repo.head()
    old = history.root_tree(head)
    new = working_tree(repo)
    if paths:
        rels = [_repo_path(repo, p) for p in paths]
        for p, rel in zip(paths, rels, strict=True):
            if rel and entry_at(store, new, rel) is None and entry_at(store, old, rel) is None:
                if os.path.lexists(os.path.join(repo.root, rel)):
                    raise NothingToRecord(f"{p}: ignored (.verfsignore, or darcs's boring); "
                                          f"no changes to record")
                raise UnknownPath(f"{p}: neither in the working tree nor in head")
        new = select(store, old, new, rels)
    prims = tree_prims(store, old, new)
    if not prims:
        raise NothingToRecord("no changes to record")
    info = PatchInfo(name, author or default_author(), parse_date_option(date), comment,
                     (("zone", date_zone(date)),))
    patch = Patch(_salted(head, info, prims), tuple(prims))
    if apply_to_tree(store, old, prims) != new:
        raise AssertionError("recorded prims do not reproduce the working tree")
    return history.add_version(head, patch, root=new)


def _repo_path(repo: Repository, path: str) -> str:
    """A path given on the command line, relative to the repository's top."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, repo.root)
    if rel == ".":
        return ""
    if rel.startswith(".."):
        raise UsageError(f"{path}: outside the repository")
    if DOTDIR in rel.split(os.sep):
        raise UsageError(f"{path}: inside a {DOTDIR} directory, which is never recorded "
                         f"(a repository's own data)")
    return rel.replace(os.sep, "/")


def tag(repo: Repository, name: str, author: str | None = None, date: str | None = None,
        spec: str = "head") -> str:
    """A tag patch on the version ``spec`` names; it closes that version's inventory.
    On head (the default), head moves to it, as in darcs.  On an older version (git's
    ``git tag NAME REV``) it is made as an import makes a tag off the line — a version
    of its own, on top of the tagged one, that only its tag reference names — and
    head does not move."""
    heads.check_name(name, "tag")
    with repo.locked():
        head = repo.head()
        base = repo.resolve(spec)
        if base is None:
            raise Refused("nothing to tag: the repository is empty" if head is None
                             else f"nothing to tag: {spec} is the empty state")
        if name in repo.tags():
            raise Refused(f"tag {name!r} already exists")
        if name in repo.branches():
            raise Refused(f"{name!r} is a branch's name; a tag needs another")
        info = PatchInfo(TAG_PREFIX + name, author or default_author(), parse_date_option(date),
                         meta=(("zone", date_zone(date)),))
        patch = Patch(_salted(base, info, ()))
        vid = repo.history.add_version(base, patch, root=repo.history.root_tree(base))
        repo.history.closed_inventory(vid)
        # head first: killed between the two, the tag is on head's chain, found there
        # (the reference is the same name for the same version); the other way round a
        # reference would name a version head never reached, and the re-run would
        # find the name taken (found by scripts/torture's kill -9 of a tag)
        pause("tag-made")
        if base == head:
            repo.set_head(vid, f"tag: {name}")
        pause("tag-head")
        heads.write_tag_ref(repo.dotdir, name, vid)
        return vid


def delete_tag(repo: Repository, name: str) -> str:
    """Remove tag ``name``'s reference; its version stays in the store (returned).
    A tag whose patch is in head's history is part of it, as in darcs: only
    ``unrecord``/``obliterate`` take it away, so deleting one is refused."""
    with repo.locked():
        named = repo.tags()
        if name not in named:
            raise UnknownVersion(f"no tag {name!r}")
        vid = named[name]
        if repo.history.tags(repo.head()).get(name) == vid:
            raise Refused(f"tag {name!r} is a patch in head's history; 'verfs unrecord' "
                             f"or 'verfs obliterate' drops it")
        heads.delete_tag_ref(repo.dotdir, name)
        return vid


# --- moving head ----------------------------------------------------------------------------
def _back(repo: Repository, n: int) -> tuple[str | None, str | None]:
    if n < 1:
        raise UsageError("-n must be at least 1")
    head = repo.head()
    try:
        return head, repo.history.ancestor(head, n)
    except ValueError:
        depth = repo.history.depth(head)
        raise Refused(f"there {'is' if depth == 1 else 'are'} only {depth} "
                      f"patch{'' if depth == 1 else 'es'}") from None


def unrecord(repo: Repository, n: int = 1) -> str | None:
    """Drop the last ``n`` patches from head; the working tree keeps their changes.
    Tags among them: see ``_tags_dropped``."""
    with repo.locked():
        head, new = _back(repo, n)
        _leave_tags(repo, *_tags_dropped(repo, head, n))
        repo.set_head(new, f"unrecord {n}")
        return new


def obliterate(repo: Repository, n: int = 1, force: bool = False) -> str | None:
    """Drop the last ``n`` patches and their changes from the working tree too.
    Tags among them: see ``_tags_dropped``."""
    with repo.locked():
        head, new = _back(repo, n)
        history = repo.history
        kept, removed = _tags_dropped(repo, head, n)
        _carry_over(repo, history.root_tree(head), history.root_tree(new), new, force,
                    "obliterate", f"obliterate {n}", before=lambda: _leave_tags(
                        repo, kept, removed))
        return new


# --- tags that head leaves behind ----------------------------------------------------------
def _tags_dropped(repo: Repository, head: str | None, n: int
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """The tags among the last ``n`` patches of ``head``: (kept, removed).  A tag
    with a dropped patch on top of it is one head goes back past — a release, still
    wanted: kept.  The tag patches at the very top (head itself is one) are what the
    command drops on purpose — ``verfs tag`` undone: removed."""
    kept: dict[str, str] = {}
    removed: dict[str, str] = {}
    top = True
    for step in itertools.islice(repo.history.chain(head), n):
        name = step.patch.info.tag_name
        if name is None:
            top = False
        elif name not in kept and name not in removed:
            (removed if top else kept)[name] = step.vid
    return kept, removed


def _tags_left(repo: Repository, old: str | None, new: str | None) -> dict[str, str]:
    """The tags on ``old``'s chain that ``new``'s does not reach (a restore)."""
    now = repo.history.tags(new)
    return {n: v for n, v in repo.history.tags(old).items() if now.get(n) != v}


def _leave_tags(repo: Repository, kept: dict[str, str], removed: dict[str, str]) -> None:
    """Before head moves away from them: every tag in ``kept`` gets a tag reference
    (unless it has one), so it stays a name; each in ``removed`` loses the one that
    names its very version.  Either is said (a warning line, which the CLI prints)."""
    refs = heads.tag_refs(repo.dotdir)
    for name, vid in kept.items():
        if name not in refs:
            heads.write_tag_ref(repo.dotdir, name, vid)
    gone = [name for name, vid in removed.items() if refs.get(name) == vid]
    for name in gone:
        heads.delete_tag_ref(repo.dotdir, name)
    if kept:
        log.warning("head no longer reaches %s %s; %s still %s (.verfs/tags/)",
                    "tag" if len(kept) == 1 else "tags", _few(kept),
                    "it is" if len(kept) == 1 else "they are",
                    "a tag reference" if len(kept) == 1 else "tag references")
    if removed:
        log.warning("%s %s removed with %s tag patch%s", "tag" if len(removed) == 1 else
                    "tags", _few(removed), "its" if len(removed) == 1 else "their",
                    "" if len(removed) == 1 else "es")


def _few(names, limit: int = 5) -> str:
    names = sorted(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _depends(later: Step, earlier: Step) -> CommuteError:
    return CommuteError(f"cannot commute: {later.patch.info.name!r} depends on "
                        f"{earlier.patch.info.name!r}")


def commute_last(repo: Repository) -> str:
    """Swap the last two patches."""
    with repo.locked():
        steps = list(itertools.islice(repo.history.chain(repo.head()), 2))
        if len(steps) < 2:
            raise Refused("commute needs at least two patches")
        b, a = steps
        r = commute_patches(a.patch, b.patch)
        if r is None:
            raise _depends(b, a)
        vid = repo.history.extend(a.version.parent, r)
        repo.set_head(vid, f"commute: {b.patch.info.name} before {a.patch.info.name}")
        return vid


def find_patch(repo: Repository, spec: str) -> list[Step]:
    """The steps of head's chain from the patch ``spec`` names to head, oldest first.

    ``spec``: a version (hash, prefix, ``head~N``, tag), a patch identity prefix, or a
    patch's exact name (the newest of that name)."""
    chain = list(repo.history.chain(repo.head()))
    try:
        vid = repo.resolve_some(spec)
    except UnknownVersion:
        vid = None
    for i, s in enumerate(chain):
        if s.vid == vid or s.patch.info.name == spec or (
                len(spec) >= 4 and s.patch.identity.startswith(spec.lower())):
            return list(reversed(chain[:i + 1]))
    if vid is not None:
        raise UnknownVersion(f"{spec}: not a patch of head's history")
    raise UnknownVersion(f"no patch {spec!r} in head's history")


def commute_to_end(repo: Repository, spec: str) -> str | None:
    """Move one patch to the end by commuting it past every later one."""
    with repo.locked():
        steps = find_patch(repo, spec)
        target, later = steps[0], steps[1:]
        if not later:
            return None
        moving = target.patch
        moved = []
        for s in later:
            r = commute_patches(moving, s.patch)
            if r is None:
                raise CommuteError(f"cannot move {moving.info.name!r} to the end: "
                                   f"{s.patch.info.name!r} depends on it")
            q, moving = r
            moved.append(q)
        vid = repo.history.extend(target.version.parent, [*moved, moving])
        repo.set_head(vid, f"commute: {moving.info.name} to the end")
        return vid


def restore(repo: Repository, spec: str, force: bool = False) -> tuple[str | None, str]:
    """Move head to any version and make the working tree that version's tree.
    Returns (old head, new head)."""
    with repo.locked():
        vid = repo.resolve_some(spec)
        head = repo.head()
        check_out(repo, vid, force, "restore", f"restore {vid}",
                  before=lambda: _leave_tags(repo, _tags_left(repo, head, vid), {}))
        return head, vid


def check_out(repo: Repository, vid: str | None, force: bool, verb: str, operation: str,
              branch: str | None = None, before=None) -> None:
    """Make the working tree ``vid``'s tree and head ``vid`` (with ``branch``, that
    branch checked out too), journalled; refused over unrecorded changes unless
    ``force`` — an ignored file where ``vid``'s tree has one counts as one.  The one
    safety of ``restore`` and ``switch``.  ``before()``: what to do once it is sure to
    go on.  The caller holds the lock."""
    to_tree = repo.history.root_tree(vid)
    work = working_tree(repo, also=(to_tree,))
    if not force and work != repo.history.root_tree(repo.head()):
        raise DirtyWorkingTree(f"{verb}: the working tree has unrecorded changes; "
                               f"record them, or use --force to discard them")
    if before is not None:
        before()
    change_tree(repo, work, to_tree, vid, operation, branch=branch)


# --- packing ----------------------------------------------------------------------------------
def gc(repo: Repository, progress=None) -> tuple[Repacked, Repacked, list[str]]:
    """Pack every object of the history, and of its derived cache, into one pack each
    (store/pack.py), verifying each on the way.  A corrupt object of the history stops
    it with nothing changed; a corrupt derived one is dropped, to be rebuilt.  First,
    a blob the history names that only the derived cache still holds is adopted back
    (the third value); one with no copy left stops gc (``readopt_blobs``)."""
    with repo.locked():
        adopted = readopt_blobs(repo.store, repo.store.derived)
        history = repo.store.repack(progress=progress)
        derived = repo.store.derived.repack(drop_corrupt=True, progress=progress)
        return history, derived, adopted


# --- copying ----------------------------------------------------------------------------------
def _copy(src: ObjectStore, dst: ObjectStore, kind: str, oid: str) -> bool:
    """Copy one object, verified; a large blob on the same file system is hard-linked
    (as ``git clone`` does locally).  False if ``dst`` had it."""
    if dst.contains(kind, oid):
        return False
    dst.adopt(kind, oid, src)
    return True


def _copy_tree(src: ObjectStore, dst: ObjectStore, oid: str) -> None:
    if oid == EMPTY_TREE_ID or not _copy(src, dst, "tree", oid):
        return
    for e in src.get_tree(oid).entries:
        if e.kind == "dir":
            _copy_tree(src, dst, e.oid)
        else:
            _copy(src, dst, "blob", e.oid)


def copy_history(src: Repository, dst: Repository, vid: str | None, progress=None,
                 copied: set[str] | None = None) -> None:
    """Copy what version ``vid`` needs — its chain of versions, their patches and the
    blobs they name, the inventories — from one store to another, and the inventories'
    trees (derived, but they bound reconstruction) between the derived states.
    ``copied``: versions whose chains an earlier call copied whole (it stops there:
    branches share their tails), and to which this one adds its own."""
    s, d = src.store, dst.store
    with d.batch(), dst.history.states.batch():
        for step in src.history.chain(vid):
            if copied is not None:
                if step.vid in copied:
                    break
                copied.add(step.vid)
            _copy(s, d, "patch", step.version.patch)
            for p in step.patch.prims:
                if isinstance(p, Binary):
                    _copy(s, d, "blob", p.old)
                    _copy(s, d, "blob", p.new)
            inv = step.version.inventory
            while inv and _copy(s, d, "inventory", inv):
                i = s.get_inventory(inv)
                if src.history.states.has_tree(i.tree):
                    _copy_tree(src.history.states, dst.history.states, i.tree)
                inv = i.parent
            _copy(s, d, "version", step.vid)
            if progress:
                progress(1)


def clone(src: Repository, dest: str, spec: str = "head", progress=None) -> Repository:
    """A new repository at ``dest`` (absent or an empty directory) whose head is the
    version ``spec`` names; built beside it and renamed into place (staging.py), so a
    killed clone leaves ``dest`` as it was and the next run starts afresh."""
    vid = src.resolve(spec)
    branches = src.branches()
    tag_refs = heads.tag_refs(src.dotdir)
    # the clone checks out the branch SPEC names, else the source's, at ``vid``
    current = spec if spec in branches else src.current_branch()

    def fill(dst: Repository) -> tuple[str | None, str]:
        copied: set[str] = set()
        copy_history(src, dst, vid, progress, copied)
        for at in [*branches.values(), *tag_refs.values()]:
            copy_history(src, dst, at, progress, copied)
        if current != heads.DEFAULT_BRANCH:
            heads.set_current_branch(dst.dotdir, current)
            heads.delete_branch(dst.dotdir, heads.DEFAULT_BRANCH)  # init's log line
        for name, at in branches.items():
            if name != current:
                heads.write_branch(dst.dotdir, name, at)
                dst.log_branch(name, at, f"clone of {src.root}: branch {name}")
        for name, at in tag_refs.items():
            heads.write_tag_ref(dst.dotdir, name, at)
        return vid, f"clone of {src.root} at {vid or 'the empty state'}"
    return new_repository(dest, fill)


def new_repository(dest: str, fill) -> Repository:
    """The part every clone shares: a repository made in a staging directory beside
    ``dest``, filled by ``fill(repository)`` — which returns the version to check out
    and the reflog's words — checked out and moved into place (staging.py, journal.py)."""
    dest = os.path.abspath(dest)
    with staging.build(dest, "clone") as st:
        dst = Repository.init(st.path)
        vid, operation = fill(dst)
        root = dst.history.root_tree(vid)
        if st.in_place:
            journal.begin(dst, EMPTY_TREE_ID, root, vid, operation)
        else:
            checkout(dst.history.states, EMPTY_TREE_ID, root, dst.root)
            dst.set_head(vid, operation)
    return journal.finish_begun(Repository(dest)) if st.in_place else Repository(dest)


@dataclass
class LogEntry:
    """A version as ``verfs log --json`` shows it (``verfs.logformat``)."""

    step: Step

    def as_json(self, verbose: bool = False) -> dict:
        from .logformat import entry_json
        return entry_json(self.step, verbose)
