"""Hypothesis strategies for *valid* prims: each one drawn to fit the tree it follows.

Laws about commuting say nothing when the pairs they are given never commute, or do
not apply in the first place.  So the state is a real tree in a MemoryStore (read back
after every prim), and each prim is drawn from what that state allows: hunks whose old
lines are there, rmfile only of empty plain files, moves to free places outside
themselves, binaries naming the current blob.  Lines come from a tiny alphabet so that
hunks and token replaces collide often, and the second prim of a pair is usually drawn
*near* the first (same file, the moved path, a parent) so that the interesting cases —
hunk arithmetic, renaming through moves — are common rather than rare.

Only tests import this module (it needs hypothesis); it lives in the package so that
tests of the layers above (versions, commuting in a repository) can draw valid
patches too, whatever pytest's import mode.
"""

from hypothesis import strategies as st

from store import DIR, LINK, MemoryStore
from store.ids import hash_bytes
from verfs.patch import Patch, PatchInfo, apply_to_tree
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
    paths,
)
from verfs.patch.testing import Exec, Link, build
from verfs.patch.tokens import replace_tokens

LINES = [b"a", b"b", b"", b"a b", b"c"]
NEW_NAMES = ["n", "new file", "ñé", "x", "a.txt", "deep", "\udcfe"]
BINARIES = [b"", b"\x00bin\xff", b"a\nb", b"a\n"]
TOKEN_CHARS = ["A-Za-z_0-9", "a-z"]
TOKENS = [b"a", b"b", b"ab", b"c"]
TARGETS = ["a.txt", "../up and away", "ñ", ""]
DIR_ = object()     # a directory in a flattened state

# built once: making strategies inside every draw costs more than drawing from them
FILE_LINES = st.lists(st.sampled_from(LINES), max_size=6)
NEW_LINES = st.lists(st.sampled_from(LINES), max_size=3)


def flatten(store, root: str) -> dict:
    """``path → bytes | Exec | Link | DIR_`` for every entry below ``root``."""
    out: dict = {}

    def walk(tid: str, prefix: str) -> None:
        for e in store.get_tree(tid).entries:
            path = prefix + e.name
            if e.kind == DIR:
                out[path] = DIR_
                walk(e.oid, path + "/")
            elif e.kind == LINK:
                out[path] = Link(store.get_blob(e.oid))
            else:
                data = store.get_blob(e.oid)
                out[path] = Exec(data) if e.exec else data

    walk(root, "")
    return out


def _related(path: str, focus: tuple[str, ...], siblings: bool = False) -> bool:
    """``path`` is one of the focus paths, inside one or around one (or, with
    ``siblings``, next to one)."""
    for f in focus:
        if path == f or path.startswith(f + "/") or f.startswith(path + "/"):
            return True
        if siblings and path.rpartition("/")[0] == f.rpartition("/")[0]:
            return True
    return False


def _hunk_lines(draw, lines: list) -> tuple[int, tuple, tuple]:
    """(line, old, new) of a hunk that applies to ``lines``.

    Empty hunks are kept rare (they commute with everything, so they prove little),
    and a hunk may not leave a file with no lines at all: b"" is one empty line, so
    such a hunk has no exact inverse (in darcs neither); darcs empties a file by
    leaving that one empty line, and so do we."""
    i = draw(st.integers(0, len(lines)))
    k = draw(st.integers(0, min(3, len(lines) - i)))
    new = draw(NEW_LINES)
    if k == 0 and not new and draw(st.integers(0, 9)) != 9:
        new = [draw(st.sampled_from(LINES))]
    if k == len(lines) and not new:
        new = [b""]
    return i + 1, tuple(lines[i:i + k]), tuple(new)


def _content(value) -> bytes:
    return value.data if isinstance(value, Exec) else value


