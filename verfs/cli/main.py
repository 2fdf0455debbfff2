"""The command group; each module below adds its commands to it."""

import click

from .. import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="verfs")
def cli():
    """verfs: every state of a patch-based repository as a content-addressed version,
    and a read-only filesystem to browse them all.

    \b
    A first tour:
      verfs init demo && cd demo
      echo hello > greeting.txt && verfs record -m "add greeting"
      verfs log
      verfs mount /tmp/m && ls /tmp/m/versions && verfs umount /tmp/m

    VERSION arguments take a full hash, a unique prefix of 4 or more hex digits,
    'head', 'head~N' (N patches back from head), or a tag name.
    """


from . import history_cmds, import_cmds, mount_cmds, repo_cmds  # noqa: E402,F401,I001
