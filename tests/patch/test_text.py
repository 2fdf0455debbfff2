"""The patch file: every prim round-trips, and only canonical bytes are read."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import FormatError
from store.ids import hash_bytes
from verfs.patch import Patch, PatchInfo, read_patch, read_prims, write_patch, write_prims
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

# --- strategies ---------------------------------------------------------------------
ODD = " \t\r\x0b\\\xa0é⇥😀-+:[]"


def text_from_bytes(min_size=0, max_size=8, forbid=b"\n"):
    """``str`` as verfs holds names and info: bytes decoded with surrogateescape."""
    return st.lists(st.one_of(st.sampled_from([c.encode() for c in ODD + "ab.-_"]),
                              st.binary(min_size=1, max_size=2)),
                    min_size=min_size, max_size=max_size).map(b"".join).map(
        lambda b: bytes(c for c in b if c not in forbid)).map(
        lambda b: b.decode("utf-8", "surrogateescape"))


names = text_from_bytes(1, 6, forbid=b"\n/\0").filter(lambda n: n not in ("", ".", ".."))
paths = st.lists(names, min_size=1, max_size=3).map("/".join)
lines = st.binary(max_size=12).map(lambda b: b.replace(b"\n", b""))
line_tuples = st.lists(lines, max_size=4).map(tuple)
ids = st.binary(max_size=4).map(hash_bytes)
tokens = st.from_regex(rb"[A-Za-z0-9_-]{1,6}", fullmatch=True)
token_chars = st.sampled_from(["A-Za-z_0-9", "a-z", "^,;", "A-Za-z-", "éa-z", "\udcff0-9",
                               "\\]a-z", "a-z]"])

prims = st.one_of(
    st.builds(Hunk, paths, st.integers(1, 10**6), line_tuples, line_tuples),
    st.builds(AddFile, paths), st.builds(RmFile, paths),
    st.builds(AddDir, paths), st.builds(RmDir, paths),
    st.builds(Move, paths, paths),
    st.builds(Binary, paths, ids, ids),
    st.builds(Replace, paths, token_chars, tokens, tokens),
    st.builds(ChangePref, text_from_bytes(0, 4), lines, lines),
    st.builds(Chmod, paths, st.booleans()),
    st.builds(AddLink, paths, text_from_bytes(0, 6, forbid=b"\n")),
    st.builds(RmLink, paths, text_from_bytes(0, 6, forbid=b"\n")),
)
meta_keys = st.from_regex(r"[a-z][a-z0-9-]{0,5}", fullmatch=True).filter(
    lambda k: k not in ("name", "author", "date", "comment", "prims"))
infos = st.builds(
    PatchInfo,
    text_from_bytes(1, 6).filter(bool),
    text_from_bytes(0, 6),
    st.sampled_from(["20261125082201", "Tue Jun  3 12:00:00 UTC 2003", ""]),
    st.lists(text_from_bytes(0, 6), max_size=3).map(tuple),
    st.dictionaries(meta_keys, text_from_bytes(0, 4), max_size=2).map(
        lambda d: tuple(sorted(d.items()))),
)
patches = st.builds(Patch, infos, st.lists(prims, max_size=6).map(tuple))


# --- round trips --------------------------------------------------------------------
@given(st.lists(prims, max_size=8))
def test_prims_roundtrip(ps):
    data = write_prims(ps)
    assert read_prims(data) == ps
    assert write_prims(read_prims(data)) == data


@given(patches)
def test_patch_roundtrip(patch):
    data = write_patch(patch)
    assert read_patch(data) == patch
    assert read_patch(data).identity == patch.identity


@given(patches)
def test_identity_is_the_hash_of_the_info_bytes(patch):
    data = write_patch(patch)
    info = data[len(b"verfs-patch 1\n"):data.index(b"\nprims:\n") + 1]
    assert patch.identity == hash_bytes(info) == hash_bytes(patch.info.serialize())


def test_commuting_keeps_identity_changes_representation():
    info = PatchInfo("n", "a", "20260101000000")
    one, two = Patch(info, (AddFile("a"),)), Patch(info, (AddFile("b"),))
    assert one.identity == two.identity
    assert write_patch(one) != write_patch(two)


PATCH_TEXT = b"""verfs-patch 1
name: add greeting
author: Ada <ada@example.com>
date: 20261125082201
reviewed-by: Bob
comment: a line of the long comment
comment: %s
prims:
hunk ./hello.txt 1
-old line
+new line
+
move ./a ./dir\\32\\one/file\\32\\two.txt
addfile ./odd\\9\\name\\92\\x.txt
changepref test

