"""Applying prims to a tree, checking each one's context.

darcs checks contexts with type-level witnesses; here ``apply`` checks them at run
time — a hunk's old lines must be there, a removed file must be empty, a binary's
old blob must be the current content — and raises PatchApplyError otherwise.  That
is what makes ``invert`` and ``commute`` testable against a real tree.
"""

from store import BLOB, DIR, EMPTY_BLOB, FILE, LINK, ObjectStore

from ..errors import PatchApplyError
from ..trees import TreeEditor
from .prims import (
    AddDir,
    AddFile,
    AddLink,
    Binary,
    ChangePref,
    Chmod,
    Hunk,
    Move,
    Prim,
    Replace,
    RmDir,
    RmFile,
    RmLink,
)
from .tokens import replace_tokens


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def apply_prim(ed: TreeEditor, p: Prim) -> None:
    match p:
        case Hunk(path, line, old, new):
            if ed.kind(path) != FILE:
                raise PatchApplyError(f"hunk on {path!r}, which is not a file")
            if line < 1:
                raise PatchApplyError(f"hunk at line {line} of {path!r}: lines count from 1")
            if not old and not new:
                # an empty hunk changes nothing, and commutes with anything on its file
                # keeping its line number (as in darcs): so only the file is its context
                return
            lines = ed.lines(path)
            i = line - 1
            if i + len(old) > len(lines) or lines[i:i + len(old)] != list(old):
                raise PatchApplyError(f"hunk does not match {path!r} at line {line}")
            lines[i:i + len(old)] = new
            if not lines:
                # b"" is one empty line to whoever reads the file next, whether or not
                # the editor commits in between (darcs empties a file this way)
                lines.append(b"")
        case AddFile(path):
            ed.create_file(path)
        case RmFile(path):
            if ed.kind(path) != FILE:
                raise PatchApplyError(f"rmfile: no file {path!r}")
            if ed.content_id(path) != EMPTY_BLOB or ed.is_exec(path):
                raise PatchApplyError(f"rmfile: {path!r} is not an empty plain file")
            ed.remove(path, FILE)
        case AddDir(path):
            ed.create_dir(path)
        case RmDir(path):
            if ed.kind(path) != DIR or not ed.dir_is_empty(path):
                raise PatchApplyError(f"rmdir: {path!r} is not an empty directory")
            ed.remove(path, DIR)
        case Move(src, dst):
            ed.move(src, dst)
        case Binary(path, old, new):
            if ed.kind(path) != FILE or ed.content_id(path) != old:
                raise PatchApplyError(f"binary: {path!r} is not the expected content")
            if not ed.store.contains(BLOB, old):
                # content edited by earlier prims is not stored yet; the inverse needs it
                ed.store.put_blob(ed.read(path))
            ed.set_content_id(path, new, ed.store.blob_size(new))
        case Replace(path, chars, old, new):
            if ed.kind(path) != FILE:
                raise PatchApplyError(f"replace on {path!r}, which is not a file")
            lines = ed.lines(path)
            out = replace_tokens(b"\n".join(lines), chars, old, new)
            if out is None:
                raise PatchApplyError(f"replace: {path!r} already holds the token {new!r}")
            lines[:] = out.split(b"\n")
        case ChangePref():
            pass
        case Chmod(path, exe):
            if ed.kind(path) != FILE or ed.is_exec(path) == exe:
                raise PatchApplyError(f"chmod: {path!r} is not a file with the exec bit "
                                      f"{'off' if exe else 'on'}")
            ed.set_exec(path, exe)
        case AddLink(path, target):
            ed.create_link(path, _enc(target))
        case RmLink(path, target):
            if ed.kind(path) != LINK or ed.link_target(path) != _enc(target):
                raise PatchApplyError(f"rmlink: no link {path!r} to {target!r}")
            ed.remove(path, LINK)
        case _:
            raise TypeError(f"not a prim: {p!r}")


def apply_prims(ed: TreeEditor, prims) -> None:
    for p in prims:
        apply_prim(ed, p)


def apply_to_tree(store: ObjectStore, root: str, prims) -> str:
    """The root tree after applying ``prims`` to ``root`` (a pure function of the two:
    the store only gains objects)."""
    ed = TreeEditor(store, root)
    apply_prims(ed, prims)
    return ed.commit()
