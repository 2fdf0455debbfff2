"""The ``verfs`` command line: a thin click layer over ``verfs.ops`` and friends.

Errors become words and exit codes in one place, ``main.VerfsGroup``: every typed
error (verfs's and the store's) is printed as one line on stderr,
``verfs: <message>``, and the command exits non-zero, without a traceback.
"""

from .main import cli


def main(argv=None) -> None:
    cli.main(args=argv, prog_name="verfs")


__all__ = ["cli", "main"]
