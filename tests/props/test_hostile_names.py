"""Names from outside, at the parsers: whatever escapes the tree is refused, and
whatever else is kept byte for byte.

A darcs patch, a verfs patch or a tree object can spell a path that leaves the
repository (``..``, an absolute path, an empty component) or a name that no file
system entry can have (``/`` or NUL inside it, raw or through darcs's
``\\<code point>\\`` escapes): each is a typed error where it is parsed, before any
tree is built from it.  Names that are odd but legal — newlines, tabs, bytes that
are not UTF-8 — are escaped in every text format, so they survive a round trip and
never break a line.  (``.verfs`` is refused by the importers and checkout, not here.)
"""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import FILE, Tree, TreeEntry
from store.errors import FormatError
from verfs.importers.darcs_format import DarcsFormatError, parse_patch
from verfs.patch.named import Patch, PatchInfo
from verfs.patch.prims import AddFile, Hunk, Move
from verfs.patch.text import read_patch, write_patch

INFO = b"[n\nA <a@example.com>**20261125082201\n Ignore-this: 1\n] "
SHA = hashlib.sha256(b"").hexdigest()

ESCAPING = [
    b"../x", b"./../x", b"./a/../../x", b"./a/..", b"./.", b"/etc/passwd", b"./",
    b"./a//b", b"./a/", b".//a", b"x",
    b"./a\\47\\b",              # '/' inside a name, escaped
    b"./\\46\\\\46\\",          # '..', escaped
    b"./\\46\\",                # '.', escaped
    b"./a\\0\\b",               # NUL, escaped
    b"./a\0b",                  # NUL, raw
    b"./a\\1114112\\",          # no such code point
    b"./a\\55296\\",            # a lone surrogate: no bytes spell it
]


@pytest.mark.parametrize("path", ESCAPING)
def test_darcs_paths_that_escape_are_refused(path):
    for body in (b"addfile " + path, b"adddir " + path, b"hunk " + path + b" 1\n+x",
                 b"move ./a " + path, b"move " + path + b" ./a"):
        with pytest.raises(DarcsFormatError, match="bad path|path does not|at byte"):
            parse_patch(INFO + body)


@pytest.mark.parametrize("path", ESCAPING)
def test_verfs_paths_that_escape_are_refused(path):
    good = write_patch(Patch(PatchInfo("n", "A", "20261125082201"), (AddFile("a"),)))
    with pytest.raises(FormatError):
        read_patch(good.replace(b"addfile ./a", b"addfile " + path))


@pytest.mark.parametrize("name", [b"..", b".", b"a\\47\\b", b"\\46\\\\46\\", b"a\\0\\b",
                                  b"a\0b", b"\\0\\"])
def test_tree_names_that_escape_are_refused(name):
    with pytest.raises(FormatError):
        Tree.parse(b"verfs-tree 1\nf 0 %s %s\n" % (SHA.encode(), name))


ODD = [("a\nb", b"./a\\10\\b"), ("tab\there", b"./tab\\9\\here"), ("cr\r", b"./cr\\13\\"),
       ("caf\udce9", b"./caf\xe9"), ("\udcff\udcfe", b"./\xff\xfe"),
       ("nb\xa0sp", b"./nb\xc2\xa0sp"), ("back\\slash", b"./back\\92\\slash"),
       ("dir/in a\nline", b"./dir/in\\32\\a\\10\\line")]


@pytest.mark.parametrize(("name", "darcs"), ODD)
def test_odd_names_are_kept_byte_for_byte(name, darcs):
    """darcs's spelling gives the name; verfs's patch text and tree objects keep it
    on one line and give it back unchanged."""
    p = parse_patch(INFO + b"addfile " + darcs + b"\nhunk " + darcs + b" 1\n+x")
    assert p.prims == [AddFile(name), Hunk(name, 1, (), (b"x",))]
    text = write_patch(Patch(PatchInfo("n", "A", "20261125082201"), tuple(p.prims)))
    assert text.count(b"\n") == 8          # header, 3 info, prims:, 2 prims, a hunk line
    assert read_patch(text).prims == tuple(p.prims)
    base = name.rpartition("/")[2]
    tree = Tree.build([TreeEntry(base, FILE, SHA, 0)])
    data = tree.serialize()
    assert data.count(b"\n") == 2 and Tree.parse(data) == tree


NAMES = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(
    ["\udc80", "\udcff", "/", ".", "\0", "\n", " ", "\\"]), min_size=1, max_size=12)


@given(st.lists(NAMES, min_size=1, max_size=3))
def test_any_path_is_refused_or_round_trips(parts):
    """Through ``write_patch`` and ``read_patch``: a path is either refused as a
    whole, or comes back equal — never changed on the way."""
    path = "/".join(parts)
    bad = any(c in ("", ".", "..") or "\0" in c for c in path.split("/"))
    try:
        text = write_patch(Patch(PatchInfo("n", "A", "20261125082201"),
                                 (Move(path, "dst"),)))
    except FormatError:
        assert bad
        return
    assert not bad
    assert read_patch(text).prims == (Move(path, "dst"),)
