"""``verfs import darcs``: a darcs-2 hashed repository, read from its ``_darcs`` files.

The patches are listed by following references from ``_darcs/hashed_inventory``
(its ``Starting with inventory:`` chain, oldest section first) and never by listing
directories, which keep stale files.  Each patch file is gunzipped when it starts
with the gzip magic (``optimize uncompress`` leaves plain text under the same names)
and checked against its content-addressed name, as darcs does on read.

Each darcs patch becomes one verfs patch with the same name, author, date and log
lines (``Ignore-this:`` included, so darcs's identity can be recomputed from the
info), its identity under ``darcs-hash``, and ``darcs-inverted: true`` for legacy
``*-`` patches.  Its prims are its effect on the recorded tree (see darcs_format).
Explicit dependencies are dropped: verfs has none.  Tags (``TAG x``) stay tags.

Everything that can be wrong with the source files (a missing, corrupt or
unparsable file) is found before the first patch is handed over: a bad repository
fails before the import has written anything, and says which file is at fault.
"""

import gzip
import os
import zlib
from collections.abc import Iterator

from store import ObjectStore

from ..dotfiles import NotAFile, read_small_file
from ..errors import ImportFailed
from ..patch.named import PatchInfo
from ..patch.prims import Binary
from ..progress import progress
from .common import Imported
from .darcs_format import (
    EMPTY_PRISTINE,
    DarcsFormatError,
    Info,
    NameCheck,
    PatchFile,
    is_file_name,
    name_matches,
    parse_inventory,
    parse_patch,
    pristine_hash,
)

META_KEY = "darcs-hash"
# Parsed patches are kept between the checking pass and the import up to this many
# bytes of patch text; beyond it they are read again (big histories, bounded memory).
KEEP_BYTES = 64 << 20
CHUNK = 1 << 20          # patch files are decompressed and parsed this much at a time
_KNOWN = {"hashed", "darcs-2", "no-working-dir", "with-working-dir"}
_FULL_CLONE = "make a complete copy with 'darcs clone --complete' and import that"


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _gunzip(data: bytes) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    return gzip.decompress(data)


def _chunks(f, size: int = CHUNK) -> Iterator[bytes]:
    """A file's bytes, gunzipped as they are read when it starts with the gzip magic
    (``optimize uncompress`` leaves plain text under the same names)."""
    gzipped = f.read(2) == b"\x1f\x8b"
    f.seek(0)
    stream = gzip.GzipFile(fileobj=f) if gzipped else f
    while chunk := stream.read(size):
        yield chunk


def to_patch_info(info: Info) -> PatchInfo:
    """verfs's info for a darcs patch (darcs's identity kept under ``darcs-hash``)."""
    meta = [(META_KEY, info.identity)]
    if info.inverted:
        meta.append(("darcs-inverted", "true"))
    return PatchInfo(_text(info.name), _text(info.author), _text(info.date),
                     tuple(_text(line) for line in info.log), tuple(meta))


