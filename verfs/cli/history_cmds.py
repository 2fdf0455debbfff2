"""Commands that move head: unrecord, commute, obliterate, tag, clone, restore.

A move back past a tag keeps it as a tag reference and says so (verfs.ops)."""

import click

from store.remote.url import is_url

from .. import ops
from ..progress import progress
from ..repo import Repository
from .main import cli
from .options import VERSION, complete_tag, short, with_repo
from .remote_cmds import Source, clone_url, tagged, traffic


@cli.command()
@click.option("-n", "count", default=1, show_default=True, help="How many patches.")
@with_repo
def unrecord(repo, count):
    """Drop the last patches from head; the working tree keeps their changes.

    The dropped versions stay in the store and in 'verfs versions'.

    \b
    Example:
      verfs unrecord -n 2
    """
    vid = ops.unrecord(repo, count)
    click.echo(f"head is now {short(vid)}")


@cli.command()
@click.argument("patch", required=False)
@with_repo
def commute(repo, patch):
    """Reorder patches by commuting them.

    Without PATCH, swap the last two patches.  With PATCH (a version, a patch
    identity prefix, or a patch's name), move that patch to the end by commuting it
    past every later one; if a later patch depends on it, say which and change
    nothing.  Commuting back gives back the very same versions.

    \b
    Examples:
      verfs commute
      verfs commute "add greeting"
      verfs commute head~3
    """
    if patch is None:
        vid = ops.commute_last(repo)
    else:
        vid = ops.commute_to_end(repo, patch)
        if vid is None:
            click.echo("already the last patch; nothing to do")
            return
    click.echo(vid)


@cli.command()
@click.option("-n", "count", default=1, show_default=True, help="How many patches.")
@click.option("--force", is_flag=True,
              help="Discard unrecorded changes that would not apply afterwards.")
@with_repo
def obliterate(repo, count, force):
    """Drop the last patches from head and undo their changes in the working tree.

    Unrecorded changes are kept when they still apply.  The dropped versions stay
    in the store and in 'verfs versions', so 'verfs restore' can bring them back.

    \b
    Example:
      verfs obliterate -n 1
    """
    vid = ops.obliterate(repo, count, force)
    click.echo(f"head is now {short(vid)}")


@cli.command()
@click.argument("name", required=False)
@click.argument("version", required=False, type=VERSION)
@click.option("-d", "--delete", "delete", metavar="NAME", shell_complete=complete_tag,
              help="Delete tag NAME's reference (not a tag patch in head's history).")
@click.option("-A", "--author", metavar="AUTHOR", help="Who tags.")
@click.option("--date", metavar="DATE", help="When (YYYYMMDDhhmmss UTC, or ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="The list as one JSON array.")
@with_repo
def tag(repo, name, version, delete, author, date, as_json):
    """List the tags, tag a version as NAME, or delete a tag.

    Without NAME, list every tag with its version and the date of the patch it
    tags.  With NAME, tag VERSION (default: head): a tag patch that closes the
    inventory.  On head, head moves to the tag patch, as in darcs; on an older
    version (as 'git tag NAME REV'), the tag patch goes on top of that version,
    off head's line, and head stays.  NAME then works wherever a VERSION does; it
    is written as a tag reference (.verfs/tags/NAME), so it stays a name when head
    moves back past it.  A name that could be read as a hash prefix (4+ hex
    digits), 'head', or one holding '/', '~', '^', '@', ':' or spaces is refused, as
    is a branch's name.  -d removes a tag reference; a tag patch in head's history
    is part of it, dropped only by unrecord or obliterate.

    \b
    Examples:
      verfs tag v2.0 && verfs show v2.0:
      verfs tag v0.9 head~3
      verfs tag
      verfs tag -d v0.9
    """
    from ..errors import UsageError
    if delete is not None:
        if name is not None or version is not None:
            raise UsageError("give -d NAME, or NAME [VERSION], not both")
        vid = ops.delete_tag(repo, delete)
        click.echo(f"deleted tag {delete} (was {short(vid)})")
        return
    if name is not None:
        click.echo(ops.tag(repo, name, author, date, version or "head"))
        return
    if version is not None or author is not None or date is not None:
        raise UsageError("VERSION, -A and --date go with NAME")
    _list_tags(repo, as_json)


def _list_tags(repo, as_json: bool) -> None:
    """Each tag, by name: its version and the date of the patch it tags (the tag
    patch's parent: what the tag names), in the author's zone."""
    import json

    from ..dates import iso, text
    rows = []
    for name, vid in repo.tags().items():
        step = repo.history.step(vid)
        tagged = step.version.parent
        info = repo.history.step(tagged).patch.info if tagged else None
        rows.append((name, vid, info))
    if as_json:
        click.echo(json.dumps([{"name": n, "version": v,
                                "date": iso(i.date, i.get_meta("zone")) if i else None}
                               for n, v, i in rows], indent=1))
        return
    width = max((len(n) for n, _, _ in rows), default=0)
    for n, v, i in rows:
        when = text(i.date, i.get_meta("zone")) if i else "(the empty state)"
        click.echo(f"{n:{width}}  {short(v)}  {when}")


@cli.command()
@click.option("--version", "version", default="head", metavar="VERSION", type=VERSION,
              help="The version to clone (default: head).")
@click.argument("src", type=Source())
@click.argument("dest", type=click.Path())
def clone(version, src, dest):
    """Make DEST a new repository at any version of SRC: the safe way to restore one.

    SRC is a repository's directory, or the URL of a remote store (s3://BUCKET/PREFIX,
    http(s)://HOST/PATH, file:///DIR): then VERSION is read as the remote's.

    \b
    Examples:
      verfs clone --version head~5 . ../old-state
      verfs clone file:///tmp/shared-history ../copy
      AWS_ENDPOINT_URL=http://127.0.0.1:8333 verfs clone s3://my-bucket/project ../copy2
    """
    if is_url(src) or "://" in src:
        repo, counts = clone_url(src, dest, version)
        also = f", with {tagged(counts.tags)}" if counts.tags else ""
        click.echo(f"cloned {short(repo.head())} into {repo.root}{also} ({traffic(counts)})")
        return
    source = Repository.find(src)
    total = source.history.depth(source.resolve(version))
    with progress(total, "copying") as bar:
        repo = ops.clone(source, dest, version, bar.update)
    click.echo(f"cloned {short(repo.head())} into {repo.root}")


@cli.command()
@click.argument("version", type=VERSION)
@click.option("--yes-i-know", "sure", is_flag=True,
              help="Required: this rewrites the working tree and moves head.")
@click.option("--force", is_flag=True, help="Discard unrecorded changes.")
@with_repo
def restore(repo, version, sure, force):
    """Move head to VERSION and rewrite the working tree to match it, in place.

    Refuses without --yes-i-know, and when there are unrecorded changes unless
    --force.  The old head stays listed in 'verfs versions'.  'verfs clone --version'
    is the safe way to look at an old state.

    \b
    Example:
      verfs restore head~3 --yes-i-know
    """
    if not sure:
        raise click.UsageError(
            "restore rewrites the working tree and moves head; add --yes-i-know to go on "
            "(or use 'verfs clone --version VERSION SRC DEST' for a safe copy)")
    old, new = ops.restore(repo, version, force)
    click.secho(f"WARNING: head moved from {short(old)} to {short(new)} and the working "
                f"tree was rewritten; the old head is still listed in 'verfs versions'.",
                err=True, fg="red", bold=True)
    click.echo(new)
