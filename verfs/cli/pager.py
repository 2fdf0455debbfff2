"""Paging a command's output the way git does.

On a terminal (and unless the user said ``--no-pager``), the output goes through
``$VERFS_PAGER``, else ``$PAGER``, else ``less`` — with ``LESS=FRX`` when ``LESS`` is
not set, as git sets it: quit at once when it fits one screen (F), keep colours (R),
leave the text on the screen (X).  An empty pager or ``cat`` means none.  Quitting
the pager before the end (``q`` in less) ends the command quietly: the writes that
follow meet a closed pipe, which is not an error here.

The pager takes over file descriptor 1 itself, so whatever writes to stdout —
``click.echo``, ``sys.stdout.buffer`` — is paged without knowing of it.
"""

import contextlib
import os
import sys


def pager_command() -> list[str] | None:
    """The pager to run (None: none)."""
    import shlex
    for name in ("VERFS_PAGER", "PAGER"):
        value = os.environ.get(name)
        if value is not None:
            break
    else:
        value = "less"
    try:
        argv = shlex.split(value)
    except ValueError:
        argv = [value]
    if not argv or argv == ["cat"]:
        return None
    return argv


@contextlib.contextmanager
def paged(enabled: bool = True):
    """Run the body with stdout through the pager, when ``enabled`` and stdout is a
    terminal; yield whether it is paged."""
    argv = pager_command() if enabled else None
    if argv is None or not sys.stdout.isatty():
        try:
            yield False
        except BrokenPipeError:
            _quiet_stdout()
        return
    import subprocess  # here: most runs (a pipe, a file) never start a pager
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError:                 # no such pager: print as if there were none
        yield False
        return
    saved = os.dup(1)
    os.dup2(proc.stdin.fileno(), 1)
    proc.stdin.close()
    try:
        yield True
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        os.dup2(saved, 1)           # the pager sees the end of its input
        os.close(saved)
        while True:
            try:
                proc.wait()
                break
            except KeyboardInterrupt:   # as git: ^C is the pager's to handle
                continue


def _quiet_stdout() -> None:
    """After a closed pipe: what is still buffered goes nowhere, and so does
    Python's last flush at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
