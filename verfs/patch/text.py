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

from .named import RESERVED, Patch, PatchInfo
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

HEADER = b"verfs-patch 1"
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


def _write_prims(prims, out: io.BytesIO) -> io.BytesIO:
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


def write_patch(patch: Patch) -> bytes:
    out = io.BytesIO()
    out.write(HEADER + b"\n" + patch.info.serialize() + b"prims:\n")
    return _write_prims(patch.prims, out).getvalue()


def _id(text: bytes) -> str:
    oid = text.decode("ascii", "replace")
    if not is_id(oid):
        raise FormatError(f"not a blob hash: {text[:80]!r}")
    return oid


def _read_prim(lines: list[bytes], i: int) -> tuple[Prim, int]:
    """Parse the prim starting at ``lines[i]``; return it and the next index."""
    head = lines[i]
    word, _, rest = head.partition(b" ")
    args = rest.split(b" ")
    try:
        if word == b"hunk":
            path, num = rest.rsplit(b" ", 1)
            j = i + 1
            old, new = [], []
            while j < len(lines) and lines[j][:1] == b"-":
                old.append(lines[j][1:])
                j += 1
            while j < len(lines) and lines[j][:1] == b"+":
                new.append(lines[j][1:])
                j += 1
            line = int(num)
            if line < 1 or num != b"%d" % line:
                raise FormatError(f"bad hunk line number {num!r}")
            return Hunk(read_path(path), line, tuple(old), tuple(new)), j
        if word == b"changepref":
            if i + 2 >= len(lines):
                raise FormatError("changepref needs two more lines")
            return ChangePref(unescape(rest), lines[i + 1], lines[i + 2]), i + 3
        if word in _ONE_PATH and len(args) == 1:
            return _ONE_PATH[word](read_path(args[0])), i + 1
        if word == b"move" and len(args) == 2:
            return Move(read_path(args[0]), read_path(args[1])), i + 1
        if word == b"binary" and len(args) == 3:
            return Binary(read_path(args[0]), _id(args[1]), _id(args[2])), i + 1
        if word == b"chmod" and len(args) == 2 and args[1] in (b"+x", b"-x"):
            return Chmod(read_path(args[0]), args[1] == b"+x"), i + 1
        if word in (b"addlink", b"rmlink") and len(args) == 2:
            cls = AddLink if word == b"addlink" else RmLink
            return cls(read_path(args[0]), unescape(args[1])), i + 1
        if word == b"replace" and len(args) == 4 and _TOKEN_CHARS.fullmatch(args[1]):
            return Replace(read_path(args[0]), _dec(args[1][1:-1]), args[2], args[3]), i + 1
    except ValueError as exc:
        raise FormatError(f"malformed prim {head[:80]!r}: {exc}") from exc
    raise FormatError(f"malformed prim {head[:80]!r}")


_ONE_PATH = {b"addfile": AddFile, b"rmfile": RmFile, b"adddir": AddDir, b"rmdir": RmDir}


def read_prims(data: bytes) -> list[Prim]:
    if data and not data.endswith(b"\n"):
        raise FormatError("prims must end with a newline")
    lines = data.split(b"\n")[:-1] if data else []
    prims, i = [], 0
    while i < len(lines):
        prim, i = _read_prim(lines, i)
        prims.append(prim)
    return prims


def read_info(lines: list[bytes]) -> PatchInfo:
    fields: dict[str, str] = {}
    meta: list[tuple[str, str]] = []
    comment: list[str] = []
    for line in lines:
        key, sep, value = line.partition(b": ")
        if not sep:
            raise FormatError(f"bad patch info line {line[:80]!r}")
        k, v = _dec(key), _dec(value)
        if k == "comment":
            comment.append(v)
        elif k in ("name", "author", "date"):
            if k in fields:
                raise FormatError(f"patch info has two {k} lines")
            fields[k] = v
        elif k in RESERVED:
            raise FormatError(f"bad patch info line {line[:80]!r}")
        else:
            meta.append((k, v))
    try:
        return PatchInfo(fields["name"], fields["author"], fields["date"], tuple(comment),
                         tuple(meta))
    except KeyError as exc:
        raise FormatError(f"patch info lacks {exc.args[0]}") from None
    except ValueError as exc:
        raise FormatError(str(exc)) from None


def read_patch(data: bytes) -> Patch:
    """Parse a patch file; FormatError unless the bytes are exactly canonical."""
    if not data.startswith(HEADER + b"\n"):
        raise FormatError("not a verfs-patch 1 file")
    body = data[len(HEADER) + 1:]
    head, sep, prims = body.partition(b"\nprims:\n")
    if not sep:
        if not body.startswith(b"prims:\n"):
            raise FormatError("patch has no prims: line")
        raise FormatError("patch has no info")
    patch = Patch(read_info(head.split(b"\n")), tuple(read_prims(prims)))
    if write_patch(patch) != data:
        raise FormatError("patch is not in canonical form")
    return patch
