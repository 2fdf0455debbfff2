"""Applying each prim, darcs's line model, and the context checks that make ``apply``
refuse a prim that does not fit the tree."""

import pytest

from store import EMPTY_TREE_ID, MemoryStore
from store.ids import EMPTY_BLOB, hash_bytes
from verfs.errors import PatchApplyError
from verfs.patch import apply_to_tree, invert
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
from verfs.patch.testing import Exec, Link, build, spec_of


@pytest.fixture
def store():
    return MemoryStore()


def run(store, spec, *prims):
    """The spec of ``spec`` after ``prims``; also checks that undoing them restores it."""
    root = build(store, spec)
    after = apply_to_tree(store, root, prims)
    undone = apply_to_tree(store, after, [invert(p) for p in reversed(prims)])
    assert undone == root, "applying the inverses did not restore the tree"
    return spec_of(store, after)


def refuses(store, spec, *prims):
    root = build(store, spec)
    with pytest.raises(PatchApplyError):
        apply_to_tree(store, root, prims)


# --- darcs's line model -------------------------------------------------------------
def test_lines_are_split_on_newline(store):
    # "a\nb\n" is ["a", "b", ""]: three lines, the last one empty
    assert run(store, {"f": b"a\nb\n"}, Hunk("f", 2, (b"b",), (b"B",))) == {"f": b"a\nB\n"}
    assert run(store, {"f": b"a\nb\n"}, Hunk("f", 3, (b"",), (b"c", b""))) == {"f": b"a\nb\nc\n"}


def test_hunk_on_empty_file(store):
    """An empty file is one empty line, as in darcs's first hunk of a new file."""
    assert run(store, {"f": b""}, Hunk("f", 1, (b"",), (b"x", b""))) == {"f": b"x\n"}
    assert run(store, {"f": b""}, Hunk("f", 1, (), (b"x",))) == {"f": b"x\n"}


def test_file_without_final_newline(store):
    # darcs's sample: `-` removes the "" line of an empty file, then +alpha +beta
    assert run(store, {"f": b""}, Hunk("f", 1, (b"",), (b"alpha", b"beta"))) == {
        "f": b"alpha\nbeta"}
    # adding the final newline is a hunk that adds an empty line after the last one
    assert run(store, {"f": b"alpha\nbeta"}, Hunk("f", 3, (), (b"",))) == {"f": b"alpha\nbeta\n"}
    # and removing it removes that empty line
    assert run(store, {"f": b"a\n"}, Hunk("f", 2, (b"",), ())) == {"f": b"a"}


def test_emptying_a_file(store):
    assert run(store, {"f": b"only line"}, Hunk("f", 1, (b"only line",), (b"",))) == {"f": b""}


def test_hunk_keeps_carriage_returns_tabs_and_trailing_spaces(store):
    old = b"crlf line\r\n\tindented  \n"
    new = run(store, {"f": old}, Hunk("f", 1, (b"crlf line\r",), (b"changed\r", b" x ")))
    assert new == {"f": b"changed\r\n x \n\tindented  \n"}


def test_hunk_inserts_at_start_middle_and_after_the_last_line(store):
    spec = {"f": b"a\nb"}
    assert run(store, spec, Hunk("f", 1, (), (b"0",))) == {"f": b"0\na\nb"}
    assert run(store, spec, Hunk("f", 2, (), (b"m",))) == {"f": b"a\nm\nb"}
    assert run(store, spec, Hunk("f", 3, (), (b"z",))) == {"f": b"a\nb\nz"}


def test_later_hunks_see_earlier_ones(store):
    spec = {"hello.txt": b"line 1\nline 2\nline 3\n"}
    prims = [Hunk("hello.txt", 1, (), (b"line 0",)), Hunk("hello.txt", 3, (b"line 2",), ())]
    assert run(store, spec, *prims) == {"hello.txt": b"line 0\nline 1\nline 3\n"}


@pytest.mark.parametrize("hunk", [
    Hunk("f", 1, (b"x",), (b"y",)),             # old lines differ
    Hunk("f", 2, (b"a",), ()),                  # right text, wrong line
    Hunk("f", 3, (b"",), ()),                   # beyond the end
    Hunk("f", 4, (), (b"z",)),                  # insertion past the end
    Hunk("f", 2, (b"", b""), ()),               # runs past the end
    Hunk("f", 0, (), (b"z",)),                  # there is no line 0
    Hunk("f", 0, (b"",), ()),
    Hunk("f", -1, (), (b"z",)),
    Hunk("nope", 1, (), (b"z",)),               # no such file
    Hunk("d", 1, (), (b"z",)),                  # a directory
    Hunk("l", 1, (), (b"z",)),                  # a link
    Hunk("d/f", 1, (), (b"z",)),
    Hunk("f/g", 1, (), (b"z",)),                # a file is no directory
], ids=repr)
def test_hunk_context_failures(store, hunk):
    refuses(store, {"f": b"a\n", "d": {}, "l": Link(b"f")}, hunk)


