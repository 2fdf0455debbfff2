"""darcs's commute rules (darcs-format.md §10), case by case.

Every successful commute here is also checked to be exactly self-inverse and, where
a tree is given, to have the same effect in both orders.
"""

import pytest

from store import MemoryStore
from store.ids import hash_bytes
from verfs.patch import apply_to_tree, commute, invert
from verfs.patch.commute import commute_hunks
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
from verfs.patch.testing import build


def swapped(p, q, spec=None):
    """``commute(p, q)``, checked to be self-inverse and, given a tree, effect-preserving."""
    r = commute(p, q)
    assert r is not None, f"{p} and {q} should commute"
    q1, p1 = r
    assert commute(q1, p1) == (p, q), "commuting back must give the very same prims"
    if spec is not None:
        store = MemoryStore()
        root = build(store, spec)
        assert apply_to_tree(store, root, [p, q]) == apply_to_tree(store, root, [q1, p1])
    return q1, p1


def fails(p, q):
    assert commute(p, q) is None, f"{p} and {q} should not commute"


TEN = {"f": b"\n".join(b"%d" % i for i in range(1, 11)) + b"\n"}   # lines "1".."10", ""


def H(line, old, new, path="f"):
    """A hunk written compactly: ``H(2, "23", "x")`` replaces lines "2","3" by "x"."""
    return Hunk(path, line, tuple(x.encode() for x in old), tuple(x.encode() for x in new))


def L(*words):
    return tuple(w.encode() for w in words)


# --- hunks --------------------------------------------------------------------------
def test_later_hunk_wholly_after_shifts_back():
    # A: line 2, replaces 1 line by 2 (a + na = 4); B at line 6 is after A's new text
    a = Hunk("f", 2, L("2"), L("two", "deux"))
    b = Hunk("f", 6, L("5"), L("five"))
    b1, a1 = swapped(a, b, TEN)
    assert a1 == a
    assert b1 == Hunk("f", 6 - 2 + 1, L("5"), L("five"))


def test_later_hunk_wholly_before_shifts_the_earlier():
    a = Hunk("f", 6, L("6", "7"), L("six"))
    b = Hunk("f", 2, L("2"), L("two", "deux", "zwei"))  # b + ob = 3 < 6
    b1, a1 = swapped(a, b, TEN)
    assert b1 == b
    assert a1 == Hunk("f", 6 + 3 - 1, L("6", "7"), L("six"))


def test_touching_hunks_commute_when_no_side_is_empty():
    a = Hunk("f", 2, L("2"), L("two"))          # a + na == 3
    b = Hunk("f", 3, L("3"), L("three"))
    b1, a1 = swapped(a, b, TEN)
    assert (b1, a1) == (b, a)
    # and touching from the other side: b + ob == a
    b1, a1 = swapped(b, a, TEN)
    assert (b1, a1) == (a, b)


@pytest.mark.parametrize("a, b", [
    (Hunk("f", 2, (), L("new")), Hunk("f", 3, L("2"), L("two"))),     # na... oa == 0
    (Hunk("f", 2, L("2"), ()), Hunk("f", 2, L("3"), L("three"))),      # na == 0
    (Hunk("f", 2, L("2"), L("two")), Hunk("f", 3, (), L("ins"))),       # ob == 0
    (Hunk("f", 2, L("2"), L("two")), Hunk("f", 3, L("3"), ())),         # nb == 0
    (Hunk("f", 3, L("3"), L("three")), Hunk("f", 2, L("2"), ())),       # b + ob == a, nb == 0
    (Hunk("f", 3, L("3"), L("three")), Hunk("f", 3, (), L("ins"))),     # b + ob == a, ob == 0
], ids=["oa=0", "na=0", "ob=0", "nb=0", "before-nb=0", "before-ob=0"])
def test_touching_hunks_with_an_empty_side_do_not_commute(a, b):
    fails(a, b)


