"""``verfs mount``, ``verfs umount`` and ``verfs mounts``: options in, one line out;
the work is in ``verfs.mount.daemon`` and ``verfs.mount.table``."""

import json

import click

from ..errors import UsageError
from ..history import History
from ..mount.remote import POLL_EVERY
from ..repo import Repository
from .main import cli
from .options import VERSION, Size, find_repo


class _BareStore:
    """A bare store's history, for ``--version`` (a hash or a prefix: no head, no
    names), read by the very code of ``Repository.resolve``."""

    root = None

    def __init__(self, store):
        self.store = store
        self.history = History(store)

    def head(self) -> None:
        return None

    resolve = Repository.resolve
    resolve_some = Repository.resolve_some
    _resolve_base = Repository._resolve_base


@cli.command()
@click.argument("mountpoint", type=click.Path())
@click.option("--repo", "repo_dir", metavar="DIR",
              help="The repository to mount (default: the one containing the current "
                   "directory).")
@click.option("--store", "store_dir", metavar="DIR|URL", type=click.Path(),
              help="Mount a bare store instead (versions/ and info/ only), or a remote "
                   "store: s3://BUCKET/PREFIX, http(s)://HOST/PATH or file:///DIR, whose "
                   "head, history/, tags/ and files/ follow what is pushed there.")
