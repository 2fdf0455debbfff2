"""What every importer shares: the target repository, incremental runs, atomicity,
progress.

A *source* lists its patches oldest first, each with a key (git commit id, darcs
patch hash) that the imported patch keeps in its metadata under ``source.meta_key``.
Running an import again finds the keys already on the target's head chain and
imports only the rest.  Nothing is half-imported: objects are written in one store
batch (invisible until it ends) and head moves last, the working tree journalled
(journal.py); a new target is built in a hidden directory beside it and renamed into
place at the very end (staging.py).  No path with a ``.verfs`` component is ever
imported (``_LeftOut``).
"""

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from store import DIR, EMPTY_TREE_ID, ObjectStore, Tree, TreeEntry
from store.files import write_atomic
from store.overlay import OverlayStore

from .. import heads, staging
from ..derived import after_new_versions
from ..diff import tree_prims
from ..errors import ImportFailed, PatchApplyError, Refused, UsageError
from ..heads import check_name
from ..ignore import BORING_FILES
from ..journal import begin, change_tree, finish_begun
from ..patch.apply import apply_to_tree
from ..patch.named import TAG_PREFIX, Patch, PatchInfo
from ..patch.prims import Move, Prim
from ..progress import progress
from ..repo import DOTDIR, Repository
from ..staging import remove_stale
from ..worktree import snapshot


@dataclass
class Imported:
    """One patch from a source.  ``root``, when the source knows the tree after the
    patch, is checked against the result of applying ``prims``."""

    info: PatchInfo
    prims: list[Prim]
    root: str | None = None


class Source(Protocol):
    meta_key: str           # metadata key holding each patch's key, e.g. "git-commit"
    description: str        # for the reflog: "git /path (main)"

    def keys(self) -> list[str]:
        """Every patch's key, oldest first (cheap: no content read)."""

    def patches(self, start: int, store: ObjectStore) -> Iterator[Imported]:
        """The patches from index ``start`` on, oldest first; blobs they refer to
        (binary prims) are written to ``store``."""

    def check_final(self, store: ObjectStore, root: str) -> list[str]:
        """Warnings about the imported head tree (say, it differs from the source's
        own record of it); empty when all is well."""


@dataclass
class ImportResult:
    repo: Repository
    imported: int
    total: int
    head: str | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # what was imported beside the line
    moved: list[str] = field(default_factory=list)     # references new or moved: "tag v1"


def run_import(source: Source, target: str, label: str = "importing") -> ImportResult:
    """Import ``source`` into the repository at ``target`` (made if absent)."""
    target = os.path.abspath(target)
    remove_stale(os.path.dirname(target))
    existing = os.path.isdir(os.path.join(target, DOTDIR))
    if not existing and os.path.exists(target) and (
            not os.path.isdir(target) or os.listdir(target)):
        raise Refused(f"{target}: exists and is neither empty nor a verfs repository")
    keys = source.keys()
    if existing:
        return _import_into(Repository(target), source, keys, label, new=False)
    with staging.build(target, "import") as st:
        result = _import_into(Repository.init(st.path), source, keys, label, new=True,
                              in_place=st.in_place)
    repo = Repository(target)
    if st.in_place:
        finish_begun(repo)
    return ImportResult(repo, result.imported, result.total, result.head, result.warnings,
                        result.notes, result.moved)


LEFT_OUT = "verfs-left-out"     # metadata: how many changes of the source's were left out


def _hidden(path: str) -> bool:
    return DOTDIR in path.split("/")


def _paths(p: Prim) -> tuple[str, ...]:
    if isinstance(p, Move):
        return (p.src, p.dst)
    path = getattr(p, "path", None)
    return () if path is None else (path,)


