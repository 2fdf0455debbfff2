"""The remote layout's files, as bytes: built and parsed here, read and written
elsewhere (store/remote/store.py).  Pure functions; anything that does not hold
together is a FormatError, never a guess.  The layout is in docs/FORMAT.md, "Remote
stores".

Keys below the remote's prefix:

- ``verfs-remote``: ``MARKER``, written once (the remote holds a verfs store);
- ``head``: ``<64 hex>\\n``, or ``\\n`` for an empty history;
- ``tags``: the tag references, ``TAGS_HEADER`` then ``<name> <64 hex>\\n`` lines, sorted
  (absent: none); written conditionally, as ``head``;
- ``manifest``: the packs and tables beyond loose objects, one line each (grows only);
- ``packs/<name>.pack``: exactly a local pack (store/pack.py), ``name`` its SHA-256;
- ``packs/<name>.fan``: the fan-out of that pack's index (``Fan``), so that finding
  an object is one ranged GET of an index slice;
- ``objects/<kind>/<id>``: a loose object, exactly a loose file's bytes;
- ``tables/<name>.tab``: derived-cache entries of one area, bucketed by the first
  byte of their key (``TableHeader``).
"""

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ..base import KINDS
from ..diskcache import seal, unseal
from ..errors import FormatError
from ..ids import is_id
from ..pack import CODES, RECORD, TRAILER, parse_trailer  # noqa: F401 - a remote pack's trailer
from ..pack import HEADER as PACK_HEADER

MARKER_KEY, HEAD_KEY, MANIFEST_KEY, TAGS_KEY = "verfs-remote", "head", "manifest", "tags"
MARKER = b"verfs-remote 1\n"
MANIFEST_HEADER = b"verfs-manifest 1\n"
TAGS_HEADER = b"verfs-tags 1\n"
TAG_NAME_MAX = 255      # bytes of a tag's name in the remote's table
FAN_HEADER = b"verfs-fan 1\n"
TABLE_HEADER = b"verfs-table 1\n"
HISTORY, STATES = "history", "states"       # the roles of packs
ROLES = (HISTORY, STATES)
_DIGEST = 32
_COUNTS = struct.Struct(">256I")
_TAIL = struct.Struct(">QQ")
TABLE_BUCKETS = 4096      # a table's buckets: by the first three hex digits of the key
_ENDS = struct.Struct(f">{TABLE_BUCKETS}Q")
_LENGTH = struct.Struct(">Q")
FAN_SIZE = len(FAN_HEADER) + len(KINDS) * _COUNTS.size + _TAIL.size + _DIGEST
# The kinds in the order their records come in a pack's index (by code byte).
_CODE_ORDER = sorted(KINDS, key=lambda k: CODES[k])
_KIND_OF = {code: kind for kind, code in CODES.items()}


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- key names ------------------------------------------------------------------------
def pack_key(name: str) -> str:
    return f"packs/{_name(name)}.pack"


def fan_key(name: str) -> str:
    return f"packs/{_name(name)}.fan"


def table_key(name: str) -> str:
    return f"tables/{_name(name)}.tab"


def object_key(kind: str, oid: str) -> str:
    if kind not in KINDS:
        raise FormatError(f"no kind {kind!r}")
    return f"objects/{kind}/{_name(oid)}"


def _name(name: str) -> str:
    if not is_id(name):
        raise FormatError(f"not a file name of the remote layout: {name!r}")
    return name


# --- head -------------------------------------------------------------------------------
def format_head(vid: str | None) -> bytes:
    return (_name(vid) if vid is not None else "").encode() + b"\n"


def parse_head(data: bytes) -> str | None:
    """The version ``head`` names, or None for an empty history."""
    text = data.decode("ascii", "replace")
    if text == "\n":
        return None
    if not (text.endswith("\n") and is_id(text[:-1])):
        raise FormatError(f"the remote's head is not a version id: {data[:80]!r}")
    return text[:-1]


