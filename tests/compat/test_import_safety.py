"""A history can never damage the repository it is imported into, nor plant one in
its working tree: histories made with the real darcs (which adds a ``.verfs/`` as
readily as any directory), imported through the command line.  And an import that
fails half-way leaves its target byte for byte as it was."""

import gzip
import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.compat.darcs_util import Darcs
from tests.compat.gitrepo import GitRepo
from tests.conftest import need, run_verfs
from tests.pausing import Paused
from tests.treestate import disk_state

pytestmark = pytest.mark.compat


@pytest.fixture
def darcs(tmp_path) -> Darcs:
    need("darcs")
    return Darcs(tmp_path / "sandbox")


def write(repo: Path, rel: str, data: bytes) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def every_file(top: Path) -> dict:
    """Everything under ``top``, ``.verfs`` included: name → bytes, link target, or
    a directory mark, with modes."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, top)
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", st.st_mode)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), st.st_mode)
    return out


def dotdir_paths(top: Path) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, n), top)
                  for d, dirs, files in os.walk(top) for n in dirs + files
                  if ".verfs" in os.path.relpath(os.path.join(d, n), top).split(os.sep)
                  and not os.path.relpath(os.path.join(d, n), top).startswith(".verfs"))


def history_with_dotdirs(darcs: Darcs, base: Path) -> Path:
    """one: a file.  two: a top-level ``.verfs`` (head, a store file) and a nested
    ``sub/.verfs/head``.  three: edits inside ``.verfs`` and moves a file out of it."""
    src = darcs.init(base / "src")
    write(src, "a.txt", b"a\n")
    darcs.record(src, "one")
    write(src, ".verfs/head", b"0" * 64 + b"\n")
    write(src, ".verfs/store/planted", b"planted\n")
    write(src, ".verfs/x", b"moved out later\n")
    write(src, "sub/.verfs/head", b"1" * 64 + b"\n")
    write(src, "sub/f.txt", b"f\n")
    darcs("add", "-q", "-r", ".verfs", "sub", cwd=src)
    darcs.record(src, "two")
    write(src, ".verfs/head", b"2" * 64 + b"\n")
    darcs("mv", ".verfs/x", "y.txt", cwd=src)
    darcs.record(src, "three")
    return src


def upto(darcs: Darcs, src: Path, name: str, where: Path) -> Path:
    darcs("clone", "-q", "--to-patch", name, src, where, cwd=where.parent)
    return where


EXPECTED = {"a.txt": ("file", b"a\n", False), "sub": ("dir",),
            "sub/f.txt": ("file", b"f\n", False), "y.txt": ("file", b"moved out later\n", False)}


@pytest.mark.parametrize("first", ["one", "two"])
def test_an_incremental_import_of_verfs_dirs_leaves_the_target_whole(darcs, tmp_path, first):
    """Imported up to ``first``, then the rest: the target's store, head and reflog
    stay, every ``.verfs`` path is left out with a warning naming how many, and the
    file moved out of ``.verfs`` arrives with its content (the source's own tree,
    ``.verfs`` included, is followed — across runs too)."""
    src = history_with_dotdirs(darcs, tmp_path)
    target = tmp_path / "target"
    run_verfs("import", "darcs", upto(darcs, src, first, tmp_path / "first"),
              "--into", target)
    reflog = (target / ".verfs" / "reflog").read_bytes()
    r = run_verfs("import", "darcs", src, "--into", target)
    assert re.search(rb"warning: left out \d+ path\(s\) inside a \.verfs directory",
                     r.stderr) or first == "two", r.stderr
    assert (target / ".verfs" / "reflog").read_bytes().startswith(reflog)
    head = (target / ".verfs" / "head").read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    assert b"ok" in run_verfs("fsck", cwd=target).stdout
    log = run_verfs("log", cwd=target).stdout.decode()
    assert [m for m in re.findall(r"\* (\w+)", log)] == ["three", "two", "one"]
    assert disk_state(target) == EXPECTED
    assert dotdir_paths(target) == []
    assert not (target / ".verfs" / "store" / "planted").exists()
    again = run_verfs("import", "darcs", src, "--into", target)
    assert b"already up to date" in again.stdout and again.stderr == b"", again.stderr


def test_a_new_import_warns_with_a_count(darcs, tmp_path):
    src = history_with_dotdirs(darcs, tmp_path)
    r = run_verfs("import", "darcs", src, "--into", tmp_path / "t")
    warning = [line for line in r.stderr.decode().splitlines() if "left out" in line]
    assert len(warning) == 1
    # .verfs/head, .verfs/store, .verfs/store/planted, .verfs/x, sub/.verfs, sub/.verfs/head
    # (.verfs itself too): every path with a .verfs component that any change named
    assert re.search(r"left out \d+ path\(s\)", warning[0])
    assert disk_state(tmp_path / "t") == EXPECTED


def test_restore_and_clone_of_every_version_stay_safe(darcs, tmp_path):
    src = history_with_dotdirs(darcs, tmp_path)
    target = tmp_path / "t"
    run_verfs("import", "darcs", src, "--into", target)
    versions = re.findall(r"^version ([0-9a-f]{64})", run_verfs(
        "log", cwd=target).stdout.decode(), re.M)
    assert len(versions) == 3
    for i, v in enumerate(versions):
        run_verfs("restore", "--yes-i-know", v, cwd=target)
        assert dotdir_paths(target) == []
        assert (target / ".verfs" / "head").read_text().strip() == v
        clone = tmp_path / f"clone{i}"
        run_verfs("clone", "--version", v, target, clone)
        assert dotdir_paths(clone) == []
        assert (clone / ".verfs" / "head").read_text().strip() == v
        assert b"ok" in run_verfs("fsck", cwd=clone).stdout


def patch_names(repo: Path) -> list[str]:
    """The patch files the head inventory names, oldest first."""
    text = (repo / "_darcs" / "hashed_inventory").read_text("utf-8")
    return re.findall(r"^hash: (\S+)$", text, re.M)


def _does_not_apply(src: Path) -> str:
    """The last patch given a hunk that does not apply, under a correct name."""
    inv = src / "_darcs" / "hashed_inventory"
    old = patch_names(src)[-1]
    data = gzip.decompress((src / "_darcs" / "patches" / old).read_bytes())
    data = data[:data.index(b"\n] ") + 3] + b"hunk ./a.txt 9\n-not there\n+never"
    new = f"{len(data):010d}-{hashlib.sha256(data).hexdigest()}"
    (src / "_darcs" / "patches" / new).write_bytes(gzip.compress(data))
    inv.write_bytes(inv.read_bytes().replace(old.encode(), new.encode()))
    return "does not apply"


def _truncated(src: Path) -> str:
    victim = src / "_darcs" / "patches" / patch_names(src)[-1]
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    return "corrupt"


@pytest.mark.parametrize("damage", [_does_not_apply, _truncated],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_failed_import_leaves_the_target_byte_for_byte(darcs, tmp_path, damage):
    """Two patches imported, two good ones and a bad one after: the import fails and
    the target — working tree, head, reflog, store, cache — is as it was."""
    src = darcs.init(tmp_path / "src")
    for i in range(5):
        write(src, "a.txt", b"".join(b"line %d\n" % j for j in range(i + 3)))
        write(src, f"f{i}.txt", b"%d\n" % i)
        darcs.record(src, f"p{i}")
    target = tmp_path / "target"
    run_verfs("import", "darcs", upto(darcs, src, "p1", tmp_path / "first"), "--into", target)
    run_verfs("log", cwd=target)
    run_verfs("fsck", cwd=target)
    expected = damage(src)
    before = every_file(target)
    beside = sorted(os.listdir(tmp_path))
    r = run_verfs("import", "darcs", src, "--into", target, check=False)
    assert r.returncode != 0
    err = r.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("verfs: ") and expected in err, err
    assert every_file(target) == before
    assert sorted(os.listdir(tmp_path)) == beside


# --- killed and racing imports ---------------------------------------------------------

def five_patches(darcs: Darcs, base: Path) -> Path:
    src = darcs.init(base / "src")
    for i in range(5):
        for j in range(6):
            write(src, f"f{j}.txt", b"patch %d file %d\n" % (i, j) * (i + 1))
        darcs.record(src, f"p{i}")
    return src


def _head(top: Path) -> str:
    return (top / ".verfs" / "head").read_text().strip()


def test_a_killed_incremental_import_is_finished_by_the_rerun(darcs, tmp_path):
    """Killed while it rewrites the target's working tree: head is still the old one
    and the tree half-way; the re-run finishes it, at the uninterrupted run's head."""
    src = five_patches(darcs, tmp_path)
    target = tmp_path / "target"
    run_verfs("import", "darcs", upto(darcs, src, "p1", tmp_path / "first"), "--into", target)
    old = _head(target)
    reference = tmp_path / "reference"
    shutil.copytree(target, reference, symlinks=True)
    run_verfs("import", "darcs", src, "--into", reference)

    Paused(tmp_path, "checkout", "import", "darcs", src, "--into", target).kill()
    assert _head(target) == old and disk_state(target) != disk_state(reference)
    run_verfs("import", "darcs", src, "--into", target)
    assert _head(target) == _head(reference)
    assert disk_state(target) == disk_state(reference)
    assert b"ok" in run_verfs("fsck", cwd=target).stdout


