"""What every importer shares: the target repository, incremental runs, atomicity,
progress.

A *source* lists its patches oldest first, each with a key (git commit id, darcs
patch hash) that the imported patch keeps in its metadata under ``source.meta_key``.
Running an import again finds the keys already on the target's head chain and
imports only the rest.  Nothing is half-imported: objects are written in one store
batch (invisible until it ends) and head moves last; a new target is built in a
temporary directory beside it and renamed into place at the very end.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from store import EMPTY_TREE_ID, ObjectStore
from store.overlay import OverlayStore

from ..errors import ImportFailed, PatchApplyError, UsageError
from ..patch.apply import apply_to_tree
from ..patch.named import Patch, PatchInfo
from ..patch.prims import Prim
from ..progress import progress
from ..repo import DOTDIR, Repository
from ..worktree import checkout, snapshot


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


def _imported_keys(repo: Repository, meta_key: str) -> list[str | None]:
    keys = [s.patch.info.get_meta(meta_key) for s in repo.history.chain(repo.head())]
    keys.reverse()
    return keys


def run_import(source: Source, target: str, label: str = "importing") -> ImportResult:
    """Import ``source`` into the repository at ``target`` (made if absent)."""
    target = os.path.abspath(target)
    existing = os.path.isdir(os.path.join(target, DOTDIR))
    if not existing and os.path.exists(target) and (
            not os.path.isdir(target) or os.listdir(target)):
        raise UsageError(f"{target}: exists and is neither empty nor a verfs repository")
    keys = source.keys()
    if existing:
        return _import_into(Repository(target), source, keys, label, new=False)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".verfs-import-")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)     # mkdtemp's 0700 is not what a new directory gets
    try:
        result = _import_into(Repository.init(staging), source, keys, label, new=True)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ImportResult(Repository(target), result.imported, result.total, result.head,
                        result.warnings)


def _import_into(repo: Repository, source: Source, keys: list[str], label: str,
                 new: bool) -> ImportResult:
    history, store = repo.history, repo.history.states     # states: trees and blobs
    with repo.locked():
        head = repo.head()
        done = _imported_keys(repo, source.meta_key)
        if done != keys[:len(done)]:
            raise ImportFailed(
                f"{repo.root} has patches that are not in {source.description} "
                f"(recorded locally, or another history); import into a new directory")
        start = len(done)
        if start == len(keys):
            return ImportResult(repo, 0, len(keys), head,
                                source.check_final(store, history.root_tree(head)))
        old_tree = history.root_tree(head)
        if not new and snapshot(OverlayStore(store), repo.root) != old_tree:
            raise ImportFailed(f"{repo.root} has unrecorded changes; record or revert "
                               f"them before importing more")
        vid, root = head, old_tree
        with repo.store.batch(), store.batch(), progress(len(keys) - start, label) as bar:
            for imp in source.patches(start, store):
                patch = Patch(imp.info, tuple(imp.prims))
                try:
                    root_after = apply_to_tree(store, root, patch.prims)
                except PatchApplyError as exc:
                    raise ImportFailed(f"{source.description}: patch {imp.info.name!r} "
                                       f"does not apply ({exc})") from None
                if imp.root is not None and root_after != imp.root:
                    raise ImportFailed(f"internal error: the prims of {imp.info.name!r} "
                                       f"do not reproduce the source's tree")
                vid, root = history.add_version(vid, patch, root=root_after), root_after
                if patch.is_tag:
                    history.closed_inventory(vid)
                bar.update(1)
        warnings = source.check_final(store, root)
        checkout(store, EMPTY_TREE_ID if new else old_tree, root, repo.root)
        repo.set_head(vid, f"import {len(keys) - start} patch(es) from {source.description}")
        return ImportResult(repo, len(keys) - start, len(keys), vid, warnings)

