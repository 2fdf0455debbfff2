"""The canonical bytes of trees, versions and inventories.

Each format is plain text with a versioned first line, deterministic to the byte:
the same content always gives the same bytes, hence the same id.  ``parse`` accepts
only canonical bytes (it re-serializes and compares), so one content can never be
stored under two ids.  Blobs are raw bytes and patches are written by
``verfs.patch.text``; docs/FORMAT.md describes every format.
"""

from dataclasses import dataclass
from functools import cached_property

from .errors import FormatError
from .ids import is_id
from .names import check_name, escape, sort_key, unescape

TREE_HEADER = b"verfs-tree 1\n"
VERSION_HEADER = b"verfs-version 1\n"
INVENTORY_HEADER = b"verfs-inventory 1\n"

FILE, DIR, LINK = "file", "dir", "link"
_CODES = {(FILE, False): b"f", (FILE, True): b"x", (LINK, False): b"l", (DIR, False): b"d"}
_KINDS = {code: key for key, code in _CODES.items()}


def _check_id(text: str, what: str) -> str:
    if not is_id(text):
        raise FormatError(f"{what} is not a hash: {text!r}")
    return text


def _canonical(parse, serialize, data: bytes, what: str):
    obj = parse(data)
    if serialize(obj) != data:
        raise FormatError(f"{what} is not in canonical form")
    return obj


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One directory entry.  ``size`` is the blob's length for files and links, and
    the number of entries for directories, so ``stat`` never reads data."""

    name: str
    kind: str
    oid: str
    size: int
    exec: bool = False

    @property
    def is_dir(self) -> bool:
        return self.kind == DIR


@dataclass(frozen=True)
class Tree:
    """A directory: entries sorted by the raw bytes of their names."""

    entries: tuple[TreeEntry, ...]

    @cached_property
    def by_name(self) -> dict[str, TreeEntry]:
        return {e.name: e for e in self.entries}

    def get(self, name: str) -> TreeEntry | None:
        return self.by_name.get(name)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def build(cls, entries) -> "Tree":
        """A tree from entries in any order; checks names and duplicates."""
        entries = list(entries)
        for e in entries:
            check_name(e.name)      # first: a name that has no bytes cannot be sorted
        ordered = sorted(entries, key=lambda e: sort_key(e.name))
        tree = cls(tuple(ordered))
        tree.check()
        return tree

    def check(self) -> None:
        previous = None
        for e in self.entries:
            check_name(e.name)
            key = sort_key(e.name)
            if previous is not None and key <= previous:
                raise FormatError(f"tree entries unsorted or duplicated at {e.name!r}")
            previous = key
            if (e.kind, e.exec) not in _CODES:
                raise FormatError(f"bad entry kind {e.kind!r} for {e.name!r}")
            _check_id(e.oid, "tree entry id")
            if e.size < 0:
                raise FormatError(f"negative size for {e.name!r}")

    def serialize(self) -> bytes:
        parts = [TREE_HEADER]
        for e in self.entries:
            parts.append(b"%s %d %s %s\n" % (
                _CODES[(e.kind, e.exec)], e.size, e.oid.encode(), escape(e.name)))
        return b"".join(parts)

    @classmethod
    def parse(cls, data: bytes) -> "Tree":
        return _canonical(cls._parse, cls.serialize, data, "tree")

    @classmethod
    def _parse(cls, data: bytes) -> "Tree":
        if not data.startswith(TREE_HEADER) or not data.endswith(b"\n"):
            raise FormatError("not a verfs-tree 1 object")
        entries = []
        for line in data[len(TREE_HEADER):].splitlines():
            try:
                code, size, oid, name = line.split(b" ", 3)
                kind, exe = _KINDS[code]
                entries.append(TreeEntry(unescape(name), kind, oid.decode(), int(size), exe))
            except (ValueError, KeyError, UnicodeDecodeError) as exc:
                raise FormatError(f"bad tree line {line[:80]!r}") from exc
        tree = cls(tuple(entries))
        tree.check()
        return tree


EMPTY_TREE = Tree(())


@dataclass(frozen=True, slots=True)
class Version:
    """One state of a repository: its latest patch (a representation id), the parent
    version (None for the first patch), and — only on the first version after a tag —
    the inventory that tag closed.  About two hashes on disk."""

    patch: str
    parent: str | None = None
    inventory: str | None = None

    def serialize(self) -> bytes:
        out = VERSION_HEADER + b"patch %s\n" % self.patch.encode()
        if self.parent:
            out += b"parent %s\n" % self.parent.encode()
        if self.inventory:
            out += b"inventory %s\n" % self.inventory.encode()
        return out

    @classmethod
    def parse(cls, data: bytes) -> "Version":
        return _canonical(cls._parse, cls.serialize, data, "version")

    @classmethod
    def _parse(cls, data: bytes) -> "Version":
        fields = _fields(data, VERSION_HEADER, "verfs-version 1")
        if set(fields) - {"patch", "parent", "inventory"} or "patch" not in fields:
            raise FormatError("a version has a patch and optionally parent and inventory")
        return cls(
            _check_id(fields["patch"], "patch"),
            fields.get("parent") and _check_id(fields["parent"], "parent"),
            fields.get("inventory") and _check_id(fields["inventory"], "inventory"),
        )


@dataclass(frozen=True, slots=True)
class Inventory:
    """A closed stretch of history: the patches since the previous inventory
    (identity, representation), oldest first, the parent inventory, and the root tree
    at its end — the shortcut that bounds how far reconstruction walks back."""

    tree: str
    patches: tuple[tuple[str, str], ...]
    parent: str | None = None

    def serialize(self) -> bytes:
        out = [INVENTORY_HEADER]
        if self.parent:
            out.append(b"parent %s\n" % self.parent.encode())
        out.append(b"tree %s\n" % self.tree.encode())
        for identity, rep in self.patches:
            out.append(b"patch %s %s\n" % (identity.encode(), rep.encode()))
        return b"".join(out)

    @classmethod
    def parse(cls, data: bytes) -> "Inventory":
        return _canonical(cls._parse, cls.serialize, data, "inventory")

    @classmethod
    def _parse(cls, data: bytes) -> "Inventory":
        if not data.startswith(INVENTORY_HEADER):
            raise FormatError("not a verfs-inventory 1 object")
        parent = tree = None
        patches = []
        try:
            for line in data[len(INVENTORY_HEADER):].decode("ascii").splitlines():
                key, _, rest = line.partition(" ")
                if key == "parent":
                    parent = _check_id(rest, "parent")
                elif key == "tree":
                    tree = _check_id(rest, "tree")
                elif key == "patch":
                    identity, rep = rest.split(" ")
                    patches.append((_check_id(identity, "identity"), _check_id(rep, "patch")))
                else:
                    raise FormatError(f"unknown inventory line {line[:80]!r}")
        except (UnicodeDecodeError, ValueError) as exc:
            raise FormatError(f"bad inventory: {exc}") from exc
        if tree is None:
            raise FormatError("inventory without a tree line")
        return cls(tree, tuple(patches), parent)


def _fields(data: bytes, header: bytes, what: str) -> dict[str, str]:
    if not data.startswith(header):
        raise FormatError(f"not a {what} object")
    fields: dict[str, str] = {}
    try:
        for line in data[len(header):].decode("ascii").splitlines():
            key, _, value = line.partition(" ")
            if key in fields:
                raise FormatError(f"{what}: {key} given twice")
            fields[key] = value
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what}: not ASCII") from exc
    return fields
