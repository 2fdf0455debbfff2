"""Hostile bytes into every parser: only typed errors come out.

Each parser of outside bytes — darcs patches and inventories, verfs's patch text,
the store's tree, version and inventory objects, and what is read from ``git`` —
is given arbitrary bytes and mutations of valid inputs (flipped bytes, truncations,
inserted newlines, non-UTF-8 bytes, deleted and repeated stretches).  Whatever the
bytes, it either parses or raises its typed error (``FormatError``, of which
``DarcsFormatError`` is one, or ``ImportFailed``); a ``ValueError``, ``IndexError``,
``RecursionError`` or ``UnicodeDecodeError`` would be a traceback at the command
line.  Each finding is kept as an ``@example``.

The number of examples comes from a hypothesis profile: ``verfs-fuzz`` (the
default, a few seconds for the file) or ``verfs-fuzz-long`` (``VERFS_FUZZ=long``,
for a search worth the wait).
"""

import gzip
import hashlib
import io
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from store import MemoryStore
from store.errors import FormatError
from store.objects import Inventory, Tree, Version
from verfs.errors import ImportFailed
from verfs.importers import git_read
from verfs.importers.darcs import DarcsSource
from verfs.importers.darcs_format import (
    DarcsFormatError,
    NameCheck,
    name_matches,
    parse_inventory,
    parse_patch,
)
from verfs.patch.named import Patch, PatchInfo
from verfs.patch.prims import (
    AddDir,
    AddFile,
    AddLink,
    Binary,
    ChangePref,
    Chmod,
    Hunk,
    Move,
    Replace,
    RmDir,
    RmFile,
    RmLink,
)
from verfs.patch.text import read_patch, read_prims, write_patch

