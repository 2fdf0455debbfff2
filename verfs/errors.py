"""verfs's typed errors.

Every typed error of verfs and of the store derives from ``store.errors.Error`` and
carries its exit code (``exit_code``) and the errno a read through the mount answers
(``fuse_errno``); the docstring says what it means.  Only the edges translate them: the
CLI (``verfs.cli.main``) prints ``verfs: <message>`` on one line and exits with
``exit_code``; the FUSE adapter (``verfs.mount.fuse_ops``) answers ``fuse_errno``.

Exit codes: 1 the request cannot be done, 2 it does not make sense as given, 3 the
repository is damaged (a corrupt or missing object, a damaged head or reflog).
"""

import os

from store.errors import EXIT_DAMAGED, EXIT_FAILED, EXIT_USAGE, Error

__all__ = ["EXIT_DAMAGED", "EXIT_FAILED", "EXIT_USAGE", "Error"]


class VerfsError(Error):
    """Something the user asked for cannot be done."""

    exit_code = EXIT_FAILED


class UsageError(VerfsError):
    """The request does not make sense as given."""

    exit_code = EXIT_USAGE


class BadText(UsageError, ValueError):
    """A text cannot be stored as given (a patch's name with a newline, say).  Also a
    ValueError: parsers that meet it in stored bytes report a format error."""


class NotARepository(VerfsError):
    """No verfs repository here or in any parent directory."""


class DamagedRepository(VerfsError):
    """A file of ``.verfs`` other than an object (head, the reflog) does not hold what
    the format says; the message names the file and the way back."""

    exit_code = EXIT_DAMAGED


class NothingToRecord(VerfsError):
    """The working tree has no changes against head."""


class PatchApplyError(VerfsError):
    """A prim does not fit the tree it is applied to (its context does not match)."""


class CommuteError(VerfsError):
    """Two patches cannot be reordered: the later depends on the earlier."""


class UnknownVersion(VerfsError):
    """A name that should denote a version denotes none."""


class UnknownPath(VerfsError):
    """A path that is not in the version asked about: not found (exit 1), as an
    unknown version is — the request is well formed, there is just nothing there."""


class Refused(VerfsError):
    """A well-formed request that things as they stand refuse: a name already taken,
    the checked-out branch, a target that is not empty, an empty repository with
    nothing to name — it cannot be done (exit 1), though nothing about how it was
    asked is wrong (that is a ``UsageError``, exit 2)."""


class NoSuchFile(VerfsError):
    """A file or directory named on the command line (an import's source, a clone's
    SRC) is not there: not found (exit 1), not a malformed argument."""

    @classmethod
    def of(cls, path: str, label: str = "") -> "NoSuchFile":
        """``label PATH: no such directory`` (or ``not a directory``)."""
        why = "not a directory" if os.path.exists(path) else "no such directory"
        return cls(f"{label}{path}: {why}")


class DirtyWorkingTree(VerfsError):
    """The working tree has unrecorded changes that an operation would lose."""


class MountError(VerfsError):
    """The filesystem cannot be mounted or unmounted as asked."""


class ImportFailed(VerfsError):
    """A history cannot be imported."""
