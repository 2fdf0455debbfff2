"""Commands of named heads: branch, switch, reflog."""

import json

import click

from .. import branching
from ..errors import UnknownVersion, UsageError
from .main import cli
from .options import VERSION, complete_branch, short, with_repo


def _patch_name(repo, vid: str | None) -> str:
    if vid is None:
        return "(empty)"
    return repo.history.step(vid).patch.info.name


@cli.command()
@click.argument("name", required=False, shell_complete=complete_branch)
@click.argument("version", required=False, type=VERSION)
@click.option("-d", "--delete", "delete", metavar="NAME", shell_complete=complete_branch,
              help="Delete branch NAME (not the checked-out one).")
@click.option("-f", "--force", is_flag=True,
              help="Move branch NAME to VERSION if it exists (not the checked-out one).")
@click.option("--json", "as_json", is_flag=True, help="The list as one JSON array.")
@with_repo
def branch(repo, name, version, delete, force, as_json):
    """List the branches, make one, or delete one.

    Without NAME, list every branch: '*' marks the checked-out one, whose version is
    head; each with its version and its last patch's name.  With NAME, make a
    branch at VERSION (default: head); head does not move ('verfs switch NAME'
    checks it out); -f moves an existing branch there (its reflog keeps where it
    was).  Versions are never lost with a branch: -d says the version, and 'verfs
    branch NAME VERSION' makes the branch again.

    \b
    Examples:
      verfs branch
      verfs branch fix-2 head~2 && verfs switch fix-2
      verfs switch main && verfs branch -f fix-2 head
      verfs branch -d fix-2
    """
    if delete is not None:
        if name is not None:
            raise UsageError("give -d NAME, or NAME [VERSION], not both")
        if force:
            raise UsageError("-f moves a branch: give NAME [VERSION], not -d")
        vid = branching.delete(repo, delete)
        click.echo(f"deleted branch {delete} (was {short(vid)})")
        return
    if name is not None:
        vid = branching.create(repo, name, version or "head", force)
        click.echo(f"branch {name} at {short(vid)}")
        return
    if version is not None:
        raise UsageError("VERSION goes with NAME")
    current = repo.current_branch()
    named = repo.branches()
    if as_json:
        click.echo(json.dumps([{"name": n, "version": v, "current": n == current}
                               for n, v in named.items()], indent=1))
        return
    width = max(len(n) for n in named)
    for n, v in named.items():
        mark = "*" if n == current else " "
        click.echo(f"{mark} {n:{width}}  {short(v):12}  {_patch_name(repo, v)}")


@cli.command()
@click.argument("name", shell_complete=complete_branch)
@click.argument("start", metavar="[VERSION]", required=False, type=VERSION)
@click.option("-c", "--create", is_flag=True,
              help="Make branch NAME first, at VERSION (default: head).")
@click.option("--force", is_flag=True, help="Discard unrecorded changes.")
@with_repo
def switch(repo, name, start, create, force):
    """Check out branch NAME: head becomes its version, the working tree its tree.

    Refuses when there are unrecorded changes, unless --force (which discards
    them).  The branch left keeps head's version; head's reflog says
    'switch: OLD -> NAME'.  A switch killed half-way is finished by the next
    command, as a restore is.

    \b
    Examples:
      verfs switch fix-1
      verfs switch -c experiment         # a new branch at head, checked out
      verfs switch -c old-state head~3
    """
    if start is not None and not create:
        raise UsageError("VERSION goes with -c (make the branch there)")
    old, vid = branching.switch(repo, name, force, (start or "head") if create else None)
    click.echo(f"switched from {old} to {name} (head is {short(vid)})")


@cli.command()
@click.argument("name", required=False, shell_complete=complete_branch)
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
@with_repo
def reflog(repo, name, as_json):
    """Show head's reflog, or branch NAME's own, newest first, as @{N} names.

    Every move of head is in head's reflog ('verfs versions' lists the same);
    a branch's reflog has the moves of that branch only.  'head@{N}' (or '@{N}')
    and 'NAME@{N}' name those versions wherever a VERSION goes.

    \b
    Examples:
      verfs reflog
      verfs reflog fix-1
      verfs diff @{1} head
    """
    if name is None:
        entries, label = repo.reflog(), "@"
    else:
        if name not in repo.branches():
            raise UnknownVersion(f"no branch {name!r}")
        entries, label = repo.branch_reflog(name), name
    from ..dates import reflog_iso, reflog_text
    if as_json:
        click.echo(json.dumps([{"name": f"{label}@{{{i}}}".replace("@@", "@"),
                                "time": reflog_iso(e.when), "version": e.vid,
                                "operation": e.operation}
                               for i, e in enumerate(entries)], indent=1))
        return
    for i, e in enumerate(entries):
        at = f"{label}@{{{i}}}".replace("@@", "@")
        click.echo(f"{short(e.vid):12}  {at:8}  {reflog_text(e.when)}  {e.operation}")
