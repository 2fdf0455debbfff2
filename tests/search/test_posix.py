"""git grep's pattern dialects read into Python (verfs/search/posix.py).

Checked three ways: hand-picked cases of glibc's rules; random patterns and texts
against the real ``git grep --no-index`` (the same lines match, the same patterns
are refused); and the promise the index leans on — the query is never stricter than
the pattern — for random patterns and texts.
"""

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.gitrepo import git_env
from verfs.search import posix
from verfs.search.posix import BASIC, EXTENDED, FIXED, PERL, PatternError, compile_pattern
from verfs.search.query import All, And, Literal, Or

# --- the query, as the property test evaluates it -------------------------------------


def holds(query, lowered: bytes) -> bool:
    if isinstance(query, All):
        return True
    if isinstance(query, Literal):
        return query.text in lowered
    if isinstance(query, And):
        return all(holds(q, lowered) for q in query.parts)
    if isinstance(query, Or):
        return any(holds(q, lowered) for q in query.parts)
    raise AssertionError(query)


def lines_matching(compiled, text: bytes) -> list[int]:
    return [n for n, line in enumerate(text.split(b"\n"), 1) if compiled.search(line)]


# --- hand-picked cases ---------------------------------------------------------------

@pytest.mark.parametrize("pattern, dialect, yes, no", [
    (b"a\\|b", BASIC, [b"xa", b"b"], [b"c", b"a|b"[:0] + b"z"]),
    (b"a|b", BASIC, [b"a|b"], [b"a", b"b"]),
    (b"a|b", EXTENDED, [b"a", b"b"], [b"c"]),
    (b"a\\{2\\}", BASIC, [b"aa"], [b"a", b"a{2}"]),
    (b"a{2}", BASIC, [b"a{2}"], [b"aa"]),
    (b"a{2}", EXTENDED, [b"aa"], [b"a{2}"]),
    (b"*a", BASIC, [b"*a"], [b"a"]),
    (b"\\(*a\\)", BASIC, [b"*a"], [b"a"]),
    (b"^*", BASIC, [b"*x"], [b"x*"]),
    (b"a^b", BASIC, [b"a^b"], [b"ab"]),
    (b"a$b", BASIC, [b"a$b"], [b"ab"]),
    (b"ab$", BASIC, [b"ab"], [b"abc"]),
    (b"\\(ab\\)\\1", BASIC, [b"abab"], [b"ab"]),
    (b"(ab)\\1", EXTENDED, [b"abab"], [b"ab"]),
    (b"[]a]", BASIC, [b"]", b"a"], [b"b"]),
    (b"[^]a]", BASIC, [b"b"], [b"]", b"a", b""]),
    (b"[[:alpha:]][[:digit:]]", BASIC, [b"a1"], [b"11", b"aa"]),
    (b"[a\\]x", BASIC, [b"\\x", b"ax"], [b"x"]),
    (b"\\n", BASIC, [b"n"], [b"x\\x"]),
    (b"\\w\\W\\s\\S", BASIC, [b"a; b"], [b"a b b"]),
    (b"\\<ab\\>", BASIC, [b"x ab y"], [b"xab", b"abc"]),
    (b"\\bab\\B", BASIC, [b"abc"], [b"ab c"]),
    (b"x\\+y\\?", BASIC, [b"xx", b"xy"], [b"y"]),
    (b"a.c", FIXED, [b"a.c"], [b"abc"]),
    (b"o)", EXTENDED, [b"o)"], [b"o"]),
    (b"[a-c]+", EXTENDED, [b"b"], [b"d"]),
    (b"[.-]", BASIC, [b"."], [b"a"]),
    (b"\\d+", PERL, [b"12"], [b"ab"]),
])
def test_dialects(pattern, dialect, yes, no):
    c = compile_pattern(pattern, dialect)
    for line in yes:
        assert c.regex.search(line), (pattern, line)
        assert holds(c.query, line.lower()), (pattern, line, c.query)
    for line in no:
        assert not c.regex.search(line), (pattern, line)


@pytest.mark.parametrize("pattern, dialect", [
    (b"a\\{", BASIC), (b"\\{1\\}", BASIC), (b"*a", EXTENDED), (b"a|*b", EXTENDED),
    (b"a{x", EXTENDED), (b"\\(", BASIC), (b"(", EXTENDED), (b"a\\)", BASIC), (b"[a", BASIC),
    (b"[[:nope:]]", BASIC), (b"\\1", BASIC), (b"a\\", BASIC), (b"[z-a]", BASIC),
    (b"a{3,2}", EXTENDED), (b"(", PERL),
])
def test_refused(pattern, dialect):
    with pytest.raises(PatternError):
        compile_pattern(pattern, dialect)


def test_never_a_newline():
    """What the whole-blob search relies on: no translated pattern crosses a line."""
    for pattern in [b".", b"[^a]", b"\\s", b"\\W", b"[[:space:]]", b"[[:cntrl:]]", b"a\\S*b",
                    b"[^[:alpha:]]"]:
        for dialect in (BASIC, EXTENDED):
            c = compile_pattern(pattern, dialect)
            assert not any(m.group(0) == b"\n" or b"\n" in m.group(0)
                           for m in c.regex.finditer(b"a\nb\n\n")), pattern


def test_newline_separates_patterns():
    c = compile_pattern(b"foo\nbar", FIXED)
    assert lines_matching(c, b"foo\nx\nbar") == [1, 3]
    assert holds(c.query, b"bar") and not holds(c.query, b"baz")


