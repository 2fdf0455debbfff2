"""``verfs mount`` and ``verfs umount``: options in, one line out; the work is in
``verfs.mount.daemon``."""

import click

from ..errors import UsageError
from ..mount.remote import POLL_EVERY
from ..repo import Repository
from .main import cli
from .options import Size, find_repo


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
@click.option("--passthrough", is_flag=True,
              help="Let the kernel read files over 1 MiB straight from the store (FUSE "
                   "passthrough: native speed, warm or cold), at the price of a round trip "
                   "to the daemon on every open.  Needs root, Linux 6.9+ and libfuse 3.16+ "
                   "(scripts/bootstrap builds one).")
def mount(mountpoint, repo_dir, store_dir, cache_dir, cache_size, poll, foreground, debug,
          log_file, passthrough):
    """Mount every version of the repository, read-only, at MOUNTPOINT.

    \b
      MOUNTPOINT/versions/<hash>/     the tree of every version (any unique
                                      prefix of 4+ hex digits works too)
      MOUNTPOINT/head                 -> the current version
      MOUNTPOINT/history/NNNN-<name>  -> head's versions, oldest first
      MOUNTPOINT/tags/<name>          -> tagged versions
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
    the remote's head is polled every few seconds.  While the remote cannot be
    reached, what is not cached yet reads as an I/O error.

    \b
    Example:
      mkdir /tmp/m && verfs mount /tmp/m
      diff -r /tmp/m/history/0001-* /tmp/m/head
      ls /tmp/m/files/src/main.c && grep -l TODO /tmp/m/files/src/main.c/*
      verfs umount /tmp/m
      sudo verfs mount --passthrough /tmp/assets    # a history of large files
      verfs mount --store s3://team/proj --cache-size 500M /tmp/m
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
    if remote:
        source = daemon.open_remote_source(
            daemon.Remote(store_dir, cache_dir, cache_size,
                          poll if poll is not None else POLL_EVERY), log_file)
    elif store_dir:
        source = daemon.open_source(store_dir=store_dir, log_file=log_file)
    else:
        repo = find_repo(repo_dir) if repo_dir else Repository.find(".")
        source = daemon.open_source(repo_root=repo.root, log_file=log_file)
    if foreground:
        click.echo(f"serving {source.label} at {mountpoint}; Ctrl-C or 'verfs umount "
                   f"{mountpoint}' to stop", err=True)
    pid = daemon.mount(source, mountpoint, foreground, debug, passthrough)
    if pid is not None:
        click.echo(f"mounted {source.label} at {mountpoint} (daemon pid {pid}, log "
                   f"{source.log_file}); unmount with: verfs umount {mountpoint}")


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