class DarcsSource:
    """The importer's view of one darcs repository (the ``Source`` protocol)."""

    meta_key = META_KEY

    def __init__(self, src: str, user_boring: str | None = None):
        self.root = os.path.abspath(src)
        self.darcs = os.path.join(self.root, "_darcs")
        self.user_boring = user_boring
        self.description = f"darcs {self.root}"
        self._check_format()
        self._head = self._inventory_chain()

    def boring(self) -> bytes | None:
        """darcs's boring expressions for the new repository's ``.verfs/boring``
        (verfs/ignore.py): the repository's ``_darcs/prefs/boring`` and the user's
        ``~/.darcs/boring`` (``user_boring``), which darcs reads both, each after a
        line saying where it came from; None if neither exists.  The import itself
        needs none: a darcs patch only ever holds what was added, and the working
        tree of darcs, where boring files are, is never read."""
        parts = []
        for path in (os.path.join(self.darcs, "prefs", "boring"), self.user_boring):
            if path is None:
                continue
            try:
                data = read_small_file(path, None, follow=True)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except NotAFile as exc:
                raise ImportFailed(f"{path}: {exc}") from None
            except OSError as exc:
                raise ImportFailed(f"{path}: cannot be read: {exc.strerror}") from None
            parts.append(b"# from " + os.fsencode(path) + b"\n" + data.rstrip(b"\n") + b"\n")
        return b"".join(parts) if parts else None

    # --- the repository's shape -----------------------------------------------------
    def _check_format(self) -> None:
        if not os.path.isdir(self.darcs):
            raise ImportFailed(f"{self.root}: not a darcs repository (no _darcs directory)")
        path = os.path.join(self.darcs, "format")
        try:
            with open(path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").split()
        except FileNotFoundError:
            kind = "an old-fashioned (pre-2.0)" if os.path.exists(
                os.path.join(self.darcs, "inventory")) else "not a"
            raise ImportFailed(f"{self.root}: {kind} darcs repository (no _darcs/format); "
                               f"only hashed darcs-2 repositories can be imported") from None
        props = {p for line in lines for p in line.split("|")}
        for line in lines:
            if not any(p in _KNOWN for p in line.split("|")):
                raise ImportFailed(self._format_problem(line))
        if "hashed" not in props:
            raise ImportFailed(f"{self.root}: not a hashed darcs repository "
                               f"(_darcs/format lacks 'hashed')")
        if "darcs-2" not in props:          # hashed darcs-1 says only "hashed"
            raise ImportFailed(self._format_problem("darcs-1"))

    def _format_problem(self, prop: str) -> str:
        if prop.startswith("darcs-1"):
            return (f"{self.root}: a darcs-1 repository; only darcs-2 can be imported "
                    f"('darcs convert darcs-2' makes a darcs-2 copy)")
        if prop.startswith("darcs-3"):
            return f"{self.root}: a darcs-3 repository; only darcs-2 can be imported"
        if prop.startswith("rebase-in-progress"):
            return f"{self.root}: a darcs rebase is in progress; finish it first"
        return f"{self.root}: unsupported darcs repository format {prop!r} in _darcs/format"

    def _read(self, sub: str, name: str, what: str) -> bytes:
        """A content-addressed file of ``_darcs/<sub>``, uncompressed and checked."""
        rel = f"_darcs/{sub}/{name}"
        with self._open(sub, name, what) as f:
            raw = f.read()
        try:
            data = _gunzip(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFailed(f"{self.root}: {what} {rel} is corrupt: {exc}") from None
        if not name_matches(name, data):
            raise ImportFailed(f"{self.root}: {what} {rel} is corrupt: its content does not "
                               f"match its name")
        return data

    def _open(self, sub: str, name: str, what: str):
        """A content-addressed file of ``_darcs/<sub>``, opened for reading."""
        if not is_file_name(name):
            raise ImportFailed(f"{self.root}: bad {what} name {name!r}")
        try:
            return open(os.path.join(self.darcs, sub, name), "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise ImportFailed(f"{self.root}: {what} _darcs/{sub}/{name} is missing (a lazy "
                               f"clone?); {_FULL_CLONE}") from None

    def _inventory_chain(self) -> list[tuple[Info, str]]:
        """Every patch (info, file name), oldest first."""
        head = os.path.join(self.darcs, "hashed_inventory")
        try:
            with open(head, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise ImportFailed(f"{self.root}: _darcs/hashed_inventory is missing; not a "
                               f"hashed darcs repository") from None
        try:
            data = _gunzip(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImportFailed(f"{self.root}: _darcs/hashed_inventory is corrupt: {exc}") \
                from None
        inv = self._parse_inventory(data, "_darcs/hashed_inventory")
        # no pristine line means an empty tree to darcs (Inventory.hs peekPristineHash)
        self.pristine = inv.pristine or EMPTY_PRISTINE
        sections = [inv.entries]
        seen = set()
        while inv.parent:
            if inv.parent in seen:
                raise ImportFailed(f"{self.root}: the inventory chain loops at {inv.parent}")
            seen.add(inv.parent)
            name = inv.parent
            inv = self._parse_inventory(self._read("inventories", name, "inventory"),
                                        f"_darcs/inventories/{name}")
            sections.append(inv.entries)
        return [entry for section in reversed(sections) for entry in section]

    def _parse_inventory(self, data: bytes, rel: str):
        try:
            return parse_inventory(data)
        except DarcsFormatError as exc:
            raise ImportFailed(f"{self.root}: cannot read {rel}: {exc}") from None

    # --- the Source protocol --------------------------------------------------------
    def keys(self) -> list[str]:
        return [info.identity for info, _ in self._head]

    def _patch(self, info: Info, name: str) -> tuple[PatchFile, int]:
        """A patch file, parsed as it is decompressed (one may be a hundred
        megabytes of text: it is never held whole) and checked against its name."""
        rel = f"_darcs/patches/{name}"
        label = f"darcs patch {_text(info.name)!r} ({rel})"
        check = NameCheck(name)
        bad = None
        with self._open("patches", name, "patch file") as f:
            chunks = check.passing(_chunks(f))
            try:
                try:
                    patch = parse_patch(chunks)
                except DarcsFormatError as exc:
                    bad = exc
                    for _ in chunks:        # damage is named as such, not as bad syntax
                        pass
            except (OSError, EOFError, zlib.error) as exc:
                raise ImportFailed(f"{self.root}: patch file {rel} is corrupt: {exc}") from None
        if not check.matches():
            raise ImportFailed(f"{self.root}: patch file {rel} is corrupt: its content does "
                               f"not match its name")
        if bad is not None:
            raise ImportFailed(f"{self.root}: cannot read {label}: {bad}")
        if patch.info.identity != info.identity:
            raise ImportFailed(f"{self.root}: {label} holds another patch "
                               f"({_text(patch.info.name)!r}) than its inventory says")
        return patch, check.size

    @staticmethod
    def _prims(patch: PatchFile, store: ObjectStore) -> list:
        """The patch's prims, with the blobs its Binary prims name written to ``store``."""
        for p in patch.prims:
            if isinstance(p, Binary):
                store.put_blob(patch.blobs[p.old])
                store.put_blob(patch.blobs[p.new])
        return list(patch.prims)

    def patches(self, start: int, store: ObjectStore) -> Iterator[Imported]:
        todo = self._head[start:]
        missing = [name for _, name in todo
                   if not os.path.exists(os.path.join(self.darcs, "patches", name))]
        if missing:
            raise ImportFailed(f"{self.root}: {len(missing)} of {len(todo)} patch files are "
                               f"missing (first: _darcs/patches/{missing[0]}; a lazy clone?); "
                               f"{_FULL_CLONE}")
        # First pass: read, check and parse everything, so that no error can come
        # after the first patch was handed over (and the target was touched).
        infos: list[PatchInfo] = []
        kept: list[PatchFile | None] = []
        budget = KEEP_BYTES
        with progress(len(todo), "reading darcs patches") as bar:
            for info, name in todo:
                patch, size = self._patch(info, name)
                try:
                    infos.append(to_patch_info(patch.info))
                except ValueError as exc:
                    raise ImportFailed(f"{self.root}: darcs patch {_text(info.name)!r}: "
                                       f"{exc}") from None
                budget -= size
                kept.append(patch if budget >= 0 else None)
                bar.update(1)
        for (info, name), pinfo, patch in zip(todo, infos, kept, strict=True):
            patch = patch or self._patch(info, name)[0]
            yield Imported(pinfo, self._prims(patch, store))

    def check_final(self, store: ObjectStore, root: str) -> list[str]:
        mine = pristine_hash(store.get_tree, root)
        theirs = self.pristine[-64:]        # old "sized" pristine names: SIZE-SHA256
        if mine != theirs:
            return [f"the imported tree differs from {self.root}'s recorded tree "
                    f"(_darcs/hashed_inventory says pristine {theirs[:12]}, the import "
                    f"gives {mine[:12]})"]
        return []
