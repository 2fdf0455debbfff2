"""``verfs log``: the patches of a version, or only those that changed given paths.

Kept apart from the other commands because it is the one people run over and over on
long histories: it imports only what it uses, so its start-up is mostly Python's.
"""

import click

from ..errors import UnknownVersion
from .main import cli
from .options import short, tree_path, with_history

FORCED = "verfs.log.paths"      # ctx.meta: what followed ``--`` (paths, whatever they look like)


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
@click.option("-n", "--max-count", "limit", type=click.IntRange(min=0), metavar="N",
              help="At most N versions (the newest), e.g. -n 5.")
@click.argument("args", nargs=-1, metavar="[VERSION] [--] [PATH]...")
@with_history
def log(repo, verbose, as_json, limit, args):
    """List the patches of VERSION (default: head), newest first; with PATHs, only
    those of the versions where the content at a PATH changed — the file, or anything
    under the directory (as 'git log -- PATH').

    A first argument that names a version (head, head~N, a hash or a unique prefix of
    it, a tag) is the VERSION, unless it is a path in head's history and not a hash;
    everything after '--' is a path.  PATHs are relative to the current directory
    inside the working tree (from the top otherwise, and with --store).  A PATH that
    never existed in VERSION's history is an error (exit 1).

    \b
    Examples:
      verfs log
      verfs log -v head~3
      verfs log src/core.py                  # the versions that changed it
      verfs log -n 3 head~10 -- docs/ README.md
      verfs log --json src/ | jq '.[0].version'
      verfs log --store s3://team/proj       # what was pushed there
    """
    vid, paths, guessed = _version_and_paths(
        repo, list(args), click.get_current_context().meta.get(FORCED, []))
    h = repo.history
    if paths:
        from ..filelog import path_log
        plog = path_log(h, vid)
        for p in paths:
            if not plog.under(p):
                what = "no such version, tag or path" if guessed is not None and \
                    p == tree_path(repo.root, guessed) else "no such path"
                raise UnknownVersion(f"{p or '.'}: {what} in the history of "
                                     f"version {short(vid)}")
        touched = plog.touched(paths)[::-1]
        if limit is not None:
            touched = touched[:limit]
        steps = (h.step(plog.versions[i]) for i in touched)
    else:
        steps = h.chain(vid)
        if limit is not None:
            from itertools import islice
            steps = islice(steps, limit)
    if as_json:
        import json

        from ..ops import LogEntry
        click.echo(json.dumps([LogEntry(s).as_json(verbose) for s in steps], indent=1))
        return
    for s in steps:
        _show(s, verbose)


def _version_and_paths(repo, args: list[str], forced: list[str]
                       ) -> tuple[str | None, list[str], str | None]:
    """The VERSION and the PATHs of ``verfs log``'s arguments (see its help), and the
    first argument when it was taken for a path only for not being a version."""
    def paths(given: list[str]) -> list[str]:
        return [tree_path(repo.root, p) for p in given + forced]

    if not args:
        return repo.resolve("head"), paths([]), None
    first = args[0]
    try:
        return repo.resolve(first, tags=False), paths(args[1:]), None
    except UnknownVersion:
        pass
    if _in_history(repo, tree_path(repo.root, first)):
        return repo.resolve("head"), paths(args), None
    try:
        return repo.resolve(first), paths(args[1:]), None       # a tag
    except UnknownVersion:
        return repo.resolve("head"), paths(args), first


def _in_history(repo, path: str) -> bool:
    """Whether ``path`` ever existed in head's history (itself, or beneath it)."""
    head = repo.head()
    if head is None:
        return False
    from ..filelog import path_log
    return bool(path_log(repo.history, head).under(path))


def _show(s, verbose: bool) -> None:
    info = s.patch.info
    darcs = info.get_meta("darcs-hash")
    git = info.get_meta("git-commit")
    extra = f"  darcs {darcs}" if darcs else f"  git {git}" if git else ""
    moment = info.moment
    lines = [f"version {s.vid}", f"patch   {info.identity[:16]}{extra}",
             f"Author: {info.author}",
             f"Date:   {moment.strftime('%Y-%m-%d %H:%M:%S UTC') if moment else info.date}",
             f"  * {info.name}"]
    if verbose:
        from ..patch.text import write_prims
        lines += [f"    {line}" for line in info.comment
                  if not line.startswith("Ignore-this:")]    # darcs's salt, shown by --json
        body = write_prims(s.patch.prims).decode("utf-8", "surrogateescape")
        lines += [f"    {line}" for line in body.splitlines()]
    click.echo("\n".join(lines) + "\n")