class _LeftOut:
    """Keeps every ``.verfs`` out of what is imported.

    A source's tree may hold a ``.verfs`` (darcs adds one as readily as any other
    directory): at the top it would be taken for the target's own repository, deeper
    for a repository of its own, planted by whoever wrote the history.  So the
    imported patches leave out every change to a path with a ``.verfs`` component,
    while the source's own tree, ``.verfs`` included (``shadow``), is followed
    alongside: later patches of the source apply to it.  A patch that touches such
    a path imports as its other changes when they give the source's tree without its
    ``.verfs`` parts, else as the difference of those trees (a move out of a
    ``.verfs``, say, becomes an addition)."""

    def __init__(self, store: ObjectStore, source: Source):
        self.store, self.source = store, source
        self.paths: set[str] = set()
        self.first: str | None = None
        self._pruned: dict[str, str] = {}

    def patch(self, imp: Imported, root: str, shadow: str) -> tuple[Patch, str, str]:
        """The patch to import, the imported tree after it, the source's tree after.
        A patch with changes left out says how many under ``LEFT_OUT``."""
        hidden = [p for p in imp.prims if any(map(_hidden, _paths(p)))]
        prims, root_after, shadow_after = self._prims(imp, hidden, root, shadow)
        info = imp.info
        if hidden:
            meta = dict(info.meta)
            meta[LEFT_OUT] = str(len(hidden))
            info = PatchInfo(info.name, info.author, info.date, info.comment,
                             tuple(sorted(meta.items())))
        return Patch(info, tuple(prims)), root_after, shadow_after

    def _prims(self, imp: Imported, hidden: list[Prim], root: str,
               shadow: str) -> tuple[list[Prim], str, str]:
        shadow_after = self._apply(shadow, imp.prims, imp.info.name)
        if not hidden and shadow == root:
            return imp.prims, shadow_after, shadow_after
        for p in hidden:
            self.paths.update(x for x in _paths(p) if _hidden(x))
        if hidden and self.first is None:
            self.first = (f"{sorted(x for x in _paths(hidden[0]) if _hidden(x))[0]!r} "
                          f"in patch {imp.info.name!r}")
        root_after = self.prune(shadow_after)
        kept = [p for p in imp.prims if not any(map(_hidden, _paths(p)))]
        try:
            if apply_to_tree(self.store, root, kept) == root_after:
                return kept, root_after, shadow_after
        except PatchApplyError:
            pass
        return tree_prims(self.store, root, root_after), root_after, shadow_after

    def replay(self, shadow: str, start: int) -> str:
        """The source's own tree after its first ``start`` patches, from ``shadow``
        (the empty tree): what an earlier run left out is needed again when later
        patches change it."""
        if start == 0:
            return shadow
        for i, imp in enumerate(self.source.patches(0, self.store)):
            shadow = self._apply(shadow, imp.prims, imp.info.name)
            if i + 1 == start:
                break
        return shadow

    def _apply(self, tree: str, prims: list[Prim], name: str) -> str:
        try:
            return apply_to_tree(self.store, tree, prims)
        except PatchApplyError as exc:
            raise ImportFailed(f"{self.source.description}: patch {name!r} "
                               f"does not apply ({exc})") from None

    def prune(self, oid: str) -> str:
        """The tree without any ``.verfs`` entry at any level (memoised by tree id:
        only what changed is walked again)."""
        out = self._pruned.get(oid)
        if out is not None:
            return out
        entries, changed = [], False
        for e in self.store.get_tree(oid).entries:
            if e.name == DOTDIR:
                changed = True
                continue
            if e.kind == DIR:
                sub = self.prune(e.oid)
                if sub != e.oid:
                    changed = True
                    e = TreeEntry(e.name, DIR, sub, len(self.store.get_tree(sub)))
            entries.append(e)
        out = self.store.put_tree(Tree.build(entries)) if changed else oid
        self._pruned[oid] = out
        return out

    def warning(self) -> list[str]:
        if not self.paths:
            return []
        return [f"left out {len(self.paths)} path(s) inside a {DOTDIR} directory, where a "
                f"repository keeps its own data (first: {self.first})"]


