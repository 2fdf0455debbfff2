"""Loose objects: a file per object, ``ROOT/<kind dir>/<2 hex>/<62 hex>``.

A tagged file (the encoded bytes) or, for a large blob, ``<62 hex>.plain`` (exactly
its bytes).  Files appear whole (written elsewhere, then renamed) and are removed only
by a repack, after a pack holding them is in view.
"""

import os
from collections.abc import Iterator

from .base import DIRS
from .blocks import BlockLists
from .files import fsync_dir
from .ids import check_id
from .place import PLAIN, Loose, Place, Plain


class LooseFiles:
    def __init__(self, root: str, blocks: BlockLists, durable: bool):
        self.root, self.blocks, self.durable = root, blocks, durable

    def path(self, kind: str, oid: str) -> str:
        """Where the object's tagged file goes (a plain blob: this plus ``PLAIN``)."""
        check_id(oid)
        return os.path.join(self.root, DIRS[kind], oid[:2], oid[2:])

    def candidates(self, kind: str, oid: str) -> list[tuple[str, bool]]:
        """Where the object's file may be, and whether it would be plain there."""
        path = self.path(kind, oid)
        return [(path, False), (path + PLAIN, True)] if kind == "blob" else [(path, False)]

    def open(self, kind: str, oid: str) -> Place | None:
        """The object's file, open; None if it has none."""
        for path, plain in self.candidates(kind, oid):
            try:
                f = open(path, "rb")     # noqa: SIM115 - the Place closes it
            except FileNotFoundError:
                continue
            return (Plain if plain else Loose)(kind, oid, f, self.blocks)
        return None

    def open_plain(self, kind: str, oid: str, path: str | None = None) -> Plain | None:
        """The plain file at ``path`` (default: the object's), open; or None."""
        try:
            f = open(path or self.path(kind, oid) + PLAIN, "rb")  # noqa: SIM115 - as above
        except FileNotFoundError:
            return None
        return Plain(kind, oid, f, self.blocks)

    def exists(self, kind: str, oid: str) -> str | None:
        """The path of the object's file, if it has one."""
        for path, _ in self.candidates(kind, oid):
            if os.path.exists(path):
                return path
        return None

    def listing(self, kind: str, fans=None) -> Iterator[tuple[str, str, bool]]:
        """(id, path, plain) of every loose file of a kind (in the fan-outs ``fans``)."""
        base = os.path.join(self.root, DIRS[kind])
        if fans is None:
            try:
                fans = os.listdir(base)
            except FileNotFoundError:       # a lazy store nothing was written to yet
                return
        for fan in sorted(fans):
            if len(fan) != 2:
                continue
            try:
                names = os.listdir(os.path.join(base, fan))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for n in names:
                if not n.startswith("."):
                    yield fan + n.removesuffix(PLAIN), os.path.join(base, fan, n), \
                        n.endswith(PLAIN)

    def install(self, final: str, make) -> None:
        """``make(final)`` (which creates it atomically) in its fan-out directory,
        made first if need be — and then, when durable, fsynced into its parent.  A
        repack in another process may remove the directory once it is empty: then it
        is made again."""
        directory = os.path.dirname(final)
        made = not os.path.isdir(directory)
        for last in (False, True):
            if made or last:
                os.makedirs(directory, exist_ok=True)
            try:
                make(final)
                break
            except FileNotFoundError:
                if last:
                    raise
        if made and self.durable:
            fsync_dir(os.path.dirname(directory))