# --- files and directories ----------------------------------------------------------
def test_addfile_and_rmfile(store):
    assert run(store, {"d": {}}, AddFile("d/new")) == {"d": {"new": b""}}
    assert run(store, {"d": {"gone": b""}}, RmFile("d/gone")) == {"d": {}}


@pytest.mark.parametrize("prim, why", [
    (AddFile("f"), "exists"),
    (AddFile("d"), "a directory is there"),
    (AddFile("missing/f"), "no parent"),
    (AddFile("f/g"), "parent is a file"),
    (RmFile("f"), "not empty"),
    (RmFile("x"), "exec bit set"),
    (RmFile("missing"), "no such file"),
    (RmFile("d"), "a directory"),
    (RmFile("l"), "a link"),
    (AddDir("f"), "a file is there"),
    (AddDir("d"), "exists"),
    (AddDir("missing/d"), "no parent"),
    (RmDir("full"), "not empty"),
    (RmDir("f"), "a file"),
    (RmDir("missing"), "no such directory"),
])
def test_file_and_dir_context_failures(store, prim, why):
    refuses(store, {"f": b"data", "x": Exec(b""), "d": {}, "full": {"e": b""},
                    "l": Link(b"f")}, prim)


def test_adddir_and_rmdir(store):
    assert run(store, {}, AddDir("a"), AddDir("a/b")) == {"a": {"b": {}}}
    assert run(store, {"a": {"b": {}}}, RmDir("a/b")) == {"a": {}}


def test_create_fill_empty_remove(store):
    """darcs records a removal as a hunk emptying the file, then rmfile."""
    prims = [AddFile("f"), Hunk("f", 1, (b"",), (b"text", b"")),
             Hunk("f", 1, (b"text", b""), (b"",)), RmFile("f")]
    root = build(store, {})
    assert apply_to_tree(store, root, prims) == EMPTY_TREE_ID


# --- moves --------------------------------------------------------------------------
def test_move_file_and_whole_directory(store):
    spec = {"a": {"b": {"f": b"deep\n"}, "g": b"x"}, "c": {}}
    assert run(store, spec, Move("a/g", "c/g2")) == {
        "a": {"b": {"f": b"deep\n"}}, "c": {"g2": b"x"}}
    assert run(store, spec, Move("a", "c/a")) == {"c": {"a": {"b": {"f": b"deep\n"}, "g": b"x"}}}


def test_moved_directory_keeps_its_tree_id(store):
    root = build(store, {"a": {"b": {"f": b"deep\n"}}, "c": {}})
    before = store.get_tree(store.get_tree(root).get("a").oid).get("b").oid
    after = apply_to_tree(store, root, [Move("a/b", "c/b")])
    assert store.get_tree(store.get_tree(after).get("c").oid).get("b").oid == before


@pytest.mark.parametrize("move", [
    Move("a", "a/inside"),          # into itself
    Move("a", "a"),
    Move("a", "c"),                 # destination exists
    Move("missing", "z"),
    Move("a", "missing/a"),         # no destination directory
    Move("a", "f/a"),               # destination parent is a file
])
def test_move_context_failures(store, move):
    refuses(store, {"a": {"b": b""}, "c": {}, "f": b""}, move)


# --- whole-file changes -------------------------------------------------------------
def test_binary(store):
    new = store.put_blob(b"\x00\x01binary")
    spec = {"f": b"old"}
    assert run(store, spec, Binary("f", hash_bytes(b"old"), new)) == {"f": b"\x00\x01binary"}
    assert run(store, {"f": b""}, Binary("f", EMPTY_BLOB, new)) == {"f": b"\x00\x01binary"}


def test_binary_after_a_hunk_compares_the_edited_content(store):
    new = store.put_blob(b"bin")
    prims = [Hunk("f", 1, (b"a",), (b"b",)), Binary("f", hash_bytes(b"b\n"), new)]
    assert run(store, {"f": b"a\n"}, *prims) == {"f": b"bin"}


@pytest.mark.parametrize("prim", [
    Binary("f", hash_bytes(b"not the content"), EMPTY_BLOB),
    Binary("missing", EMPTY_BLOB, EMPTY_BLOB),
    Binary("d", EMPTY_BLOB, EMPTY_BLOB),
    Binary("l", hash_bytes(b"f"), EMPTY_BLOB),
])
def test_binary_context_failures(store, prim):
    refuses(store, {"f": b"old", "d": {}, "l": Link(b"f")}, prim)


