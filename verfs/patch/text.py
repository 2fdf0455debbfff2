"""The patch file: canonical, human-readable bytes close to darcs's patch text.

::

    verfs-patch 1
    name: add greeting
    author: Ada <ada@example.com>
    date: 20261125082201
    comment: a line of the long comment
    prims:
    hunk ./hello.txt 1
    -old line
    +new line
    move ./a ./b

Every line ends in ``\\n``; the info is the lines between the header and ``prims:``,
and its bytes hash to the patch's identity.  ``read_patch`` accepts only canonical
bytes, so a patch has exactly one representation per content.
"""

import io
import re

from store.errors import FormatError
from store.ids import is_id
from store.names import escape, read_path, unescape, write_path

from .named import HEADER, Patch, PatchInfo, read_info, read_patch_info  # noqa: F401
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

_TOKEN_CHARS = re.compile(rb"\[[^\s]+\]")
_DEC = "utf-8"
_JOIN = 4096


def _dec(data: bytes) -> str:
    return data.decode(_DEC, "surrogateescape")


def write_prim(p: Prim) -> list[bytes]:
    match p:
        case Hunk(path, line, old, new):
            return [b"hunk %s %d" % (write_path(path), line),
                    *(b"-" + x for x in old), *(b"+" + x for x in new)]
        case AddFile(path):
            return [b"addfile " + write_path(path)]
        case RmFile(path):
            return [b"rmfile " + write_path(path)]
        case AddDir(path):
            return [b"adddir " + write_path(path)]
        case RmDir(path):
            return [b"rmdir " + write_path(path)]
        case Move(src, dst):
            return [b"move %s %s" % (write_path(src), write_path(dst))]
        case Binary(path, old, new):
            return [b"binary %s %s %s" % (write_path(path), old.encode(), new.encode())]
        case Replace(path, chars, old, new):
            spec = chars.encode(_DEC, "surrogateescape")    # read with surrogateescape too
            return [b"replace %s [%s] %s %s" % (write_path(path), spec, old, new)]
        case ChangePref(name, old, new):
            return [b"changepref " + escape(name), old, new]
        case Chmod(path, exe):
            return [b"chmod %s %s" % (write_path(path), b"+x" if exe else b"-x")]
        case AddLink(path, target):
            return [b"addlink %s %s" % (write_path(path), escape(target))]
        case RmLink(path, target):
            return [b"rmlink %s %s" % (write_path(path), escape(target))]
    raise TypeError(f"not a prim: {p!r}")


def _write_prims(prims, out):
    """Write the text of ``prims`` to ``out``: a hunk's lines (a hunk may hold a
    million of them) are joined a few thousand at a time, since ``bytes.join`` needs
    a buffer record per piece, which costs more than most lines."""
    for p in prims:
        if isinstance(p, Hunk):
            out.write(b"hunk %s %d\n" % (write_path(p.path), p.line))
            for mark, lines in ((b"-", p.old), (b"+", p.new)):
                sep = b"\n" + mark
                for i in range(0, len(lines), _JOIN):
                    out.write(mark)
                    out.write(sep.join(lines[i:i + _JOIN]))
                    out.write(b"\n")
        else:
            for line in write_prim(p):
                out.write(line)
                out.write(b"\n")
    return out


def write_prims(prims) -> bytes:
    return _write_prims(prims, io.BytesIO()).getvalue()


def _write_patch(patch: Patch, out):
    out.write(HEADER + b"\n" + patch.info.serialize() + b"prims:\n")
    return _write_prims(patch.prims, out)


def write_patch(patch: Patch) -> bytes:
    return _write_patch(patch, io.BytesIO()).getvalue()


def _id(text: bytes) -> str:
    oid = text.decode("ascii", "replace")
    if not is_id(oid):
        raise FormatError(f"not a blob hash: {text[:80]!r}")
    return oid


