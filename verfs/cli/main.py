"""The command group, and the translation of errors into one-line messages."""

import errno
import os

import click

from store.errors import CorruptObject, StoreError

from .. import __version__, testhook
from ..errors import VerfsError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
EXIT_CORRUPT = 3


class Failure(click.ClickException):
    """A typed error on its way out: one line, its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"verfs: {self.message}", err=True)


class VerfsGroup(click.Group):
    """Runs every command (and subgroup) inside the one place errors are translated."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VerfsError as exc:
            raise Failure(str(exc), exc.exit_code) from None
        except CorruptObject as exc:
            raise Failure(str(exc), EXIT_CORRUPT) from None
        except StoreError as exc:
            raise Failure(str(exc), 1) from None
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            where = f": {exc.filename}" if exc.filename else ""
            raise Failure(f"{exc.strerror or exc}{where}", 1) from None


@click.group(cls=VerfsGroup, context_settings=CONTEXT)
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
    testhook.arm(os.environ.get("VERFS_TEST_PAUSE_AT"))    # the one reader of this hook


from . import history_cmds, import_cmds, mount_cmds, repo_cmds  # noqa: E402,F401,I001