@dataclass
class Refs:
    """What a source adds beside the imported line (``Source.extras``): tag and
    branch references (verfs names: already mapped), the branch to check out, and
    lines to tell the user (counts of what was imported and left out)."""

    tags: dict[str, str] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    current: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def line_tags(chain_steps) -> dict[str, str]:
    """The tags on an imported line (``TAG <name>`` patches), by verfs name: a darcs
    tag's name often holds spaces, which a tag reference's may not
    (``ref_names``)."""
    found = {}
    for s in chain_steps:
        if s.patch.is_tag:
            found.setdefault(s.patch.info.name[len(TAG_PREFIX):], s.vid)
    names = ref_names(found, "tag")
    return {names[n]: vid for n, vid in found.items()}


def ref_names(names, kind: str) -> dict[str, str]:
    """Each source name -> the verfs name it gets.  A name ``check_name`` accepts
    stays; any other has each character outside ``[A-Za-z0-9._+,=-]`` (``/``,
    spaces, ``:``, ``~``, ``^``, ``@`` ...) turned into ``-`` (runs of dots and a
    leading or trailing odd character too).  Should that still be refused, or give
    the name of another (``a/b`` and ``a-b``), the mapped names get ``-`` and the
    first 8 hex digits of the SHA-256 of the source name: deterministic (the same
    on every import, whatever else exists) and distinct."""
    names = sorted(set(names))
    out: dict[str, str] = {}
    plain = set()
    for n in names:
        try:
            check_name(n, kind)
            out[n] = n
            plain.add(n)
        except UsageError:
            pass
    mapped = {}
    for n in names:
        if n in out:
            continue
        m = re.sub(r"[^A-Za-z0-9._+,=-]", "-", n)
        m = re.sub(r"\.\.+", ".", m).rstrip(".")
        if not m or not re.match(r"[A-Za-z0-9_]", m):
            m = "_" + m
        mapped[n] = m
    counts: dict[str, int] = {}
    for m in mapped.values():
        counts[m] = counts.get(m, 0) + 1
    for n, m in mapped.items():
        ok = counts[m] == 1 and m not in plain
        if ok:
            try:
                check_name(m, kind)
            except UsageError:
                ok = False
        digest = hashlib.sha256(n.encode("utf-8", "surrogateescape")).hexdigest()
        out[n] = m if ok else f"{m}-{digest[:8]}"
    return out