def _lines_starting(data: bytes, i: int, mark: bytes) -> tuple[list[bytes], int]:
    """The lines from offset ``i`` on that start with ``mark``, without it; the
    offset after them.  (``data`` ends with a newline.)"""
    out = []
    while data.startswith(mark, i):
        end = data.index(b"\n", i)
        out.append(data[i + 1:end])
        i = end + 1
    return out, i


def _read_prim(data: bytes, i: int) -> tuple[Prim, int]:
    """Parse the prim whose line starts at offset ``i`` of ``data`` (which ends with
    a newline); return it and the offset after it."""
    end = data.index(b"\n", i)
    head, after = data[i:end], end + 1
    word, _, rest = head.partition(b" ")
    args = rest.split(b" ")
    try:
        if word == b"hunk":
            path, num = rest.rsplit(b" ", 1)
            old, after = _lines_starting(data, after, b"-")
            new, after = _lines_starting(data, after, b"+")
            line = int(num)
            if line < 1 or num != b"%d" % line:
                raise FormatError(f"bad hunk line number {num!r}")
            return Hunk(read_path(path), line, tuple(old), tuple(new)), after
        if word == b"changepref":
            values = []
            for _ in range(2):
                if after >= len(data):
                    raise FormatError("changepref needs two more lines")
                end = data.index(b"\n", after)
                values.append(data[after:end])
                after = end + 1
            return ChangePref(unescape(rest), *values), after
        if word in _ONE_PATH and len(args) == 1:
            return _ONE_PATH[word](read_path(args[0])), after
        if word == b"move" and len(args) == 2:
            return Move(read_path(args[0]), read_path(args[1])), after
        if word == b"binary" and len(args) == 3:
            return Binary(read_path(args[0]), _id(args[1]), _id(args[2])), after
        if word == b"chmod" and len(args) == 2 and args[1] in (b"+x", b"-x"):
            return Chmod(read_path(args[0]), args[1] == b"+x"), after
        if word in (b"addlink", b"rmlink") and len(args) == 2:
            cls = AddLink if word == b"addlink" else RmLink
            return cls(read_path(args[0]), unescape(args[1])), after
        if word == b"replace" and len(args) == 4 and _TOKEN_CHARS.fullmatch(args[1]):
            return Replace(read_path(args[0]), _dec(args[1][1:-1]), args[2], args[3]), after
    except ValueError as exc:
        raise FormatError(f"malformed prim {head[:80]!r}: {exc}") from exc
    raise FormatError(f"malformed prim {head[:80]!r}")


_ONE_PATH = {b"addfile": AddFile, b"rmfile": RmFile, b"adddir": AddDir, b"rmdir": RmDir}


def read_prims(data: bytes, start: int = 0) -> list[Prim]:
    """The prims written in ``data`` from offset ``start`` on (read in place: the
    text of a big patch is not split into a copy of its lines first)."""
    if len(data) > start and not data.endswith(b"\n"):
        raise FormatError("prims must end with a newline")
    prims, i = [], start
    while i < len(data):
        prim, i = _read_prim(data, i)
        prims.append(prim)
    return prims


def read_patch(data: bytes) -> Patch:
    """Parse a patch file; FormatError unless the bytes are exactly canonical."""
    if not data.startswith(HEADER + b"\n"):
        raise FormatError("not a verfs-patch 1 file")
    start = len(HEADER) + 1
    mark = data.find(b"\nprims:\n", start)
    if mark < 0:
        if not data.startswith(b"prims:\n", start):
            raise FormatError("patch has no prims: line")
        raise FormatError("patch has no info")
    info = read_info(data[start:mark].split(b"\n"))
    patch = Patch(info, tuple(read_prims(data, mark + len(b"\nprims:\n"))))
    same = _Matches(data)
    _write_patch(patch, same)
    if not same.ok or same.pos != len(data):
        raise FormatError("patch is not in canonical form")
    return patch


class _Matches:
    """Takes what a patch's text is written to and compares it with ``data``,
    keeping nothing: the canonical check of a big patch needs no second copy."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.ok = True

    def write(self, piece: bytes) -> None:
        if self.ok and self.data.startswith(piece, self.pos):
            self.pos += len(piece)
        else:
            self.ok = False
