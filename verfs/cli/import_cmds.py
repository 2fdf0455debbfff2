"""``verfs import git`` and ``verfs import darcs``."""

import os

import click

from ..errors import NoSuchFile
from ..importers.common import run_import
from .main import cli
from .options import short


def _default_target(src: str) -> str:
    name = os.path.basename(os.path.abspath(src).rstrip("/")) or "imported"
    if name.endswith(".git"):
        name = name[:-4]
    return f"{name}.verfs"


def _source(src: str) -> str:
    """The source directory, which must be there (click's own check would call a
    missing one a usage error: exit 2, not 1)."""
    if not os.path.isdir(src):
        raise NoSuchFile.of(src)
    return src


def _report(result) -> None:
    for w in result.warnings:
        click.secho(f"verfs: warning: {w}", err=True, fg="yellow")
    for note in result.notes:
        click.echo(note)
    if result.imported == 0 and result.moved:
        few = ", ".join(result.moved[:5]) + (", ..." if len(result.moved) > 5 else "")
        click.echo(f"{result.repo.root}: no new patches ({result.total}); "
                   f"{len(result.moved)} reference(s) new or moved: {few}")
    elif result.imported == 0:
        click.echo(f"{result.repo.root}: already up to date ({result.total} patches)")
    else:
        click.echo(f"imported {result.imported} of {result.total} patches into "
                   f"{result.repo.root}; head is {short(result.head)}")


@cli.group("import")
def import_group():
    """Import a history from git or darcs into a verfs repository.

    Running the same import again takes only what is new (and follows tags added or
    moved off the imported line).  On any error the target is left as it was (or
    not created at all).  What is left out is said, with counts.

    \b
    Examples:
      verfs import git ~/src/project --all --into project.verfs
      verfs import darcs ~/src/tools --into tools.verfs
    """


@import_group.command("git")
@click.argument("src", type=click.Path())
@click.option("--branch", metavar="BRANCH", help="The branch to import (default: the current one).")
@click.option("--all", "everything", is_flag=True,
              help="Every branch (as verfs branches of the same names) and every tag.")
@click.option("--into", "into", metavar="DIR", type=click.Path(),
              help="The verfs repository to import into (default: ./<name>.verfs).")
def import_git(src, branch, everything, into):
    """Import the first-parent history of a git branch: one patch per commit, with its
    message, author, date and zone.  Every tag reachable from the branch (through
    merges too) becomes a verfs tag whose tree is git's: a tag off the first-parent
    line gets a chain of its own, sharing the versions already imported.  With
    --all, every branch and every tag.  Names verfs refuses (say, with '/') are
    mapped ('/' -> '-') and the import says so, as it says what it left out.

    \b
    Examples:
      verfs import git ~/src/project --into project.verfs
      verfs import git ~/src/project --branch main --into project.verfs
      verfs import git ~/src/project --all --into project.verfs
    """
    from ..importers.git import GitSource
    _report(run_import(GitSource(_source(src), branch, everything), into or _default_target(src)))


@import_group.command("darcs")
@click.argument("src", type=click.Path())
@click.option("--into", "into", metavar="DIR", type=click.Path(),
              help="The verfs repository to import into (default: ./<name>.verfs).")
def import_darcs(src, into):
    """Import a darcs-2 hashed repository, read directly from its _darcs files: every
    patch keeps its name, author, date, comment and darcs hash; tags stay tags, each
    with a tag reference (a name verfs refuses, say with spaces, is mapped: ' ' -> '-').
    darcs's boring files (the repository's _darcs/prefs/boring and ~/.darcs/boring)
    are copied to .verfs/boring, rewritten by each import: record and whatsnew in
    the new repository leave out what darcs would (.verfsignore patterns first).

    \b
    Example:
      verfs import darcs ~/src/project --into project.verfs
    """
    from ..importers.darcs import DarcsSource
    own = os.path.join(os.path.expanduser("~"), ".darcs", "boring")
    _report(run_import(DarcsSource(_source(src), user_boring=own), into or _default_target(src)))
