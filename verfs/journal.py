"""The journal: a change of the working tree, written down before it starts, so that
a command killed half-way is finished by the next one.

Moving the working tree and head is two steps (rewrite the files, then replace
``.verfs/head``); a kill between them, or in the middle of the first, leaves head at
the old version and a tree that is neither.  So a command that changes the tree
first writes ``.verfs/journal`` (atomically: the whole file or none), holding the
tree it starts from, the tree and version it goes to and the reflog's words for it;
then changes the tree, moves head and removes the journal.

Whoever takes the repository's lock next and finds a journal rolls it forward:
whatever state the tree is in, it is made the journal's tree (checked out from a
snapshot of what is there), head is moved to the journal's version, and the journal
goes.  Every step of that can be repeated, so a kill during the recovery is
finished by the next command in turn.  Rolling forward, not back: the objects of
the new version are durable before the journal is written, so the command's result
is already decided; only its effect on the files is missing.
"""

import json
import os
from dataclasses import dataclass

from store.files import write_atomic

from .errors import VerfsError
from .heads import set_current_branch
from .testhook import pause
from .worktree import checkout, snapshot

NAME = "journal"


class DamagedJournal(VerfsError):
    """``.verfs/journal`` cannot be read: an interrupted command cannot be finished."""

    exit_code = 3


@dataclass(frozen=True)
class Intent:
    operation: str          # the reflog's words, e.g. "restore <id>"
    from_tree: str          # the working tree before (for the record)
    to_tree: str            # the working tree after
    to_version: str | None  # head after (None: the empty state)
    branch: str | None = None   # the branch checked out after (None: unchanged): switch

    def encode(self) -> bytes:
        d = {"journal": 1, "operation": self.operation, "from-tree": self.from_tree,
             "to-tree": self.to_tree, "to-version": self.to_version}
        if self.branch is not None:
            d["branch"] = self.branch
        return json.dumps(d).encode() + b"\n"


def _path(repo) -> str:
    return os.path.join(repo.dotdir, NAME)


def read(repo) -> Intent | None:
    """The pending intent, or None when no command was interrupted."""
    try:
        with open(_path(repo), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    try:
        d = json.loads(data)
        intent = Intent(d["operation"], d["from-tree"], d["to-tree"], d["to-version"],
                        d.get("branch"))
        if not all(isinstance(v, str) for v in (intent.operation, intent.from_tree,
                                                 intent.to_tree)) \
                or not isinstance(intent.to_version, str | None) \
                or not isinstance(intent.branch, str | None):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise DamagedJournal(f"{_path(repo)}: damaged journal of an interrupted command; "
                             f"'verfs restore --force head' after removing it gives a "
                             f"working tree that matches head") from None
    return intent


def change_tree(repo, from_tree: str, to_tree: str, to_version: str | None,
                operation: str, branch: str | None = None) -> None:
    """Make the working tree (now ``from_tree``) ``to_tree`` and head ``to_version``,
    journalled; with ``branch``, check that branch out too (``.verfs/branch``, set
    just before head moves).  The caller holds the lock and has made ``to_version``
    durable (and, for a switch, written the old branch's file)."""
    intent = begin(repo, from_tree, to_tree, to_version, operation, branch)
    _complete(repo, from_tree, intent, operation)


def begin(repo, from_tree: str, to_tree: str, to_version: str | None,
          operation: str, branch: str | None = None) -> Intent:
    """Write the journal only: the change is left for ``finish`` (a new repository
    moved into an existing directory, staging.py)."""
    intent = Intent(operation, from_tree, to_tree, to_version, branch)
    write_atomic(_path(repo), intent.encode())
    return intent


def finish(repo, interrupted: bool = True) -> Intent | None:
    """Roll an interrupted command forward (the caller holds the lock); the intent
    finished, or None if there was none.  ``interrupted=False``: the journal's own
    command finishes what it began (``begin``)."""
    intent = read(repo)
    if intent is None:
        return None
    store = repo.history.states
    to_tree = intent.to_tree
    if not store.has_tree(to_tree):      # derived data deleted since: derive it again
        to_tree = repo.history.root_tree(intent.to_version)
        intent = Intent(intent.operation, intent.from_tree, to_tree, intent.to_version,
                        intent.branch)
    keep = tuple(t for t in (intent.from_tree, to_tree) if store.has_tree(t))
    _complete(repo, snapshot(store, repo.root, keep), intent, intent.operation
              if not interrupted else f"{intent.operation} (finished after an interruption)")
    return intent


def finish_begun(repo):
    """Finish, under the lock, what ``begin`` left to do; the repository."""
    with repo.locked(recover=False):
        finish(repo, interrupted=False)
    return repo


def _complete(repo, current: str, intent: Intent, operation: str) -> None:
    """The tree, then the branch, then head, then the journal goes: each step is
    skipped when already done, so a repeat after a kill logs no move twice."""
    checkout(repo.history.states, current, intent.to_tree, repo.root)
    pause("head")
    switched = False
    if intent.branch is not None and repo.current_branch() != intent.branch:
        set_current_branch(repo.dotdir, intent.branch)
        switched = True
    if switched or repo.head() != intent.to_version:
        repo.set_head(intent.to_version, operation, branch_log=intent.branch is None)
    os.unlink(_path(repo))
