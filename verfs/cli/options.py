"""Options shared by several commands."""

import functools

import click

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