@pytest.mark.parametrize("a, b", [
    (Hunk("f", 2, L("2", "3"), L("x", "y")), Hunk("f", 3, L("y"), L("z"))),   # inside
    (Hunk("f", 2, L("2"), L("x")), Hunk("f", 2, L("x"), L("y"))),             # same line
    (Hunk("f", 2, L("2", "3"), L("x", "y")), Hunk("f", 1, L("1", "x"), ())),  # straddles
    (Hunk("f", 2, (), L("new")), Hunk("f", 2, L("new"), ())),                 # undoes it
])
def test_overlapping_hunks_do_not_commute(a, b):
    fails(a, b)


def test_hunk_arithmetic_is_pure():
    """commute_hunks only looks at line numbers and counts, as darcs's
    commuteHunkLines does."""
    a = Hunk("f", 10, (b"",) * 3, (b"",) * 5)
    assert commute_hunks(a, Hunk("f", 16, (b"",), ())) == (Hunk("f", 14, (b"",), ()), a)
    assert commute_hunks(a, Hunk("f", 15, (b"",), (b"",))) == (Hunk("f", 13, (b"",), (b"",)), a)
    assert commute_hunks(a, Hunk("f", 14, (b"",), (b"",))) is None
    assert commute_hunks(a, Hunk("f", 8, (b"",), ())) == (
        Hunk("f", 8, (b"",), ()), Hunk("f", 9, a.old, a.new))
    assert commute_hunks(a, Hunk("f", 9, (b"",), (b"",) * 4)) == (
        Hunk("f", 9, (b"",), (b"",) * 4), Hunk("f", 13, a.old, a.new))


def test_empty_hunk_commutes_with_anything_on_its_file():
    empty = Hunk("f", 3, (), ())
    for other in [Hunk("f", 1, L("1", "2", "3", "4"), L("x")), Chmod("f", True),
                  Replace("f", "0-9", b"5", b"five"),
                  Binary("f", hash_bytes(TEN["f"]), hash_bytes(b""))]:
        assert swapped(other, empty) == (empty, other)
        assert swapped(empty, other) == (other, empty)


def test_empty_hunk_keeps_its_line_past_a_change_of_length():
    grow = Hunk("f", 1, (), L("x", "y", "z"))
    empty = Hunk("f", 14, (), ())           # the file has 14 lines after grow, 11 before
    assert swapped(grow, empty, TEN) == (empty, grow)
    shrink = Hunk("f", 1, L("1", "2", "3"), ())
    assert swapped(Hunk("f", 11, (), ()), shrink, TEN) == (shrink, Hunk("f", 11, (), ()))


def test_hunks_on_different_files_commute_unchanged():
    a, b = H(1, "1", "x", path="f"), H(1, "1", "y", path="g")
    assert swapped(a, b, {"f": b"1\n", "g": b"1\n"}) == (b, a)


# --- other prims on one file --------------------------------------------------------
def test_chmod_commutes_with_content_changes():
    for change in [H(1, "1", "one"), Replace("f", "0-9", b"1", b"9999"),
                   Binary("f", hash_bytes(TEN["f"]), hash_bytes(b""))]:
        assert swapped(Chmod("f", True), change) == (change, Chmod("f", True))


def test_same_file_pairs_that_depend():
    fails(Chmod("f", True), Chmod("f", False))
    fails(AddFile("f"), H(1, "", "x"))
    fails(H(1, "x", ""), RmFile("f"))
    fails(AddFile("f"), Chmod("f", True))
    fails(Binary("f", hash_bytes(b"a"), hash_bytes(b"b")), H(1, "b", "c"))
    fails(H(1, "a", "b"), Binary("f", hash_bytes(b"b\n"), hash_bytes(b"c")))
    fails(Binary("f", hash_bytes(b"a"), hash_bytes(b"b")),
          Binary("f", hash_bytes(b"b"), hash_bytes(b"c")))
    fails(Binary("f", hash_bytes(b"a"), hash_bytes(b"b")), Replace("f", "a-z", b"x", b"y"))
    fails(RmFile("f"), AddFile("f"))
    fails(AddLink("l", "t"), RmLink("l", "t"))
    fails(AddDir("d"), RmDir("d"))


