"""Editing a root tree in memory, writing back only what changed (path copying).

``TreeEditor`` loads directories lazily from the store as paths are touched; files
are loaded only when a prim needs their content.  ``commit`` writes the changed
blobs and the trees on the paths to them, and reuses the ids of everything else, so
two states share every untouched subtree.
"""

import dataclasses
import io

from store import DIR, FILE, LINK, ObjectStore, Tree, TreeEntry
from store.ids import new_hasher
from store.names import split_path

from .errors import PatchApplyError


class _File:
    """A file or link entry that has been touched: its content is the blob ``oid``
    until ``lines`` (the content split on ``\\n``) replaces it.  ``fresh``: its blob
    was set since the last commit (not read from the tree)."""

    __slots__ = ("kind", "oid", "size", "exec", "lines", "fresh")

    def __init__(self, kind: str, oid: str | None, size: int, exe: bool = False,
                 lines: list[bytes] | None = None, fresh: bool = False):
        self.kind, self.oid, self.size, self.exec, self.lines = kind, oid, size, exe, lines
        self.fresh = fresh


class _Dir:
    __slots__ = ("entries", "oid", "dirty")

    def __init__(self, entries: dict, oid: str | None):
        self.entries, self.oid, self.dirty = entries, oid, oid is None


def _parent_and_name(path: str) -> tuple[list[str], str]:
    parts = split_path(path)
    if not parts:
        raise PatchApplyError("the root cannot be changed by a prim")
    return parts[:-1], parts[-1]


