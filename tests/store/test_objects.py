"""Canonical formats of trees, versions and inventories.

One content, one byte string, one id: ``parse`` must return what ``serialize`` was
given, and must refuse every other spelling of the same content.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import DIR, EMPTY_TREE, FILE, LINK, FormatError, Inventory, Tree, TreeEntry, Version
from store.ids import hash_bytes
from store.objects import INVENTORY_HEADER, TREE_HEADER, VERSION_HEADER

ODD = " \t\n\r\\\xa0é⇥😀"
names = st.lists(
    st.one_of(st.sampled_from([c.encode() for c in ODD + "ab.-_"]),
              st.binary(min_size=1, max_size=2)),
    min_size=1, max_size=6,
).map(b"".join).filter(
    lambda b: b"/" not in b and b"\0" not in b and b not in (b".", b"..")
).map(lambda b: b.decode("utf-8", "surrogateescape"))
ids = st.binary(min_size=1, max_size=8).map(hash_bytes)
kinds = st.sampled_from([(FILE, False), (FILE, True), (DIR, False), (LINK, False)])


@st.composite
def trees(draw):
    entry_names = draw(st.lists(names, max_size=8, unique=True))
    entries = []
    for name in entry_names:
        kind, exe = draw(kinds)
        entries.append(TreeEntry(name, kind, draw(ids), draw(st.integers(0, 2**40)), exe))
    return Tree.build(entries)


versions = st.builds(Version, ids, st.none() | ids, st.none() | ids)
inventories = st.builds(Inventory, ids, st.lists(st.tuples(ids, ids), max_size=5).map(tuple),
                        st.none() | ids)

A = hash_bytes(b"a")
B = hash_bytes(b"b")
C = hash_bytes(b"c")


# --- round trips --------------------------------------------------------------------
@given(trees())
def test_tree_roundtrip(tree):
    data = tree.serialize()
    assert Tree.parse(data) == tree
    assert Tree.parse(data).serialize() == data


@given(trees())
def test_tree_is_one_line_per_entry(tree):
    assert tree.serialize().count(b"\n") == len(tree) + 1


@given(versions)
def test_version_roundtrip(version):
    assert Version.parse(version.serialize()) == version


@given(inventories)
def test_inventory_roundtrip(inventory):
    assert Inventory.parse(inventory.serialize()) == inventory


def test_tree_text():
    tree = Tree.build([TreeEntry("b c", FILE, A, 3, exec=True), TreeEntry("a", DIR, B, 2),
                       TreeEntry("l", LINK, C, 1), TreeEntry("f", FILE, A, 0)])
    assert tree.serialize() == (TREE_HEADER + b"d 2 %s a\nx 3 %s b\\32\\c\nf 0 %s f\nl 1 %s l\n"
                                % (B.encode(), A.encode(), A.encode(), C.encode()))
    assert EMPTY_TREE.serialize() == TREE_HEADER


def test_tree_build_sorts_by_raw_bytes():
    tree = Tree.build([TreeEntry(n, FILE, A, 0) for n in ["é", "b", "B", "\udcff", "a b"]])
    assert [e.name for e in tree.entries] == ["B", "a b", "b", "é", "\udcff"]
    assert tree.get("é").oid == A and tree.get("nope") is None


@pytest.mark.parametrize("name", ["with space", "tab\there", "new\nline", "back\\slash",
                                  "naïve café", "\udcff\udcfeinvalid", "\r", " ", "\\32\\"])
def test_odd_names_roundtrip_through_tree(name):
    tree = Tree.build([TreeEntry(name, FILE, A, 1)])
    assert Tree.parse(tree.serialize()).entries[0].name == name


# --- what a tree refuses ------------------------------------------------------------
@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "nul\0", "\udcc2\udca0", "\ud800"])
def test_tree_refuses_bad_names(name):
    with pytest.raises(FormatError):
        Tree.build([TreeEntry(name, FILE, A, 0)])


def test_tree_refuses_duplicates_and_bad_entries():
    with pytest.raises(FormatError):
        Tree.build([TreeEntry("a", FILE, A, 0), TreeEntry("a", DIR, B, 0)])
    with pytest.raises(FormatError):
        Tree.build([TreeEntry("a", DIR, A, 0, exec=True)])
    with pytest.raises(FormatError):
        Tree.build([TreeEntry("a", "socket", A, 0)])
    with pytest.raises(FormatError):
        Tree.build([TreeEntry("a", FILE, "abc", 0)])
    with pytest.raises(FormatError):
        Tree.build([TreeEntry("a", FILE, A, -1)])


def line(code=b"f", size=b"0", oid=None, name=b"a"):
    oid = oid or A.encode()
    return b"%s %s %s %s\n" % (code, size, oid, name)


GOOD = TREE_HEADER + line(name=b"a") + line(name=b"b")


@pytest.mark.parametrize("data", [
    TREE_HEADER + line(name=b"b") + line(name=b"a"),             # unsorted
    TREE_HEADER + line(name=b"a") + line(name=b"a"),             # duplicate
    TREE_HEADER + line(name=b"a") + line(code=b"d", name=b"a"),  # duplicate, other kind
    TREE_HEADER + b"f  0 " + A.encode() + b" a\n",              # extra space
    TREE_HEADER + line(name=b"a ") ,                             # trailing space in name
    TREE_HEADER + line(name=b"a b"),                             # unescaped space
    TREE_HEADER + line(name=b"a\\98\\"),                         # needless escape of 'b'
    TREE_HEADER + line(name=b"a\\b"),                            # raw backslash
    TREE_HEADER + line(name=b"a\\\xd9\xa3\\"),                   # escape with non-ASCII digit
    TREE_HEADER + line(name=b"\\55296\\"),                       # lone surrogate
    TREE_HEADER + line(name=b"\\56514\\\\56480\\"),              # bytes of U+00A0, escaped
    TREE_HEADER + line(name=b"."),
    TREE_HEADER + line(name=b".."),
    TREE_HEADER + line(name=b"a/b"),
    TREE_HEADER + line(name=b""),
    TREE_HEADER + line(size=b"00"),                              # leading zero
    TREE_HEADER + line(size=b"+1"),
    TREE_HEADER + line(size=b"-1"),
    TREE_HEADER + line(size=b" 1"),
    TREE_HEADER + line(oid=A.upper().encode()),                  # uppercase hex
    TREE_HEADER + line(oid=A[:-1].encode()),
    TREE_HEADER + line(code=b"X"),
    TREE_HEADER + line()[:-1],                                   # no final newline
    TREE_HEADER + line() + b"\n",                                # blank line
    TREE_HEADER + line().replace(b"\n", b"\r\n"),
    b"verfs-tree 2\n" + line(),
    b"verfs-tree 1 \n" + line(),
    TREE_HEADER[:-1],
    b"",
], ids=lambda d: repr(d[len(TREE_HEADER):len(TREE_HEADER) + 10] if len(d) > 13 else d))
def test_tree_parse_refuses_non_canonical(data):
    assert Tree.parse(GOOD).serialize() == GOOD
    with pytest.raises(FormatError):
        Tree.parse(data)


# --- versions and inventories -------------------------------------------------------
def test_version_text():
    assert Version(A).serialize() == VERSION_HEADER + b"patch %s\n" % A.encode()
    assert Version(A, B, C).serialize() == (
        VERSION_HEADER + b"patch %s\nparent %s\ninventory %s\n" % (A.encode(), B.encode(),
                                                                 C.encode()))


@pytest.mark.parametrize("data", [
    VERSION_HEADER + b"parent %s\npatch %s\n" % (B.encode(), A.encode()),   # order
    VERSION_HEADER + b"patch %s\npatch %s\n" % (A.encode(), A.encode()),
    VERSION_HEADER + b"patch %s\nparent \n" % A.encode(),
    VERSION_HEADER + b"patch %s\nparent\n" % A.encode(),
    VERSION_HEADER + b"patch %s\ncolour blue\n" % A.encode(),
    VERSION_HEADER + b"patch  %s\n" % A.encode(),
    VERSION_HEADER + b"patch %s" % A.encode(),
    VERSION_HEADER + b"patch %s\n" % A.upper().encode(),
    VERSION_HEADER + b"parent %s\n" % A.encode(),
    VERSION_HEADER + b"patch %s\n\xff\n" % A.encode(),
    VERSION_HEADER,
    b"verfs-version 2\npatch %s\n" % A.encode(),
])
def test_version_parse_refuses_non_canonical(data):
    with pytest.raises(FormatError):
        Version.parse(data)


def test_inventory_text():
    inv = Inventory(A, ((B, C), (C, B)), parent=C)
    text = b"parent %s\ntree %s\npatch %s %s\npatch %s %s\n" % (
        C.encode(), A.encode(), B.encode(), C.encode(), C.encode(), B.encode())
    assert inv.serialize() == INVENTORY_HEADER + text


@pytest.mark.parametrize("data", [
    INVENTORY_HEADER + b"tree %s\nparent %s\n" % (A.encode(), B.encode()),  # order
    INVENTORY_HEADER + b"patch %s %s\ntree %s\n" % (A.encode(), B.encode(), C.encode()),
    INVENTORY_HEADER + b"tree %s\ntree %s\n" % (A.encode(), B.encode()),
    INVENTORY_HEADER + b"tree %s\npatch %s  %s\n" % (A.encode(), B.encode(), C.encode()),
    INVENTORY_HEADER + b"tree %s\npatch %s\n" % (A.encode(), B.encode()),
    INVENTORY_HEADER + b"tree %s\npatch %s %s x\n" % (A.encode(), B.encode(), C.encode()),
    INVENTORY_HEADER + b"tree %s\nname x\n" % A.encode(),
    INVENTORY_HEADER + b"tree nothex\n",
    INVENTORY_HEADER + b"tree %s" % A.encode(),
    INVENTORY_HEADER + b"tree %s\n\n" % A.encode(),
    INVENTORY_HEADER + b"tree \xff\n",
    INVENTORY_HEADER,
    b"verfs-inventory 0\ntree %s\n" % A.encode(),
])
def test_inventory_parse_refuses_non_canonical(data):
    with pytest.raises(FormatError):
        Inventory.parse(data)
