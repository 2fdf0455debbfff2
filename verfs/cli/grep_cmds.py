"""``verfs grep``: search every version at once."""

import os
import posixpath
import re
import sys

import click

from ..errors import UnknownPath, UnknownVersion, UsageError
from .main import cli
from .options import complete_free, tree_path, with_history
from .pager import paged

_VALUED = {"--repo", "--store", "--cache", "-e", "--regexp"}


class GrepCommand(click.Command):
    """Keeps what follows ``--`` apart: those are paths, whatever they look like
    (click would only stop reading options there)."""

    def parse_args(self, ctx, args):
        if "--" in args:
            cut = args.index("--")
            before, skip = 0, False
            for a in args[:cut]:
                if skip:
                    skip = False
                elif a in _VALUED:
                    skip = True
                    before += a in ("-e", "--regexp")
                elif a.startswith(("-e", "--regexp=")) or not a.startswith("-") or a == "-":
                    before += 1
            if before:              # PATTERN came before it: the rest are paths
                ctx.meta["grep.paths"] = list(args[cut + 1:])
                args = list(args[:cut])
        return super().parse_args(ctx, args)


def _versions(chains, resolve, specs: list[str], strict: bool):
    """The selections of the VERSION and V1..V2 arguments (git's reading of a range:
    the versions on V2's chain that are not on V1's; an empty side is head), and
    the arguments left: paths — the first that names no version and all after it,
    as git reads them, unless they came before ``--`` (``strict``: an error)."""
    selections = []
    for k, spec in enumerate(specs):
        try:
            if ".." in spec:
                old, _, new = spec.partition("..")
                a, b = resolve(old or "head"), resolve(new or "head")
                if b is not None:
                    selections.append(chains.between(a, b))
            else:
                vid = resolve(spec)
                if vid is not None:
                    selections.append(chains.one(vid))
        except UnknownVersion as exc:
            # head~N past the start, an ambiguous prefix, a range: meant as versions
            if strict or ".." in spec or re.fullmatch(r".+~\d+", spec) or \
                    "ambiguous" in str(exc).lower():
                raise
            return selections, specs[k:], k > 0
    return selections, [], bool(specs)


@cli.command(cls=GrepCommand)
@click.argument("args", nargs=-1, metavar="PATTERN [VERSION | V1..V2]... [-- PATH...]",
                shell_complete=complete_free("pattern", "grep.paths"))
@click.option("-e", "--regexp", "pattern", metavar="PATTERN",
              help="The pattern (for one that starts with '-'); then every argument "
                   "is a VERSION or a PATH.")
@click.option("-G", "--basic-regexp", "dialect", flag_value="basic", default=True,
              help="PATTERN is a POSIX basic regex, as git grep reads it (the default): "
                   "\\( \\) \\{ \\} \\| \\+ \\? are operators, ( ) { } | + ? are not.")
@click.option("-E", "--extended-regexp", "dialect", flag_value="extended",
              help="PATTERN is a POSIX extended regex (git grep -E, egrep): ( ) { } | + ?.")
@click.option("-F", "--fixed-strings", "dialect", flag_value="fixed",
              help="PATTERN is a plain string.")
@click.option("-P", "--perl-regexp", "dialect", flag_value="perl",
              help="PATTERN is a Python 're' regex (git grep -P takes PCRE: much alike).")
@click.option("-i", "--ignore-case", is_flag=True, help="Ignore case (ASCII letters).")
@click.option("-w", "--word-regexp", is_flag=True,
              help="Match only whole words (no letter, digit or _ either side).")
@click.option("-n", "--line-number", is_flag=True, help="Show line numbers (from 1).")
@click.option("-l", "--files-with-matches", "names", is_flag=True,
              help="Show only the paths of matching files.")
@click.option("-c", "--count", is_flag=True, help="Show how many lines match in each file.")
@click.option("-I", "skip_binary", is_flag=True,
              help="Skip binary files (a NUL in their first 8000 bytes, as git decides).")
@click.option("--each", is_flag=True,
              help="One line per version, path and line, exactly as 'git grep PATTERN REV...' "
                   "prints it, with each version's full hash for REV.")
@click.option("--json", "as_json", is_flag=True,
              help="JSON Lines: one object per group (or per line with --each).")
@click.option("--no-pager", is_flag=True, help="Do not page the output on a terminal.")
@click.option("--no-index", is_flag=True,
              help="Read every blob instead of asking the trigram index which may match.")