# --- token replace ------------------------------------------------------------------
def test_hunk_then_replace_rewrites_the_hunk():
    spec = {"f": b"keep old\nfoo\n"}
    h = Hunk("f", 2, L("foo"), L("old bar"))
    r = Replace("f", "A-Za-z", b"old", b"new")
    r1, h1 = swapped(h, r, spec)
    assert r1 == r
    assert h1 == Hunk("f", 2, L("foo"), L("new bar"))


def test_replace_then_hunk_rewrites_the_hunk_back():
    spec = {"f": b"old\nx old\n"}
    r = Replace("f", "a-z", b"old", b"new")
    h = Hunk("f", 2, L("x new"), L("y new"))
    h1, r1 = swapped(r, h, spec)
    assert r1 == r
    assert h1 == Hunk("f", 2, L("x old"), L("y old"))


def test_hunk_and_replace_that_clash_do_not_commute():
    r = Replace("f", "a-z", b"old", b"new")
    fails(Hunk("f", 1, L("new"), L("x")), r)     # the hunk removes a "new" the replace needs gone
    # a hunk after the replace that brings back "old" would be replaced if moved first
    fails(r, Hunk("f", 1, L("x"), L("old")))
    fails(r, Hunk("f", 1, L("old"), L("x")))


def test_replace_pairs():
    spec = {"f": b"a b\nc\n"}
    p = Replace("f", "a-z", b"a", b"x")
    q = Replace("f", "a-z", b"c", b"y")
    assert swapped(p, q, spec) == (q, p)
    fails(p, Replace("f", "a-y", b"c", b"y"))          # other token characters
    fails(p, Replace("f", "a-z", b"a", b"z"))          # oldA = oldB
    fails(p, Replace("f", "a-z", b"x", b"z"))          # newA = oldB
    fails(p, Replace("f", "a-z", b"z", b"a"))          # oldA = newB
    fails(p, Replace("f", "a-z", b"z", b"x"))          # newA = newB


# --- paths --------------------------------------------------------------------------
def test_changepref_commutes_with_everything():
    pref = ChangePref("test", b"", b"make")
    for other in [Move("a", "b"), AddDir("d"), H(1, "x", "y"), ChangePref("test", b"make", b"")]:
        assert swapped(pref, other) == (other, pref)
        assert swapped(other, pref) == (pref, other)


def test_directory_operations():
    assert swapped(AddDir("a"), AddDir("b")) == (AddDir("b"), AddDir("a"))
    fails(AddDir("a"), AddDir("a/b"))
    fails(RmDir("a/b"), RmDir("a"))
    fails(AddDir("a"), AddFile("a/f"))
    fails(RmFile("a/f"), RmDir("a"))
    assert swapped(AddDir("a"), AddFile("ab")) == (AddFile("ab"), AddDir("a"))
    assert swapped(AddFile("a/f"), AddDir("a/g")) == (AddDir("a/g"), AddFile("a/f"))


def test_move_renames_changes_to_its_own_path():
    spec = {"d": {"f": b"1\n"}}
    h = Hunk("d/f", 1, L("1"), L("one"))
    m = Move("d", "e")
    assert swapped(h, m, spec) == (m, Hunk("e/f", 1, L("1"), L("one")))
    assert swapped(m, Hunk("e/f", 1, L("1"), L("one")), spec) == (h, m)
    assert swapped(Chmod("d/f", True), Move("d/f", "g"), spec) == (Move("d/f", "g"),
                                                                    Chmod("g", True))


def test_move_commutes_unchanged_with_other_paths():
    spec = {"a": b"", "b": b"x\n", "dd": {}}
    m = Move("a", "z")
    for other in [Hunk("b", 1, L("x"), L("y")), AddFile("c"), AddDir("dd/sub"),
                  Move("b", "c"), RmDir("dd"), Chmod("b", True)]:
        assert swapped(m, other, spec) == (other, m)
        assert swapped(other, m) == (m, other)


