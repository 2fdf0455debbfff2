"""Named heads: branches and tag references, beside ``.verfs/head``.

``.verfs/branch``              the checked-out branch's name and a newline (absent:
                               ``main``, as in every repository made before branches)
``.verfs/branches/<name>``     a branch that is *not* checked out: its version id and a
                               newline, or just a newline (the empty state).  The
                               checked-out branch's version is ``head`` itself — one
                               truth, no second file to keep in step; its file here is
                               written when it is switched away from, and ignored while
                               it is checked out
``.verfs/logs/<name>``         each branch's own reflog, the format of ``.verfs/reflog``
``.verfs/tags/<name>``         a tag's version id and a newline: tags imported off the
                               first-parent line have no other way in, and every tag
                               made since has one, so naming a tag walks no chain

Each file is replaced atomically (``write_atomic``) under the repository's lock; a
reader takes each file as it finds it.  A file that does not hold one version id (or
an empty line, for a branch) is damage, named in one line (``DamagedRepository``).
Tags recorded before tag references existed are still found on head's chain
(``Repository.tags``).

Names: what ``check_name`` accepts — never something a VERSION argument already
means (``head``, a hash prefix, ``~N``/``^``/``@{N}`` suffixes), never a path.
"""

import os
import re

from store.files import write_atomic
from store.ids import HEX_LEN

from . import headlog
from .dotfiles import NotAFile, read_small_file
from .errors import DamagedRepository, UsageError

DEFAULT_BRANCH = "main"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+,=-]*")
_HEXISH = re.compile(r"[0-9a-fA-F]{4,}")
_RESERVED = {"head", "HEAD", "@"}
_VID = re.compile(r"[0-9a-f]{" + str(HEX_LEN) + r"}")


def check_name(name: str, kind: str) -> str:
    """``name`` as a branch's or tag's name (``kind``: "branch" or "tag"), or a
    ``UsageError`` saying why not."""
    if name in _RESERVED:
        raise UsageError(f"bad {kind} name {name!r}: it means head")
    if _HEXISH.fullmatch(name):
        raise UsageError(f"bad {kind} name {name!r}: it could be read as a hash prefix")
    if not _NAME.fullmatch(name) or name.endswith(".") or ".." in name:
        raise UsageError(f"bad {kind} name {name!r} (letters, digits and . _ + , = -; "
                         f"no spaces, '/', ':', '~', '^' or '@')")
    return name


def _read_ref(path: str, empty_ok: bool) -> str | None:
    try:
        data = read_small_file(path, HEX_LEN + 1)
    except NotAFile as exc:
        raise DamagedRepository(f"{path} is damaged ({exc})") from None
    text = data.decode("ascii", "replace")
    if empty_ok and text == "\n":
        return None
    if text.endswith("\n") and _VID.fullmatch(text[:-1]):
        return text[:-1]
    raise DamagedRepository(f"{path} is damaged (not a version id and a newline)")


MISSING = object()     # what a look-up of one name finds when there is none


def _read_one(directory: str, name: str, empty_ok: bool):
    """The version of the one file ``name`` of ``directory`` — ``MISSING`` when there
    is none, or when ``name`` could be no file's name there (``../head``): a look-up
    of one name reads one file, not the directory's every file."""
    if not _NAME.fullmatch(name):
        return MISSING
    try:
        return _read_ref(os.path.join(directory, name), empty_ok)
    except FileNotFoundError:
        return MISSING


def _names(directory: str) -> list[str]:
    try:
        return sorted(n for n in os.listdir(directory) if not n.startswith("."))
    except FileNotFoundError:
        return []
    except NotADirectoryError:
        raise DamagedRepository(f"{directory} is damaged (not a directory)") from None


def _write_ref(dotdir: str, kind: str, name: str, vid: str | None) -> None:
    directory = os.path.join(dotdir, kind)
    os.makedirs(directory, exist_ok=True)
    write_atomic(os.path.join(directory, name), (vid or "").encode() + b"\n")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# --- branches -------------------------------------------------------------------------
def current_branch(dotdir: str) -> str:
    try:
        text = read_small_file(os.path.join(dotdir, "branch"), 256).decode("utf-8", "replace")
    except FileNotFoundError:
        return DEFAULT_BRANCH
    except NotAFile as exc:
        raise DamagedRepository(f"{os.path.join(dotdir, 'branch')} is damaged ({exc})") from None
    name = text[:-1] if text.endswith("\n") else text
    if not _NAME.fullmatch(name):
        raise DamagedRepository(f"{os.path.join(dotdir, 'branch')} is damaged "
                                f"(not a branch name and a newline)")
    return name