# --- tags -------------------------------------------------------------------------------
def format_tags(tags: dict[str, str]) -> bytes:
    """The remote's tag table: every name with its version, sorted by name."""
    return TAGS_HEADER + "".join(f"{_tag_name(n)} {_name(v)}\n"
                                 for n, v in sorted(tags.items())).encode("ascii")


def parse_tags(data: bytes) -> dict[str, str]:
    """The tag table's names and versions.  Names are only checked to be one word of
    printable ASCII here: the repository writing one as a tag reference checks it as
    its own names (verfs/heads.py)."""
    out: dict[str, str] = {}
    last = None
    for line in _body(data, TAGS_HEADER, "tag table"):
        words = line.split(" ")
        if not (len(words) == 2 and _is_tag_name(words[0]) and is_id(words[1])
                and (last is None or words[0] > last)):
            raise FormatError(f"the remote's tags have a bad line: {line[:80]!r}")
        out[words[0]] = words[1]
        last = words[0]
    return out


def _is_tag_name(name: str) -> bool:
    return bool(name) and len(name) <= TAG_NAME_MAX and name.isascii() \
        and name.isprintable() and " " not in name


def _tag_name(name: str) -> str:
    if not _is_tag_name(name):
        raise FormatError(f"not a tag name of the remote layout: {name!r}")
    return name


# --- the manifest -----------------------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    """What the manifest lists: packs by role, tables by area (each sorted)."""

    packs: tuple[tuple[str, str], ...] = ()     # (role, name)
    tables: tuple[tuple[str, str], ...] = ()    # (area, name)

    def pack_names(self, role: str | None = None) -> list[str]:
        return [n for r, n in self.packs if role is None or r == role]

    def table_names(self, area: str) -> list[str]:
        return [n for a, n in self.tables if a == area]


def pack_line(role: str, name: str) -> str:
    if role not in ROLES:
        raise FormatError(f"no pack role {role!r}")
    return f"pack {role} {_name(name)}"


def table_line(area: str, name: str) -> str:
    if not _is_area(area):
        raise FormatError(f"not an area name: {area!r}")
    return f"table {area} {_name(name)}"


def _is_area(area: str) -> bool:
    return bool(area) and area.isascii() and area.isprintable() and " " not in area


def _body(data: bytes, header: bytes, what: str) -> list[str]:
    """The lines after ``header`` of one of the remote's small text files (its
    ``what``: "manifest", "tag table"), each ended by a newline, ASCII only."""
    if not data.startswith(header) or not data.endswith(b"\n"):
        raise FormatError(f"the remote's {what} is not a verfs {what}")
    try:
        text = data[len(header):].decode("ascii")
    except UnicodeDecodeError:
        raise FormatError(f"the remote's {what} is not ASCII") from None
    return text.split("\n")[:-1]


def _lines(data: bytes) -> list[str]:
    return _body(data, MANIFEST_HEADER, "manifest")


def parse_manifest(data: bytes) -> Manifest:
    packs, tables = [], []
    for line in _lines(data):
        words = line.split(" ")
        if len(words) == 3 and words[0] == "pack" and words[1] in ROLES and is_id(words[2]):
            packs.append((words[1], words[2]))
        elif len(words) == 3 and words[0] == "table" and _is_area(words[1]) \
                and is_id(words[2]):
            tables.append((words[1], words[2]))
        else:
            raise FormatError(f"the remote's manifest has a bad line: {line[:80]!r}")
    return Manifest(tuple(sorted(set(packs))), tuple(sorted(set(tables))))


def add_lines(data: bytes | None, lines: Iterable[str]) -> bytes:
    """The manifest ``data`` (None: none yet) with ``lines`` added: every line once,
    sorted.  Lines are checked by parsing the result."""
    old = _lines(data) if data is not None else []
    out = MANIFEST_HEADER + "".join(f"{line}\n" for line in sorted(set(old) | set(lines))
                                    ).encode("ascii")
    parse_manifest(out)
    return out