@with_history
@click.pass_context
def grep(ctx, repo, args, pattern, dialect, ignore_case, word_regexp, line_number, names,
         count, skip_binary, each, as_json, no_pager, no_index):
    """Search the files of every version of head's history (or of the VERSIONs and
    V1..V2 ranges given) for lines matching PATTERN.

    Each distinct file content is read and searched once, and what it holds is
    shown for every version holding it.  By default each matching line is shown
    once, with the runs of versions where it holds (NNNN-hash, as the mount's
    history/ names them), those still at the newest version first.  --each prints
    git grep's own lines instead, so tools that read those work unchanged.

    PATH (a file or a directory) is relative to the current directory inside the
    working tree, as git takes it; there, without PATH, only what is under the
    current directory is searched.  Exit status: 0 a line matched, 1 none, 2 a bad
    pattern or option, 3 a damaged repository.

    \b
    Examples:
      verfs grep 'def echo('                     # every version, grouped
      verfs grep -n -E 'TODO|FIXME' head~10..head -- src/
      verfs grep --each -n -I -w main            # as git grep -n -I -w main REV...
      verfs grep -l -i license v1.0
      verfs grep -c --json import | jq .versions
      verfs grep --store s3://team/proj -F 'api_key'
      verfs grep -e '--force' head -- docs/
    """
    from ..search import output
    from ..search.grep import Chains, search
    from ..search.index import GrepIndex
    from ..search.posix import compile_pattern

    if pattern is None:
        if not args:
            raise UsageError("no PATTERN given (verfs grep PATTERN, or -e PATTERN)")
        pattern, args = args[0], args[1:]
    if names and count:
        raise UsageError("-l and -c do not go together")
    if "\0" in pattern:
        raise UsageError("the pattern holds a NUL byte")
    compiled = compile_pattern(os.fsencode(pattern), dialect, ignore_case, word_regexp)
    history = repo.history
    chains = Chains(history, repo.head())
    explicit = ctx.meta.get("grep.paths")
    specs = list(args)
    selections, rest, any_given = _versions(chains, repo.resolve, specs,
                                            strict=explicit is not None)
    if not any_given:
        selections = [chains.everything()]
    root = getattr(repo, "root", None)
    prefix = _prefix(root)
    given = rest + (explicit or [])
    filters = [tree_path(root, p) for p in given] if given else ([prefix] if prefix else [])
    if given:           # the current directory's implicit filter is no PATH given
        _check_paths(selections, given, filters, rest)

    mode = output.NAMES if names else output.COUNT if count else output.LINES
    color = sys.stdout.isatty() and not as_json and not each
    style = output.Style(mode, line_number, color, _display(prefix, quote=not as_json))
    index = None if no_index else GrepIndex(history.store)
    from ..progress import progress

    found = search(history, compiled, selections, filters, mode, skip_binary, index,
                   progress=lambda n: progress(n, "searching blobs"))
    try:
        matched = any(ps for _, ps in found.selections)
        printer = (output.each_json if each else output.grouped_json) if as_json else \
            (output.each if each else output.grouped)
        with paged(not no_pager and not as_json):
            printer(sys.stdout.buffer.write, found, style)
            sys.stdout.flush()
    finally:
        found.close()
        if index is not None:
            index.close()
    sys.exit(0 if matched else 1)


def _check_paths(selections, given: list[str], filters: list[str], rest: list[str]) -> None:
    """Each PATH given must have been on a searched chain at some time: a mistyped
    path (or version, read as a path) is "not found", not a silent "no match"."""
    for arg, path in zip(given, filters, strict=True):
        if path and not any(s.log.under(path) for s in selections):
            if rest and arg == rest[0] and ":" not in arg:
                raise UnknownPath(f"unknown version, branch, tag or hash prefix: {arg} "
                                  f"(and no such path in the history searched)")
            raise UnknownPath(f"{path}: no such path in the history searched")


def _prefix(root: str | None) -> str:
    """The current directory as a path of the tree ("" at its top or outside)."""
    if root is None:
        return ""
    here = os.path.abspath(".")
    if here != root and not here.startswith(root.rstrip(os.sep) + os.sep):
        return ""
    rel = os.path.relpath(here, root).replace(os.sep, "/")
    return "" if rel == "." else rel


def _display(prefix: str, quote: bool):
    """A path as shown: relative to ``prefix`` (the current directory) and, unless
    for JSON, quoted as git quotes it."""
    from ..search.output import quoted

    def show(path: str) -> bytes:
        rel = posixpath.relpath(path, prefix) if prefix else path
        raw = rel.encode("utf-8", "surrogateescape")
        return quoted(raw) if quote else raw
    return show