def set_current_branch(dotdir: str, name: str) -> None:
    write_atomic(os.path.join(dotdir, "branch"), name.encode() + b"\n")


def stored_branches(dotdir: str) -> dict[str, str | None]:
    """Every branch file's version (None: empty), the checked-out one's too — which
    is stale: ``Repository.branches`` puts head in its place."""
    directory = os.path.join(dotdir, "branches")
    return {n: _read_ref(os.path.join(directory, n), True) for n in _names(directory)}


def stored_branch(dotdir: str, name: str):
    """Branch file ``name``'s version (None: empty), or ``MISSING``."""
    return _read_one(os.path.join(dotdir, "branches"), name, True)


def all_branches(stored: dict[str, str | None], current: str,
                 head: str | None) -> dict[str, str | None]:
    """Every branch's version, by name: the branch files', with the checked-out
    branch's version being head (its file is stale).  The one rule, for
    ``Repository.branches`` and the mount's ``branches/``."""
    named = dict(stored)
    named[current] = head
    return dict(sorted(named.items()))


def write_branch(dotdir: str, name: str, vid: str | None) -> None:
    _write_ref(dotdir, "branches", name, vid)


def delete_branch(dotdir: str, name: str) -> None:
    _unlink(os.path.join(dotdir, "branches", name))
    _unlink(branch_log_path(dotdir, name))


def branch_log_path(dotdir: str, name: str) -> str:
    return os.path.join(dotdir, "logs", name)


# --- tag references -------------------------------------------------------------------
def tag_refs(dotdir: str) -> dict[str, str]:
    directory = os.path.join(dotdir, "tags")
    return {n: _read_ref(os.path.join(directory, n), False) for n in _names(directory)}


def tag_ref(dotdir: str, name: str):
    """Tag reference ``name``'s version, or ``MISSING``."""
    return _read_one(os.path.join(dotdir, "tags"), name, False)


def all_tags(on_chain: dict[str, str], refs: dict[str, str]) -> dict[str, str]:
    """Every tag's version, by name: the tag references, and the tags on head's chain
    (``on_chain``: made before references existed) whose version no reference names
    — an imported tag whose git name verfs cannot take (``rel/x``) is known by its
    mapped name alone (``rel-x``); a reference wins over a chain's tag of its name.
    The one rule, for ``Repository.tags`` and the mount's ``tags/``."""
    referenced = set(refs.values())
    named = {name: vid for name, vid in on_chain.items() if vid not in referenced}
    named.update(refs)
    return dict(sorted(named.items()))


def write_tag_ref(dotdir: str, name: str, vid: str) -> None:
    _write_ref(dotdir, "tags", name, vid)


def delete_tag_ref(dotdir: str, name: str) -> None:
    _unlink(os.path.join(dotdir, "tags", name))


# --- checking (fsck) ------------------------------------------------------------------
def check(dotdir: str) -> tuple[list[tuple[str, str]], list[str]]:
    """What ``fsck`` must know of the named heads: the versions they name, each with
    who names it (every branch file, every tag reference, every line of every
    branch's reflog) — roots, as head is — and one line for each file that is damaged
    or is no name of its directory.  Every file is read, none stops the check."""
    roots: list[tuple[str, str]] = []
    problems: list[str] = []
    try:
        current_branch(dotdir)
    except DamagedRepository as exc:
        problems.append(str(exc))
    for kind, who, empty_ok in (("branches", "branch", True), ("tags", "tag", False)):
        directory = os.path.join(dotdir, kind)
        for name in _listed(directory, problems):
            path = os.path.join(directory, name)
            if not _NAME.fullmatch(name):
                problems.append(f"{path} is no {who}'s name (verfs never writes it)")
                continue
            try:
                vid = _read_ref(path, empty_ok)
            except (DamagedRepository, OSError) as exc:
                problems.append(str(exc) if isinstance(exc, DamagedRepository)
                                else f"{path} cannot be read: {exc.strerror}")
                continue
            if vid:
                roots.append((vid, f"{who} {name}"))
    logs = os.path.join(dotdir, "logs")
    for name in _listed(logs, problems):
        path = os.path.join(logs, name)
        try:
            reflog = headlog.parse_reflog(read_small_file(path, None))
        except (NotAFile, OSError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else exc
            problems.append(f"{path} is damaged ({why})")
            continue
        roots += [(e.vid, f"branch {name}'s reflog") for e in reflog.entries if e.vid]
        problems += headlog.bad_lines(path, reflog)
    return roots, problems


def _listed(directory: str, problems: list[str]) -> list[str]:
    try:
        return _names(directory)
    except DamagedRepository as exc:
        problems.append(str(exc))
        return []