@click.option("--cache", "cache_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="With --store URL: where fetched objects are kept (default: "
                   "$XDG_CACHE_HOME/verfs/..., shared by every mount and command of that "
                   "URL; safe to delete).")
@click.option("--cache-size", type=Size(), metavar="SIZE",
              help="With --store URL: the most the cache holds, oldest-used dropped first "
                   "(bytes, or 500M, 2G; default 2G).")
@click.option("--poll", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help=f"With --store URL: how often the remote's head is looked at (default "
                   f"{POLL_EVERY:g}).")
@click.option("-f", "--foreground", is_flag=True,
              help="Serve in the foreground until unmounted or interrupted.")
@click.option("--debug", is_flag=True, help="Log every operation (and libfuse's own).")
@click.option("--log", "log_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Where the daemon logs (default: STORE/logs/mount.log; for a URL, "
                   "$XDG_STATE_HOME/verfs/mount.log).")
@click.option("--version", "version", metavar="VERSION", type=VERSION,
              help="Mount that one version's tree alone, as a plain read-only directory "
                   "(no head, history/, tags/...): anything VERSION takes, e.g. v1.0, "
                   "head~3, a hash prefix.")
@click.option("--passthrough", is_flag=True,
              help="Let the kernel read files over 1 MiB straight from the store (FUSE "
                   "passthrough: native speed, warm or cold), at the price of a round trip "
                   "to the daemon on every open.  Needs root, Linux 6.9+ and libfuse 3.16+ "
                   "(scripts/bootstrap builds one).")
def mount(mountpoint, repo_dir, store_dir, cache_dir, cache_size, poll, foreground, debug,
          log_file, version, passthrough):
    """Mount every version of the repository, read-only, at MOUNTPOINT.

    \b
      MOUNTPOINT/versions/<hash>/     the tree of every version (any unique
                                      prefix of 4+ hex digits works too)
      MOUNTPOINT/head                 -> the current version
      MOUNTPOINT/history/NNNN-<name>  -> head's versions, oldest first
      MOUNTPOINT/tags/<name>          -> tagged versions
      MOUNTPOINT/branches/<name>      -> each branch's version (the checked-
                                      out one's is head)
      MOUNTPOINT/info/<hash>          who, when and what of each version
      MOUNTPOINT/files/PATH/          every path ever on head's chain; for a
                                      file, NNNN-<hash>: each version where it
                                      changed, oldest first

    Returns once the mount answers; the daemon runs on until 'verfs umount', SIGTERM
    or SIGINT.  Nothing is reconstructed until it is looked at.

    Large files read at 0.5-0.6x the disk's speed through the daemon; with
    --passthrough at the disk's own, while opening many small files (grep -r,
    diff -r) gets two to three times slower.

    A remote store (--store URL) is mounted the same way, from the head pushed
    there: each version is fetched when first looked at, into a local cache, and
    the remote's head and tags are polled every few seconds.  While the remote
    cannot be reached, what is not cached yet reads as an I/O error.  A remote
    store keeps no branches (a push carries head and tags only): its mount has no
    branches/.

    With --version, MOUNTPOINT is that version's tree and nothing else: a
    read-only checkout that costs no disk ('verfs mounts' lists every mount).

    \b
    Example:
      mkdir /tmp/m && verfs mount /tmp/m
      diff -r /tmp/m/history/0001-* /tmp/m/head
      ls /tmp/m/files/src/main.c && grep -l TODO /tmp/m/files/src/main.c/*
      verfs umount /tmp/m
      mkdir /tmp/big && sudo verfs mount --passthrough /tmp/big   # a history of large files
      verfs mount --store s3://team/proj --cache-size 500M /tmp/m
      mkdir /tmp/v1 && verfs mount --version v1.0 /tmp/v1 && ls /tmp/v1
    """
    from store.remote.url import is_url

    from ..mount import daemon
    if repo_dir and store_dir:
        raise UsageError("give --repo or --store, not both")
    remote = store_dir is not None and is_url(store_dir)
    if not remote and (cache_dir or cache_size is not None or poll is not None):
        raise UsageError("--cache, --cache-size and --poll go with --store URL only")
    if remote and passthrough:
        raise UsageError("--passthrough needs a local store, not a URL")
    if version is not None and poll is not None:
        raise UsageError("--poll follows a remote's head: not with --version")
    if remote:
        source = daemon.open_remote_source(
            daemon.Remote(store_dir, cache_dir, cache_size,
                          poll if poll is not None else POLL_EVERY), log_file)
        if version is not None:
            source.version = _remote_version(store_dir, cache_dir, version)
    elif store_dir:
        source = daemon.open_source(store_dir=store_dir, log_file=log_file)
        if version is not None:
            source.version = _BareStore(source.store).resolve_some(version)
    else:
        repo = find_repo(repo_dir) if repo_dir else Repository.find(".")
        source = daemon.open_source(repo_root=repo.root, log_file=log_file)
        if version is not None:
            source.version = repo.resolve_some(version)
    if foreground:
        click.echo(f"serving {source.described} at {mountpoint}; Ctrl-C or 'verfs umount "
                   f"{mountpoint}' to stop", err=True)
    pid = daemon.mount(source, mountpoint, foreground, debug, passthrough)
    if pid is not None:
        click.echo(f"mounted {source.described} at {mountpoint} (daemon pid {pid}, log "
                   f"{source.log_file}); unmount with: verfs umount {mountpoint}")


def _remote_version(url: str, cache_dir: str | None, spec: str) -> str:
    from ..published import open_published
    published = open_published(url, cache_dir)
    try:
        return published.resolve_some(spec)
    finally:
        published.store.close()


@cli.command()
@click.argument("mountpoint", type=click.Path())
@click.option("-z", "--lazy", is_flag=True,
              help="Detach now even if busy; the mount goes once no one uses it.")
def umount(mountpoint, lazy):
    """Unmount a verfs mount; its daemon then exits.

    \b
    Example:
      verfs umount /tmp/m
    """
    from ..mount import daemon
    daemon.umount(mountpoint, lazy)


@cli.command()
@click.option("--json", "as_json", is_flag=True,
              help="One JSON array: mountpoint, kind, source, version (null unless "
                   "--version).")
def mounts(as_json):
    """List the verfs mounts of this machine, and what each shows.

    One line each: MOUNTPOINT, KIND (repository, store or remote) and SOURCE (the
    repository's or store's path, or the URL), and for a mount of one version
    (verfs mount --version) that version.  Read from the kernel's mount table
    (/proc/self/mountinfo, type fuse.verfs), so a daemon that was killed leaves
    nothing listed behind.

    \b
    Example:
      mkdir /tmp/m && verfs mount /tmp/m && verfs mounts
      verfs mounts --json | jq -r '.[].mountpoint'
    """
    from ..mount.table import verfs_mounts
    found = verfs_mounts()
    if as_json:
        click.echo(json.dumps([m.as_json() for m in found], indent=2))
        return
    for m in found:
        where = m.source if m.source is not None else "(unknown: mounted by an older verfs)"
        line = f"{m.mountpoint}\t{m.kind}\t{where}"
        click.echo(line + (f"\tversion {m.version}" if m.version else ""))