# --- fans -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fan:
    """Where the index records of each (kind, first byte) are in a pack.

    ``counts[kind][b]`` is the number of index records up to and including those of
    ``kind`` whose id starts with byte ``b`` — positions in the whole index, whose
    records are sorted by kind code then id — so kind ``k``'s records of byte ``b``
    are ``index[counts[k][b-1] .. counts[k][b])``, ``counts[k][-1]`` being where the
    kind's records begin (the end of the kind before it in code order, or 0)."""

    counts: dict[str, tuple[int, ...]]
    index_offset: int
    count: int

    def records(self, kind: str, first: int) -> tuple[int, int]:
        """``(start, end)`` record numbers of kind's records whose id starts with
        byte ``first``."""
        counts = self.counts[kind]
        return (self.kind_start(kind) if first == 0 else counts[first - 1]), counts[first]

    def kind_start(self, kind: str) -> int:
        i = _CODE_ORDER.index(kind)
        return self.counts[_CODE_ORDER[i - 1]][255] if i else 0

    def byte_range(self, start: int, end: int) -> tuple[int, int]:
        """``(offset, length)`` in the pack of records ``start .. end``."""
        return self.index_offset + start * RECORD.size, (end - start) * RECORD.size


def build_fan(index: bytes, index_offset: int) -> bytes:
    """The fan of a pack whose index (``count`` records of ``RECORD.size`` bytes,
    sorted) is ``index`` and starts at ``index_offset`` in the pack."""
    count = len(index) // RECORD.size
    per: dict[tuple[bytes, int], int] = {}
    for code, raw, _, _ in RECORD.iter_unpack(index):
        per[(code, raw[0])] = per.get((code, raw[0]), 0) + 1
    counts, total = {}, 0
    for kind in _CODE_ORDER:
        row = []
        for b in range(256):
            total += per.get((CODES[kind], b), 0)
            row.append(total)
        counts[kind] = row
    body = FAN_HEADER + b"".join(_COUNTS.pack(*counts[k]) for k in KINDS) + \
        _TAIL.pack(index_offset, count)
    return body + _sha(body)


def parse_fan(data: bytes) -> Fan:
    if len(data) != FAN_SIZE or not data.startswith(FAN_HEADER):
        raise FormatError("not a verfs fan")
    body, check = data[:-_DIGEST], data[-_DIGEST:]
    if _sha(body) != check:
        raise FormatError("a fan whose checksum does not match")
    at = len(FAN_HEADER)
    counts = {}
    for kind in KINDS:
        counts[kind] = _COUNTS.unpack(data[at:at + _COUNTS.size])
        at += _COUNTS.size
    index_offset, count = _TAIL.unpack(data[at:at + _TAIL.size])
    last = 0
    for kind in _CODE_ORDER:
        for n in counts[kind]:
            if n < last:
                raise FormatError("a fan whose counts go down")
            last = n
    if last != count or index_offset < len(PACK_HEADER):
        raise FormatError("a fan whose counts do not add up to its pack's")
    return Fan(counts, index_offset, count)


def parse_slice(data: bytes, kind: str, first: int) -> dict[str, tuple[int, int]]:
    """The records of an index slice: id → (offset, length) in the pack.  Every
    record must be of ``kind``, start with byte ``first`` and come in order; a slice
    that does not is a FormatError (the objects it names are verified anyway)."""
    if len(data) % RECORD.size:
        raise FormatError("an index slice of a bad length")
    out, last = {}, b""
    for code, raw, offset, length in RECORD.iter_unpack(data):
        if code != CODES[kind] or raw[0] != first or raw <= last or offset < len(PACK_HEADER):
            raise FormatError("an index slice whose records are out of place")
        last = raw
        out[raw.hex()] = (offset, length)
    return out


