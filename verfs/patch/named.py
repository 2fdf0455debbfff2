"""Named patches: an info (name, author, date, comment, metadata) and prims.

A patch's *identity* is the hash of its info's bytes and never changes; its
*representation* is the hash of the whole patch file, which commuting changes.  A tag
is a patch named ``TAG <name>`` with no prims; it depends on every patch before it.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from store.errors import FormatError
from store.ids import hash_bytes

from ..errors import BadText

if TYPE_CHECKING:       # reading a patch's info (verfs log) does not load the prims
    from .prims import Prim

HEADER = b"verfs-patch 1"       # a patch file's first line (verfs/patch/text.py)

TAG_PREFIX = "TAG "
_META_KEY = re.compile(r"[a-z][a-z0-9-]*")
RESERVED = {"name", "author", "date", "comment", "prims"}


def _enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def format_date(moment: datetime) -> str:
    """darcs's date form: 14 digits, UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_date(text: str) -> datetime | None:
    """The moment a 14-digit date names, or None for the odd dates of old patches.
    The usual 14 digits are read by slicing: ``strptime`` would cost an import of
    10,000 commits a second (every version's stamp is its patch's date)."""
    if len(text) == 14 and text.isascii() and text.isdigit():
        try:
            return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]),
                            int(text[10:12]), int(text[12:]), tzinfo=UTC)
        except ValueError:
            pass
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class PatchInfo:
    name: str
    author: str
    date: str
    comment: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        """Refuse what the patch format cannot hold: ``BadText`` (a usage error at the
        command line, a ValueError to the parser reading a stored patch)."""
        for what, text in (("name", self.name), ("author", self.author),
                           ("date", self.date), *(("comment line", c) for c in self.comment)):
            if "\n" in text:
                raise BadText(f"a patch's {what} is one line: {text[:60]!r}")
        if not self.name:
            raise BadText("a patch needs a name")
        keys = [k for k, _ in self.meta]
        if keys != sorted(set(keys)):
            raise BadText("metadata keys must be sorted and unique")
        for key, value in self.meta:
            if not _META_KEY.fullmatch(key) or key in RESERVED or "\n" in value:
                raise BadText(f"bad metadata {key!r}")

    def serialize(self) -> bytes:
        lines = [b"name: " + _enc(self.name), b"author: " + _enc(self.author),
                 b"date: " + _enc(self.date)]
        lines += [_enc(k) + b": " + _enc(v) for k, v in self.meta]
        lines += [b"comment: " + _enc(c) for c in self.comment]
        return b"\n".join(lines) + b"\n"

    @cached_property
    def identity(self) -> str:
        return hash_bytes(self.serialize())

    @property
    def is_tag(self) -> bool:
        return self.name.startswith(TAG_PREFIX)

    @property
    def tag_name(self) -> str | None:
        return self.name[len(TAG_PREFIX):] if self.is_tag else None

    def get_meta(self, key: str) -> str | None:
        return dict(self.meta).get(key)

    @property
    def moment(self) -> datetime | None:
        return parse_date(self.date)


@dataclass(frozen=True)
class Patch:
    info: PatchInfo
    prims: "tuple[Prim, ...]" = field(default=())

    @property
    def identity(self) -> str:
        return self.info.identity

    @property
    def is_tag(self) -> bool:
        return self.info.is_tag


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def read_info(lines: list[bytes]) -> PatchInfo:
    fields: dict[str, str] = {}
    meta: list[tuple[str, str]] = []
    comment: list[str] = []
    for line in lines:
        key, sep, value = line.partition(b": ")
        if not sep:
            raise FormatError(f"bad patch info line {line[:80]!r}")
        k, v = _decoded(key), _decoded(value)
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


def read_patch_info(data: bytes) -> PatchInfo:
    """Only the info of a patch file (its name, author, date...), its prims not read:
    what a log shows of each version.  The bytes are the store's, verified against
    their id; ``read_patch`` checks the whole text."""
    if not data.startswith(HEADER + b"\n"):
        raise FormatError("not a verfs-patch 1 file")
    start = len(HEADER) + 1
    mark = data.find(b"\nprims:\n", start)
    if mark < 0:
        raise FormatError("patch has no info")
    return read_info(data[start:mark].split(b"\n"))