def test_move_and_changes_that_make_or_use_its_room():
    fails(AddFile("a"), Move("a", "b"))          # the move needs the file
    fails(AddDir("a"), Move("a", "b"))
    fails(AddLink("a", "t"), Move("a", "b"))
    fails(RmFile("b"), Move("a", "b"))           # the move needs the room
    fails(RmDir("b"), Move("a", "b"))
    fails(Move("a", "b"), RmFile("b"))           # the removal needs the moved file
    fails(Move("a", "b"), AddFile("a"))          # the room the move made
    fails(Move("a", "b"), AddDir("a"))
    fails(AddDir("x"), Move("a", "x/a"))         # a strict ancestor of the target
    fails(Move("x/a", "a"), RmDir("x"))          # ... or of the source
    # darcs's rule even where no tree could hold both: a directory made or removed
    # around the move's source
    fails(AddDir("x"), Move("x/a", "b"))
    fails(RmDir("x"), Move("x/a", "b"))


def test_move_then_rmdir_of_its_old_parent():
    """Once ``d/f`` has moved out, ``d`` may be removed; before, it may not — darcs
    fails such a pair on the ancestor rule."""
    fails(Move("d/f", "g"), RmDir("d"))
    fails(AddDir("d"), Move("g", "d/f"))


def test_move_move():
    spec = {"a": {"f": b""}, "b": b"", "c": {}}
    assert swapped(Move("b", "x"), Move("c", "y"), spec) == (Move("c", "y"), Move("b", "x"))
    assert swapped(Move("a/f", "c/f"), Move("b", "x"), spec) == (Move("b", "x"),
                                                               Move("a/f", "c/f"))
    assert swapped(Move("a", "ab"), Move("b", "a b"), spec) == (Move("b", "a b"),
                                                              Move("a", "ab"))


def test_move_move_failures():
    fails(Move("a", "b"), Move("b", "c"))        # second moves what the first made
    fails(Move("a", "b"), Move("c", "a"))        # second fills the room the first made
    fails(Move("a", "b"), Move("a", "c"))        # same source (not sequential, still no)
    fails(Move("a", "b"), Move("c", "b"))        # same target
    # the second's source is an ancestor of the first's source, and the first's
    # target an ancestor of the second's target (darcs's one nesting rule)
    fails(Move("d/x", "t"), Move("d", "t/d"))


@pytest.mark.parametrize("p, q", [
    (Move("a", "z"), Move("z/f", "c/f")),        # out of what the first moved
    (Move("c", "a/g"), Move("a", "z")),          # carrying what the first moved in
    (Move("c", "z"), Move("a", "z/a")),          # into what the first moved
    (Move("a/f", "g"), Move("a", "z")),          # the old home of what the first moved
])
def test_nested_moves_do_not_commute(p, q):
    """darcs renames these through each other; verfs does not, or permutivity breaks
    (below).  The four nestings turn into one another by commuting and by inverting,
    so they must all fail — and their inverses too."""
    fails(p, q)
    fails(invert(q), invert(p))


def test_nested_moves_keep_permutivity():
    """The triple hypothesis found: with nested moves renamed through each other,
    ``p; q; r`` reached ``r'; q'; p'`` by swapping (p,q), (p,r), (q,r), while the other
    route failed at once — ``r`` moves ``d2`` into the directory ``p`` put inside what
    ``q`` moves, which no order can do first.  Now the first route fails too."""
    spec = {"dir one": {"emptydir": {}}, "d2": {"a.txt": {}}}
    p = Move("dir one/emptydir", "d2/a.txt/a.txt")
    q = Move("d2/a.txt", "deep")
    r = Move("d2", "deep/a.txt/a.txt")
    store = MemoryStore()
    apply_to_tree(store, build(store, spec), [p, q, r])      # a valid sequence

    def route(seq, order):
        for i in order:
            got = commute(seq[i], seq[i + 1])
            if got is None:
                return None
            seq = [*seq[:i], *got, *seq[i + 2:]]
        return seq

    fails(q, r)
    one, two = route([p, q, r], (0, 1, 0)), route([p, q, r], (1, 0, 1))
    assert one == two       # the law; the old rule gave a reordering here and None there
    assert one is None


def test_links_and_paths():
    assert swapped(AddLink("l", "f"), H(1, "x", "y")) == (H(1, "x", "y"), AddLink("l", "f"))
    assert swapped(AddLink("d/l", "f"), Move("d", "e")) == (Move("d", "e"), AddLink("e/l", "f"))
    fails(AddLink("l", "t"), Move("l", "m"))
