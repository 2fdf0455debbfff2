"""Options shared by several commands."""

import functools
import os
import posixpath
import re

import click

from ..errors import NoSuchFile, UsageError
from ..repo import Repository


def with_repo(f):
    """Add ``--repo DIR`` and pass the repository (found from the current directory by
    default) as the first argument."""
    @click.option("--repo", "repo_dir", metavar="DIR", default=".",
                  help="The repository (default: the one containing the current directory).")
    @functools.wraps(f)
    def wrapper(repo_dir, *args, **kwargs):
        return f(find_repo(repo_dir), *args, **kwargs)
    return wrapper


def with_history(f):
    """``with_repo``, or ``--store URL`` (and ``--cache DIR``) for a command that only
    reads the history: the remote store's, from its head (``verfs.published``)."""
    @click.option("--repo", "repo_dir", metavar="DIR",
                  help="The repository (default: the one containing the current directory).")
    @click.option("--store", "url", metavar="URL",
                  help="Read the history pushed to a remote store instead: "
                       "s3://BUCKET/PREFIX, http(s)://HOST/PATH or file:///DIR.")
    @click.option("--cache", "cache_dir", metavar="DIR", type=click.Path(file_okay=False),
                  help="With --store: where fetched objects are kept (default: "
                       "$XDG_CACHE_HOME/verfs/...).")
    @functools.wraps(f)
    def wrapper(repo_dir, url, cache_dir, *args, **kwargs):
        if url is None:
            if cache_dir is not None:
                raise UsageError("--cache goes with --store URL only")
            return f(find_repo(repo_dir or "."), *args, **kwargs)
        from store.remote.url import is_url

        from ..published import open_published
        if repo_dir is not None:
            raise UsageError("give --repo or --store, not both")
        if not is_url(url):
            raise UsageError(f"--store {url}: not a URL (s3://BUCKET/PREFIX, "
                             f"https://HOST/PATH, file:///DIR)")
        return f(open_published(url, cache_dir), *args, **kwargs)
    return wrapper


def find_repo(given: str) -> Repository:
    """The repository containing directory ``given``, which must exist: a mistyped
    ``--repo DIR`` is an error, never the repository of one of its parents."""
    if not os.path.isdir(given):
        raise NoSuchFile.of(given, "--repo ")
    return Repository.find(given)


def short(vid: str | None) -> str:
    return vid[:12] if vid else "(empty)"


def spec_path(root: str | None, path: str) -> str:
    """The PATH of ``VERSION:PATH`` as git reads it: from the top of the tree, unless
    it starts with ``./`` or ``../`` (then from the current directory, as
    ``tree_path``).  Either way normalised: ``a/``, ``/a`` and ``d/../a`` are ``a``,
    and a path leading out of the tree is refused.  Without a working tree (``root``
    None: a remote store's history), every path is from the top."""
    if root is not None and (path in (".", "..") or path.startswith(("./", "../"))):
        return tree_path(root, path)
    return _inside(root, path, posixpath.normpath(path.strip("/") or "."))


def tree_path(root: str | None, path: str) -> str:
    """A path given on the command line as a path of the repository's tree (``""`` for
    its top), as git takes one: relative to the current directory when that is inside
    the repository, to the repository's top otherwise.  ``./a``, ``a/`` and ``d/../a``
    are ``a``; a path leading out of the repository is refused.  Without a working
    tree (``root`` None), from the top of the tree."""
    if not path:
        return ""
    if root is None:
        return _inside(root, path, posixpath.normpath(path.strip("/") or "."))
    here = os.path.abspath(".")
    inside = here == root or here.startswith(root.rstrip(os.sep) + os.sep)
    base = os.path.relpath(here, root).replace(os.sep, "/") if inside else ""
    full = posixpath.normpath(posixpath.join(base, path.replace(os.sep, "/")))
    if posixpath.isabs(path):
        full = os.path.relpath(path, root).replace(os.sep, "/")
    return _inside(root, path, full)


def _inside(root: str | None, path: str, full: str) -> str:
    """``full`` (normalised), as a path of the tree; refused when it leads out."""
    if full == ".":
        return ""
    if full == ".." or full.startswith("../"):
        raise UsageError(f"{path}: outside the repository {root}" if root else
                         f"{path}: outside the tree")
    return full