@st.composite
def base_trees(draw):
    """A fresh store and a small tree with every kind of thing in it."""
    store = MemoryStore()

    def text(final_newline=None) -> bytes:
        lines = draw(FILE_LINES)
        nl = draw(st.booleans()) if final_newline is None else final_newline
        return b"\n".join(lines) + (b"\n" if nl and lines else b"")

    spec = {
        "a.txt": text(True),
        "no newline": text(False),
        "empty": b"",
        "run.sh": Exec(text()),
        "dir one": {"f ü.txt": text(), "sub": {"deep": text()}, "emptydir": {}},
        "d2": {"x": text()},
        "link": Link(b"a.txt"),
        "bin": b"\x00\x01\xff\n",
        "\udcff raw": text(),
    }
    return store, build(store, spec)


@st.composite
def prims_in(draw, store, root: str, near=None, kinds=None, strict=False):
    """One prim that applies to ``root``; with ``near`` (a prim), usually one that
    touches the same paths or their neighbours (always, if ``strict``).  ``kinds``
    restricts the kinds drawn (evenly among those possible), if any is possible."""
    state = flatten(store, root)
    focus = paths(near) if near is not None else ()
    if focus and (strict or draw(st.integers(0, 3)) > 0):
        pick = {p: v for p, v in state.items() if _related(p, focus)} or state
    else:
        pick = state
    files = sorted(p for p, v in pick.items() if isinstance(v, bytes | Exec))
    dirs = sorted(p for p, v in state.items() if v is DIR_)
    links = sorted(p for p, v in pick.items() if isinstance(v, Link))
    empty_files = [p for p in files if state[p] == b""]
    empty_dirs = [p for p in dirs if p in pick
                  and not any(q.startswith(p + "/") for q in state)]
    movable = sorted(pick)
    parents = [""] + dirs

    def free_path(avoid_inside: str | None = None) -> str | None:
        """A path that does not exist in a directory that does; near the focus, often
        a focus path itself (just removed or moved away: the dependent cases)."""
        options = sorted(({f"{d}/{n}" if d else n for d in parents for n in NEW_NAMES}
                          | {f for f in focus if f.rpartition("/")[0] in parents})
                         - set(state))
        if avoid_inside is not None:
            options = [p for p in options if not p.startswith(avoid_inside + "/")]
        if focus and draw(st.booleans()):
            vacated = [p for p in options if p in focus]
            if vacated and draw(st.booleans()):
                return draw(st.sampled_from(vacated))
            options = [p for p in options if _related(p, focus, siblings=True)] or options
        return draw(st.sampled_from(options)) if options else None

    # Interesting kinds first: hypothesis leans towards the start of a list.
    possible = []
    if files:
        possible += ["hunk"] * 6 + ["replace", "replace", "binary", "chmod"]
    if movable:
        possible += ["move"] * 3
    if empty_files:
        possible.append("rmfile")
    if empty_dirs:
        possible.append("rmdir")
    if links:
        possible.append("rmlink")
    possible += ["addfile", "adddir", "addlink", "changepref"]
    if kinds is not None:
        possible = [k for k in dict.fromkeys(possible) if k in kinds] or possible
    kind = draw(st.sampled_from(possible))

    if kind == "hunk":
        path = draw(st.sampled_from(files))
        return Hunk(path, *_hunk_lines(draw, _content(state[path]).split(b"\n")))
    if kind == "binary":
        path = draw(st.sampled_from(files))
        new = store.put_blob(draw(st.sampled_from(BINARIES)))
        return Binary(path, hash_bytes(_content(state[path])), new)
    if kind == "replace":
        path = draw(st.sampled_from(files))
        chars = draw(st.sampled_from(TOKEN_CHARS))
        data = _content(state[path])
        old = draw(st.sampled_from(TOKENS))
        fits = [t for t in TOKENS if replace_tokens(data, chars, old, t) is not None]
        if not fits:
            return ChangePref("replace-would-clash", b"", b"")
        return Replace(path, chars, old, draw(st.sampled_from(fits)))
    if kind == "chmod":
        path = draw(st.sampled_from(files))
        return Chmod(path, not isinstance(state[path], Exec))
    if kind == "rmfile":
        return RmFile(draw(st.sampled_from(empty_files)))
    if kind == "rmdir":
        return RmDir(draw(st.sampled_from(empty_dirs)))
    if kind == "rmlink":
        path = draw(st.sampled_from(links))
        return RmLink(path, state[path].target.decode("utf-8", "surrogateescape"))
    if kind == "changepref":
        return ChangePref(draw(st.sampled_from(["test", "boring"])), b"", b"v")
    if kind == "move":
        src = draw(st.sampled_from(movable))
        dst = free_path(avoid_inside=src)
        if dst is None:
            return ChangePref("no-room", b"", b"")
        return Move(src, dst)
    path = free_path()
    if path is None:
        return ChangePref("no-room", b"", b"")
    if kind == "addfile":
        return AddFile(path)
    if kind == "adddir":
        return AddDir(path)
    return AddLink(path, draw(st.sampled_from(TARGETS)))


