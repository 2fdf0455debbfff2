"""verfs's typed errors.

Each carries its exit code; the docstring says what it means.  Only the edges
translate them: the CLI prints ``verfs: <message>`` on one line and exits with
``exit_code``; the FUSE adapter maps them to an errno.  Store errors (``store.errors``)
are translated the same way.
"""


class VerfsError(Exception):
    """Something the user asked for cannot be done."""

    exit_code = 1


class UsageError(VerfsError):
    """The request does not make sense as given."""

    exit_code = 2


class NotARepository(VerfsError):
    """No verfs repository here or in any parent directory."""


class NothingToRecord(VerfsError):
    """The working tree has no changes against head."""


class PatchApplyError(VerfsError):
    """A prim does not fit the tree it is applied to (its context does not match)."""


class CommuteError(VerfsError):
    """Two patches cannot be reordered: the later depends on the earlier."""


class UnknownVersion(VerfsError):
    """A name that should denote a version denotes none."""


class DirtyWorkingTree(VerfsError):
    """The working tree has unrecorded changes that an operation would lose."""


class MountError(VerfsError):
    """The filesystem cannot be mounted or unmounted as asked."""


class ImportFailed(VerfsError):
    """A history cannot be imported."""