make check
binary ./b.bin %s %s
replace ./r.txt [A-Za-z_0-9] old new
chmod ./run.sh +x
chmod ./run.sh -x
addlink ./l target\\32\\here
rmlink ./l target\\32\\here
adddir ./d
rmdir ./d
rmfile ./nb\\160\\sp.txt
hunk ./empty 3
""" % (b"", hash_bytes(b"a").encode(), hash_bytes(b"b").encode())   # keeps "comment: " whole


def test_known_patch_text():
    patch = read_patch(PATCH_TEXT)
    assert patch.info == PatchInfo("add greeting", "Ada <ada@example.com>", "20261125082201",
                                   ("a line of the long comment", ""), (("reviewed-by", "Bob"),))
    assert patch.prims == (
        Hunk("hello.txt", 1, (b"old line",), (b"new line", b"")),
        Move("a", "dir one/file two.txt"),
        AddFile("odd\tname\\x.txt"),
        ChangePref("test", b"", b"make check"),
        Binary("b.bin", hash_bytes(b"a"), hash_bytes(b"b")),
        Replace("r.txt", "A-Za-z_0-9", b"old", b"new"),
        Chmod("run.sh", True), Chmod("run.sh", False),
        AddLink("l", "target here"), RmLink("l", "target here"),
        AddDir("d"), RmDir("d"), RmFile("nb\xa0sp.txt"),
        Hunk("empty", 3, (), ()),
    )
    assert write_patch(patch) == PATCH_TEXT


def test_hunk_lines_that_look_like_markers():
    h = Hunk("f", 2, (b"-", b"+x", b"", b" "), (b"--", b"++", b"hunk ./f 1"))
    assert read_prims(write_prims([h, h])) == [h, h]


def test_tag_is_a_patch_named_tag():
    assert PatchInfo("TAG v1.0", "a", "d").is_tag
    assert PatchInfo("TAG v1.0", "a", "d").tag_name == "v1.0"
    assert not PatchInfo("TAGv1", "a", "d").is_tag


# --- what the reader refuses --------------------------------------------------------
HEAD = b"verfs-patch 1\nname: n\nauthor: a\ndate: 20260101000000\nprims:\n"
A = hash_bytes(b"a").encode()


@pytest.mark.parametrize("body", [
    b"hunk ./f 0\n+x\n",                 # no line 0
    b"hunk ./f -1\n",
    b"hunk ./f 01\n",
    b"hunk ./f +1\n",
    b"hunk ./f\n",
    b"hunk ./f 1 2\n",
    b"hunk f 1\n",                       # not ./-relative
    b"hunk ./f  1\n",
    b"hunk ./a//b 1\n",
    b"hunk ./a/ 1\n",
    b"hunk ./ 1\n",
    b"hunk ./a/../b 1\n",
    b"hunk ./\\55296\\ 1\n",             # escape of no character
    b"hunk ./\\97\\ 1\n",                # needless escape of 'a'
    b"hunk ./a\\b 1\n",                  # raw backslash
    b"hunk ./f 1\n+x\n-y\n",             # '-' after '+' starts no prim
    b"addfile ./a b\n",                  # unescaped space
    b"addfile ./f",                      # no final newline
    b"addfile ./f\n\n",                  # blank line
    b"addfile ./f\r\n",
    b"addfile  ./f\n",
    b"addfile\n",
    b"frobnicate ./f\n",
    b"move ./a\n",
    b"move ./a ./b ./c\n",
    b"binary ./f %s\n" % A,
    b"binary ./f %s %s\n" % (A, A.upper()),
    b"binary ./f %s %s\n" % (A, A[:-1]),
    b"chmod ./f x\n",
    b"chmod ./f +X\n",
    b"chmod ./f\n",
    b"replace ./f A-Z a b\n",
    b"replace ./f [] a b\n",
    b"replace ./f [A-Z] a\n",
    b"replace ./f [A-Z] a b c\n",
    b"changepref test\nold\n",
    b"changepref test\n",
    b"addlink ./l\n",
    b"addlink ./l a b\n",
    b"rmlink ./l \\55296\\\n",
])
def test_read_patch_rejects_bad_prims(body):
    with pytest.raises(FormatError):
        read_patch(HEAD + body)


@pytest.mark.parametrize("data", [
    b"",
    b"verfs-patch 2\nname: n\nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1 \nname: n\nauthor: a\ndate: d\nprims:\n",
    b"name: n\nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\nprims:",
    b"verfs-patch 1\nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1\nname: \nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1\nname: n\ndate: d\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\nprims:\n",
    b"verfs-patch 1\nname: n\nname: m\nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1\nauthor: a\nname: n\ndate: d\nprims:\n",              # order
    b"verfs-patch 1\nname: n\nauthor: a\ncomment: c\ndate: d\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\ncomment: c\nkey: v\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\nzz: 1\naa: 2\nprims:\n",  # unsorted
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\nkey: 1\nkey: 2\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\nKey: v\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\nprims: x\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\ncomment:\nprims:\n",
    b"verfs-patch 1\nname:n\nauthor: a\ndate: d\nprims:\n",
    b"verfs-patch 1\nname: n\nauthor: a\ndate: d\n\nprims:\n",
    b"verfs-patch 1\r\nname: n\nauthor: a\ndate: d\nprims:\n",
])
def test_read_patch_rejects_bad_files(data):
    with pytest.raises(FormatError):
        read_patch(data)


@st.composite
def damaged(draw):
    """A canonical patch file with one byte changed, inserted or deleted."""
    data = bytearray(write_patch(draw(patches)))
    i = draw(st.integers(0, len(data) - 1))
    how = draw(st.sampled_from(["flip", "insert", "delete"]))
    byte = draw(st.sampled_from(b" \n\\-+./0aZ\xff\x00:"))
    if how == "flip":
        data[i] = byte
    elif how == "insert":
        data.insert(i, byte)
    else:
        del data[i]
    return bytes(data)


@given(damaged())
def test_read_patch_either_reads_canonical_bytes_or_says_format_error(data):
    """Never another exception, and never a patch that writes back differently."""
    try:
        patch = read_patch(data)
    except FormatError:
        return
    assert write_patch(patch) == data