def parse_index(data: bytes) -> dict[str, list[str]]:
    """Every id of a whole index, by kind (records of unknown kinds refused)."""
    if len(data) % RECORD.size:
        raise FormatError("an index of a bad length")
    out: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for code, raw, _, _ in RECORD.iter_unpack(data):
        kind = _KIND_OF.get(code)
        if kind is None:
            raise FormatError("an index record of no kind")
        out[kind].append(raw.hex())
    return out


# --- tables -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TableHeader:
    area: str
    ends: tuple[int, ...]       # TABLE_BUCKETS end offsets of the buckets, from the body
    body_length: int
    size: int                   # bytes of the header: where the body starts

    def bucket(self, first: int) -> tuple[int, int]:
        """``(offset, length)`` in the file of bucket ``first`` (``bucket_of``)."""
        start = self.ends[first - 1] if first else 0
        return self.size + start, self.ends[first] - start


def table_header_size(area: str) -> int:
    return len(TABLE_HEADER) + len(area.encode()) + 1 + _ENDS.size + _LENGTH.size + _DIGEST


def bucket_of(key: str) -> int:
    """The bucket of a key: the first three hex digits of the id it is.  4,096
    buckets, not 256: a cold listing asks the stamps of each of its entries, a bucket
    each, and a stamps table of 76,000 objects is 7 MiB — 30 KiB a bucket of 256, 2 KiB
    of 4,096 (for a header of 32 KiB, read once)."""
    if not is_id(key):
        raise FormatError(f"a table key that is not an id: {key[:80]!r}")
    return int(key[:3], 16)


def build_table(area: str, entries: dict[str, str]) -> bytes:
    if not _is_area(area):
        raise FormatError(f"not an area name: {area!r}")
    buckets: list[list[bytes]] = [[] for _ in range(TABLE_BUCKETS)]
    for key in sorted(entries):
        value = entries[key]
        if not value or not value.isprintable():
            raise FormatError(f"a table value that is not one printable line: {value[:80]!r}")
        buckets[bucket_of(key)].append(seal(area, key, value).encode() + b"\n")
    ends, at = [], 0
    for lines in buckets:
        at += sum(len(line) for line in lines)
        ends.append(at)
    head = TABLE_HEADER + area.encode() + b"\n" + _ENDS.pack(*ends) + _LENGTH.pack(at)
    return head + _sha(head) + b"".join(b"".join(lines) for lines in buckets)


def parse_table_header(data: bytes, area: str) -> TableHeader:
    """The header at the start of ``data`` (at least ``table_header_size(area)``
    bytes) of a table of ``area``."""
    size = table_header_size(area)
    intro = TABLE_HEADER + area.encode() + b"\n"
    if len(data) < size or not data.startswith(intro):
        raise FormatError(f"not a verfs table of {area}")
    head, check = data[:size - _DIGEST], data[size - _DIGEST:size]
    if _sha(head) != check:
        raise FormatError("a table header whose checksum does not match")
    ends = _ENDS.unpack(data[len(intro):len(intro) + _ENDS.size])
    (length,) = _LENGTH.unpack(data[len(intro) + _ENDS.size:size - _DIGEST])
    last = 0
    for end in ends:
        if end < last:
            raise FormatError("a table whose buckets go backwards")
        last = end
    if last != length:
        raise FormatError("a table whose buckets do not add up to its body")
    return TableHeader(area, ends, length, size)


def parse_bucket(area: str, first: int, data: bytes) -> tuple[dict[str, str], int]:
    """The intact entries of a bucket's lines, and how many lines were dropped (not
    one line, another bucket's key, or a check that does not match)."""
    found, bad = {}, 0
    if not data:
        return found, bad
    lines = data.split(b"\n")
    if lines[-1]:
        bad += 1        # cut short: the last line has no end
    for raw in lines[:-1]:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            continue
        key = line.partition(" ")[0]
        value, why = unseal(area, key, line) if is_id(key) else (None, "no key")
        if why is not None or int(key[:3], 16) != first:
            bad += 1
            continue
        found[key] = value
    return found, bad
