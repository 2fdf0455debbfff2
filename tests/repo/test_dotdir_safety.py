"""Whatever a tree says, writing it out never touches a ``.verfs`` (at any level) and
never writes outside the target; recording never takes a ``.verfs`` into a tree.

Trees are made directly in the store, so these hold for any tree however it came
(an import, a hand-made object), not only for those the importers let through.
"""

import os

import pytest

from store import DIR, EMPTY_TREE_ID, FILE, LINK, Tree, TreeEntry
from store.errors import FormatError
from store.names import read_path
from tests.conftest import run_verfs
from verfs.errors import DirtyWorkingTree
from verfs.repo import Repository
from verfs.worktree import checkout, snapshot


def _tree(store, spec: dict) -> str:
    """``{name: bytes | ("link", target) | {sub...}}`` as a tree in ``store``."""
    entries = []
    for name, v in spec.items():
        if isinstance(v, dict):
            oid = _tree(store, v)
            entries.append(TreeEntry(name, DIR, oid, len(store.get_tree(oid))))
        elif isinstance(v, tuple):
            entries.append(TreeEntry(name, LINK, store.put_blob(v[1].encode()), len(v[1])))
        else:
            entries.append(TreeEntry(name, FILE, store.put_blob(v), len(v)))
    return store.put_tree(Tree.build(entries))


@pytest.fixture
def repo(tmp_path) -> Repository:
    return Repository.init(str(tmp_path / "repo"))


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _dotdir_files(repo: Repository) -> dict:
    out = {}
    for d, _, files in os.walk(repo.dotdir):
        for f in files:
            with open(os.path.join(d, f), "rb") as fh:
                out[os.path.relpath(os.path.join(d, f), repo.dotdir)] = fh.read()
    return out


def test_a_tree_with_a_top_level_verfs_leaves_the_repository_alone(repo):
    store = repo.history.states
    evil = _tree(store, {"a": b"a\n", ".verfs": {"head": b"evil\n", "store": {}}})
    before = _dotdir_files(repo)
    checkout(store, EMPTY_TREE_ID, evil, repo.root)
    assert _dotdir_files(repo) == before
    assert _read(os.path.join(repo.root, "a")) == b"a\n"
    checkout(store, evil, EMPTY_TREE_ID, repo.root)     # and leaving it removes nothing
    assert _dotdir_files(repo) == before
    assert repo.head() is None


def test_a_nested_verfs_is_never_written(repo):
    store = repo.history.states
    evil = _tree(store, {"sub": {"f": b"f\n", ".verfs": {"head": b"evil\n"}}})
    checkout(store, EMPTY_TREE_ID, evil, repo.root)
    assert sorted(os.listdir(os.path.join(repo.root, "sub"))) == ["f"]


def test_removing_a_directory_keeps_a_nested_repository_in_it(repo):
    """``sub/.verfs`` on disk is a repository of its own, not part of any tree."""
    store = repo.history.states
    old = _tree(store, {"sub": {"f": b"f\n"}})
    checkout(store, EMPTY_TREE_ID, old, repo.root)
    nested = os.path.join(repo.root, "sub", ".verfs")
    os.mkdir(nested)
    with open(os.path.join(nested, "head"), "wb") as f:
        f.write(b"mine\n")
    checkout(store, old, EMPTY_TREE_ID, repo.root)
    assert os.listdir(os.path.join(repo.root, "sub")) == [".verfs"]
    assert _read(os.path.join(nested, "head")) == b"mine\n"
    # and a file cannot take the place of the directory that holds it
    with pytest.raises(DirtyWorkingTree, match="holds a .verfs"):
        checkout(store, old, _tree(store, {"sub": b"now a file\n"}), repo.root)
    assert _read(os.path.join(nested, "head")) == b"mine\n"


def test_a_symlinked_parent_directory_is_never_followed(repo, tmp_path):
    """The tree says ``a`` is a directory, the disk has a link ``a -> outside``:
    writing ``a/x`` must fail, not write ``outside/x``."""
    store = repo.history.states
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, os.path.join(repo.root, "a"))
    old = _tree(store, {"a": {}})
    with pytest.raises(OSError):
        checkout(store, old, _tree(store, {"a": {"x": b"x\n"}}), repo.root)
    assert list(outside.iterdir()) == []


def test_a_link_then_a_directory_of_that_name_stays_inside(repo, tmp_path):
    store = repo.history.states
    outside = tmp_path / "outside"
    outside.mkdir()
    first = _tree(store, {"a": ("link", str(outside))})
    second = _tree(store, {"a": {"x": b"x\n"}})
    checkout(store, EMPTY_TREE_ID, first, repo.root)
    checkout(store, first, second, repo.root)
    assert list(outside.iterdir()) == []
    assert _read(os.path.join(repo.root, "a", "x")) == b"x\n"
    assert not os.path.islink(os.path.join(repo.root, "a"))


def test_an_exec_bit_change_does_not_follow_a_link(repo, tmp_path):
    store = repo.history.states
    outside = tmp_path / "outside-file"
    outside.write_bytes(b"x\n")
    outside.chmod(0o644)
    blob = store.put_blob(b"x\n")
    old = store.put_tree(Tree.build([TreeEntry("f", FILE, blob, 2)]))
    new = store.put_tree(Tree.build([TreeEntry("f", FILE, blob, 2, True)]))
    os.symlink(outside, os.path.join(repo.root, "f"))
    with pytest.raises(OSError):
        checkout(store, old, new, repo.root)
    assert outside.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "/abs", "nul\0byte"])
def test_names_that_escape_are_refused_in_trees(name):
    with pytest.raises(FormatError):
        Tree.build([TreeEntry(name, FILE, "0" * 64, 0)])


@pytest.mark.parametrize("path", [b"../x", b"./../x", b"/etc/passwd", b"./a/../../x",
                                  b"./a//b", b"./nul\0"])
def test_paths_that_escape_are_refused_in_patch_text(path):
    with pytest.raises(FormatError):
        read_path(path)


def test_snapshot_leaves_out_every_verfs(repo):
    store = repo.history.states
    for rel in ("sub/.verfs/head", "f"):
        p = os.path.join(repo.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(b"x\n")
    tree = store.get_tree(snapshot(store, repo.root))
    assert sorted(tree.by_name) == ["f", "sub"]
    assert len(store.get_tree(tree.by_name["sub"].oid)) == 0


def test_record_never_takes_a_nested_verfs(tmp_path):
    top = tmp_path / "r"
    run_verfs("init", top)
    (top / "sub" / ".verfs").mkdir(parents=True)
    (top / "sub" / ".verfs" / "head").write_bytes(b"planted\n")
    (top / "sub" / "f").write_bytes(b"f\n")
    run_verfs("record", "-m", "one", cwd=top)
    clone = tmp_path / "c"
    run_verfs("clone", top, clone)
    assert sorted(os.listdir(clone / "sub")) == ["f"]
    assert b".verfs" not in run_verfs("show", "head", cwd=top).stdout


@pytest.mark.parametrize("path", [".verfs/head", "sub/.verfs", "sub/.verfs/head"])
def test_record_refuses_a_verfs_path_by_name(tmp_path, path):
    top = tmp_path / "r"
    run_verfs("init", top)
    (top / "sub" / ".verfs").mkdir(parents=True)
    (top / "sub" / ".verfs" / "head").write_bytes(b"planted\n")
    r = run_verfs("record", "-m", "one", path, cwd=top, check=False)
    assert r.returncode == 2
    assert r.stderr.decode() == (f"verfs: {path}: inside a .verfs directory, which is never "
                                 f"recorded (a repository's own data)\n")