@pytest.mark.parametrize("point", ["staged", "checkout"])
def test_a_killed_new_import_leaves_only_what_the_next_run_removes(darcs, tmp_path, point):
    src = five_patches(darcs, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    Paused(tmp_path, point, "import", "darcs", src, "--into", out / "t").kill()
    assert [n for n in os.listdir(out) if n.startswith(".verfs-import-")]
    run_verfs("import", "darcs", src, "--into", out / "t")
    assert os.listdir(out) == ["t"]
    reference = tmp_path / "reference"
    run_verfs("import", "darcs", src, "--into", reference)
    assert _head(out / "t") == _head(reference)


def test_any_later_import_beside_it_removes_a_dead_leftover(darcs, tmp_path):
    src = five_patches(darcs, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    Paused(tmp_path, "checkout", "import", "darcs", src, "--into", out / "first").kill()
    run_verfs("import", "darcs", src, "--into", out / "second")
    assert os.listdir(out) == ["second"]


def test_two_imports_into_one_new_target_one_is_told(darcs, tmp_path):
    src = five_patches(darcs, tmp_path)
    target = tmp_path / "t"
    first = Paused(tmp_path, "staged", "import", "darcs", src, "--into", target)
    r = run_verfs("import", "darcs", src, "--into", target, check=False)
    assert r.returncode != 0
    assert r.stderr.decode() == f"verfs: another import into {target} is running\n"
    done = first.resume()
    assert done.returncode == 0, done.stderr
    assert b"already up to date" in run_verfs("import", "darcs", src, "--into",
                                              target).stdout
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".verfs-")]


