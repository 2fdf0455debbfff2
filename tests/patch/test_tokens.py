"""darcs's token replace: character classes, maximal runs, and the clash rule."""

import pytest

from verfs.patch.tokens import is_token, replace_tokens, token_pattern


@pytest.mark.parametrize("chars, yes, no", [
    ("A-Za-z_0-9", [b"abc", b"A_1", b"_"], [b"a-b", b"a b", b"\xc3\xa9"]),
    ("a-z", [b"abc"], [b"aB", b"a1"]),
    ("A-Za-z-", [b"new-x", b"-"], [b"a_b"]),
    ("^ ,", [b"a-b", b"\xff", b"x.y"], [b"a b", b"a,b", b"a\nb"]),
    ("\\^a", [b"^a^"], [b"b"]),
    ("a\\-z", [b"a-z", b"-"], [b"b", b"y"]),
])
def test_token_classes(chars, yes, no):
    for text in yes:
        assert is_token(chars, text), text
    for text in no:
        assert not is_token(chars, text), text


def test_replaces_whole_tokens_only():
    data = b"old foo old_bar old\nkeep old-x\n"
    assert replace_tokens(data, "A-Za-z_0-9", b"old", b"new") == (
        b"new foo old_bar new\nkeep new-x\n")


def test_clash_when_new_is_already_a_token():
    assert replace_tokens(b"old new\n", "a-z", b"old", b"new") is None
    assert replace_tokens(b"old newer\n", "a-z", b"old", b"new") == b"new newer\n"


def test_newline_is_never_a_token_character():
    """Replacing over the whole file and line by line must agree: a hunk commuted
    past a replace has its lines replaced one at a time."""
    data = b"x\nx y\nx"
    for chars in ("^ ", "^ a", "\x00-\x1f!-~"):     # each would take in b"\n"
        whole = replace_tokens(data, chars, b"x", b"z")
        by_line = b"\n".join(replace_tokens(line, chars, b"x", b"z")
                             for line in data.split(b"\n"))
        assert whole == by_line == b"z\nz y\nz"
    assert not token_pattern("^ ").fullmatch(b"a\nb")


def test_tokens_are_bytes():
    """Non-ASCII token characters are matched as raw bytes, as darcs does."""
    assert replace_tokens(b"abc \xff\xfe", "^\x00-\x7f", b"abc", b"x") == b"abc \xff\xfe"
    assert replace_tokens(b"abc \xff", "^\x00-\x7f", b"\xff", b"y") == b"abc y"
