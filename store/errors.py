"""Typed errors of the store, and the root of every typed error of verfs.

Everything below the CLI and FUSE edges raises these; only the edges translate them
(to a one-line message and an exit code, or to an errno).  The docstring of each class
is its meaning; the message names the object so a user can act on it.

The protocol is two class attributes of ``Error``, which every subclass may override:
``exit_code`` (what the command line exits with) and ``fuse_errno`` (what a read
through the mount answers).  The store cannot import verfs, so the root lives here and
``verfs.errors`` builds on it.
"""

import errno

EXIT_FAILED = 1     # the request cannot be done (unknown version, nothing to record, ...)
EXIT_USAGE = 2      # the request does not make sense as given
EXIT_DAMAGED = 3    # the repository is damaged: an object, head or the reflog


class Error(Exception):
    """The root of every typed error: the edges translate it, and only it."""

    exit_code = EXIT_FAILED
    fuse_errno = errno.EIO


class StoreError(Error):
    """Something is wrong with the object store."""


class ObjectNotFound(StoreError, KeyError):
    """No object of this kind has this id.  At the edges this is damage: a name the
    user typed is resolved (and refused as unknown) before anything is read."""

    exit_code = EXIT_DAMAGED

    def __init__(self, kind: str, oid: str, note: str = ""):
        super().__init__(f"no {kind} {oid}{note}")
        self.kind = kind
        self.oid = oid

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class UnknownPrefix(ObjectNotFound):
    """No object of this kind starts with this prefix."""

    exit_code = EXIT_FAILED

    def __init__(self, kind: str, prefix: str):
        StoreError.__init__(self, f"no {kind} starts with {prefix!r}")
        self.kind = kind
        self.oid = prefix


class AmbiguousPrefix(StoreError):
    """More than one object of this kind starts with this prefix."""

    def __init__(self, kind: str, prefix: str, candidates: list[str]):
        shown = ", ".join(c[:12] for c in candidates[:4])
        more = f" and {len(candidates) - 4} more" if len(candidates) > 4 else ""
        super().__init__(f"{kind} prefix {prefix!r} is ambiguous: {shown}{more}")
        self.kind = kind
        self.prefix = prefix
        self.candidates = candidates


class InvalidId(StoreError, ValueError):
    """A string that should be a hash (or a prefix of one) is not lowercase hex."""


class CorruptObject(StoreError):
    """An object's bytes do not hash to its name, or cannot be decoded or parsed."""

    exit_code = EXIT_DAMAGED

    def __init__(self, kind: str, oid: str, path: str | None, why: str):
        where = f" ({path})" if path else ""
        super().__init__(f"corrupt {kind} {oid}{where}: {why}")
        self.kind = kind
        self.oid = oid
        self.path = path
        self.why = why


class CannotTell(StoreError):
    """A look-up missed while part of the store is unreadable (a damaged pack): the
    object may well exist, so its absence is damage, not an answer."""

    exit_code = EXIT_DAMAGED

    def __init__(self, what: str, problem: str):
        super().__init__(f"{what}: cannot tell, the store is damaged ({problem})")


class FormatError(StoreError, ValueError):
    """Bytes that claim to be an object of some kind do not follow its format."""

    exit_code = EXIT_DAMAGED
