"""`verfs diff A B | git apply`, run in a checkout of A, gives B exactly; and the
output is the real `git diff`'s where git's choices are not ambiguous.

The versions are recorded with `verfs record`, checked out with `verfs clone
--version`, patched by the real `git apply` (in a directory that is no git
repository, as a user would), and compared byte for byte, executable bits and
symlink targets included.  A property test drives single-file changes of every kind
(text with and without final newline, empty, binary, symlink, executable) through
`git apply` and back with `git apply -R`.
"""

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.compat.gitrepo import git_env
from tests.conftest import need
from tests.treestate import disk_state
from verfs.gitbinary import blob_id
from verfs.gitdiff import EXEC_MODE, FILE_MODE, LINK_MODE, file_section, quote


def _git(cwd, *args, input: bytes | None = None, check: bool = True):
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True,
                          env=git_env(), check=check)


def _write(top: Path, rel: str, data: bytes, exe: bool = False) -> None:
    p = top / rel
    if p.is_symlink() or p.exists():
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    os.chmod(p, 0o755 if exe else 0o644)


def _link(top: Path, rel: str, target: str) -> None:
    p = top / rel
    if p.is_symlink() or p.exists():
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, p)


# a hunk's function line: the last line before it that starts with a letter, cut at 80
LONG_FUNC = b"def a_function_whose_first_line_is_much_longer_than_eighty_bytes" \
    b"(alpha, beta, gamma, delta, epsilon):\n"


