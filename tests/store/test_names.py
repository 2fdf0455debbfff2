"""Escaping of names and paths: darcs's rule, and a round trip for any bytes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import FormatError
from store.names import check_name, escape, read_path, sort_key, split_path, unescape, write_path

# Characters that make escaping interesting, plus arbitrary bytes (invalid UTF-8).
ODD = " \t\n\r\x0b\x0c\\\xa0\u2003\u3000é⇥ïü€😀\x1c\x85"
name_bytes = st.lists(
    st.one_of(st.sampled_from([c.encode() for c in ODD + "ab.-_09"]),
              st.binary(min_size=1, max_size=3)),
    min_size=1, max_size=8,
).map(b"".join).filter(lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b".."))
names = name_bytes.map(lambda b: b.decode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("name, written", [
    ("file two.txt", b"file\\32\\two.txt"),
    ("odd\tname\\x.txt", b"odd\\9\\name\\92\\x.txt"),
    ("nb\xa0sp.txt", b"nb\\160\\sp.txt"),
    ("naïve café.txt", "naïve\\32\\café.txt".encode()),
    ("line\nbreak", b"line\\10\\break"),
    ("plain-name_1.txt", b"plain-name_1.txt"),
    ("\udcff\udcfe", b"\xff\xfe"),
])
def test_escape_like_darcs(name, written):
    assert escape(name) == written
    assert unescape(written) == name


@given(names)
def test_escape_unescape_roundtrip(name):
    assert unescape(escape(name)) == name


@given(names)
def test_escaped_name_has_no_whitespace_or_newline(name):
    written = escape(name)
    assert not any(c in written for c in b" \t\n\r\x0b\x0c")


@given(names)
def test_escape_keeps_the_bytes_of_invalid_utf8(name):
    raw = name.encode("utf-8", "surrogateescape")
    if b"\\" not in raw and not any(c.isspace() for c in name):
        assert escape(name) == raw


def test_unescape_reads_big_code_points():
    assert unescape(b"a\\12288\\b") == "a\u3000b"


@pytest.mark.parametrize("bad", [b"\\55296\\", b"x\\56320\\y", b"\\1114112\\",
                                 b"\\99999999999999999999\\"])
def test_unescape_rejects_escapes_that_are_no_character(bad):
    """A lone surrogate cannot be written back; it must not get past the reader."""
    with pytest.raises(FormatError):
        unescape(bad)


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "/", "a\0b"])
def test_check_name_rejects(bad):
    with pytest.raises(FormatError):
        check_name(bad)


def test_check_name_rejects_non_canonical_strings():
    """Two strings for the same bytes would give one name two spellings."""
    assert "\udcc2\udca0".encode("utf-8", "surrogateescape") == "\xa0".encode()
    with pytest.raises(FormatError):
        check_name("\udcc2\udca0")
    with pytest.raises(FormatError):
        check_name("\ud800")                # not even encodable
    check_name("\udcff")                    # the escape of a lone invalid byte is fine


@given(st.lists(names, min_size=1, max_size=4))
def test_path_roundtrip(parts):
    path = "/".join(parts)
    written = write_path(path)
    assert written.startswith(b"./")
    assert b" " not in written and b"\n" not in written
    assert read_path(written) == path
    assert split_path(path) == parts


@pytest.mark.parametrize("bad", [b"a", b"/a", b"./", b"./a/", b"./a//b", b"./.", b"./a/../b",
                                 b"../a", b".//a"])
def test_read_path_rejects(bad):
    with pytest.raises(FormatError):
        read_path(bad)


def test_root_path():
    assert read_path(b".") == ""
    assert split_path("") == []


def test_sort_key_is_raw_bytes():
    ordered = sorted(["b", "B", "a b", "a", "é", "z", "\udcff", "a\tb"], key=sort_key)
    assert ordered == ["B", "a", "a\tb", "a b", "b", "z", "é", "\udcff"]