def _import_into(repo: Repository, source: Source, keys: list[str], label: str,
                 new: bool, in_place: bool = False) -> ImportResult:
    """``in_place``: write the working tree's journal only (staging.build).  After
    the line, a source with ``extras`` adds its side chains and references (git's
    tags off the line, branches); every tag on the line gets a tag reference."""
    history, store = repo.history, repo.history.states     # states: trees and blobs
    extras = getattr(source, "extras", None)
    boring = _Boring(repo, source)
    with repo.locked():
        head = repo.head()
        chain = list(history.chain(head))[::-1]          # oldest first
        done = [s.patch.info.get_meta(source.meta_key) for s in chain]
        settle = getattr(source, "settle", None)
        if settle is not None:
            keys = settle(done)
        if done != keys[:len(done)]:
            raise ImportFailed(
                f"{repo.root} has patches that are not in {source.description} "
                f"(recorded locally, or another history); import into a new directory")
        start = len(done)
        memo = {k: s.vid for k, s in zip(done, chain, strict=True) if k}
        left_out = _LeftOut(store, source)
        replay = any(s.patch.info.get_meta(LEFT_OUT) for s in chain)
        if start == len(keys):
            final = left_out.replay(EMPTY_TREE_ID, start) if replay else history.root_tree(head)
            refs = Refs()
            if extras is not None:
                with repo.store.batch(), store.batch():
                    refs = extras(history, store, memo, _known(repo))
            moved = _write_refs(repo, chain, refs, extras is None)
            boring.write()
            return ImportResult(repo, 0, len(keys), head,
                                source.check_final(store, final) + refs.warnings, refs.notes,
                                moved)
        old_tree = history.root_tree(head)
        if not new and snapshot(OverlayStore(store), repo.root, (old_tree,),
                                boring.instead) != old_tree:
            raise ImportFailed(f"{repo.root} has unrecorded changes; record or revert "
                               f"them before importing more")
        vid, root = head, old_tree
        refs = Refs()
        with repo.store.batch(), store.batch():
            with progress(len(keys) - start, label) as bar:
                # the source's own tree (see _LeftOut)
                shadow = left_out.replay(EMPTY_TREE_ID, start) if replay else root
                for key, imp in zip(keys[start:], source.patches(start, store), strict=True):
                    patch, root_after, shadow = left_out.patch(imp, root, shadow)
                    if imp.root is not None and shadow != imp.root:
                        raise ImportFailed(f"internal error: the prims of {imp.info.name!r} "
                                           f"do not reproduce the source's tree")
                    vid, root = history.add_version(vid, patch, root=root_after), root_after
                    memo[key] = vid
                    if patch.is_tag:
                        history.closed_inventory(vid)
                    bar.update(1)
            if extras is not None:
                refs = extras(history, store, memo, _known(repo))
        warnings = left_out.warning() + source.check_final(store, shadow) + refs.warnings
        moved = _write_refs(repo, list(history.chain(vid))[::-1], refs, extras is None)
        boring.write()
        (begin if in_place else change_tree)(
            repo, EMPTY_TREE_ID if new else old_tree, root, vid,
            f"import {len(keys) - start} patch(es) from {source.description}")
        after_new_versions(history, vid)
        return ImportResult(repo, len(keys) - start, len(keys), vid, warnings, refs.notes,
                            moved)


class _Boring:
    """A source's ignore rules (darcs's boring files), for ``.verfs/boring``: read
    first and used (``instead``) when the working tree is compared — an incremental
    import must not take build output that darcs would ignore for unrecorded
    changes — but written only once the source has been read whole, so a failed
    import leaves the target as it was.  Rewritten each time (the source's are the
    truth); removed when the source has none any more.  A source without boring
    files (git) leaves ``.verfs/boring`` alone."""

    REL = BORING_FILES[0]         # ".verfs/boring"

    def __init__(self, repo: Repository, source: Source):
        self.path = os.path.join(repo.dotdir, "boring")
        get = getattr(source, "boring", None)
        self.instead = {self.REL: get()} if get is not None else {}

    def write(self) -> None:
        if not self.instead:
            return
        text = self.instead[self.REL]
        if text is not None:
            write_atomic(self.path, text)
        elif os.path.exists(self.path):
            os.unlink(self.path)


def _known(repo: Repository) -> dict[str, dict[str, str | None]]:
    """The references a repository has, for ``extras`` to keep what is as it was."""
    return {"tags": heads.tag_refs(repo.dotdir), "branches": repo.branches()}


def _write_refs(repo: Repository, chain_steps, refs: Refs, own_line: bool) -> list[str]:
    """Tag references for the line's tags (``own_line``: a source without extras,
    which names none itself) and the source's own, branches; written once every
    object they name is stored (the batch has ended).  What was new or moved
    (``tag v1``, ``branch dev``), for the summary."""
    tags = line_tags(chain_steps) if own_line else {}
    tags.update(refs.tags)
    have = heads.tag_refs(repo.dotdir)
    moved = []
    for name, vid in sorted(tags.items()):
        if have.get(name) != vid:
            heads.write_tag_ref(repo.dotdir, name, vid)
            moved.append(f"tag {name}")
    if refs.current is not None:
        heads.set_current_branch(repo.dotdir, refs.current)
    branches = heads.stored_branches(repo.dotdir)
    for name, vid in sorted(refs.branches.items()):
        if name != refs.current:
            if branches.get(name, heads.MISSING) != vid:
                moved.append(f"branch {name}")
            heads.write_branch(repo.dotdir, name, vid)
    return moved
