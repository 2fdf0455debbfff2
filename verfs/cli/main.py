"""The command group, and the translation of errors into one-line messages.

One protocol: every typed error derives from ``store.errors.Error`` and carries its
``exit_code``; click's own errors (a bad option, a missing argument) are made the same
one line, exit 2.  Whatever a message quotes — a path or a name with a newline in it —
is printed on one line, control characters escaped.
"""

import errno
import importlib
import logging
import os
import sys

import click

from store.errors import Error

from .. import __version__, testhook
from ..errors import EXIT_FAILED, EXIT_USAGE

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# 'verfs' or 'verfs import' alone: click prints the help (click 8.2+ raises this for it).
_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def one_line(text: str) -> str:
    """``text`` with every control character escaped (``\\n``, ``\\x00``, ...)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else
                   c.encode("unicode_escape").decode("ascii") for c in text)


class Failure(click.ClickException):
    """A typed error on its way out: one line, its own exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"verfs: {one_line(self.message)}", err=True)


def _failure(exc: BaseException) -> Failure | None:
    """The one-line form of an error this edge translates (None: not ours)."""
    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, _HELP):
        return None
    if isinstance(exc, Error):
        return Failure(str(exc), exc.exit_code)
    if isinstance(exc, click.ClickException):
        return Failure(exc.format_message(), exc.exit_code)
    if isinstance(exc, OSError) and exc.errno != errno.EPIPE:
        where = f": {exc.filename}" if exc.filename else ""
        return Failure(f"{exc.strerror or exc}{where}", EXIT_FAILED)
    return None


class _Warnings(logging.Handler):
    """What the library logs as a warning — an error a command swallows on purpose
    (its work is done), a damaged derived copy it rebuilt — is still said: as
    ``verfs: warning:`` lines on stderr once the command has succeeded.  A command
    that fails says only its one line of error, so they are held until then (at most
    ``LIMIT`` of them, then a count)."""

    LIMIT = 20

    def __init__(self):
        super().__init__(logging.WARNING)
        self.held: list[str] = []
        self.more = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.held) < self.LIMIT:
            self.held.append(one_line(record.getMessage()))
        else:
            self.more += 1

    def take(self) -> list[str]:
        held, more = self.held, self.more
        self.held, self.more = [], 0
        return held + ([f"... and {more} more"] if more else [])


_library_log = logging.getLogger("verfs")
_warnings = next((h for h in _library_log.handlers if isinstance(h, _Warnings)), None)
if _warnings is None:
    _warnings = _Warnings()
    _library_log.addHandler(_warnings)


# The module of each command, imported only when that command runs (or is listed, by
# --help): a command that people run over and over on long histories, ``verfs log``,
# does not pay at each start for the modules of mount, import, push and the rest.
COMMANDS = {
    "init": "repo_cmds", "whatsnew": "repo_cmds", "record": "repo_cmds",
    "versions": "repo_cmds", "head": "repo_cmds", "show": "repo_cmds", "diff": "repo_cmds",
    "fsck": "repo_cmds", "gc": "repo_cmds",
    "log": "log_cmds", "grep": "grep_cmds",
    "unrecord": "history_cmds", "commute": "history_cmds", "obliterate": "history_cmds",
    "tag": "history_cmds", "clone": "history_cmds", "restore": "history_cmds",
    "import": "import_cmds",
    "branch": "branch_cmds", "switch": "branch_cmds", "reflog": "branch_cmds",
    "mount": "mount_cmds", "umount": "mount_cmds",
    "mounts": "mount_cmds",
    "push": "remote_cmds", "pull": "remote_cmds",
}


class VerfsGroup(click.Group):
    """Runs every command (and subgroup) inside the one place errors are translated;
    imports a command's module when it is first asked for (``COMMANDS``)."""

    def list_commands(self, ctx):
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx, name):
        if name not in self.commands and self is cli:
            module = COMMANDS.get(name)
            for m in [module] if module else sorted(set(COMMANDS.values())):
                importlib.import_module(f"{__package__}.{m}")
        return super().get_command(ctx, name)

    def main(self, *args, **kwargs):
        # Names that are not UTF-8 reach us as surrogate escapes (as Python decodes
        # argv and file names); printed, they are the same bytes again.
        for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=errors)
        return super().main(*args, **kwargs)

    def parse_args(self, ctx, args):
        if any(isinstance(a, str) and "\0" in a for a in args):
            # Real argv cannot carry one; a caller in-process can, and the OS refuses
            # it in any file name.
            raise Failure("an argument holds a NUL byte", EXIT_USAGE)
        return super().parse_args(ctx, args)

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            failure = _failure(exc)
            if failure is None:
                raise
            raise failure from None

    def invoke(self, ctx):
        outermost = ctx.parent is None
        if outermost:
            _warnings.take()        # what was logged before this command is not its own
        done = False                # finished, or exited with its own status (diff, fsck)
        try:
            result = super().invoke(ctx)
            done = True
            return result
        except SystemExit:
            done = True
            raise
        except Exception as exc:
            failure = _failure(exc)
            if failure is None:
                raise
            raise failure from None
        finally:
            held = _warnings.take() if outermost else []
            for line in held if done else ():   # a failure says its one line, no more
                click.echo(f"verfs: warning: {line}", err=True)


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

    VERSION arguments take 'head' (or '@'), a full hash, a unique prefix of 4 or
    more hex digits, a branch or a tag name, '@{N}' (head N moves ago, from the
    reflog) or 'NAME@{N}' (branch NAME's), then any of '~N' (N patches back), '~'
    and '^' (one back): head^^, v1.0~2, main@{1}^.

    \b
    Exit status: 0 done; 1 it cannot be done (or, for diff and whatsnew, there are
    differences); 2 a bad option or argument; 3 the repository is damaged (a corrupt
    or missing object, a damaged head or reflog: see 'verfs fsck').
    """
    testhook.arm(os.environ.get("VERFS_TEST_PAUSE_AT"))    # the one reader of this hook