settings.register_profile("verfs-fuzz", max_examples=150, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("verfs-fuzz-long", max_examples=5_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings.get_profile("verfs-fuzz-long" if os.environ.get("VERFS_FUZZ") == "long"
                            else "verfs-fuzz")

# --- valid inputs, to be damaged --------------------------------------------------------

H1 = "1" * 40
H2 = "2" * 40
SHA = hashlib.sha256(b"x").hexdigest()
INFO = b"[a [bracketed] name\nA <a@example.com>**20261125082201\n Ignore-this: 42\n \n x\n] "
DEP = b"[dep\nB**20261125082201\n Ignore-this: 1\n] "
DARCS_PATCHES = [
    INFO + b"adddir ./dir\\32\\one\nrmdir ./gone\nmove ./a ./odd\\9\\name\\92\\x\n"
    b"hunk ./f 2\n-old\n-\n+new\r\n+\nreplace ./r [A-Za-z-] new-x newer-y\n"
    b"binary ./b\noldhex\n*\nnewhex\n*4249\n*4e00\nchangepref test\n\ntrue\n"
    b"hunk ./nb\\160\\sp 1\n+x",
    INFO + b"\n<\n" + DEP + b"\n" + DEP + b"\n> addfile ./d.txt\nhunk ./d.txt 1\n+dep",
    INFO + b"{\naddfile ./a\n(\naddfile ./b\n)\n}\naddfile ./c",
    INFO + b"conflictor {{\nhunk ./h 1\n+c\n:\naddfile ./h\n}} [\nhunk ./g 1\n-line 0\n"
    b"+line 0 (main)\naddfile ./x\n]\nhunk ./g 1\n-q\n+r\n:\nhunk ./g 1\n-line 0\n+side",
    INFO + b"duplicate\nhunk ./s 1\n-same\nrmfile ./s\n:\naddfile ./s\n"
    b"etacilpud\n:\nbinary ./b\noldhex\n*00\nnewhex\n*01\naddfile ./t",
    b"[old\nX*-20030101000000] rmfile ./f",
    b"[TAG v1\nT**20261125082201\n Ignore-this: 2\n] \n<\n" + DEP + b"\n>",
]
NAME75 = "0000000005-" + "ab" * 32
DARCS_INVENTORIES = [
    f"pristine:{'ab' * 32}\nStarting with inventory:\n{NAME75}\n".encode()
    + INFO + f"\nhash: {NAME75}\n".encode() + DEP + f"\nhash: {'cd' * 32}\n".encode(),
    f"pristine:{'ab' * 32}\n".encode(),
    INFO + f"\nhash: {H1}\n".encode(),
]
EVERY_PRIM = (
    AddDir("d"), AddFile("d/f x"), Hunk("d/f x", 1, (), (b"a", b"", b"\xff b")),
    Hunk("d/f x", 2, (b"",), ()), Move("d/f x", "g\tname\\"), Binary("g\tname\\", SHA, SHA),
    Replace("g\tname\\", "A-Za-z", b"a", b"b"), ChangePref("test", b"", b"true"),
    Chmod("g\tname\\", True), AddLink("l", "../t a"), RmLink("l", "../t a"),
    RmFile("\udcff"), RmDir("d"),
)
VERFS_PATCHES = [
    write_patch(Patch(PatchInfo("name", "A <a@example.com>", "20261125082201",
                                ("comment", ""), (("darcs-hash", H1),)), EVERY_PRIM)),
    write_patch(Patch(PatchInfo("tiny", "A", "20261125082201"), ())),
]
TREES = [
    Tree.build([]).serialize(),
    b"verfs-tree 1\n" + b"".join(
        b"%s %d %s %s\n" % (code, size, SHA.encode(), name) for code, size, name in (
            (b"d", 2, b"a\\32\\dir"), (b"f", 3, b"b"), (b"l", 4, b"c\xff"), (b"x", 0, b"d"))),
]
VERSIONS = [b"verfs-version 1\npatch %s\n" % SHA.encode(),
            b"verfs-version 1\npatch %s\nparent %s\ninventory %s\n" % ((SHA.encode(),) * 3)]
INVENTORIES = [b"verfs-inventory 1\nparent %s\ntree %s\npatch %s %s\n" % ((SHA.encode(),) * 4),
               b"verfs-inventory 1\ntree %s\n" % SHA.encode()]

LOG = (b"commit " + H1.encode() + b"\nAda\nada@example.com\n1700000000\nfirst\n\nbody\n\0"
       b"\n:000000 100644 " + b"0" * 40 + b" " + H2.encode() + b" A\0a b.txt\0"
       b":100644 100755 " + H2.encode() + b" " + H2.encode() + b" R100\0a b.txt\0c\xff\0"
       b"commit " + H2.encode() + b"\nB\nb@example.com\n1700000001\nsecond\n\0")
LS_TREE = (b"100644 blob " + H1.encode() + b"\ta b\x00120000 blob " + H2.encode() + b"\tl\0"
           b"160000 commit " + H2.encode() + b"\tsub\xff\0")
REFS = b"\0".join([b"v1", b"tag", H1.encode(), b"T", b"<t@x>", b"1700000000", b"", b"",
                   b"", b"msg\n-----BEGIN PGP", b"-----BEGIN PGP", b"\nv2", b"commit",
                   H2.encode(), b"", b"", b"", b"C", b"<c@x>", b"1700000001", b"", b"", b""])
BLOBS = b"%s blob 3\nabc\n%s blob 0\n\n" % (H1.encode(), H2.encode())


# --- damage ---------------------------------------------------------------------------

@st.composite
def damaged(draw, seeds: list[bytes]) -> bytes:
    """One of ``seeds`` with a few random injuries."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "cut", "newline", "insert", "delete",
                                     "repeat", "non-utf8"]))
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "newline":
            data[at:at] = b"\n"
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "non-utf8":
            data[at:at] = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\0"]))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 64))]
    return bytes(data)


def inputs(seeds: list[bytes]):
    return st.one_of(st.binary(max_size=300), damaged(seeds))


def only(errors, fn, *args):
    """``fn(*args)``, where any failure must be one of ``errors``."""
    try:
        return fn(*args)
    except errors:
        return None


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


# --- darcs ----------------------------------------------------------------------------

@FUZZ
@given(inputs(DARCS_PATCHES), st.lists(st.integers(0, 10_000), max_size=8),
       st.integers(1, 64))
@example(INFO + b"{" * 2000, [], 1)                      # RecursionError
@example(INFO + b"duplicate " * 1000, [], 1)
@example(INFO + b"conflictor {{ " * 1000, [], 1)
def test_darcs_patches(data, cuts, window):
    """Also: the same bytes in chunks (as a file is decompressed), read through a
    small window, mean the same."""
    whole = only(DarcsFormatError, parse_patch, data)
    pieces = only(DarcsFormatError, parse_patch, iter(chunked(data, cuts)), window)
    assert pieces == whole


@FUZZ
@given(inputs(DARCS_INVENTORIES))
def test_darcs_inventories(data):
    only(DarcsFormatError, parse_inventory, data)


@FUZZ
@given(st.text(max_size=80), st.binary(max_size=40))
def test_darcs_names(name, content):
    check = NameCheck(name)
    check.update(content)
    assert check.matches() == name_matches(name, content)


# --- verfs's own text -----------------------------------------------------------------

@FUZZ
@given(inputs(VERFS_PATCHES))
def test_verfs_patches(data):
    patch = only(FormatError, read_patch, data)
    assert patch is None or write_patch(patch) == data


@FUZZ
@given(inputs([p[p.index(b"prims:\n") + 7:] for p in VERFS_PATCHES]))
def test_verfs_prims(data):
    only(FormatError, read_prims, data)


@pytest.mark.parametrize("kind, seeds", [(Tree, TREES), (Version, VERSIONS),
                                         (Inventory, INVENTORIES)],
                         ids=["tree", "version", "inventory"])
@FUZZ
@given(draw=st.data())
def test_store_objects(kind, seeds, draw):
    data = draw.draw(inputs(seeds), label="data")
    obj = only(FormatError, kind.parse, data)
    assert obj is None or obj.serialize() == data


# --- git's output ---------------------------------------------------------------------

@FUZZ
@given(inputs([LOG]), st.integers(1, 64))
@example(LOG.replace(b":000000 100644", b":000000 10x644"), 64)          # ValueError
@example(LOG.replace(b" " + H2.encode() + b" A", b" \xff" + H1.encode()[1:] + b" A"), 64)
@example(LOG.replace(b"commit " + H1.encode(), b"commit \xff"), 64)     # a bad commit id
def test_git_log(data, chunk):
    only(ImportFailed, lambda: list(git_read.parse_log(
        git_read.tokens(io.BufferedReader(io.BytesIO(data)), chunk))))


@FUZZ
@given(inputs([LS_TREE]))
@example(b"100644 blob\ta\0")                                          # ValueError
@example(b"10064x blob " + H1.encode() + b"\ta\0")                      # ValueError
@example(b"100644 blob \xff" + H1.encode()[1:] + b"\ta\0")              # UnicodeDecodeError
def test_git_ls_tree(data):
    only(ImportFailed, git_read.parse_ls_tree, data)


@FUZZ
@given(inputs([REFS]), inputs([b"%s commit\n" % H2.encode()]))
@example(REFS, b"")                                                     # zip(strict) ValueError
def test_git_refs(data, peeled):
    refs = only(ImportFailed, git_read.parse_refs, data)
    if refs:
        asked = [r[2] for r in refs if r[1] == "tag"]
        got = only(ImportFailed, git_read.parse_peeled, asked, peeled) or {}
        git_read.tag_refs(refs, got)


@FUZZ
@given(inputs([BLOBS]))
@example(BLOBS.replace(b"blob 3", b"blob x"))                           # ValueError
@example(BLOBS.replace(H1.encode(), b"\xff" + H1.encode()[1:]))          # UnicodeDecodeError
@example(BLOBS.replace(b"blob 3", b"blob " + b"9" * 5000))              # int's digit limit
def test_git_cat_file(data):
    out = io.BufferedReader(io.BytesIO(data))
    for sha in (H1, H2):
        if only(ImportFailed, git_read.read_blob, out, sha) is None:
            break


def test_the_seeds_are_valid():
    """Damage means something only if the undamaged inputs parse."""
    for data in DARCS_PATCHES:
        parse_patch(data)
    for data in DARCS_INVENTORIES:
        parse_inventory(data)
    for data in VERFS_PATCHES:
        read_patch(data)
    for data in TREES:
        Tree.parse(data)
    for data in VERSIONS:
        Version.parse(data)
    for data in INVENTORIES:
        Inventory.parse(data)
    commits = list(git_read.parse_log(git_read.tokens(io.BufferedReader(io.BytesIO(LOG)))))
    assert [len(c.changes) for c in commits] == [2, 0]
    assert len(git_read.parse_ls_tree(LS_TREE)) == 3
    refs = git_read.parse_refs(REFS)
    tags = git_read.tag_refs(refs, git_read.parse_peeled([H1], b"%s commit\n" % H2.encode()))
    assert [(t.name, t.commit, t.message) for t in tags] == [("v1", H2, "msg\n"),
                                                              ("v2", H2, "")]
    out = io.BufferedReader(io.BytesIO(BLOBS))
    assert [git_read.read_blob(out, s) for s in (H1, H2)] == [b"abc", b""]


@pytest.mark.parametrize("seed", DARCS_PATCHES)
def test_darcs_patches_byte_by_byte(seed):
    """A window that moves one byte at a time still reads every form the same."""
    assert parse_patch(iter([seed[i:i + 1] for i in range(len(seed))])) == parse_patch(seed)


# --- a darcs repository's files, through the importer ----------------------------------

def _darcs_repo(root, inventory: bytes, patches: list[bytes], gz: list[bool]) -> None:
    """A hashed darcs-2 repository by hand: the patches under their darcs names
    (``SIZE-SHA256`` of the text), gzipped or not, listed after ``inventory``."""
    darcs = root / "_darcs"
    (darcs / "patches").mkdir(parents=True)
    (darcs / "format").write_bytes(b"hashed\ndarcs-2\n")
    listed = inventory
    for text, zipped in zip(patches, gz, strict=True):
        name = f"{len(text):010d}-{hashlib.sha256(text).hexdigest()}"
        (darcs / "patches" / name).write_bytes(gzip.compress(text) if zipped else text)
        info = text[:text.find(b"] ") + 1] if b"] " in text else text
        listed += info + b"\nhash: " + name.encode() + b"\n"
    (darcs / "hashed_inventory").write_bytes(listed)


@FUZZ
@given(st.lists(inputs(DARCS_PATCHES), min_size=1, max_size=2), st.booleans(),
       inputs([b"pristine:" + b"ab" * 32 + b"\n"]), st.sampled_from(["plain", "gz", "cut"]),
       st.sampled_from([None, 10, 30, -9, -1]))
@example([DARCS_PATCHES[0]], False, b"pristine:", "cut", None)   # EOFError: gzip cut short
def test_darcs_repositories(tmp_path_factory, patches, zipped, inventory, head_as, cut):
    """Damaged patch files under their right names, damaged inventories, gzipped
    files cut short: the importer says ImportFailed, nothing else."""
    root = tmp_path_factory.mktemp("darcs")
    _darcs_repo(root, inventory, patches, [zipped] * len(patches))
    head = root / "_darcs" / "hashed_inventory"
    if head_as != "plain":
        data = gzip.compress(head.read_bytes())
        head.write_bytes(data[:len(data) // 2] if head_as == "cut" else data)
    if cut is not None:
        victim = next((root / "_darcs" / "patches").iterdir())
        victim.write_bytes(victim.read_bytes()[:cut])
    try:
        source = DarcsSource(str(root))
        list(source.patches(0, MemoryStore()))
    except ImportFailed:
        pass