def test_replace_darcs_sample(store):
    spec = {"repl.txt": b"old foo old_bar old\nkeep old-x\n"}
    first = Replace("repl.txt", "A-Za-z_0-9", b"old", b"new")
    assert run(store, spec, first) == {"repl.txt": b"new foo old_bar new\nkeep new-x\n"}
    second = Replace("repl.txt", "A-Za-z-", b"new-x", b"newer-y")
    assert run(store, spec, first, second) == {
        "repl.txt": b"new foo old_bar new\nkeep newer-y\n"}


def test_replace_refuses_when_the_new_token_is_there(store):
    """Otherwise the replace could not be undone: both tokens would be one."""
    refuses(store, {"f": b"old and new\n"}, Replace("f", "A-Za-z", b"old", b"new"))
    refuses(store, {"d": {}}, Replace("d", "A-Za-z", b"old", b"new"))
    refuses(store, {}, Replace("f", "A-Za-z", b"old", b"new"))


def test_replace_without_the_old_token_changes_nothing(store):
    assert run(store, {"f": b"abc\n"}, Replace("f", "a-z", b"old", b"new")) == {"f": b"abc\n"}


# --- metadata -----------------------------------------------------------------------
def test_changepref_leaves_the_tree_alone(store):
    root = build(store, {"f": b"x"})
    assert apply_to_tree(store, root, [ChangePref("test", b"", b"make check")]) == root


def test_chmod(store):
    assert run(store, {"f": b"x"}, Chmod("f", True)) == {"f": Exec(b"x")}
    assert run(store, {"f": Exec(b"x")}, Chmod("f", False)) == {"f": b"x"}


@pytest.mark.parametrize("prim", [Chmod("f", False), Chmod("x", True), Chmod("l", True),
                                  Chmod("d", True), Chmod("missing", True)])
def test_chmod_context_failures(store, prim):
    refuses(store, {"f": b"", "x": Exec(b""), "l": Link(b"f"), "d": {}}, prim)


def test_links(store):
    assert run(store, {}, AddLink("l", "target with space")) == {
        "l": Link(b"target with space")}
    assert run(store, {"l": Link(b"\xff")}, RmLink("l", "\udcff")) == {}


@pytest.mark.parametrize("prim", [RmLink("l", "other"), RmLink("f", "x"),
                                  RmLink("missing", "x"), AddLink("l", "x"), AddLink("f", "x")])
def test_link_context_failures(store, prim):
    refuses(store, {"l": Link(b"target"), "f": b"x"}, prim)


# --- path copying -------------------------------------------------------------------
def test_apply_shares_untouched_subtrees_and_keeps_the_old_root(store):
    spec = {"a": {"f": b"1\n"}, "b": {"g": b"2\n"}}
    root = build(store, spec)
    after = apply_to_tree(store, root, [Hunk("a/f", 1, (b"1",), (b"one",))])
    assert spec_of(store, root) == spec
    assert store.get_tree(after).get("b") == store.get_tree(root).get("b")
    assert store.get_tree(after).get("a") != store.get_tree(root).get("a")


def test_equal_trees_have_equal_ids(store):
    """Trees are canonical: two routes to one state give one root id."""
    root = build(store, {"f": b"a\n"})
    one = apply_to_tree(store, root, [Hunk("f", 1, (b"a",), (b"b",))])
    two = apply_to_tree(store, root, [AddDir("tmp"), Move("f", "tmp/f"),
                                      Hunk("tmp/f", 1, (b"a",), (b"c",)),
                                      Hunk("tmp/f", 1, (b"c",), (b"b",)),
                                      Move("tmp/f", "f"), RmDir("tmp")])
    assert one == two == build(store, {"f": b"b\n"})


def test_root_cannot_be_changed(store):
    refuses(store, {}, AddDir(""))
    refuses(store, {"f": b""}, Move("f", ""))


def test_emptied_file_reads_the_same_with_or_without_a_commit_between(store):
    """Removing every line of a file without a final newline leaves b"", which is one
    empty line to the next prim — also when both prims run in one editor (darcs
    records exactly this when it empties such a file)."""
    root = build(store, {"f": b"a\nb"})
    empty = Hunk("f", 1, (b"a", b"b"), ())
    refill = Hunk("f", 1, (), (b"x",))
    one_go = apply_to_tree(store, root, [empty, refill])
    two_goes = apply_to_tree(store, apply_to_tree(store, root, [empty]), [refill])
    assert one_go == two_goes
    assert spec_of(store, one_go) == {"f": b"x\n"}


def test_empty_hunk_needs_only_its_file(store):
    """An empty hunk changes nothing, and commuting leaves its line alone (darcs), so
    its line may lie past the end of the file it is moved in front of."""
    root = build(store, {"f": b"a\n"})
    assert apply_to_tree(store, root, [Hunk("f", 9, (), ())]) == root
    refuses(store, {}, Hunk("f", 1, (), ()))
    refuses(store, {"d": {}}, Hunk("d", 1, (), ()))