def test_git_leaves_out_a_verfs_at_any_level(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "g")
    g.write("a.txt", "a\n")
    g.write(".verfs/head", "0" * 64 + "\n")
    g.write("sub/.verfs/head", "1" * 64 + "\n")
    g.write("sub/deeper/.verfs/store/x", "x\n")
    g.write("sub/f.txt", "f\n")
    g.commit("with planted repositories")
    dst = tmp_path / "dst"
    r = run_verfs("import", "git", g.top, "--into", dst)
    err = r.stderr.decode()
    for path in (".verfs/head", "sub/.verfs/head", "sub/deeper/.verfs/store/x"):
        assert f"warning: left out {path!r}: inside a .verfs directory" in err, err
    assert disk_state(dst) == {"a.txt": ("file", b"a\n", False), "sub": ("dir",),
                               "sub/f.txt": ("file", b"f\n", False)}


def test_an_import_into_an_existing_empty_directory_keeps_it(darcs, tmp_path):
    """``--into .`` from an empty directory: it stays the same directory; killed while
    its files are written, the next command finishes it."""
    src = five_patches(darcs, tmp_path)
    reference = tmp_path / "reference"
    run_verfs("import", "darcs", src, "--into", reference)
    here = tmp_path / "here"
    here.mkdir()
    inode = here.stat().st_ino
    Paused(tmp_path, "checkout", "import", "darcs", src, "--into", ".", cwd=here).kill()
    assert here.stat().st_ino == inode
    run_verfs("import", "darcs", src, "--into", ".", cwd=here)
    assert _head(here) == _head(reference)
    assert disk_state(here) == disk_state(reference)
    assert sorted(os.listdir(tmp_path)) == sorted(
        n for n in os.listdir(tmp_path) if not n.startswith(".verfs-"))
