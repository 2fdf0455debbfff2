"""Commands that share a history through a remote store: push, pull (and the URL
form of clone's SRC, which history_cmds.py's clone hands here)."""

import os

import click

from store.remote.url import is_url

from .. import sharing
from ..errors import NoSuchFile
from ..progress import progress
from .main import cli
from .options import short, with_repo


class Source(click.ParamType):
    """A directory in a repository, or a remote store's URL (clone's SRC)."""

    name = "source"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and (is_url(value) or "://" in value):
            return value                    # a URL (a bad one: open_transport says so, 2)
        if not os.path.isdir(value):        # not found: exit 1 (click's check says 2)
            raise NoSuchFile.of(value)
        return value


def open_remote(url: str, create: bool = False):
    """The remote store at ``url`` (imported here: its transports load boto3 and such
    only when a command needs one)."""
    from store.remote.store import open_remote as _open
    return _open(url, create=create)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("ch") else f"{n} {word}s"


def tagged(names: list[str]) -> str:
    """``2 tags (v1.0, v1.1)``, for a summary line (the first few names)."""
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"{plural(len(names), 'tag')} ({shown})"


def traffic(counts: sharing.Counts) -> str:
    """What a push, pull or clone moved, for its summary line."""
    return (f"{plural(counts.objects, 'object')} in {plural(counts.packs, 'pack')} and "
            f"{plural(counts.tables, 'table')}; {counts.sent} bytes sent and "
            f"{counts.received} received in {plural(counts.requests, 'request')}")


@cli.command()
@click.argument("url")
@click.option("--force", is_flag=True,
              help="Overwrite the remote's head even when it is not in yours, and its "
                   "tags that name other versions than yours (loudly).")
@click.option("--pack-size", type=click.IntRange(min=1), default=sharing.PACK_BYTES,
              show_default=True, metavar="BYTES", help="The most bytes of objects in one "
              "uploaded pack.")
@with_repo
def push(repo, url, force, pack_size):
    """Upload what the remote store at URL lacks, packed, then move its head to yours.

    Refused when the remote's head is not in your head's history (someone else
    pushed: pull first), and when it moves while pushing.  A push killed half-way
    leaves the remote a valid store at its old head; run it again and it sends only
    what is still missing.  The first push to a URL makes the store there.

    Every tag goes too (with its versions, a tag off head's line as well); a tag the
    remote already has at another version keeps the remote's, with a warning (as
    git refuses to move a pushed tag), unless --force.  Branches stay here: only the
    checked-out head is pushed.

    URL is s3://BUCKET/PREFIX (endpoint and credentials as boto3 reads them:
    AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...) or file:///DIR; a plain web server
    is read-only: push to a directory it serves.

    \b
    Examples:
      verfs push file:///tmp/shared-history
      AWS_ENDPOINT_URL=http://127.0.0.1:8333 verfs push s3://my-bucket/project
    """
    remote = open_remote(url, create=True)
    with progress(None, "pushing versions") as bar:
        counts = sharing.push(repo, remote, force, pack_size, bar.update)
    if force and counts.moved:
        click.secho(f"WARNING: push --force: the remote's head was {short(counts.old)} and "
                    f"is now {short(counts.new)}; versions only in the old head's history "
                    f"are no longer in the remote's", err=True, fg="red", bold=True)
    if counts.forced:
        click.secho(f"WARNING: push --force moved the remote's "
                    f"{plural(len(counts.forced), 'tag')} {', '.join(counts.forced)} to "
                    f"yours", err=True, fg="red", bold=True)
    if not counts.moved and not counts.tags:
        click.echo(f"the remote is already at {short(counts.new)}; nothing to push "
                   f"({traffic(counts)})")
        return
    if not counts.moved:
        click.echo(f"pushed {tagged(counts.tags)}: {traffic(counts)}; the remote's head "
                   f"is still {short(counts.new)}")
        return
    also = f" and {tagged(counts.tags)}" if counts.tags else ""
    click.echo(f"pushed {plural(counts.versions, 'version')}{also}: {traffic(counts)}; "
               f"the remote's head is now {short(counts.new)}")


@cli.command()
@click.argument("url")
@with_repo
def pull(repo, url):
    """Bring the new history of the remote store at URL, and move head to its head.

    Head moves only when the remote's head contains yours and the working tree has
    no unrecorded changes (as restore); otherwise the history is fetched and the
    one line says why head did not move.

    The remote's tags that you lack come too (with their versions); a tag you have
    at another version is kept, with a warning.

    URL is s3://BUCKET/PREFIX, http(s)://HOST/PATH (any static web server that
    honours Range requests) or file:///DIR.

    \b
    Examples:
      verfs pull file:///tmp/shared-history
      verfs pull https://example.com/histories/project
      AWS_ENDPOINT_URL=http://127.0.0.1:8333 verfs pull s3://my-bucket/project
    """
    remote = open_remote(url)
    with progress(None, "looking at packs") as bar:
        counts = sharing.pull(repo, remote, url, bar.update)
    if counts.moved:
        click.echo(f"pulled {plural(counts.versions, 'version')} ({traffic(counts)}); "
                   f"head is now {short(counts.new)}")
    elif counts.theirs is None:
        click.echo(f"the remote is empty; nothing to pull ({traffic(counts)})")
    elif counts.theirs == counts.old:
        click.echo(f"already at the remote's head {short(counts.old)} ({traffic(counts)})")
    else:
        click.echo(f"head {short(counts.old)} already contains the remote's "
                   f"{short(counts.theirs)} ({traffic(counts)})")
    if counts.tags:
        click.echo(f"brought {tagged(counts.tags)}")


def clone_url(url: str, dest: str, version: str):
    """``verfs clone URL DEST``: the new repository and what it took."""
    remote = open_remote(url)
    with progress(None, "looking at packs") as bar:
        return sharing.clone(remote, url, dest, version, bar.update)

