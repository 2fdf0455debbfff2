"""``verfs mount`` and ``verfs umount``: options in, one line out; the work is in
``verfs.mount.daemon``."""

import click

from ..errors import UsageError
from ..repo import Repository
from .main import cli
from .options import find_repo


@cli.command()
@click.argument("mountpoint", type=click.Path())
@click.option("--repo", "repo_dir", metavar="DIR",
              help="The repository to mount (default: the one containing the current "
                   "directory).")
@click.option("--store", "store_dir", metavar="DIR", type=click.Path(),
              help="Mount a bare store instead (versions/ and info/ only).")
@click.option("-f", "--foreground", is_flag=True,
              help="Serve in the foreground until unmounted or interrupted.")
@click.option("--debug", is_flag=True, help="Log every operation (and libfuse's own).")
@click.option("--log", "log_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Where the daemon logs (default: STORE/logs/mount.log).")
@click.option("--passthrough", is_flag=True,
              help="Let the kernel read files over 1 MiB straight from the store (FUSE "
                   "passthrough: native speed, warm or cold), at the price of a round trip "
                   "to the daemon on every open.  Needs root, Linux 6.9+ and libfuse 3.16+ "
                   "(scripts/bootstrap builds one).")
def mount(mountpoint, repo_dir, store_dir, foreground, debug, log_file, passthrough):
    """Mount every version of the repository, read-only, at MOUNTPOINT.

    \b
      MOUNTPOINT/versions/<hash>/     the tree of every version (any unique
                                      prefix of 4+ hex digits works too)
      MOUNTPOINT/head                 -> the current version
      MOUNTPOINT/history/NNNN-<name>  -> head's versions, oldest first
      MOUNTPOINT/tags/<name>          -> tagged versions
      MOUNTPOINT/info/<hash>          who, when and what of each version

    Returns once the mount answers; the daemon runs on until 'verfs umount', SIGTERM
    or SIGINT.  Nothing is reconstructed until it is looked at.

    Large files read at 0.5-0.6x the disk's speed through the daemon; with
    --passthrough at the disk's own, while opening many small files (grep -r,
    diff -r) gets two to three times slower.

    \b
    Example:
      mkdir /tmp/m && verfs mount /tmp/m
      diff -r /tmp/m/history/0001-* /tmp/m/head
      verfs umount /tmp/m
      sudo verfs mount --passthrough /tmp/assets    # a history of large files
    """
    from ..mount import daemon
    if repo_dir and store_dir:
        raise UsageError("give --repo or --store, not both")
    if store_dir:
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
