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

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from store import DIR, Tree
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

_SPACE = frozenset(b" \t\n\r\f\v")      # attoparsec's isSpace_w8
_HASH_CHARS = frozenset(b"0123456789abcdef-")
_HASH_LENGTHS = (40, 64, 75)             # Repository/Cache.hs okayHash
EMPTY_PRISTINE = hashlib.sha256(b"").hexdigest()


class DarcsFormatError(ValueError):
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
    if len(name) == 75:
        return name[10] == "-" and name[:10].isdigit() and int(name[:10]) == len(content) \
            and hashlib.sha256(content).hexdigest() == name[11:]
    if len(name) == 64:
        return hashlib.sha256(content).hexdigest() == name
    return len(name) == 40 and hashlib.sha1(content).hexdigest() == name


class _Reader:
    """A position in some bytes, and darcs's parser primitives over them.  Failures
    raise DarcsFormatError; the furthest one is kept for the final message, since a
    backtracking parser otherwise reports only where it gave up."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.furthest: tuple[int, str] = (-1, "")

    def fail(self, what: str) -> DarcsFormatError:
        if self.pos > self.furthest[0]:
            self.furthest = (self.pos, what)
        return DarcsFormatError(what)

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def skip_space(self) -> None:
        d, i, n = self.data, self.pos, len(self.data)
        while i < n and d[i] in _SPACE:
            i += 1
        self.pos = i

    def lex(self, token: bytes) -> bool:
        """Skip white space; consume ``token`` if it is next (else leave the
        position where it was)."""
        save = self.pos
        self.skip_space()
        if self.data.startswith(token, self.pos):
            self.pos += len(token)
            return True
        self.pos = save
        return False

    def expect(self, token: bytes) -> None:
        if not self.lex(token):
            raise self.fail(f"expected {token.decode()!r}")

    def keyword(self, word: bytes) -> bool:
        """``word`` followed by white space or the end (consumed if so)."""
        end = self.pos + len(word)
        if self.data.startswith(word, self.pos) and (
                end == len(self.data) or self.data[end] in _SPACE):
            self.pos = end
            return True
        return False

    def till(self, stop: bytes) -> bytes:
        """The bytes up to (not including) ``stop``, which must follow."""
        end = self.data.find(stop, self.pos)
        if end < 0:
            raise self.fail(f"expected {stop!r}")
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def rest_of_line(self) -> bytes:
        """The bytes up to the next newline or the end (darcs's ``takeTillChar``)."""
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def word(self) -> bytes:
        self.skip_space()
        d, i, n = self.data, self.pos, len(self.data)
        while i < n and d[i] not in _SPACE:
            i += 1
        if i == self.pos:
            raise self.fail("expected a word")
        out = d[self.pos:i]
        self.pos = i
        return out

    def int(self) -> int:
        text = self.word()
        try:
            return int(text)
        except ValueError:
            raise self.fail(f"expected a number, not {text[:20]!r}") from None

    def lines_starting(self, c: int) -> list[bytes]:
        """Consecutive lines that start with byte ``c``, without it (and the newlines
        after them)."""
        out = []
        d, n = self.data, len(self.data)
        while self.pos < n and d[self.pos] == c:
            end = d.find(b"\n", self.pos)
            if end < 0:
                out.append(d[self.pos + 1:])
                self.pos = n
            else:
                out.append(d[self.pos + 1:end])
                self.pos = end + 1
        return out

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
        snippet = self.data[pos:pos + 40].split(b"\n")[0]
        return DarcsFormatError(f"{why} at byte {pos} ({snippet!r})")


# --- info blocks and inventories ------------------------------------------------------

def _read_info(r: _Reader) -> Info:
    r.skip_space()
    if not r.data.startswith(b"[", r.pos):
        raise r.fail("expected a patch info '['")
    r.pos += 1
    name = r.till(b"\n")
    r.pos += 1
    author = r.till(b"*")
    star = r.data[r.pos:r.pos + 2]
    if len(star) < 2:
        raise r.fail("patch info ends after the author")
    r.pos += 2
    start = r.pos
    while r.pos < len(r.data) and r.data[r.pos] not in b"]\n":
        r.pos += 1
    date = r.data[start:r.pos]
    if r.data.startswith(b"\n", r.pos):
        r.pos += 1
    log = r.lines_starting(ord(" "))
    if not r.data.startswith(b"]", r.pos):
        raise r.fail("patch info does not end in ']'")
    r.pos += 1
    return Info(name, author, date, tuple(log), star[1:] != b"*")


def parse_inventory(data: bytes) -> DarcsInventory:
    """``hashed_inventory`` or a file of ``inventories/``."""
    r = _Reader(data)
    pristine = parent = None
    try:
        if data.startswith(b"pristine:"):
            r.pos = len(b"pristine:")
            r.skip_space()
            pristine = r.hash_line("pristine hash")
            r.pos += 1
        if data.startswith(b"Starting with inventory:", r.pos):
            r.pos += len(b"Starting with inventory:")
            r.skip_space()
            parent = r.hash_line("parent inventory name")
            r.pos += 1
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

def parse_patch(data: bytes) -> PatchFile:
    """A file of ``patches/``: ``INFO ['<' INFO* '>'] BODY``."""
    r = _Reader(data)
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
        save = r.pos
        try:
            deps.append(_read_info(r))
        except DarcsFormatError:
            r.pos = save
            r.till(b">")
            r.pos += 1
            return deps


def _items(r: _Reader, blobs: dict) -> list[Prim]:
    """A sequence of repository patches (an FL): as many as parse; their effect."""
    out: list[Prim] = []
    while True:
        save = r.pos
        try:
            out.extend(_item(r, blobs))
        except DarcsFormatError:
            r.pos = save
            return out


def _item(r: _Reader, blobs: dict) -> list[Prim]:
    r.skip_space()
    for open_, close in ((b"{", b"}"), (b"(", b")")):
        if r.data.startswith(open_, r.pos):
            r.pos += 1
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


def _hex(r: _Reader, lines: list[bytes]) -> bytes:
    try:
        return bytes.fromhex(b"".join(lines).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise r.fail("bad hex in a binary patch") from None


def _prim(r: _Reader, blobs: dict) -> Prim:
    r.skip_space()
    if r.keyword(b"hunk"):
        path = r.path()
        line = r.int()
        if not r.data.startswith(b"\n", r.pos):
            return Hunk(path, max(line, 1), (), ())
        r.pos += 1
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
        old = _hex(r, r.lines_starting(ord("*")))
        r.word()                                # "newhex"
        r.skip_space()
        new = _hex(r, r.lines_starting(ord("*")))
        old_id, new_id = hash_bytes(old), hash_bytes(new)
        blobs[old_id], blobs[new_id] = old, new
        return Binary(path, old_id, new_id)
    if r.keyword(b"changepref"):
        name = r.word()
        while r.data.startswith(b" ", r.pos):
            r.pos += 1
        r.pos += 1                              # the newline
        old = r.rest_of_line()
        r.pos += 1
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
