"""The ``verfs`` command line: a thin click layer over ``verfs.ops`` and friends.

The one place where errors become words and exit codes: every typed error (verfs's
and the store's) is printed as one line on stderr, ``verfs: <message>``, and the
command exits non-zero, without a traceback.  Only a bug shows one.
"""

import errno
import sys

import click

from store.errors import CorruptObject, StoreError

from ..errors import VerfsError
from .main import cli

EXIT_CORRUPT = 3


def main(argv=None) -> None:
    try:
        rc = cli.main(args=argv, prog_name="verfs", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except click.Abort:
        click.echo("verfs: interrupted", err=True)
        rc = 130
    except click.ClickException as exc:
        exc.show()
        rc = exc.exit_code
    except VerfsError as exc:
        click.echo(f"verfs: {exc}", err=True)
        rc = exc.exit_code
    except CorruptObject as exc:
        click.echo(f"verfs: {exc}", err=True)
        rc = EXIT_CORRUPT
    except StoreError as exc:
        click.echo(f"verfs: {exc}", err=True)
        rc = 1
    except KeyboardInterrupt:
        click.echo("verfs: interrupted", err=True)
        rc = 130
    except BrokenPipeError:
        sys.stderr.close()      # `verfs log | head`: not an error
        rc = 0
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            rc = 0
        else:
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"verfs: {exc.strerror or exc}{where}", err=True)
            rc = 1
    sys.exit(rc if isinstance(rc, int) else 0)


__all__ = ["cli", "main"]
