"""The darcs file parser on hand-written bytes: the forms darcs 2.16 reads but rarely
writes (legacy ``*-`` infos, infos without log lines, ``{}``/``()`` groups, context
lines in hunks, ``rotcilfnoc``, conflictors with ``{{ }}`` context), each checked
against what ``darcs-format.md`` says they mean.  No darcs program needed."""

import hashlib

import pytest

from store import DIR, FILE, MemoryStore, Tree, TreeEntry
from verfs.importers.darcs_format import (
    DarcsFormatError,
    escape_name,
    parse_inventory,
    parse_patch,
    pristine_hash,
)
from verfs.patch.prims import (
    AddDir,
    AddFile,
    Binary,
    ChangePref,
    Hunk,
    Move,
    Replace,
    RmDir,
    RmFile,
)

INFO = b"[a [bracketed] name\nA <a@example.com>**20261125082201\n Ignore-this: 42\n \n x\n] "


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def test_info_identity_and_fields():
    p = parse_patch(INFO + b"addfile ./f")
    assert p.info.name == b"a [bracketed] name"
    assert p.info.author == b"A <a@example.com>"
    assert p.info.date == b"20261125082201"
    assert p.info.log == (b"Ignore-this: 42", b"", b"x")
    assert not p.info.inverted
    assert p.info.identity == sha1(b"a [bracketed] nameA <a@example.com>20261125082201"
                                   b"Ignore-this: 42xf")
    assert p.prims == [AddFile("f")]


def test_legacy_inverted_info_without_log_lines():
    p = parse_patch(b"[old\nX*-20030101000000] rmfile ./f")
    assert p.info.inverted and p.info.log == ()
    assert p.info.identity == sha1(b"oldX20030101000000t")
    assert p.prims == [RmFile("f")]


def test_odd_legacy_date_is_kept_as_text():
    p = parse_patch(b"[old\nX**Tue Nov 11 10:22:03 EST 2003] ")
    assert p.info.date == b"Tue Nov 11 10:22:03 EST 2003"
    assert p.prims == []


def test_dependencies_and_a_tag():
    dep = b"[dep\nB**20261125082201\n Ignore-this: 1\n] "
    p = parse_patch(INFO + b"\n<\n" + dep + b"\n" + dep
                    + b"\n> addfile ./d.txt\nhunk ./d.txt 1\n+dep")
    assert [d.name for d in p.deps] == [b"dep", b"dep"]
    assert p.prims == [AddFile("d.txt"), Hunk("d.txt", 1, (), (b"dep",))]
    tag = parse_patch(b"[TAG v1\nT**20261125082201\n Ignore-this: 2\n] \n<\n" + dep + b"\n>")
    assert tag.info.is_tag and tag.prims == [] and len(tag.deps) == 1


def test_every_primitive():
    body = (b"adddir ./dir\\32\\one\nrmdir ./gone\nmove ./a ./odd\\9\\name\\92\\x\n"
            b"hunk ./f 2\n-old\n-\n+new\r\n+\n"
            b"replace ./r [A-Za-z-] new-x newer-y\n"
            b"binary ./b\noldhex\n*\nnewhex\n*4249\n*4e00\n"
            b"changepref test\n\ntrue\n"
            b"hunk ./nb\\160\\sp 1\n+x")
    p = parse_patch(INFO + body)
    assert p.prims == [
        AddDir("dir one"), RmDir("gone"), Move("a", "odd\tname\\x"),
        Hunk("f", 2, (b"old", b""), (b"new\r", b"")),
        Replace("r", "A-Za-z-", b"new-x", b"newer-y"),
        Binary("b", hashlib.sha256(b"").hexdigest(), hashlib.sha256(b"BIN\x00").hexdigest()),
        ChangePref("test", b"", b"true"),
        Hunk("nb\xa0sp", 1, (), (b"x",)),
    ]
    assert p.blobs[p.prims[5].new] == b"BIN\x00"


def test_context_lines_and_empty_hunks():
    p = parse_patch(INFO + b"hunk ./f 3\n ctx\n-a\n+b\n ctx after\nhunk ./f 9\nhunk ./g 1")
    assert p.prims == [Hunk("f", 3, (b"a",), (b"b",))]


