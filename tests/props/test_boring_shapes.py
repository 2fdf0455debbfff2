"""darcs's boring expressions: the two shapes ``verfs.ignore`` decides without a
regex — plain endings (``\\.o$``, ``\\.(a|so)$``, ``~$``: ``bytes.endswith``) and
component names (``(^|/)CVS($|/)``: a set) — decide exactly what the whole
expression, read by the POSIX reader and searched, decides, for any expression and
any path."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from verfs.ignore import _plain, boring
from verfs.search.posix import EXTENDED, PatternError, translate

_ATOMS = st.sampled_from([b"a", b"b", b"o", b"~", b",", b"-", b"_", b"/", b"#", b" ",
                          b"\\.", b"\\$", b"\\(", b"\\\\", b"\\{", b"\\/", b".", b"^",
                          b"[co]", b"*", b"+", b"?", b"\\w", b"{2}", b"x"])
_WORDS = st.lists(_ATOMS, min_size=1, max_size=3).map(b"".join)


@st.composite
def expressions(draw) -> bytes:
    pre = draw(st.sampled_from([b"", b"", b"(^|/)", b"^", b"/"]))
    pre += draw(st.lists(_ATOMS, max_size=3).map(b"".join))
    group = b""
    if draw(st.booleans()):
        group = b"(" + b"|".join(draw(st.lists(_WORDS, min_size=1, max_size=3))) + b")"
    post = draw(st.lists(_ATOMS, max_size=2).map(b"".join))
    end = draw(st.sampled_from([b"$", b"$", b"", b"($|/)", b"(/|$)"]))
    return pre + group + post + end


_PATHS = st.lists(st.sampled_from([b"a", b"b", b"o", b".", b"~", b",", b"-", b"_", b"/",
                                   b"/", b"#", b" ", b"$", b"(", b"\\", b"{", b"c", b"x",
                                   b"w"]),
                  max_size=8).map(b"".join)


@settings(max_examples=800, deadline=None)
@given(line=expressions(), paths=st.lists(_PATHS, min_size=1, max_size=8))
def test_the_shapes_decide_as_the_expression(line, paths):
    if not line or line.startswith(b"#"):
        return                          # a blank or comment line: no expression
    try:
        whole = re.compile(translate(line, EXTENDED)[0].encode("latin-1"))
    except (PatternError, re.error):
        return
    rules = boring([("boring", line)])
    for path in paths:
        assert rules.matches(path) == (whole.search(path) is not None), (line, path)


def test_darcs_default_lines():
    assert _plain(rb"\.o$") == ([b".o"], None)
    assert _plain(rb"\.(obj|a|exe|so|lo|la)$") == ([b".obj", b".a", b".exe", b".so",
                                                    b".lo", b".la"], None)
    assert _plain(rb"~$") == ([b"~"], None) and _plain(rb",v$") == ([b",v"], None)
    assert _plain(rb"(^|/)CVS($|/)") == ([], b"CVS")
    assert _plain(rb"(^|/)\.svn($|/)") == ([], b".svn")
    for other in (rb"\.py[co]$", rb"^\.depend$", rb"\#", rb"$", rb"\.o", rb"a$b$",
                  rb"(^|/)a/b($|/)", rb"(^|/)CVS$"):
        assert _plain(other) is None, other


_LETTERS = st.lists(st.sampled_from([b"a", b"b", b"o"]), min_size=1, max_size=3).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(name=_LETTERS, end=st.sampled_from([b"$", b"($|/)"]),
       paths=st.lists(st.lists(st.sampled_from([b"a", b"b", b"o", b"/"]), max_size=7)
                      .map(b"".join), min_size=1, max_size=10))
def test_names_and_endings_of_letters(name, end, paths):
    """The two shapes over paths made of the very letters they name (where a name is
    most often a substring that is no component)."""
    line = (b"(^|/)" + name if end != b"$" else b"\\." + name) + end
    whole = re.compile(translate(line, EXTENDED)[0].encode("latin-1"))
    rules = boring([("boring", line)])
    for path in paths:
        assert rules.matches(path) == (whole.search(path) is not None), (line, path)


def test_a_component_name_is_no_substring():
    rules = boring([("boring", rb"(^|/)CVS($|/)")])
    for path, boring_ in ((b"CVS", True), (b"a/CVS", True), (b"CVS/x", True),
                          (b"a/CVS/b", True), (b"xCVS", False), (b"CVSx/y", False),
                          (b"a/CVS.txt", False)):
        assert rules.matches(path) is boring_, path