_SIZE = re.compile(r"(\d+)\s*(?:([KMGT])(?:i?B)?|B)?", re.IGNORECASE)
_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """A size in bytes from ``1073741824``, ``500M``, ``2G`` (powers of 1024; ``MiB``,
    ``MB`` and ``k`` read the same); ValueError otherwise."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise ValueError(text)
    unit = m.group(2)
    return int(m.group(1)) * (_UNITS[unit.upper()] if unit else 1)


class Size(click.ParamType):
    """``--cache-size SIZE``: bytes, or a number with K, M, G or T after it."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError:
            self.fail(f"{value!r} is not a size (say 1073741824, 500M or 2G)", param, ctx)



def version_names(start: str, which: str = "all") -> list[str]:
    """``head``, the branches and the tags of the repository containing ``start``:
    what a VERSION argument completes to (``which``: "branches" or "tags", only
    those).  Quiet and side-effect free — no journal finished, no lock taken,
    nothing written — and an empty list on any trouble: a completion must never
    print an error into the user's command line."""
    from .. import heads
    from ..repo import DOTDIR, locate
    try:
        root = locate(start)
        if root is None:
            return []
        dotdir = os.path.join(root, DOTDIR)
        names = set()
        if which != "tags":
            names |= {heads.current_branch(dotdir), *heads.stored_branches(dotdir)}
        if which == "branches":
            return sorted(names)
        try:        # tags made before tag references: on head's chain (reads it)
            repo = Repository(root)
            on_chain = repo.history.tags(repo.head())
        except Exception:       # noqa: BLE001 — whatever it is, complete what was found
            on_chain = {}
        names |= set(heads.all_tags(on_chain, heads.tag_refs(dotdir)))
        if which == "all":
            names.add("head")
        return sorted(names)
    except Exception:           # noqa: BLE001 — see above
        return []


def _items(names: list[str], incomplete: str):
    from click.shell_completion import CompletionItem
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def complete_branch(ctx, param, incomplete):
    """``shell_complete=`` of an argument or option that names a branch."""
    return _items(version_names(ctx.params.get("repo_dir") or ".", "branches"), incomplete)


def complete_tag(ctx, param, incomplete):
    """``shell_complete=`` of an argument or option that names a tag."""
    return _items(version_names(ctx.params.get("repo_dir") or ".", "tags"), incomplete)


class Version(click.ParamType):
    """A VERSION argument (read by ``Repository.resolve``, so left a string here),
    completed in the shell to ``head``, branch and tag names (``version_names``)."""

    name = "version"

    def shell_complete(self, ctx, param, incomplete):
        if any(c in incomplete for c in "~^:{"):
            return []       # a suffix or a path: nothing to offer
        return _items(version_names(ctx.params.get("repo_dir") or "."), incomplete)


VERSION = Version()


def complete_free(pattern_option: str | None = None, paths_key: str | None = None):
    """``shell_complete=`` of the free arguments of ``log`` (``[VERSION] [PATH]...``)
    and ``grep`` (``PATTERN [VERSION | V1..V2]... [PATH]...``): version names (after
    ``A..``, the range's end) and, as the shell completes them, paths.  With
    ``pattern_option`` (grep's ``-e``) the first free argument is the PATTERN unless
    that option is given, and any number of versions may follow; else (log) only
    the first free argument may be a version.  ``paths_key``: the ``ctx.meta`` key
    the command's parser sets once ``--`` is passed (only paths after it)."""
    def complete(ctx, param, incomplete):
        from click.shell_completion import CompletionItem
        paths = [CompletionItem(incomplete, type="file")]
        if paths_key is not None and paths_key in ctx.meta:
            return paths
        before = len(ctx.params.get(param.name) or ())
        if pattern_option is None:
            if before:
                return paths            # log: a VERSION only first
        elif ctx.params.get(pattern_option) is None and not before:
            return []                   # grep's PATTERN: nothing to offer
        if any(c in incomplete for c in "~^:{/"):
            return paths
        start, sep, rest = incomplete.rpartition("..")
        start += sep
        names = version_names(ctx.params.get("repo_dir") or ".")
        return [CompletionItem(start + n) for n in names if n.startswith(rest)] + (
            [] if sep else paths)
    return complete