def test_groups_are_flattened():
    p = parse_patch(INFO + b"{\naddfile ./a\n(\naddfile ./b\n)\n}\naddfile ./c")
    assert p.prims == [AddFile("a"), AddFile("b"), AddFile("c")]


def test_conflictor_undoes_and_rotcilfnoc_applies():
    wrapped = (b"[\nhunk ./g 1\n-line 0\n+line 0 (main)\naddfile ./x\n]\n"
               b"hunk ./g 1\n-q\n+r\n:\nhunk ./g 1\n-line 0\n+line 0 (side)")
    p = parse_patch(INFO + b"conflictor {{\nhunk ./h 1\n+c\n:\naddfile ./h\n}} " + wrapped)
    assert p.prims == [RmFile("x"), Hunk("g", 1, (b"line 0 (main)",), (b"line 0",))]
    q = parse_patch(INFO + b"rotcilfnoc " + wrapped + b"\naddfile ./after")
    assert q.prims == [Hunk("g", 1, (b"line 0",), (b"line 0 (main)",)), AddFile("x"),
                       AddFile("after")]
    empty = parse_patch(INFO + b"conflictor []\n:\nhunk ./g 1\n-a\n+b")
    assert empty.prims == []


def test_duplicates_do_nothing_and_their_blobs_are_not_kept():
    p = parse_patch(INFO + b"duplicate\nhunk ./s 1\n-same\nrmfile ./s\n:\naddfile ./s\n"
                    b"etacilpud\n:\nbinary ./b\noldhex\n*00\nnewhex\n*01\naddfile ./t")
    assert p.prims == [AddFile("t")] and p.blobs == {}


@pytest.mark.parametrize("body", [b"frobnicate ./x", b"hunk ./f 1\n+a\n]", b"addfile f",
                                  b"binary ./b\noldhex\n*zz\nnewhex\n*", b"move ./a",
                                  b"conflictor [\naddfile ./a\n"])
def test_malformed_bodies_fail_with_a_position(body):
    with pytest.raises(DarcsFormatError, match="at byte"):
        parse_patch(INFO + body)


def test_inventories():
    h64 = "ab" * 32
    name = "0000000005-" + h64
    head = parse_inventory(f"pristine:{h64}\nStarting with inventory:\n{name}\n".encode()
                           + INFO + f"\nhash: {name}\n".encode())
    assert head.pristine == h64 and head.parent == name
    assert [(i.name, n) for i, n in head.entries] == [(b"a [bracketed] name", name)]
    empty = parse_inventory(f"pristine:{h64}\n".encode())
    assert empty.entries == () and empty.parent is None
    with pytest.raises(DarcsFormatError):
        parse_inventory(INFO + b"\nhash: ../../etc/passwd\n")


def test_darcs_escapes_what_haskell_calls_space():
    assert escape_name("a b\tc\\d") == b"a\\32\\b\\9\\c\\92\\d"
    assert escape_name("nb\xa0\u3000") == b"nb\\160\\\\12288\\"
    assert escape_name("nel\x85") == "nel\x85".encode()        # Python's isspace differs


def test_pristine_hash_of_a_tree():
    store = MemoryStore()
    blob = store.put_blob(b"hi\n")
    sub = store.put_tree(Tree.build([TreeEntry("x y", FILE, blob, 3)]))
    root = store.put_tree(Tree.build([TreeEntry("d", DIR, sub, 1),
                                      TreeEntry("f", FILE, blob, 3)]))
    sub_hash = hashlib.sha256(f"file:\nx\\32\\y\n{blob}\n".encode()).hexdigest()
    want = hashlib.sha256(f"directory:\nd\n{sub_hash}\nfile:\nf\n{blob}\n".encode())
    assert pristine_hash(store.get_tree, root) == want.hexdigest()
    empty = store.put_tree(Tree.build([]))
    assert pristine_hash(store.get_tree, empty) == hashlib.sha256(b"").hexdigest()