def _version_a(top: Path, binaries: bool) -> None:
    lines = [b"    line %d\n" % i for i in range(40)]
    lines[20] = LONG_FUNC
    _write(top, "t.txt", b"".join(lines))
    _write(top, "nonl.txt", b"no final newline")
    _write(top, "gains_newline.txt", b"a\nb")
    _write(top, "loses_newline.txt", b"a\nb\n")
    _write(top, "empty_gone", b"")
    _write(top, "fills_up", b"")
    _write(top, "script.sh", b"#!/bin/sh\necho hi\n")
    _write(top, "was_exec", b"run me\n", exe=True)
    _write(top, "exec_and_edit", b"x\n", exe=True)
    _write(top, "becomes_link", b"I am a file\n")
    _link(top, "becomes_file", "t.txt")
    _link(top, "to_retarget", "t.txt")
    _link(top, "to_remove", "nonl.txt")
    _link(top, "dangling", "nowhere/at/all")
    _write(top, "sub/keep.txt", b"keep\n")
    _write(top, "sub/deep/gone.txt", b"gone\n")
    _write(top, "with space.txt", b"spaced\n")
    _write(top, "caf\u00e9.txt", b"accent\n")
    _write(top, "a.txt", b"sorts before a/\n")
    _write(top, "a/x", b"inside\n")
    if binaries:
        rng = random.Random(13)
        _write(top, "blob.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
        _write(top, "big.bin", rng.randbytes(200_000))
        _write(top, "bin_gone.bin", b"\0" * 5000)
        _write(top, "late_nul.txt", b"x" * 9000 + b"\0")   # NUL past 8000 bytes: text


def _version_b(top: Path, binaries: bool) -> None:
    lines = [b"    line %d\n" % i for i in range(40)]
    lines[20] = LONG_FUNC
    lines[3] = b"changed 3\n"
    lines[30:32] = [b"new 30\n"]
    lines.append(b"appended\n")
    _write(top, "t.txt", b"".join(lines))
    _write(top, "nonl.txt", b"still no final newline")
    _write(top, "gains_newline.txt", b"a\nb\n")
    _write(top, "loses_newline.txt", b"a\nb")
    (top / "empty_gone").unlink()
    _write(top, "fills_up", b"now full\n")
    _write(top, "empty_new", b"")
    os.chmod(top / "script.sh", 0o755)
    os.chmod(top / "was_exec", 0o644)
    _write(top, "exec_and_edit", b"y\n", exe=False)
    _link(top, "becomes_link", "sub/keep.txt")
    (top / "becomes_file").unlink()
    _write(top, "becomes_file", b"I was a link\n")
    _link(top, "to_retarget", "nonl.txt")
    (top / "to_remove").unlink()
    _link(top, "new_link", "sub/keep.txt")
    shutil.rmtree(top / "sub" / "deep")
    _write(top, "new/dir/f.txt", b"fresh\n")
    _write(top, "with space.txt", b"spaced out\n")
    _write(top, "caf\u00e9.txt", b"accented\n")
    _write(top, "a/x", b"inside, changed\n")
    _write(top, "a.txt", b"sorts before a/, changed\n")
    if binaries:
        rng = random.Random(14)
        big = bytearray((top / "big.bin").read_bytes())
        big[1000:1010] = b"\0" * 10
        _write(top, "big.bin", bytes(big))
        _write(top, "blob.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(255, -1, -1)))
        (top / "bin_gone.bin").unlink()
        _write(top, "bin_new.bin", b"\0new" + rng.randbytes(3000))
        _write(top, "text_to_bin", b"was text\0")
        _write(top, "late_nul.txt", b"y" * 9000 + b"\0")


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def versions(request, verfs, repo_dir):
    """(repo, A, B, binaries): B is the repository's working tree and head."""
    need("git")
    binaries = request.param
    _version_a(repo_dir, binaries)
    if binaries:
        _write(repo_dir, "text_to_bin", b"was text\n")
    a = verfs("record", "-m", "A", cwd=repo_dir).stdout.decode().split()[-1]
    _version_b(repo_dir, binaries)
    b = verfs("record", "-m", "B", cwd=repo_dir).stdout.decode().split()[-1]
    return repo_dir, a, b, binaries


def _checkout(verfs, repo: Path, version: str, dest: Path) -> Path:
    verfs("clone", "--version", version, repo, dest)
    shutil.rmtree(dest / ".verfs")
    return dest


def test_git_apply_turns_a_checkout_of_a_into_b(verfs, versions, tmp_path):
    repo, a, b, binaries = versions
    args = ["--binary"] if binaries else []
    proc = verfs("diff", *args, a, b, cwd=repo, check=False)
    assert proc.returncode == 1
    patch = proc.stdout
    old = _checkout(verfs, repo, a, tmp_path / "old")
    want_a, want_b = disk_state(old), disk_state(repo)
    assert want_a != want_b
    check = _git(old, "apply", "--check", "-v", input=patch, check=False)
    assert check.returncode == 0, check.stderr.decode()
    _git(old, "apply", input=patch)
    assert disk_state(old) == want_b
    # and back: the reverse hunks (binary ones included) undo it
    _git(old, "apply", "-R", input=patch)
    assert disk_state(old) == want_a


def test_binary_changes_without_binary_are_announced_not_applied(verfs, versions):
    repo, a, b, binaries = versions
    out = verfs("diff", a, b, cwd=repo, check=False).stdout
    if not binaries:
        assert b"Binary files" not in out and b"GIT binary patch" not in out
        return
    assert b"diff --git a/big.bin b/big.bin\n" in out
    assert b"Binary files a/big.bin and b/big.bin differ\n" in out
    assert b"Binary files /dev/null and b/bin_new.bin differ\n" in out
    assert b"Binary files a/bin_gone.bin and /dev/null differ\n" in out
    assert b"Binary files a/text_to_bin and b/text_to_bin differ\n" in out
    assert b"GIT binary patch" not in out
    assert b"+" + b"y" * 9000 in out         # a NUL after 8000 bytes: still text


def _git_repo_of(verfs, repo: Path, a: str, b: str, top: Path) -> None:
    """A git repository whose HEAD~ holds version a's tree and HEAD version b's."""
    top.mkdir()
    _git(top, "init", "-q")
    for v in (a, b):
        for p in top.iterdir():
            if p.name != ".git":
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        co = _checkout(verfs, repo, v, top.parent / f"co-{v[:8]}")
        shutil.copytree(co, top, symlinks=True, dirs_exist_ok=True)
        _git(top, "add", "-A")
        _git(top, "commit", "-q", "-m", v)


@pytest.mark.parametrize("flags", [["--full-index"], [], ["--binary"]])
def test_the_output_is_git_diffs(verfs, versions, tmp_path, flags):
    repo, a, b, binaries = versions
    if binaries and flags == ["--binary"]:
        # git diffs a changed binary file as a 'delta' where that is smaller; verfs
        # always writes a 'literal' (see above: both apply)
        pytest.skip("binary patches of changed files are git's delta, not compared")
    _git_repo_of(verfs, repo, a, b, tmp_path / "git")
    ours = verfs("diff", *flags, a, b, cwd=repo, check=False).stdout
    theirs = _git(tmp_path / "git", "-c", "core.quotepath=on", "diff", "--no-renames",
                  "--no-color", *flags, "HEAD~", "HEAD").stdout
    assert ours.decode("utf-8", "replace") == theirs.decode("utf-8", "replace")


def test_new_and_deleted_binary_files_as_git_writes_them(verfs, repo_dir, tmp_path):
    """New and deleted binary files are literals in git too: byte for byte the same."""
    need("git")
    _write(repo_dir, "gone.bin", b"\0" * 3000 + bytes(range(256)) * 20)
    _write(repo_dir, "keep.txt", b"keep\n")
    a = verfs("record", "-m", "A", cwd=repo_dir).stdout.decode().split()[-1]
    (repo_dir / "gone.bin").unlink()
    _write(repo_dir, "new.bin", random.Random(5).randbytes(70_000) + b"\0", exe=True)
    _write(repo_dir, "tiny.bin", b"\0")
    b = verfs("record", "-m", "B", cwd=repo_dir).stdout.decode().split()[-1]
    _git_repo_of(verfs, repo_dir, a, b, tmp_path / "git")
    ours = verfs("diff", "--binary", a, b, cwd=repo_dir, check=False).stdout
    theirs = _git(tmp_path / "git", "diff", "--no-renames", "--binary", "HEAD~",
                  "HEAD").stdout
    assert b"GIT binary patch\nliteral 70001\n" in ours
    assert ours == theirs


def test_exact_renames_as_git_finds_them(verfs, repo_dir, tmp_path):
    need("git")
    _write(repo_dir, "zz", b"moved to the front\n")
    _write(repo_dir, "tool", b"#!/bin/sh\n")
    _write(repo_dir, "d/one.txt", b"first of d\n")
    _write(repo_dir, "d/two.txt", b"second of d\n")
    _link(repo_dir, "l1", "zz")
    _write(repo_dir, "empty_a", b"")       # git pairs empty files too
    _write(repo_dir, "edited", b"quite different before\n")
    a = verfs("record", "-m", "A", cwd=repo_dir).stdout.decode().split()[-1]
    os.rename(repo_dir / "zz", repo_dir / "a_new")
    os.rename(repo_dir / "tool", repo_dir / "bin_tool")
    os.chmod(repo_dir / "bin_tool", 0o755)
    os.rename(repo_dir / "d", repo_dir / "e")
    os.rename(repo_dir / "l1", repo_dir / "l2")
    os.rename(repo_dir / "empty_a", repo_dir / "empty_b")
    (repo_dir / "edited").unlink()
    _write(repo_dir, "edited2", b"nothing like it after, at all\n")
    b = verfs("record", "-m", "B", cwd=repo_dir).stdout.decode().split()[-1]
    _git_repo_of(verfs, repo_dir, a, b, tmp_path / "git")
    ours = verfs("diff", "-M", a, b, cwd=repo_dir, check=False).stdout
    theirs = _git(tmp_path / "git", "diff", "-M", "HEAD~", "HEAD").stdout
    assert ours.count(b"similarity index 100%") == 6
    assert ours.decode() == theirs.decode()
    old = _checkout(verfs, repo_dir, a, tmp_path / "old")
    _git(old, "apply", input=ours)
    assert disk_state(old) == disk_state(repo_dir)


def test_help_shows_the_round_trip(verfs):
    out = verfs("diff", "--help").stdout.decode()
    assert "| git -C /tmp/old apply" in out and "--binary" in out


# -- one file, every kind of change, through git apply and back -----------------------

_texts = st.lists(st.sampled_from([b"a\n", b"b\n", b"c\n", b"def f():\n", b"\n", b"x",
                                   b"  y\n", b"\xff\xfe\n"]), max_size=12).map(b"".join)
_binaries = st.binary(max_size=300).map(lambda d: d + b"\0")
_contents = st.one_of(_texts, _binaries)
_sides = st.one_of(
    st.none(),
    st.tuples(st.sampled_from([FILE_MODE, EXEC_MODE]), _contents),
    st.tuples(st.just(LINK_MODE), st.sampled_from([b"t", b"../up/there", b"a b", b"x/y"])))


def _put(top: Path, name: str, side) -> None:
    p = top / name
    if side is None:
        return
    mode, data = side
    if mode == LINK_MODE:
        os.symlink(data, p)
    else:
        p.write_bytes(data)
        os.chmod(p, mode & 0o777)


def _read(top: Path, name: str):
    p = top / name
    if not p.is_symlink() and not p.exists():
        return None
    if p.is_symlink():
        return LINK_MODE, os.fsencode(os.readlink(p))
    return (EXEC_MODE if os.stat(p).st_mode & 0o100 else FILE_MODE), p.read_bytes()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(old=_sides, new=_sides, name=st.sampled_from(["f", "with space", "caf\u00e9"]))
def test_any_change_of_one_path_applies_and_reverts(tmp_path_factory, old, new, name):
    need("git")
    top = tmp_path_factory.mktemp("one")
    _put(top, name, old)
    path = name.encode()
    if old is not None and new is not None and (old[0] == LINK_MODE) != (new[0] == LINK_MODE):
        patch = file_section(path, old, None, binary=True) + \
            file_section(path, None, new, binary=True)
    else:
        patch = file_section(path, old, new, binary=True)
    assert (patch == b"") == (old == new)
    if not patch:
        return
    assert patch.startswith(b"diff --git %s %s\n" % (quote(b"a/" + path), quote(b"b/" + path)))
    _git(top, "apply", input=patch)
    assert _read(top, name) == new
    _git(top, "apply", "-R", input=patch)
    assert _read(top, name) == old


def test_blob_ids_are_gits(tmp_path):
    need("git")
    for data in (b"", b"hello\n", bytes(range(256)) * 3):
        (tmp_path / "f").write_bytes(data)
        assert _git(tmp_path, "hash-object", "f").stdout.decode().strip() == blob_id(data)


# -- random pairs of small trees, through git apply -----------------------------------

_POOL = ["a", "a.txt", "a/b", "a/c/d", "a/c/e", "b", "b/x", "c d"]
_entries = st.one_of(
    st.tuples(st.just("file"), _contents, st.booleans()),
    # targets outside the pool: git apply itself fails on a path under a symlink that
    # loops (lstat gives ELOOP, not ENOENT), whatever the patch
    st.tuples(st.just("link"), st.sampled_from([b"target", b"t/u", b"../out"])))
_trees = st.dictionaries(st.sampled_from(_POOL), _entries, max_size=6).map(
    lambda t: {p: e for p, e in t.items()
               if not any(p.startswith(q + "/") for q in t)})   # no file above a path


def _materialize(top: Path, tree: dict) -> None:
    top.mkdir()
    for path, e in tree.items():
        if e[0] == "link":
            _link(top, path, e[1].decode())
        else:
            _write(top, path, e[1], exe=e[2])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
# renames=False only: with -M, a symbolic link renamed away from a path under which
# something is created (link b -> a, file b/x) makes git apply refuse ("affected
# file 'b/x' is beyond a symbolic link") — git's own 'git diff -M' of those trees
# too, whatever the order: a check of git apply against the old tree, not of the
# patch (test_a_link_renamed_away_is_written_as_git_writes_it)
@given(old=_trees, new=_trees, renames=st.just(False))
def test_any_pair_of_small_trees_round_trips(tmp_path_factory, old, new, renames):
    need("git")
    from store import MemoryStore
    from verfs.gitdiff import tree_diff
    from verfs.worktree import snapshot

    top = tmp_path_factory.mktemp("trees")
    _materialize(top / "a", old)
    _materialize(top / "b", new)
    store = MemoryStore()
    ta, tb = snapshot(store, str(top / "a")), snapshot(store, str(top / "b"))
    patch = b"".join(tree_diff(store, ta, tb, binary=True, find_renames=renames))
    assert (patch == b"") == (disk_state(top / "a") == disk_state(top / "b"))
    if patch:
        _git(top / "a", "apply", input=patch)
    assert disk_state(top / "a") == disk_state(top / "b")


def test_a_link_renamed_away_is_written_as_git_writes_it(verfs, repo_dir, tmp_path):
    """The one case -M leaves git apply refusing: verfs's patch is git's, byte for
    byte; without -M it applies."""
    need("git")
    os.symlink("target", repo_dir / "b")
    verfs("record", "-m", "link", cwd=repo_dir)
    a = verfs("head", cwd=repo_dir).stdout.decode().strip()
    os.rename(repo_dir / "b", repo_dir / "a")
    (repo_dir / "b").mkdir()
    (repo_dir / "b" / "x").write_bytes(b"")
    verfs("record", "-m", "moved", cwd=repo_dir)
    b = verfs("head", cwd=repo_dir).stdout.decode().strip()
    g = tmp_path / "git"
    _git_repo_of(verfs, repo_dir, a, b, g)
    ours = verfs("diff", "-M", a, "head", cwd=repo_dir, check=False).stdout
    assert ours == _git(g, "diff", "-M", "HEAD~", "HEAD").stdout
    _git(g, "checkout", "-q", "HEAD~")
    plain = verfs("diff", a, "head", cwd=repo_dir, check=False).stdout
    _git(g, "apply", input=plain)
    assert os.readlink(g / "a") == "target" and (g / "b" / "x").read_bytes() == b""