class TreeEditor:
    """A mutable view of a root tree.  Errors are PatchApplyError, naming the path.

    ``track``: remember the ids each commit writes — every changed directory and
    every file content set since the last commit — for ``produced``."""

    def __init__(self, store: ObjectStore, root: str, track: bool = False):
        self.store = store
        self.root = self._load_dir(root)
        self._made: list[str] | None = [] if track else None

    # --- loading --------------------------------------------------------------------
    def _load_dir(self, oid: str) -> _Dir:
        tree = self.store.get_tree(oid)
        return _Dir({e.name: e for e in tree.entries}, oid)

    def _dir_chain(self, parts: list[str], what: str) -> list[_Dir]:
        """The directories from the root down to ``parts``, loading as needed."""
        chain = [self.root]
        node = self.root
        for i, name in enumerate(parts):
            child = node.entries.get(name)
            if isinstance(child, TreeEntry) and child.kind == DIR:
                child = self._load_dir(child.oid)
                node.entries[name] = child
            if not isinstance(child, _Dir):
                raise PatchApplyError(f"{what}: no directory {'/'.join(parts[:i + 1])!r}")
            chain.append(child)
            node = child
        return chain

    @staticmethod
    def _touch(chain: list[_Dir]) -> None:
        for d in chain:
            d.dirty = True

    def _entry(self, path: str):
        """The entry at ``path`` (TreeEntry, _File or _Dir) or None."""
        parent, name = _parent_and_name(path)
        try:
            chain = self._dir_chain(parent, path)
        except PatchApplyError:
            return None
        return chain[-1].entries.get(name)

    def kind(self, path: str) -> str | None:
        if path == "":
            return DIR
        entry = self._entry(path)
        if entry is None:
            return None
        if isinstance(entry, _Dir):
            return DIR
        return entry.kind

    def _file(self, path: str, kind: str = FILE) -> tuple[list[_Dir], _File]:
        """The touched file at ``path``, for reading or changing its content."""
        parent, name = _parent_and_name(path)
        chain = self._dir_chain(parent, path)
        entry = chain[-1].entries.get(name)
        if isinstance(entry, TreeEntry) and entry.kind == kind:
            entry = _File(entry.kind, entry.oid, entry.size, entry.exec)
            chain[-1].entries[name] = entry
        if not isinstance(entry, _File) or entry.kind != kind:
            raise PatchApplyError(f"no {kind} {path!r}")
        return chain, entry

    # --- files ----------------------------------------------------------------------
    def lines(self, path: str) -> list[bytes]:
        """The file's content split on ``\\n``, as a list the caller may change in
        place; the change is kept (call this only to change the file)."""
        chain, f = self._file(path)
        if f.lines is None:
            f.lines = self.store.get_blob(f.oid).split(b"\n")
        f.oid = None
        self._touch(chain)
        return f.lines

    def read(self, path: str) -> bytes:
        _, f = self._file(path)
        if f.lines is not None:
            return join_lines(f.lines)
        return self.store.get_blob(f.oid)

    def content_id(self, path: str) -> str:
        _, f = self._file(path)
        if f.oid is None:
            h = new_hasher()
            for piece in _pieces(f.lines):
                h.update(piece)
            return h.hexdigest()
        return f.oid

    def set_content_id(self, path: str, oid: str, size: int) -> None:
        chain, f = self._file(path)
        f.oid, f.size, f.lines, f.fresh = oid, size, None, True
        self._touch(chain)

    def is_exec(self, path: str) -> bool:
        return self._file(path)[1].exec

    def set_exec(self, path: str, exe: bool) -> None:
        chain, f = self._file(path)
        f.exec = exe
        self._touch(chain)

    def link_target(self, path: str) -> bytes:
        _, f = self._file(path, LINK)
        return self.store.get_blob(f.oid)

    # --- creating, removing, moving -------------------------------------------------
    def _free_slot(self, path: str) -> tuple[list[_Dir], str]:
        parent, name = _parent_and_name(path)
        chain = self._dir_chain(parent, path)
        if name in chain[-1].entries:
            raise PatchApplyError(f"{path!r} already exists")
        return chain, name

    def create_file(self, path: str) -> None:
        chain, name = self._free_slot(path)
        chain[-1].entries[name] = _File(FILE, None, 0, False, [b""])
        self._touch(chain)

    def create_link(self, path: str, target: bytes) -> None:
        chain, name = self._free_slot(path)
        oid = self.store.put_blob(target)
        chain[-1].entries[name] = _File(LINK, oid, len(target), fresh=True)
        self._touch(chain)

    def create_dir(self, path: str) -> None:
        chain, name = self._free_slot(path)
        chain[-1].entries[name] = _Dir({}, None)
        self._touch(chain)

    def remove(self, path: str, kind: str) -> None:
        """Remove the entry at ``path``, which must be of ``kind``."""
        parent, name = _parent_and_name(path)
        chain = self._dir_chain(parent, path)
        if self.kind(path) != kind:
            raise PatchApplyError(f"no {kind} {path!r} to remove")
        del chain[-1].entries[name]
        self._touch(chain)

    def dir_is_empty(self, path: str) -> bool:
        entry = self._entry(path)
        if isinstance(entry, _Dir):
            return not entry.entries
        return isinstance(entry, TreeEntry) and entry.kind == DIR and entry.size == 0

    def move(self, src: str, dst: str) -> None:
        sparent, sname = _parent_and_name(src)
        if (dst + "/").startswith(src + "/"):
            raise PatchApplyError(f"cannot move {src!r} into itself")
        schain = self._dir_chain(sparent, src)
        if sname not in schain[-1].entries:
            raise PatchApplyError(f"nothing to move at {src!r}")
        dchain, dname = self._free_slot(dst)
        dchain[-1].entries[dname] = schain[-1].entries.pop(sname)
        self._touch(schain)
        self._touch(dchain)

    # --- writing back ---------------------------------------------------------------
    def commit(self) -> str:
        """Write what changed; return the root tree's id."""
        return self._commit_dir(self.root)

    def produced(self) -> list[str]:
        """The ids the commits since the last call wrote (with ``track``), children
        before their directories: everything in the new root that the root before
        did not hold where it is now (moved entries are not written again)."""
        if self._made is None:
            return []
        made, self._made = self._made, []
        return made

    def _commit_dir(self, d: _Dir) -> str:
        if not d.dirty:
            return d.oid
        entries = []
        for name, e in d.entries.items():
            if isinstance(e, _Dir):
                oid = self._commit_dir(e)
                entries.append(TreeEntry(name, DIR, oid, len(e.entries)))
            elif isinstance(e, _File):
                if e.oid is None:
                    data = join_lines(e.lines)
                    e.oid, e.size, e.fresh = self.store.put_blob(data), len(data), True
                if e.fresh:
                    e.fresh = False
                    if self._made is not None:
                        self._made.append(e.oid)
                entries.append(TreeEntry(name, e.kind, e.oid, e.size, e.exec))
            else:       # untouched; a moved one still carries its old name
                entries.append(e if e.name == name else dataclasses.replace(e, name=name))
        d.oid = self.store.put_tree(Tree.build(entries))
        d.dirty = False
        if self._made is not None:
            self._made.append(d.oid)
        return d.oid


_JOIN = 4096


def _pieces(lines: list[bytes]):
    """``b"\\n".join(lines)`` as a few pieces, a few thousand lines each."""
    for i in range(0, len(lines), _JOIN):
        if i:
            yield b"\n"
        yield b"\n".join(lines[i:i + _JOIN])


def join_lines(lines: list[bytes]) -> bytes:
    """``b"\\n".join(lines)``, at half its peak memory for a file of a million lines:
    ``bytes.join`` needs an 80-byte buffer record per piece, more than most lines
    hold, so it joins a few thousand at a time into one growing buffer, whose bytes
    ``getvalue`` hands over without a copy (as verfs/patch/text.py writes hunks)."""
    if len(lines) <= _JOIN:
        return b"\n".join(lines)
    out = io.BytesIO()
    for piece in _pieces(lines):
        out.write(piece)
    return out.getvalue()


def entry_at(store: ObjectStore, root: str, path: str) -> TreeEntry | None:
    """The entry at ``path`` in root tree ``root`` (the root itself for ``""``), or
    None when nothing is there."""
    entry = TreeEntry("/", DIR, root, 0)
    for part in split_path(path):
        if entry.kind != DIR:
            return None
        entry = store.get_tree(entry.oid).get(part)
        if entry is None:
            return None
    return entry
