"""``verfs log``: the patches of a version, or only those that changed given paths.

Kept apart from the other commands because it is the one people run over and over on
long histories: it imports only what it uses, so its start-up is mostly Python's.
"""

import re

import click

from ..errors import UnknownPath, UnknownVersion
from ..versionspec import of_head
from .main import cli
from .options import complete_free, short, tree_path, with_history

FORCED = "verfs.log.paths"      # ctx.meta: what followed ``--`` (paths, whatever they look like)
_HEX = re.compile(r"[0-9a-fA-F]{4,64}")


class LogCommand(click.Command):
    """Keeps what follows ``--`` apart: git's way of saying "these are paths"."""

    def parse_args(self, ctx, args):
        if "--" in args:
            at = args.index("--")
            ctx.meta[FORCED] = args[at + 1:]
            args = args[:at]
        return super().parse_args(ctx, args)


@cli.command(cls=LogCommand)
@click.option("-v", "--verbose", is_flag=True, help="Also show comments and changes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
@click.option("--no-pager", is_flag=True, help="Do not page the output on a terminal.")
@click.option("-n", "--max-count", "limit", type=click.IntRange(min=0), metavar="N",
              help="At most N versions (the newest), e.g. -n 5.")
@click.argument("args", nargs=-1, metavar="[VERSION] [--] [PATH]...",
                shell_complete=complete_free(paths_key=FORCED))
@with_history
def log(repo, verbose, as_json, no_pager, limit, args):
    """List the patches of VERSION (default: head), newest first; with PATHs, only
    those of the versions where the content at a PATH changed — the file, or anything
    under the directory (as 'git log -- PATH').  Dates are shown in their author's
    time zone.  On a terminal the text goes through a pager, as 'verfs grep' does
    ($VERFS_PAGER, else $PAGER, else less with LESS=FRX); --no-pager for none.

    A first argument that names a version (head, head~N, a hash or a unique prefix of
    it, a tag) is the VERSION, unless it is a path in head's history and not a hash;
    everything after '--' is a path, and a first argument before it a VERSION.
    PATHs are relative to the current directory inside the working tree (from the top
    otherwise, and with --store).  A PATH that never existed in VERSION's history is
    an error (exit 1).

    \b
    Examples:
      verfs log
      verfs log -v head~3
      verfs log --no-pager -n 5
      verfs log src/core.py                  # the versions that changed it
      verfs log -n 3 head~10 -- docs/ README.md
      verfs log --json src/ | jq '.[0].version'
      verfs log --store s3://team/proj       # what was pushed there
    """
    vid, paths, guessed = _version_and_paths(
        repo, list(args), click.get_current_context().meta.get(FORCED))
    h = repo.history
    if paths:
        from ..filelog import path_log
        plog = path_log(h, vid)
        for p in paths:
            if plog.under(p):
                continue
            where = f"in the history of version {short(vid)}"
            if guessed is not None and p == tree_path(repo.root, guessed):
                raise UnknownVersion(f"unknown version, tag or hash prefix: {guessed} "
                                     f"(and no such path {where})")
            raise UnknownPath(f"{p or '.'}: no such path {where}")
        touched = plog.touched(paths)[::-1]
        if limit is not None:
            touched = touched[:limit]
        vids = ((plog.versions[i], plog.patch(i)) for i in touched)
    else:
        vids = ((v, None) for v in _walk(h, vid))
        if limit is not None:
            from itertools import islice
            vids = islice(vids, limit)
    steps = (h.step(v) if verbose else _brief(h, v, None if as_json else patch)
             for v, patch in vids)
    import io
    import sys

    from .pager import paged
    # Each entry is written as the chain is walked (the first screen shows before a
    # long history is read), through one buffer of our own: not an echo per line, and
    # not one write per entry when stdout is unbuffered (PYTHONUNBUFFERED, python -u).
    with paged(not no_pager and not as_json):
        sys.stdout.flush()
        out = io.BufferedWriter(sys.stdout.buffer, 1 << 15)
        try:
            if as_json:
                _write_json(out.write, steps, verbose)
            else:
                for s in steps:
                    out.write(_entry(s, verbose))
            out.flush()
        finally:
            out.detach()        # stdout stays open (a BufferedWriter closes its own)
        sys.stdout.flush()


def _walk(history, vid):
    """The versions of ``vid``'s chain, newest first, read one at a time; the test
    hook's ``log-walked`` once the first version of the history has been read."""
    from .. import testhook
    yield from history._vids(vid)
    testhook.pause("log-walked")


def _write_json(write, steps, verbose: bool) -> None:
    """One JSON array, as ``json.dumps(list, indent=1)`` writes it, but an entry at a
    time: a long log's first entries are out before its last are read, and the verbs
    (``verfs.ops``) are not loaded for it."""
    import json

    from ..logformat import entry_json
    first = True
    for s in steps:
        text = json.dumps(entry_json(s, verbose), indent=1).replace("\n", "\n ")
        write(("[\n " if first else ",\n ").encode() + text.encode())
        first = False
    write(b"[]\n" if first else b"\n]\n")


def _version_and_paths(repo, args: list[str], forced: list[str] | None
                       ) -> tuple[str | None, list[str], str | None]:
    """The VERSION and the PATHs of ``verfs log``'s arguments (see its help), and the
    first argument when it was taken for a path only for not being a version.
    ``forced``: what followed ``--`` (None: there was none)."""
    dashed = forced is not None
    forced = forced or []

    def paths(given: list[str]) -> list[str]:
        return [tree_path(repo.root, p) for p in given + forced]

    head = repo.resolve("head")         # read once: it may move while this runs
    if not args:
        return head, paths([]), None
    first = args[0]
    # head, head~N, head^, @{N}~2... are always a version (head~5 too far: an error)
    if dashed or of_head(first):
        return repo.resolve(first), paths(args[1:]), None
    try:
        return repo.resolve(first, tags=False), paths(args[1:]), None
    except UnknownVersion:
        if _ambiguous(repo, first):
            raise
    if _in_history(repo, head, tree_path(repo.root, first)):
        return head, paths(args), None
    try:
        return repo.resolve(first), paths(args[1:]), None       # a tag
    except UnknownVersion:
        return head, paths(args), first


def _ambiguous(repo, spec: str) -> bool:
    """Whether ``spec`` is a hash prefix of several versions (said as such, not
    taken for a path)."""
    from store.errors import AmbiguousPrefix
    base = spec.partition("~")[0]
    if not _HEX.fullmatch(base):
        return False
    try:
        repo.store.resolve("version", base)
    except AmbiguousPrefix:
        return True
    except Exception:       # noqa: BLE001 - no such version: then it may be a path
        return False
    return False


def _in_history(repo, head: str | None, path: str) -> bool:
    """Whether ``path`` ever existed in ``head``'s history (itself, or beneath it)."""
    if head is None:
        return False
    from ..filelog import path_log
    return bool(path_log(repo.history, head).under(path))


class _Brief:
    """What a log shows of a version without its prims (``history.Step``'s shape,
    with a patch that has only its info): a big patch is not parsed for a line."""

    __slots__ = ("vid", "version", "patch", "info")

    def __init__(self, vid, version, info):
        self.vid, self.version, self.patch = vid, version, self
        self.info = info


def _brief(history, vid: str, patch: str | None) -> _Brief:
    """``vid``'s brief; its version is not read when its ``patch`` is known (the path
    log keeps it), and is then None."""
    from ..patch.named import read_patch_info
    version = None
    if patch is None:
        version = history.version(vid)
        patch = version.patch
    return _Brief(vid, version, history.store.parsed("patch", patch, read_patch_info))


def _entry(s, verbose: bool) -> bytes:
    """One version's text, as ``verfs log`` shows it (ending in a blank line)."""
    from ..dates import text
    info = s.patch.info
    darcs = info.get_meta("darcs-hash")
    git = info.get_meta("git-commit")
    extra = f"  darcs {darcs}" if darcs else f"  git {git}" if git else ""
    lines = [f"version {s.vid}", f"patch   {info.identity[:16]}{extra}",
             f"Author: {info.author}",
             f"Date:   {text(info.date, info.get_meta('zone'))}",
             f"  * {info.name}"]
    if verbose:
        from ..patch.text import write_prims
        lines += [f"    {line}" for line in info.comment
                  if not line.startswith("Ignore-this:")]    # darcs's salt, shown by --json
        body = write_prims(s.patch.prims).decode("utf-8", "surrogateescape")
        lines += [f"    {line}" for line in body.splitlines()]
    return ("\n".join(lines) + "\n\n").encode("utf-8", "surrogateescape")
