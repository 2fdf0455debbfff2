"""Options shared by several commands."""

import functools
import os
import posixpath

import click

from ..errors import UsageError
from ..repo import Repository


def with_repo(f):
    """Add ``--repo DIR`` and pass the repository (found from the current directory by
    default) as the first argument."""
    @click.option("--repo", "repo_dir", metavar="DIR", default=".",
                  help="The repository (default: the one containing the current directory).")
    @functools.wraps(f)
    def wrapper(repo_dir, *args, **kwargs):
        return f(Repository.find(repo_dir), *args, **kwargs)
    return wrapper


def short(vid: str | None) -> str:
    return vid[:12] if vid else "(empty)"


def tree_path(root: str, path: str) -> str:
    """A path given on the command line as a path of the repository's tree (``""`` for
    its top), as git takes one: relative to the current directory when that is inside
    the repository, to the repository's top otherwise.  ``./a``, ``a/`` and ``d/../a``
    are ``a``; a path leading out of the repository is refused."""
    if not path:
        return ""
    here = os.path.abspath(".")
    inside = here == root or here.startswith(root.rstrip(os.sep) + os.sep)
    base = os.path.relpath(here, root).replace(os.sep, "/") if inside else ""
    full = posixpath.normpath(posixpath.join(base, path.replace(os.sep, "/")))
    if posixpath.isabs(path):
        full = os.path.relpath(path, root).replace(os.sep, "/")
    if full == ".":
        return ""
    if full == ".." or full.startswith("../"):
        raise UsageError(f"{path}: outside the repository {root}")
    return full
