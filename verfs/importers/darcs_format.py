"""darcs-2 "hashed" repository files, parsed into verfs's terms (no I/O here).

Follows ``darcs-format.md`` (checked against darcs 2.16) and darcs's own parsers
(``Patch/Info.hs`` ``readPatchInfo``, ``Repository/Inventory.hs``, ``Patch/Named.hs``
``readNamed``, ``Patch/V2/RepoPatch.hs``, ``Patch/V2/Non.hs``, ``Prim/V1/Read.hs``).
The parser is a small backtracking recursive descent, shaped like darcs's attoparsec
one so that the same bytes mean the same thing: a list of items ends where the next
item fails to parse, and the caller then decides whether what follows is allowed.

What a patch *does* is its effect (``RepoPatchV2`` ``effect``): a prim is itself, a
``conflictor`` undoes its bracketed prims, a ``rotcilfnoc`` applies them, and
``duplicate``/``etacilpud`` do nothing.  The context (``Non``) parts of the wrappers
only matter to darcs's commutation; they are parsed and dropped.

Paths are decoded with ``store.names.read_path`` (darcs's ``\\<code point>\\`` escapes
are verfs's own).  Binary contents become blob ids (a blob's id is the SHA-256 of its
bytes) with the bytes kept beside them for the caller to store.
"""

import binascii
import hashlib
import io
import itertools
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from store import DIR, Tree
from store.errors import FormatError
from store.ids import hash_bytes
from store.names import read_path

from ..patch.prims import (
    AddDir,
    AddFile,
    Binary,
    ChangePref,
    Hunk,
    Move,
    Prim,
    Replace,
    RmDir,
    RmFile,
    invert_all,
)

_WHITE = b" \t\n\r\f\v"
_SPACE = frozenset(_WHITE)               # attoparsec's isSpace_w8
_HASH_CHARS = frozenset(b"0123456789abcdef-")
_HASH_LENGTHS = (40, 64, 75)             # Repository/Cache.hs okayHash
EMPTY_PRISTINE = hashlib.sha256(b"").hexdigest()
_CHUNK = 1 << 20                         # a stream is read at least this much at a time
MAX_DEPTH = 64                           # darcs nests a few levels; recursion has a limit


class DarcsFormatError(FormatError):
    """Bytes that should be a darcs inventory or patch are not one."""


@dataclass(frozen=True)
class Info:
    """A patch's info block, as raw bytes (the identity is computed over them)."""

    name: bytes
    author: bytes
    date: bytes
    log: tuple[bytes, ...]
    inverted: bool

    @property
    def identity(self) -> str:
        """darcs's patch hash (``makePatchname``): the same in every repository."""
        flag = b"t" if self.inverted else b"f"
        return hashlib.sha1(self.name + self.author + self.date + b"".join(self.log)
                            + flag).hexdigest()

    @property
    def is_tag(self) -> bool:
        return self.name.startswith(b"TAG ")


@dataclass(frozen=True)
class DarcsInventory:
    """One inventory file: the head one has ``pristine``; ``parent`` names the file
    in ``inventories/`` holding the earlier patches; entries run oldest first."""

    pristine: str | None
    parent: str | None
    entries: tuple[tuple[Info, str], ...]


@dataclass
class PatchFile:
    """A parsed patch file: its info, explicit dependencies, the effect on the tree as
    verfs prims, and the bytes behind each blob id a Binary prim names."""

    info: Info
    deps: list[Info]
    prims: list[Prim]
    blobs: dict[str, bytes] = field(default_factory=dict)


def is_file_name(name: str) -> bool:
    """Whether an inventory's reference can name a file in ``patches/`` or
    ``inventories/``: darcs's hash shapes only, so no reference leaves its directory."""
    return len(name) in _HASH_LENGTHS and all(c in _HASH_CHARS for c in name.encode())


def name_matches(name: str, content: bytes) -> bool:
    """darcs's own check of a content-addressed file (``Cache.hs`` ``checkHash``):
    ``SIZE-SHA256``, a bare SHA-256, or (very old) a SHA-1 of the uncompressed bytes."""
    check = NameCheck(name)
    check.update(content)
    return check.matches()


