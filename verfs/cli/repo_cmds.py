"""Commands that make, look at and record in a repository."""

import sys

import click

from ..errors import Refused, UnknownPath
from ..repo import Repository
from .main import cli, one_line
from .options import VERSION, short, spec_path, tree_path, with_history, with_repo


def _out(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def init(directory):
    """Make DIRECTORY (default: here) a new, empty verfs repository.

    \b
    Example:
      verfs init myproject
    """
    repo = Repository.init(directory)
    click.echo(f"Initialized an empty verfs repository in {repo.root}")


@cli.command()
@click.option("-s", "--summary", is_flag=True, help="One line per changed path.")
@with_repo
def whatsnew(repo, summary):
    """Show the unrecorded changes in the working tree, as prims.

    Exits 1 when there are none (as darcs does).

    \b
    Example:
      verfs whatsnew
      verfs whatsnew --summary
    """
    from .. import ops
    from ..patch.text import write_prims
    prims = ops.unrecorded(repo)
    if not prims:
        click.echo("No changes!")
        sys.exit(1)
    if summary:
        for line in _summary(prims):
            click.echo(line)
    else:
        _out(write_prims(prims))


def _summary(prims) -> list[str]:
    from ..patch.prims import AddDir, AddFile, AddLink, Move, RmDir, RmFile, RmLink, paths
    seen: dict[str, str] = {}
    lines = []
    for p in prims:
        if isinstance(p, Move):
            lines.append(f" {p.src} -> {p.dst}")
            continue
        path = paths(p)[0] if paths(p) else ""
        mark = "A" if isinstance(p, (AddFile, AddDir, AddLink)) else \
            "R" if isinstance(p, (RmFile, RmDir, RmLink)) else "M"
        if path in seen and seen[path] in "AR":
            if mark == "R" and seen[path] == "A":
                seen.pop(path)
            continue
        if path not in seen or mark != "M":
            seen[path] = mark
    lines += [f"{mark} {path}" for path, mark in seen.items()]
    return lines


@cli.command()
@click.option("-m", "--name", "name", required=True, metavar="NAME", help="The patch's name.")
@click.option("-A", "--author", metavar="AUTHOR",
              help="Who recorded it (default: $VERFS_AUTHOR, $DARCS_EMAIL, $EMAIL or user@host).")
@click.option("--date", metavar="DATE",
              help="When (YYYYMMDDhhmmss UTC, or ISO 8601; default: now).")
@click.option("-c", "--comment", metavar="TEXT", help="A long comment (may span lines).")
@click.argument("paths", nargs=-1, type=click.Path())
@with_repo
def record(repo, name, author, date, comment, paths):
    """Record the working tree's changes as a new patch; print the new version.

    Text files become line hunks, files with a NUL byte or that are not UTF-8 become
    binary changes, renamed files and directories become moves.  With PATHs, only the
    changes under them are recorded.  Nothing to record: a message and exit 1.

    \b
    Examples:
      verfs record -m "docs only" -A "Ada <ada@example.com>" docs/
      verfs record -m "fix the greeting"
    """
    from .. import ops
    lines = tuple(comment.splitlines()) if comment else ()
    vid = ops.record(repo, name, author, date, lines, list(paths) or None)
    click.echo(vid)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for programs.")
@with_repo
def versions(repo, as_json):
    """List every version head has been at, newest first, with what made it.

    Versions are never deleted: after an unrecord, commute or restore, the earlier
    heads stay here (and in the store), so any of them can be restored or mounted.

    \b
    Example:
      verfs versions
    """
    from ..dates import reflog_iso, reflog_text
    entries = repo.reflog()
    if as_json:
        import json
        click.echo(json.dumps([{"time": reflog_iso(e.when), "version": e.vid,
                                "operation": e.operation} for e in entries], indent=1))
        return
    for e in entries:
        click.echo(f"{short(e.vid):12}  {reflog_text(e.when)}  {e.operation}")


@cli.command()
@click.option("--repair", is_flag=True,
              help="Write the reflog's last version back into a damaged head.")
@with_repo
def head(repo, repair):
    """Print head's version hash (exit 1 in an empty repository).

    A damaged head (truncated, a link, not one id) is exit 3, naming the reflog's last
    entry: the version head was at when it last moved.  --repair writes it back.

    \b
    Example:
      verfs head
      verfs head --repair          # when fsck says head is damaged
    """
    if repair:
        vid = repo.repair_head()
        click.echo(f"head is {vid or 'empty'} again (the reflog's last entry)")
        return
    vid = repo.head()
    if vid is None:
        raise Refused("the repository is empty: no version yet")
    click.echo(vid)


def _split_spec(repo, spec: str) -> tuple[str, str]:
    version, _, path = spec.partition(":")
    return version, spec_path(repo.root, path)


@cli.command()
@click.argument("spec", metavar="VERSION[:PATH]", type=VERSION)
@with_history
def show(repo, spec):
    """Print a file of any version, or list a directory of it.

    Directories are listed one entry a line, with '/' after subdirectories and
    '-> target' after symbolic links.  PATH is from the top of the tree, or from the
    current directory when it starts with ./ or ../ (as git takes it).

    \b
    Examples:
      verfs show head~2:src/main.c
      verfs show v1.0:
      cd src && verfs show head~1:./util.c       # src/util.c
      verfs show --store https://example.org/proj v1.0:README.md
    """
    from store import DIR, LINK

    from ..trees import entry_at
    version, path = _split_spec(repo, spec)
    vid = repo.resolve(version)
    store = repo.history.states
    found = entry_at(store, repo.history.root_tree(vid), path)
    if found is None:
        raise UnknownPath(f"{path}: not in version {short(vid)}")
    entry_kind, oid = found.kind, found.oid
    if entry_kind == DIR:
        for e in store.get_tree(oid).entries:
            if e.kind == DIR:
                click.echo(e.name + "/")
            elif e.kind == LINK:
                target = store.get_blob(e.oid).decode("utf-8", "surrogateescape")
                click.echo(f"{e.name} -> {target}")
            else:
                click.echo(e.name)
    elif entry_kind == LINK:
        _out(store.get_blob(oid) + b"\n")
    else:
        _out(store.get_blob(oid))


@cli.command()
@click.argument("version1", type=VERSION)
@click.argument("version2", type=VERSION)
@click.argument("path", required=False, default="")
@click.option("--binary", is_flag=True,
              help="Binary files as git's 'GIT binary patch' (full index lines), so "
                   "that 'git apply' recreates them too.")
@click.option("--full-index", is_flag=True, help="Whole 40-digit blob ids on 'index' lines.")
@click.option("-M", "--find-renames", is_flag=True,
              help="Exact renames (same content) as git's 'rename from'/'rename to'.")
@click.option("--gnu", is_flag=True,
              help="The format of GNU 'diff -ruN' instead (applies with 'patch -p1').")
@with_history
def diff(repo, version1, version2, path, binary, full_index, find_renames, gnu):
    """Show the changes from VERSION1 to VERSION2 as git shows them ('git diff
    --no-renames'): new and deleted files with their modes, executable bits as
    'old mode'/'new mode', symlinks (mode 120000, the target as content), empty files,
    and binary files as 'Binary files ... differ', or with --binary as patches; with
    -M, files moved unchanged as renames.  In a
    checkout of VERSION1 (even one that is not a git repository), 'git apply' turns it
    into VERSION2 exactly.  Exit 1 if they differ, 0 if not.

    PATH (a file or a directory) is relative to the current directory inside the
    repository, and to its top from elsewhere, as git takes it.

    \b
    Examples:
      verfs diff head~1 head
      verfs diff v1.0 head src/
      verfs diff -M head~1 head
      verfs diff head~2 head ./README.md
      verfs diff --gnu head head~1 | patch -p1 --dry-run     # would undo the last patch
      verfs diff --store s3://team/proj head~1 head

    \b
    The round trip, from a copy of head~1 to head:
      verfs clone --version head~1 . /tmp/old
      verfs diff --binary head~1 head | git -C /tmp/old apply
      verfs clone . /tmp/new && diff -r --no-dereference -x .verfs /tmp/old /tmp/new
    """
    from ..dates import diff_header
    from ..gitdiff import tree_diff as git_tree_diff
    from ..udiff import tree_diff
    a, b = repo.resolve(version1), repo.resolve(version2)
    h = repo.history
    under = tree_path(repo.root, path)
    if under:
        from ..trees import entry_at
        if all(entry_at(h.states, h.root_tree(v), under) is None for v in (a, b)):
            raise UnknownPath(f"{under}: in neither version ({short(a)}, {short(b)})")
    if gnu:
        infos = [h.step(v).patch.info if v else None for v in (a, b)]
        times = [diff_header(i.date, i.get_meta("zone")) if i else diff_header(None)
                 for i in infos]
        chunks = tree_diff(h.states, h.root_tree(a), h.root_tree(b), short(a), short(b),
                           *times, under=under)
    else:
        chunks = git_tree_diff(h.states, h.root_tree(a), h.root_tree(b), under=under,
                               binary=binary, full_index=full_index,
                               find_renames=find_renames)
    differs = False
    for chunk in chunks:
        if chunk:
            differs = True
            _out(chunk)
    sys.exit(1 if differs else 0)


@cli.command("fsck")
@click.option("--verify-data", is_flag=True,
              help="Also replay the whole history once and compare every cached root "
                   "tree with the one its patches give (slow).")
@with_repo
def fsck_cmd(repo, verify_data):
    """Verify every object in the store and every reference between them, and
    head, the reflog, every branch, tag reference and branch reflog.

    Each missing or corrupt object, and a damaged head or reflog line, is named on
    its own line; the exit status is 0 only if there are none (3 otherwise).
    Everything the history names must be in the store proper itself, not only in the
    derived cache/.  Derived objects that are absent are noted, not errors: they are
    rebuilt when next needed.  So are patches (made before verfs refused them) that
    touch paths inside a .verfs directory: checkout and the mount leave those out.

    \b
    Examples:
      verfs fsck
      verfs fsck --verify-data
    """
    from store import DIRS, KINDS

    from ..fsck import count_objects, fsck, repository_roots, verify_roots
    from ..progress import progress
    roots, problems = repository_roots(repo)
    states = repo.store.states
    derived = states.top if states is not repo.store else None
    notes: list[str] = []
    with progress(count_objects(repo.store, derived), "checking") as bar:
        problems += fsck(repo.store, roots, bar.update, derived, repo.store.cache, notes)
    if verify_data:
        with progress(sum(1 for _ in repo.store.iter_ids("version")), "replaying") as bar:
            problems += verify_roots(repo.history, bar.update)
    for p in notes:
        click.echo(f"note: {one_line(p)}")
    for p in problems:
        click.echo(one_line(p))
    counts = ", ".join(f"{sum(1 for _ in repo.store.iter_ids(k))} {DIRS[k]}" for k in KINDS)
    if problems:
        click.echo(f"verfs: fsck found {len(problems)} problem(s) in "
                   f"{repo.dotdir}", err=True)
        sys.exit(3)
    click.echo(f"ok: {counts}")


@cli.command()
@with_repo
def gc(repo):
    """Pack the store: its many small object files become one pack file.

    A history is mostly tiny objects (a version is about 130 bytes), and as files of
    their own each takes a whole disk block.  gc moves every object of the history,
    and of its derived cache, into one pack each, verifying every object on the way;
    large files stay files of their own.  Commands already pack on their own once
    about a thousand objects are loose; gc packs everything now.  It is safe at any
    time, also while the repository is mounted.  A corrupt object of the history
    stops gc with nothing changed (see 'verfs fsck'); a corrupt derived one is
    dropped, and rebuilt when next needed.

    \b
    Example:
      verfs gc
    """
    from .. import ops
    from ..progress import progress
    with progress(None, "packing") as bar:
        history, derived, adopted = ops.gc(repo, bar.update)
    for oid in adopted:
        click.echo(f"history: blob {oid} was only in the derived cache; adopted back")
    for label, done in (("history", history), ("derived cache", derived)):
        if not done.objects and not done.dropped:
            click.echo(f"{label}: nothing to pack")
            continue
        click.echo(f"{label}: {done.objects:,} objects in one pack of "
                   f"{_size(done.bytes)} (replaced {done.loose:,} loose files and "
                   f"{done.packs:,} packs)")
        if done.dropped:
            click.echo(f"{label}: dropped {len(done.dropped):,} corrupt objects; they are "
                       f"rebuilt when needed")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024

