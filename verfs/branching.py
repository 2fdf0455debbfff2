"""Branches: made, deleted and switched to (the files are verfs.heads's).

A branch is a name for a version; the checked-out one's version is head itself.  So
making a branch writes one small file and moves nothing, and switching is a restore
that also changes which name head stands for — with restore's safety (journalled,
refused over unrecorded changes unless forced).

Why a switch is crash-safe, in its order of writes (docs/FORMAT.md says the same):
1. ``.verfs/branches/OLD`` = head — harmless alone: a checked-out branch's file is
   ignored, so a kill here leaves the repository as it was;
2. the journal, naming the new branch as well as the tree and version;
3. the working tree; 4. ``.verfs/branch`` = NEW; 5. head = NEW's version (head's
   reflog: ``switch: OLD -> NEW``); 6. the journal goes.
A kill anywhere after 2 is rolled forward by the next command (journal.py), which
does 3–6 again, each step skipped when done; so no reader that recovers first ever
sees the new branch's name standing for the old branch's version.
"""

from . import heads
from .errors import Refused, UnknownVersion
from .ops import check_out
from .repo import Repository


def _check_new(repo: Repository, name: str, move: bool = False) -> bool:
    """Whether ``name`` is a branch already (then only ``move`` lets it be set, and
    never the checked-out one, whose version is head); refused if it is a tag's."""
    heads.check_name(name, "branch")
    if name in repo.tags():
        raise Refused(f"{name!r} is a tag's name; a branch needs another")
    if name not in repo.branches():
        return False
    if not move:
        raise Refused(f"branch {name!r} already exists (-f moves it)")
    if name == repo.current_branch():
        raise Refused(f"branch {name!r} is checked out: its version is head "
                         f"('verfs restore VERSION' moves head)")
    return True


def create(repo: Repository, name: str, spec: str = "head", move: bool = False
           ) -> str | None:
    """Branch ``name`` at the version ``spec`` names, new — or, with ``move``, moved
    there if it is a branch not checked out (as ``git branch -f``); head does not
    move.  A moved branch's old version is in its reflog."""
    with repo.locked():
        moved = _check_new(repo, name, move)
        vid = repo.resolve(spec)
        heads.write_branch(repo.dotdir, name, vid)
        repo.log_branch(name, vid, f"branch: {'moved to' if moved else 'made at'} {spec}")
        return vid


def delete(repo: Repository, name: str) -> str | None:
    """Remove branch ``name`` (not the checked-out one) and its reflog; its version
    (returned) stays in the store, so ``verfs branch NAME VERSION`` brings it back."""
    with repo.locked():
        named = repo.branches()
        if name not in named:
            raise UnknownVersion(f"no branch {name!r}")
        if name == repo.current_branch():
            raise Refused(f"branch {name!r} is checked out; switch to another first")
        heads.delete_branch(repo.dotdir, name)
        return named[name]


def switch(repo: Repository, name: str, force: bool = False,
           create_at: str | None = None) -> tuple[str, str | None]:
    """Check out branch ``name``: the working tree becomes its version's tree, head
    its version.  ``create_at``: make the branch first, at that version.  Returns
    (the branch switched from, the new head)."""
    with repo.locked():
        old = repo.current_branch()
        if create_at is not None:
            _check_new(repo, name)
            vid = repo.resolve(create_at)
        else:
            named = repo.branches()
            if name not in named:
                raise UnknownVersion(f"no branch {name!r} ('verfs branch' lists them; "
                                     f"'verfs switch -c {name}' makes it)")
            if name == old:
                raise Refused(f"already on branch {name!r}")
            vid = named[name]
        def before() -> None:
            heads.write_branch(repo.dotdir, old, repo.head())
            if create_at is not None:
                heads.write_branch(repo.dotdir, name, vid)
                repo.log_branch(name, vid, f"branch: made at {create_at}")
        check_out(repo, vid, force, "switch", f"switch: {old} -> {name}", name, before)
        return old, vid