class NameCheck:
    """``name_matches`` over bytes as they stream past (``passing``): a big patch is
    checked without being held whole."""

    def __init__(self, name: str):
        self.name = name
        self.size = 0
        self._hash = hashlib.sha1() if len(name) == 40 else hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._hash.update(chunk)

    def passing(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.update(chunk)
            yield chunk

    def matches(self) -> bool:
        name, digest = self.name, self._hash.hexdigest()
        if len(name) == 75:
            size = name[:10]
            return name[10] == "-" and size.isascii() and size.isdigit() \
                and int(size) == self.size and digest == name[11:]
        return len(name) in (40, 64) and digest == name


class _Reader:
    """A position in some bytes, and darcs's parser primitives over them.  Failures
    raise DarcsFormatError; the furthest one is kept for the final message, since a
    backtracking parser otherwise reports only where it gave up.

    The bytes may come as a stream of chunks (a big patch, decompressed as it is
    read): positions are then absolute, and only a window from the current position
    is kept — or from an older one a caller ``hold``s to come back to.  ``_items``
    needs no hold: it backtracks only to the first non-space byte of an item that
    failed, and when that item consumed enough for the window to move past it, what
    follows cannot parse anyway (an item never starts with the ``}``, ``)``, ``:`` or
    end that may follow a list of items), so ``back`` to a dropped position fails."""

    def __init__(self, data: bytes, more: Iterable[bytes] = (), window: int = _CHUNK):
        self.buf = data         # the window: the bytes from absolute position `base` on
        self.base = 0
        self.pos = 0
        self.window = window    # the least read at a time
        self.depth = 0          # of nested lists of items (hostile input nests deep)
        self._more = iter(more)
        self._open = True
        self._holds: list[int] = []
        self.furthest: tuple[int, str] = (-1, "")

    # --- the window -----------------------------------------------------------------
    @property
    def end(self) -> int:
        """The absolute end of what has been read so far."""
        return self.base + len(self.buf)

    def _fill(self) -> bool:
        """Read at least as much again as the window holds (so a window that must
        grow grows geometrically); drop what no position can come back to.  False
        once the stream is done."""
        if not self._open:
            return False
        keep = min([self.pos, *self._holds])
        keep = max(self.base, min(keep, self.end))
        parts = [self.buf[keep - self.base:]]
        want, got = max(self.window, len(parts[0])), 0
        for chunk in self._more:
            parts.append(chunk)
            got += len(chunk)
            if got >= want:
                break
        else:
            self._open = False
        self.buf, self.base = b"".join(parts), keep
        return got > 0

    def _ensure(self, n: int) -> None:
        """Have the ``n`` bytes from the position read (unless the input ends)."""
        while self.pos + n > self.end and self._fill():
            pass

    def find(self, stop: bytes) -> int:
        """The absolute position of ``stop`` at or after the position, or -1."""
        start = self.pos
        while True:
            i = self.buf.find(stop, start - self.base)
            if i >= 0:
                return self.base + i
            start = max(self.pos, self.end - len(stop) + 1)
            if not self._fill():
                return -1

    def take(self, end: int) -> bytes:
        """The bytes from the position to ``end`` (read already); move to ``end``."""
        out = self.buf[self.pos - self.base:end - self.base]
        self.pos = end
        return out

    def hold(self) -> int:
        """Keep the bytes from here on until ``release``; the position to go ``back`` to."""
        self._holds.append(self.pos)
        return self.pos

    def release(self) -> None:
        self._holds.pop()

    def back(self, pos: int) -> None:
        if pos < self.base:
            raise self.fail("cannot parse what follows")
        self.pos = pos

    # --- darcs's primitives ---------------------------------------------------------
    def fail(self, what: str) -> DarcsFormatError:
        if self.pos > self.furthest[0]:
            self.furthest = (self.pos, what)
        return DarcsFormatError(what)

    def at_end(self) -> bool:
        self._ensure(1)
        return self.pos >= self.end

    def startswith(self, token: bytes) -> bool:
        self._ensure(len(token))
        return self.buf.startswith(token, self.pos - self.base)

    def peek(self, n: int) -> bytes:
        self._ensure(n)
        return self.buf[self.pos - self.base:self.pos - self.base + n]

    def skip(self, n: int = 1) -> None:
        """Move past ``n`` bytes, or to the end."""
        self._ensure(n)
        self.pos = min(self.pos + n, self.end)

    def skip_space(self) -> None:
        while True:
            d, i, n = self.buf, self.pos - self.base, len(self.buf)
            while i < n and d[i] in _SPACE:
                i += 1
            self.pos = self.base + i
            if i < n or not self._fill():
                return

    def lex(self, token: bytes) -> bool:
        """Skip white space; consume ``token`` if it is next (else leave the
        position where it was)."""
        save = self.hold()
        try:
            self.skip_space()
            if self.startswith(token):
                self.pos += len(token)
                return True
            self.pos = save
            return False
        finally:
            self.release()

    def expect(self, token: bytes) -> None:
        if not self.lex(token):
            raise self.fail(f"expected {token.decode()!r}")

    def keyword(self, word: bytes) -> bool:
        """``word`` followed by white space or the end (consumed if so)."""
        ahead = self.peek(len(word) + 1)
        if ahead.startswith(word) and (len(ahead) == len(word) or ahead[-1] in _SPACE):
            self.pos += len(word)
            return True
        return False

    def till(self, stop: bytes) -> bytes:
        """The bytes up to (not including) ``stop``, which must follow."""
        end = self.find(stop)
        if end < 0:
            raise self.fail(f"expected {stop!r}")
        return self.take(end)

    def rest_of_line(self) -> bytes:
        """The bytes up to the next newline or the end (darcs's ``takeTillChar``)."""
        end = self.find(b"\n")
        return self.take(self.end if end < 0 else end)

    def word(self) -> bytes:
        self.skip_space()
        at = self.pos                           # absolute, as the window may move
        while True:
            d, i, n = self.buf, at - self.base, len(self.buf)
            while i < n and d[i] not in _SPACE:
                i += 1
            at = self.base + i
            if i < n or not self._fill():
                break
        if at == self.pos:
            raise self.fail("expected a word")
        return self.take(at)

    def int(self) -> int:
        text = self.word()
        try:
            return int(text)
        except ValueError:
            raise self.fail(f"expected a number, not {text[:20]!r}") from None

    def lines_starting(self, c: int) -> list[bytes]:
        """Consecutive lines that start with byte ``c``, without it (and the newlines
        after them)."""
        return list(self.each_line_starting(c))

    def each_line_starting(self, c: int) -> Iterator[bytes]:
        """``lines_starting``, one line at a time (a binary's hex is decoded as it
        comes)."""
        while True:
            self._ensure(1)
            d, base = self.buf, self.base
            i, n = self.pos - base, len(d)
            while i < n and d[i] == c:          # the lines wholly in the window
                end = d.find(b"\n", i)
                if end < 0:
                    break
                self.pos = base + end + 1
                yield d[i + 1:end]
                i = end + 1
            if i >= n:
                if self._fill():
                    continue
                return
            if d[i] != c:
                return
            end = self.find(b"\n")              # a line that runs past the window
            self.pos += 1
            if end < 0:
                yield self.take(self.end)
                return
            yield self.take(end)
            self.pos += 1

    def path(self) -> str:
        raw = self.word()
        try:
            return read_path(raw)
        except ValueError as exc:
            raise self.fail(f"bad path {raw[:80]!r}: {exc}") from None

    def hash_line(self, what: str) -> str:
        line = self.rest_of_line().strip()
        name = line.decode("ascii", "replace")
        if not is_file_name(name):
            raise self.fail(f"bad {what} {line[:80]!r}")
        return name

    def error(self, what: str) -> DarcsFormatError:
        """The message for a parse that went wrong: the furthest failure, or ``what``."""
        pos, why = self.furthest
        if pos < 0:
            pos, why = self.pos, what
        if pos < self.base:
            return DarcsFormatError(f"{why} at byte {pos}")
        snippet = self.buf[pos - self.base:pos - self.base + 40].split(b"\n")[0]
        return DarcsFormatError(f"{why} at byte {pos} ({snippet!r})")


# --- info blocks and inventories ------------------------------------------------------

def _read_info(r: _Reader) -> Info:
    r.skip_space()
    if not r.startswith(b"["):
        raise r.fail("expected a patch info '['")
    r.skip()
    name = r.till(b"\n")
    r.skip()
    author = r.till(b"*")
    star = r.peek(2)
    if len(star) < 2:
        raise r.fail("patch info ends after the author")
    r.skip(2)
    line_end = r.find(b"\n")               # the date ends at ']' or the line's end
    line_end = r.end if line_end < 0 else line_end
    close = r.buf.find(b"]", r.pos - r.base, line_end - r.base)
    date = r.take(line_end if close < 0 else r.base + close)
    if r.startswith(b"\n"):
        r.skip()
    log = r.lines_starting(ord(" "))
    if not r.startswith(b"]"):
        raise r.fail("patch info does not end in ']'")
    r.skip()
    return Info(name, author, date, tuple(log), star[1:] != b"*")


def parse_inventory(data: bytes) -> DarcsInventory:
    """``hashed_inventory`` or a file of ``inventories/``."""
    r = _Reader(data)
    pristine = parent = None
    try:
        if r.startswith(b"pristine:"):
            r.skip(len(b"pristine:"))
            r.skip_space()
            pristine = r.hash_line("pristine hash")
            r.skip()
        if r.startswith(b"Starting with inventory:"):
            r.skip(len(b"Starting with inventory:"))
            r.skip_space()
            parent = r.hash_line("parent inventory name")
            r.skip()
        entries = []
        while True:
            r.skip_space()
            if r.at_end():
                break
            info = _read_info(r)
            r.expect(b"hash:")
            r.skip_space()
            entries.append((info, r.hash_line("patch file name")))
    except DarcsFormatError:
        raise r.error("not an inventory") from None
    return DarcsInventory(pristine, parent, tuple(entries))


# --- patch files ----------------------------------------------------------------------

def parse_patch(data: bytes | Iterable[bytes], window: int = _CHUNK) -> PatchFile:
    """A file of ``patches/``: ``INFO ['<' INFO* '>'] BODY``.  ``data`` is the bytes,
    or chunks of them as they are decompressed: a patch of a hundred megabytes is
    then parsed holding little more than what it means (its lines, its blobs), in a
    window of at least ``window`` bytes."""
    if isinstance(data, bytes):
        r = _Reader(data, window=window)
    else:
        r = _Reader(b"", data, window)
    blobs: dict[str, bytes] = {}
    try:
        info = _read_info(r)
        deps = _read_deps(r)
        prims = _items(r, blobs)
        r.skip_space()
        if not r.at_end():
            raise r.fail("unexpected text in the patch body")
    except DarcsFormatError:
        raise r.error("not a patch") from None
    prims = [p for p in prims if not (isinstance(p, Hunk) and p.empty)]
    used = {oid for p in prims if isinstance(p, Binary) for oid in (p.old, p.new)}
    return PatchFile(info, deps, prims, {k: v for k, v in blobs.items() if k in used})


def _read_deps(r: _Reader) -> list[Info]:
    if not r.lex(b"<"):
        return []
    deps = []
    while True:
        save = r.hold()
        try:
            deps.append(_read_info(r))
        except DarcsFormatError:
            r.back(save)
            r.release()
            r.till(b">")
            r.skip()
            return deps
        r.release()


def _items(r: _Reader, blobs: dict) -> list[Prim]:
    """A sequence of repository patches (an FL): as many as parse; their effect."""
    if r.depth >= MAX_DEPTH:
        raise r.fail("patches nested too deeply")
    out: list[Prim] = []
    r.depth += 1
    try:
        while True:
            r.skip_space()      # what may follow the list skips it too (see _Reader)
            save = r.pos
            try:
                out.extend(_item(r, blobs))
            except DarcsFormatError:
                r.back(save)
                return out
    finally:
        r.depth -= 1


def _item(r: _Reader, blobs: dict) -> list[Prim]:
    r.skip_space()
    for open_, close in ((b"{", b"}"), (b"(", b")")):
        if r.startswith(open_):
            r.skip()
            inner = _items(r, blobs)
            r.expect(close)
            return inner
    if r.keyword(b"duplicate") or r.keyword(b"etacilpud"):
        _non(r, blobs)
        return []
    for word, undo in ((b"conflictor", True), (b"rotcilfnoc", False)):
        if r.keyword(word):
            _nons(r, blobs)
            r.expect(b"[")
            prims = []
            while not r.lex(b"]"):
                prims.append(_prim(r, blobs))
            _non(r, blobs)
            return invert_all(prims) if undo else prims
    return [_prim(r, blobs)]


def _non(r: _Reader, blobs: dict) -> None:
    """A prim with its context (``Non``): no effect of its own."""
    _items(r, blobs)
    r.expect(b":")
    _prim(r, blobs)


def _nons(r: _Reader, blobs: dict) -> None:
    if not r.lex(b"{{"):
        return
    while not r.lex(b"}}"):
        _non(r, blobs)


def _hex(r: _Reader, lines: Iterable[bytes]) -> bytes:
    """The bytes a binary's ``*`` lines spell, decoded a megabyte at a time.  White
    space is ignored wherever it is (darcs writes none; Python's ``fromhex``, used
    before, allowed it only between pairs)."""
    out, pending, size, carry = io.BytesIO(), [], 0, b""
    try:
        for line in itertools.chain(lines, [None]):
            if line is not None:
                pending.append(line)
                size += len(line)
                if size < r.window:
                    continue
            text = carry + b"".join(pending).translate(None, _WHITE)
            cut = len(text) & ~1
            out.write(binascii.unhexlify(text[:cut]))
            carry, pending, size = text[cut:], [], 0
    except binascii.Error:
        raise r.fail("bad hex in a binary patch") from None
    if carry:
        raise r.fail("odd number of hex digits in a binary patch")
    return out.getvalue()


def _prim(r: _Reader, blobs: dict) -> Prim:
    r.skip_space()
    if r.keyword(b"hunk"):
        path = r.path()
        line = r.int()
        if not r.startswith(b"\n"):
            return Hunk(path, max(line, 1), (), ())
        r.skip()
        r.lines_starting(ord(" "))            # context: only in bundles
        old = r.lines_starting(ord("-"))
        new = r.lines_starting(ord("+"))
        r.lines_starting(ord(" "))
        if line < 1 and (old or new):
            raise r.fail(f"hunk at line {line}")
        return Hunk(path, max(line, 1), tuple(old), tuple(new))
    for word, cls in ((b"addfile", AddFile), (b"rmfile", RmFile), (b"adddir", AddDir),
                      (b"rmdir", RmDir)):
        if r.keyword(word):
            return cls(r.path())
    if r.keyword(b"move"):
        return Move(r.path(), r.path())
    if r.keyword(b"replace"):
        path = r.path()
        chars = r.word()
        if len(chars) < 3 or not chars.startswith(b"[") or not chars.endswith(b"]"):
            raise r.fail(f"bad token characters {chars[:40]!r}")
        old, new = r.word(), r.word()
        return Replace(path, chars[1:-1].decode("utf-8", "surrogateescape"), old, new)
    if r.keyword(b"binary"):
        path = r.path()
        r.word()                                # "oldhex"
        r.skip_space()
        old = _hex(r, r.each_line_starting(ord("*")))
        r.word()                                # "newhex"
        r.skip_space()
        new = _hex(r, r.each_line_starting(ord("*")))
        old_id, new_id = hash_bytes(old), hash_bytes(new)
        blobs[old_id], blobs[new_id] = old, new
        return Binary(path, old_id, new_id)
    if r.keyword(b"changepref"):
        name = r.word()
        while r.startswith(b" "):
            r.skip()
        r.skip()                                # the newline
        old = r.rest_of_line()
        r.skip()
        new = r.rest_of_line()
        return ChangePref(name.decode("utf-8", "surrogateescape"), old, new)
    raise r.fail("expected a primitive patch")


# --- pristine.hashed ------------------------------------------------------------------

def _is_space(c: str) -> bool:
    """Haskell's ``isSpace``, which darcs's ``encodeWhite`` uses: the Latin-1 white
    space and the Unicode space separators (Python's ``isspace`` says more)."""
    return c in " \t\n\r\f\v\xa0" or (c > "\xff" and unicodedata.category(c) == "Zs")


def escape_name(name: str) -> bytes:
    """A name as darcs writes it (``encodeWhite``)."""
    return "".join(f"\\{ord(c)}\\" if c == "\\" or _is_space(c) else c
                   for c in name).encode("utf-8", "surrogateescape")


def pristine_hash(get_tree: Callable[[str], Tree], tree_id: str,
                  memo: dict[str, str] | None = None) -> str:
    """The hash darcs gives the tree ``tree_id`` in ``pristine.hashed`` (the head
    inventory's ``pristine:`` line).  A file's darcs hash is the SHA-256 of its
    content, which is its verfs blob id; a directory's is the SHA-256 of its listing:
    ``file:``/``directory:``, escaped name, hash, sorted by the raw bytes of the names
    (as verfs trees are)."""
    memo = {} if memo is None else memo
    known = memo.get(tree_id)
    if known is not None:
        return known
    parts = []
    for e in get_tree(tree_id).entries:
        if e.kind == DIR:
            parts += [b"directory:\n", escape_name(e.name), b"\n",
                      pristine_hash(get_tree, e.oid, memo).encode(), b"\n"]
        else:
            parts += [b"file:\n", escape_name(e.name), b"\n", e.oid.encode(), b"\n"]
    memo[tree_id] = hashlib.sha256(b"".join(parts)).hexdigest()
    return memo[tree_id]