@st.composite
def sequences_in(draw, store, root: str, min_size=0, max_size=4, near=None):
    """Prims that apply one after another to ``root``; returns (prims, end root)."""
    prims = []
    n = draw(st.integers(min_size, max_size))
    for _ in range(n):
        p = draw(prims_in(store, root, near=near or (prims[-1] if prims else None)))
        root = apply_to_tree(store, root, [p])
        prims.append(p)
    return prims, root


@st.composite
def contexts(draw):
    """A store and a root reached from a base tree by a few random prims."""
    store, root = draw(base_trees())
    _, root = draw(sequences_in(store, root, max_size=3))
    return store, root


@st.composite
def pairs(draw):
    """(store, root, p, q): p applies to root, q to root after p, q near p."""
    store, root = draw(contexts())
    p = draw(prims_in(store, root))
    q = draw(prims_in(store, apply_to_tree(store, root, [p]), near=p))
    return store, root, p, q


FILE_KINDS = ("hunk", "replace", "binary", "chmod")


@st.composite
def file_pairs(draw):
    """Two changes to one file's content or exec bit, every kind as often as hunks."""
    store, root = draw(contexts())
    p = draw(prims_in(store, root, kinds=FILE_KINDS))
    mid = apply_to_tree(store, root, [p])
    q = draw(prims_in(store, mid, near=p, strict=True, kinds=FILE_KINDS + ("rmfile",)))
    return store, root, p, q


@st.composite
def move_pairs(draw):
    """A move and a change next to it (before or after it), or two moves."""
    store, root = draw(contexts())
    move_first = draw(st.booleans())
    p = draw(prims_in(store, root, kinds=("move",) if move_first else None))
    mid = apply_to_tree(store, root, [p])
    q = draw(prims_in(store, mid, near=p, strict=True,
                      kinds=None if move_first else ("move",)))
    return store, root, p, q


def any_pairs():
    """Pairs of every sort, with same-file and move pairs drawn on purpose."""
    return st.one_of(pairs(), file_pairs(), move_pairs())


@st.composite
def triples(draw):
    store, root = draw(contexts())
    p = draw(prims_in(store, root))
    mid = apply_to_tree(store, root, [p])
    q = draw(prims_in(store, mid, near=p))
    r = draw(prims_in(store, apply_to_tree(store, mid, [q]), near=draw(st.sampled_from([p, q]))))
    return store, root, p, q, r


@st.composite
def hunk_pairs(draw):
    """Two hunks on one file of several lines: the arithmetic cases, densely."""
    store = MemoryStore()
    lines = draw(st.lists(st.sampled_from(LINES), min_size=3, max_size=10))
    root = build(store, {"f": b"\n".join(lines)})

    p = Hunk("f", *_hunk_lines(draw, lines))
    after = list(lines)
    after[p.line - 1:p.line - 1 + len(p.old)] = p.new
    return store, root, p, Hunk("f", *_hunk_lines(draw, after))


def named(name: str, prims) -> Patch:
    return Patch(PatchInfo(name, "Tester <t@example.com>", "20260101000000",
                           (f"comment of {name}",)), tuple(prims))


@st.composite
def patch_pairs(draw):
    """(store, root, p, q): two named patches of 1-3 prims each, q drawn near p."""
    store, root = draw(contexts())
    ps, mid = draw(sequences_in(store, root, 1, 3))
    qs, _ = draw(sequences_in(store, mid, 1, 3, near=ps[-1]))
    return store, root, named("p", ps), named("q", qs)