def test_ignore_case_and_word():
    c = compile_pattern(b"[[:upper:]]B", BASIC, ignore_case=True)
    assert c.regex.search(b"ab") and c.regex.search(b"Ab")
    w = compile_pattern(b"foo", BASIC, word=True)
    assert lines_matching(w, b"foobar\nxfoo foo\nfoo_\n(foo)") == [2, 4]


def test_query_keeps_literals():
    """The index is only as good as the literals: the common shapes keep theirs."""
    assert compile_pattern(b"def echo(", FIXED).query == Literal(b"def echo(")
    q = compile_pattern(b"foo(bar|baz)", EXTENDED).query
    assert q == Or((Literal(b"foobar"), Literal(b"foobaz")))
    q = compile_pattern(b"Import.*Error", BASIC).query
    assert q == And((Literal(b"import"), Literal(b"error")))
    assert isinstance(compile_pattern(b"x*", BASIC).query, All)


# --- random patterns ------------------------------------------------------------------

_ATOMS = ["a", "b", "c", "A", "ab", ".", "x", "[ab]", "[^a]", "[]a]", "[[:alpha:]]",
          "[a-c]", " ", "-", "_", "\\w", "\\W", "\\s", "\\S", "\\<", "\\>", "\\b", "^", "$",
          "*", "+", "?", "|", "(", ")", "{", "}", "{1,2}", "\\(", "\\)", "\\|", "\\+",
          "\\?", "\\{1,2\\}", "\\{2\\}", "\\.", "\\*", "[.]", "\\1"]
patterns = st.lists(st.sampled_from(_ATOMS), min_size=1, max_size=7).map(
    lambda parts: "".join(parts).encode())
texts = st.lists(st.text(alphabet="abcAxB _-.*+?|(){}[]^$", max_size=12),
                 min_size=1, max_size=6).map(lambda ls: "\n".join(ls).encode())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns, st.sampled_from([BASIC, EXTENDED, FIXED, PERL]), st.booleans(),
       st.booleans(), texts)
def test_query_never_stricter_than_pattern(pattern, dialect, icase, word, text):
    try:
        c = compile_pattern(pattern, dialect, ignore_case=icase, word=word)
    except PatternError:
        return
    if lines_matching(c, text):
        assert holds(c.query, text.lower()), (pattern, c.regex.pattern, c.query, text)


@pytest.fixture(scope="module")
def git_sample(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("posix")
    lines = ["", "a", "ab", "abab", "aab", "b", "c", "A", "Ab", "xa b", "a b", "a_b", "a-b",
             "a.b", "a*b", "a+b", "a?b", "a|b", "(a)", "{1,2}", "a{2}", "[a]", "]", "^a",
             "a$", "ba", "bab", "cab c", "xx", "x ab y", "aa bb", "_a", "-", "AB ab", "a\tb"]
    (d / "t.txt").write_bytes("\n".join(lines).encode() + b"\n")
    return d


def git_lines(top: Path, pattern: bytes, args: list[str]) -> set[int] | None:
    """The lines ``git grep --no-index`` finds (None: git refuses the pattern)."""
    proc = subprocess.run(["git", "grep", "--no-index", "-n", *args, "-e", os.fsdecode(pattern),
                           "--", "t.txt"], cwd=top, capture_output=True, env=git_env())
    if proc.returncode == 128:
        return None
    assert proc.returncode in (0, 1), proc.stderr
    return {int(line.split(b":")[1]) for line in proc.stdout.splitlines()}


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(patterns, st.sampled_from([BASIC, EXTENDED]), st.booleans(), st.booleans())
def test_same_lines_as_git_grep(git_sample, pattern, dialect, icase, word):
    args = (["-E"] if dialect == EXTENDED else ["-G"]) + (["-i"] if icase else []) + \
        (["-w"] if word else [])
    want = git_lines(git_sample, pattern, args)
    try:
        c = compile_pattern(pattern, dialect, ignore_case=icase, word=word)
    except PatternError:
        assert want is None, (pattern, dialect, "git accepts it")
        return
    assert want is not None, (pattern, dialect, c.regex.pattern, "git refuses it")
    text = (git_sample / "t.txt").read_bytes()
    got = set(lines_matching(c, text[:-1]))
    # git's look-ahead over the rest of a file finds an empty match after its last
    # newline (``^$`` on "a\n"): a line that is not there, which verfs does not report.
    want = {n for n in want if n <= text.count(b"\n")}
    if word:    # POSIX's longest match against Python's first: never fewer (posix.py)
        if c.regex.fullmatch(b"") is not None:
            return  # -w with a pattern that may match nothing: see Compiled.search
        assert got >= want, (pattern, dialect, icase, word, c.regex.pattern)
    else:
        assert got == want, (pattern, dialect, icase, word, c.regex.pattern)


def test_module_documents_the_dialects():
    assert "glibc" in posix.__doc__ and "newline" in posix.__doc__


@pytest.mark.parametrize("dialect, opening, closing", [
    (EXTENDED, b"(", b")"), (BASIC, b"\\(", b"\\)"), (PERL, b"(", b")")])
def test_groups_nested_too_deeply_are_a_bad_pattern_not_a_crash(dialect, opening, closing):
    with pytest.raises(PatternError):
        compile_pattern(opening * 3000 + b"a" + closing * 3000, dialect)
