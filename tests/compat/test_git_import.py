"""``verfs import git`` against the real git program.

Histories are built with the git command line (and ``git fast-import`` for the long
one), imported through verfs's command line, and every imported version is compared
with what ``git archive`` says that commit holds — file bytes, exec bits, symlink
targets and the set of paths — after deleting the import's derived cache, so the
trees come from replaying the imported patches, not from what the importer cached.
"""

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from store import DiskStore
from tests.compat.gitrepo import (
    AUTHOR,
    COMMITTER,
    EPOCH,
    GitRepo,
    archive_state,
    fast_import_stream,
    git_env,
    imported_history,
)
from tests.conftest import need, run_verfs, verfs_env
from tests.treestate import tree_state
from verfs.importers import git as git_importer
from verfs.importers.common import run_import
from verfs.importers.git import commit_info
from verfs.patch.prims import AddLink, Binary, Chmod, Hunk, Move, RmDir, RmFile, RmLink
from verfs.repo import Repository

pytestmark = pytest.mark.compat

ADA = f"{AUTHOR[0]} <{AUTHOR[1]}>"
CHARLES = f"{COMMITTER[0]} <{COMMITTER[1]}>"
LATIN1_NAME = os.fsdecode(b"caf\xe9.txt")    # not UTF-8: kept byte for byte


def utc(seconds: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(seconds))


def import_git(src, dst, *extra, check=True, env=None):
    return run_verfs("import", "git", src, "--into", dst, *extra, check=check, env=env)


def assert_matches_git(src: Path, dst: Path) -> list:
    """Every imported commit's version equals ``git archive`` of that commit, and the
    commits are git's first-parent line in order; the imported steps, oldest first."""
    history, steps = imported_history(dst)
    commits = [s for s in steps if not s.patch.is_tag]
    line = GitRepo.line(src)
    assert [s.patch.info.get_meta("git-commit") for s in commits] == line
    for s in commits:
        sha = s.patch.info.get_meta("git-commit")
        assert tree_state(history.store, history.root_tree(s.vid)) == archive_state(src, sha), \
            f"version {s.vid[:12]} differs from git archive {sha[:12]} ({s.patch.info.name})"
    assert history.replayed > 0
    return steps


def files_of(top: Path) -> dict:
    """Every file and link under ``top`` with its bytes and mode: a failed import must
    leave a target exactly as it was — head, reflog, every object and cache entry,
    the working tree.  (Directories are not compared: an aborted store batch may leave
    an empty fan-out directory, which holds nothing.)"""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, top)
            if os.path.isdir(p) and not os.path.islink(p):
                continue
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), os.lstat(p).st_mode)
    return out


# --- one rich history, imported once ---------------------------------------------------

@dataclass
class Rich:
    git: GitRepo
    target: Path
    at: dict[str, str] = field(default_factory=dict)    # label → commit id
    steps: list = field(default_factory=list)

    def step(self, label: str):
        sha = self.at[label]
        return next(s for s in self.steps if s.patch.info.get_meta("git-commit") == sha)


def build_rich(g: GitRepo) -> dict[str, str]:
    """Adds, edits, deletes, renames, binary and empty files, files without a final
    newline, names with spaces and not in ASCII, nested and emptied directories, exec
    bits, symbolic links, a file that becomes a directory and back, an empty commit,
    a merge, and tags on and off the first-parent line."""
    at = {}
    long_text = "".join(f"line {i} of a text long enough for rename detection\n"
                        for i in range(40))
    g.write("README", "hello\nworld\nthird line\n")
    g.write("docs/guide.txt", long_text)
    g.write("empty", b"")
    g.write("no-newline.txt", b"the last line has no newline")
    g.write("name with spaces.txt", long_text.replace("line", "row"))
    g.write("ünïcødé/файл.txt", "ünïcødé\n")
    g.write(LATIN1_NAME, b"latin-1 name\n")
    g.write("a/b/c/deep.txt", "deep\n")
    g.write("a/b/shallow.txt", "shallow\n")
    g.write("script.sh", "#!/bin/sh\necho hi\n", exe=True)
    g.write("image.bin", bytes(range(256)) * 4)
    g.write("crlf.txt", b"one\r\ntwo\r\n")
    at["first"] = g.commit("first: many kinds of files\n\nwith a body\nof two lines\n")
    g.git("tag", "v0.1")

    g.write("README", "hello\nbrave new\nworld\nthird line\nfourth\n")
    g.write("no-newline.txt", b"the last line has no newline\nstill none")
    g.write("image.bin", bytes(range(255, -1, -1)) * 4)
    at["edits"] = g.commit("edit text and binary")

    g.git("mv", "docs/guide.txt", "docs/manual.txt")
    (g.top / "renamed dir").mkdir()
    g.git("mv", "name with spaces.txt", "renamed dir/with spaces.txt")
    g.write("renamed dir/with spaces.txt",
            long_text.replace("line", "row") + "an edit after the move\n")
    at["renames"] = g.commit("renames, one with an edit")

    g.remove("a/b/c/deep.txt")
    g.remove("a/b/shallow.txt")
    g.remove("empty")
    at["deletes"] = g.commit("delete: directories a, a/b and a/b/c go empty")

    g.write("script.sh", "#!/bin/sh\necho hi\n", exe=False)
    g.write("README", "hello\nbrave new\nworld\nthird line\nfourth\n", exe=True)
    g.link("latest", "docs/manual.txt")
    g.link("dangling", "../nowhere/at all")
    at["modes"] = g.commit("exec bits and symbolic links")

    g.link("latest", "README")
    g.write("thing", "a file for now\n")
    at["retarget"] = g.commit("retarget a link; add a file", tz="-0500")

    g.remove("latest")
    g.write("latest", "now a plain file\n")
    g.remove("thing")
    g.write("thing/inner.txt", "the file became a directory\n")
    at["typechange"] = g.commit("link becomes file, file becomes directory")

    at["empty"] = g.commit("an empty commit", allow_empty=True)

    g.git("checkout", "-q", "-b", "side")
    g.write("side.txt", "from the side branch\n")
    at["side1"] = g.commit("side work")
    g.git("tag", "-a", "-m", "off the line", "side-tag")
    g.write("README", "hello\nbrave new\nworld\nthird line\nfourth\nfrom side\n", exe=True)
    at["side2"] = g.commit("more side work")
    g.git("checkout", "-q", "main")
    g.write("main-only.txt", "main\n")
    at["main"] = g.commit("main work while side goes on")
    g.when += 1
    g.git("merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side")
    at["merge"] = g.rev("HEAD")

    g.remove("thing")
    g.write("thing", "the directory became a file again\n")
    at["dir-to-file"] = g.commit("TAG not really: a commit whose subject starts so")
    g.git("tag", "-a", "-m", "release one\n\nwith notes", "v1.0")
    g.git("tag", "v1.0-rc")

    at["no-message"] = g.commit("", allow_empty=True)
    msg = g.top.parent / "latin1-message"
    msg.write_bytes(b"caf\xe9 latin-1 message\n")
    g.git("-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty", "-F",
          str(msg))
    at["encoded"] = g.rev("HEAD")
    at["raw-bytes"] = g.raw_commit(b"caf\xe9 latin-1 message\n")
    return at


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Rich:
    need("git")
    top = tmp_path_factory.mktemp("rich")
    g = GitRepo(top / "src")
    r = Rich(g, top / "imported.verfs", build_rich(g))
    out = import_git(g.top, r.target)
    assert b"imported" in out.stdout
    r.steps = assert_matches_git(g.top, r.target)
    return r


def test_every_commit_matches_git_archive(rich):
    """(Checked in the fixture; here, that the history really has what it claims.)"""
    assert len([s for s in rich.steps if not s.patch.is_tag]) == len(
        GitRepo.line(rich.git.top)) == 14
    assert rich.at["side1"] not in {s.patch.info.get_meta("git-commit") for s in rich.steps}


def test_renames_are_moves(rich):
    prims = rich.step("renames").patch.prims
    assert Move("docs/guide.txt", "docs/manual.txt") in prims
    i = prims.index(Move("name with spaces.txt", "renamed dir/with spaces.txt"))
    later = prims[i + 1:]
    assert any(isinstance(p, Hunk) and p.path == "renamed dir/with spaces.txt" for p in later)
    assert not any(isinstance(p, RmFile) for p in prims)


def test_binary_files_are_binary_prims(rich):
    edits = rich.step("edits").patch.prims
    binaries = [p for p in edits if isinstance(p, Binary)]
    assert [p.path for p in binaries] == ["image.bin"]
    store = DiskStore(str(rich.target / ".verfs" / "store"))
    assert store.get_blob(binaries[0].new) == bytes(range(255, -1, -1)) * 4
    assert [p.path for p in edits if isinstance(p, Hunk)] == ["README", "README",
                                                             "no-newline.txt"]


def test_emptied_directories_are_removed(rich):
    prims = rich.step("deletes").patch.prims
    assert [p for p in prims if isinstance(p, RmDir)] == [RmDir("a/b/c"), RmDir("a/b"),
                                                          RmDir("a")]


def test_exec_bits_and_links(rich):
    modes = rich.step("modes").patch.prims
    assert Chmod("script.sh", False) in modes and Chmod("README", True) in modes
    assert AddLink("latest", "docs/manual.txt") in modes
    assert AddLink("dangling", "../nowhere/at all") in modes
    retarget = rich.step("retarget").patch.prims
    assert RmLink("latest", "docs/manual.txt") in retarget
    assert AddLink("latest", "README") in retarget


def test_commit_metadata(rich):
    first = rich.step("first").patch.info
    assert first.name == "first: many kinds of files"
    assert first.comment == ("with a body", "of two lines")
    assert first.author == ADA
    assert first.date == utc(EPOCH + 1)            # +0200 local time, stored in UTC
    assert first.meta == (("git-commit", rich.at["first"]), ("zone", "+0200"))
    assert rich.step("retarget").patch.info.date == utc(EPOCH + 6)     # from -0500
    assert rich.step("retarget").patch.info.get_meta("zone") == "-0500"
    assert rich.step("merge").patch.info.name == "Merge branch 'side'"
    assert rich.step("no-message").patch.info.name == "(no message)"
    faked = rich.step("dir-to-file").patch.info
    assert faked.name == "(commit) TAG not really: a commit whose subject starts so"
    assert not faked.is_tag
    assert rich.step("encoded").patch.info.name == "café latin-1 message"
    assert rich.step("raw-bytes").patch.info.name == os.fsdecode(b"caf\xe9 latin-1 message")


def test_merge_is_its_change_against_the_first_parent(rich):
    prims = rich.step("merge").patch.prims
    assert {p.path for p in prims if not isinstance(p, Move)} == {"side.txt", "README"}


def test_tags_on_the_line_become_tags(rich):
    names = [s.patch.info.name for s in rich.steps]
    assert names[1] == "TAG v0.1"
    i = names.index("(commit) TAG not really: a commit whose subject starts so")
    assert names[i + 1:i + 3] == ["TAG v1.0", "TAG v1.0-rc"]
    assert "TAG side-tag" not in names
    repo = Repository(rich.target)
    assert set(repo.history.tags(repo.head())) == {"v0.1", "v1.0", "v1.0-rc"}
    annotated = rich.steps[i + 1].patch
    assert annotated.prims == ()
    assert annotated.info.comment == ("release one", "", "with notes")
    assert annotated.info.author == CHARLES
    light = rich.steps[1].patch.info
    assert (light.author, light.date, light.comment) == (CHARLES, utc(EPOCH + 1), ())
    # Each tag closes an inventory: the next patch's version names it.
    assert rich.steps[2].version.inventory is not None
    assert rich.steps[i + 3].version.inventory is not None


def test_imported_repository_behaves_like_any_other(rich, tmp_path):
    log = json.loads(run_verfs("log", "--json", "--repo", rich.target).stdout)
    assert len(log) == len(rich.steps)
    assert run_verfs("show", "v0.1:README", "--repo", rich.target).stdout == \
        b"hello\nworld\nthird line\n"
    run_verfs("fsck", "--repo", rich.target)
    clone = tmp_path / "clone"
    run_verfs("clone", rich.target, clone)
    assert (clone / "thing").read_bytes() == b"the directory became a file again\n"
    assert os.access(clone / "README", os.X_OK)
    assert os.readlink(clone / "dangling") == "../nowhere/at all"
    assert (clone / LATIN1_NAME).read_bytes() == b"latin-1 name\n"
    before = run_verfs("head", "--repo", clone).stdout
    run_verfs("commute", "--repo", clone)       # two empty commits: they commute
    assert run_verfs("head", "--repo", clone).stdout != before
    run_verfs("commute", "--repo", clone)
    assert run_verfs("head", "--repo", clone).stdout == before


def test_awkward_renames(tmp_path):
    """Shapes of renames that are easy to get wrong: whole directories (as git
    reports them, file by file), with an edit inside, a swap, a file moving into a
    directory of its own name, a rename with an exec bit, a renamed link."""
    need("git")
    g = GitRepo(tmp_path / "src")
    body = "".join(f"shared line {i}\n" for i in range(30))
    for d in ("d1", "d3"):
        for i in range(3):
            g.write(f"{d}/sub/f{i}.txt", f"{d} {i}\n" + body)
    g.write("x", "x\n" + body)
    g.write("y", "y\n" + body)
    g.write("a", "a\n" + body)
    g.write("run", "#!/bin/sh\n" + body)
    g.link("ln", "x")
    g.commit("start")
    g.git("mv", "d1", "d2")
    g.commit("rename a directory")
    g.git("mv", "d3", "d4")
    g.write("d4/sub/f1.txt", "d3 1, edited\n" + body)
    g.commit("rename a directory and edit inside")
    g.git("mv", "x", "tmp")
    g.git("mv", "y", "x")
    g.git("mv", "tmp", "y")
    g.commit("swap two files")
    g.git("mv", "a", "a2")
    g.path("a").mkdir()
    g.git("mv", "a2", "a/a")
    g.commit("a file into a directory of its own name")
    g.path("bin").mkdir()
    g.git("mv", "run", "bin/run")
    g.path("bin/run").chmod(0o755)
    g.path("links").mkdir()
    g.git("mv", "ln", "links/ln")
    g.commit("rename with an exec bit; rename a link")
    g.git("mv", "d2/sub", "moved-sub")
    g.git("mv", "d4", "d2/d4")
    g.commit("nested directory moves")
    dst = tmp_path / "dst.verfs"
    proc = import_git(g.top, dst)
    assert b"warning" not in proc.stderr
    steps = assert_matches_git(g.top, dst)
    assert Move("d1", "d2") in steps[1].patch.prims
    assert Move("run", "bin/run") in steps[5].patch.prims


def test_moves_that_do_not_apply_fall_back_to_removals_and_additions(tmp_path, monkeypatch):
    """Should the move planner ever go wrong, one commit loses its moves, not the
    whole import its life."""
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("d1/f", "content\n")
    g.commit("one")
    g.git("mv", "d1", "d2")
    g.commit("two")
    real = git_importer.tree_prims

    def bad_plan(store, old, new, moves=True, renames=()):
        prims = real(store, old, new, moves=moves, renames=renames)
        return [Move("d1/f", "d2/f"), *prims] if moves and renames else prims

    monkeypatch.setattr(git_importer, "tree_prims", bad_plan)
    result = run_import(git_importer.GitSource(str(g.top)), str(tmp_path / "dst.verfs"))
    assert result.imported == 2
    assert any("could not be put in order" in w for w in result.warnings)
    assert_matches_git(g.top, tmp_path / "dst.verfs")


# --- incremental runs ------------------------------------------------------------------

def test_second_import_takes_only_what_is_new(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "src")
    for i in range(3):
        g.write(f"f{i}.txt", f"file {i}\n")
        g.commit(f"commit {i}")
    dst = tmp_path / "dst.verfs"
    assert b"imported 3 of 3 patches" in import_git(g.top, dst).stdout
    first_head = Repository(dst).head()

    out = import_git(g.top, dst).stdout
    assert b"already up to date (3 patches)" in out
    assert Repository(dst).head() == first_head

    g.git("tag", "on-the-old-head")         # a tag on the last imported commit
    g.write("f0.txt", "file 0, edited\n")
    g.git("mv", "f1.txt", "moved.txt")
    g.commit("commit 3")
    g.write("f4.txt", "four\n")
    g.commit("commit 4")
    out = import_git(g.top, dst).stdout
    assert b"imported 3 of 6 patches" in out
    repo = Repository(dst)
    chain = list(repo.history.chain(repo.head()))
    assert chain[3].vid == first_head
    assert [s.patch.info.name for s in chain[:3]] == ["commit 4", "commit 3",
                                                       "TAG on-the-old-head"]
    assert (dst / "moved.txt").read_text() == "file 1\n"   # the working tree follows
    assert b"already up to date (6 patches)" in import_git(g.top, dst).stdout
    assert_matches_git(g.top, dst)


def test_rewritten_history_is_refused(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("a", "a\n")
    g.commit("one")
    g.write("b", "b\n")
    g.commit("two")
    dst = tmp_path / "dst.verfs"
    import_git(g.top, dst)
    before = files_of(dst)
    g.git("commit", "-q", "--amend", "-m", "two, amended")
    proc = import_git(g.top, dst, check=False)
    assert proc.returncode != 0
    assert b"not in git" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert files_of(dst) == before


def test_branch_option_and_default_branch(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("a", "a\n")
    g.commit("on main")
    g.git("checkout", "-q", "-b", "topic")
    g.write("b", "b\n")
    g.commit("on topic")
    import_git(g.top, tmp_path / "default.verfs")       # the current branch: topic
    assert (tmp_path / "default.verfs" / "b").exists()
    import_git(g.top, tmp_path / "main.verfs", "--branch", "main")
    assert not (tmp_path / "main.verfs" / "b").exists()
    assert_matches_git(g.top, tmp_path / "default.verfs")
    log = json.loads(run_verfs("log", "--json", "--repo", tmp_path / "main.verfs").stdout)
    assert [e["name"] for e in log] == ["on main"]
    g.git("clone", "-q", "--bare", str(g.top), str(tmp_path / "bare.git"))
    import_git(tmp_path / "bare.git", tmp_path / "bare.verfs")      # HEAD of the clone: topic
    assert_matches_git(tmp_path / "bare.git", tmp_path / "bare.verfs")


def test_submodules_are_left_out_with_a_warning(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("a.txt", "a\n")
    first = g.commit("one")
    g.write("vendor/README", "vendored\n")
    g.git("add", "-A")
    g.git("update-index", "--add", "--cacheinfo", f"160000,{first},vendor/lib")
    g.git("commit", "-q", "-m", "add a submodule")
    g.git("update-index", "--cacheinfo", f"160000,{g.rev('HEAD')},vendor/lib")
    g.git("commit", "-q", "-m", "move the submodule on")
    g.git("rm", "-q", "--cached", "vendor/lib")
    g.remove("vendor/README")
    g.git("add", "-A")
    g.git("update-index", "--add", "--cacheinfo", f"160000,{first},other/lib")
    g.git("commit", "-q", "-m", "drop the directory, add another submodule")
    dst = tmp_path / "dst.verfs"
    proc = import_git(g.top, dst)
    err = proc.stderr.decode()
    assert "warning: left out 'vendor/lib': a git submodule" in err
    assert "warning: left out 'other/lib': a git submodule" in err
    steps = assert_matches_git(g.top, dst)
    assert steps[-1].patch.prims == (
        RmFile("vendor/README"), RmDir("vendor")) or RmDir("vendor") in steps[-1].patch.prims
    assert not (dst / "other").exists()


# --- bad input ---------------------------------------------------------------------------

def _fails(proc, *words):
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, err


def test_bad_input_is_one_line_and_leaves_nothing(tmp_path):
    need("git")
    plain = tmp_path / "plain"
    plain.mkdir()
    _fails(import_git(plain, tmp_path / "t1", check=False), "not a git repository")
    inner = tmp_path / "outer"
    GitRepo(inner)
    (inner / "sub").mkdir()
    _fails(import_git(inner / "sub", tmp_path / "t2", check=False), "not a git repository")
    empty = GitRepo(tmp_path / "empty")
    _fails(import_git(empty.top, tmp_path / "t3", check=False), "has no commits")
    g = GitRepo(tmp_path / "src")
    g.write("a", "a\n")
    g.commit("one")
    _fails(import_git(g.top, tmp_path / "t4", "--branch", "nope", check=False),
           "no branch 'nope'")
    _fails(import_git(g.top, tmp_path / "t5", check=False, env=verfs_env(PATH=str(plain))),
           "git is not installed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "outer", "plain", "src"]

    dst = tmp_path / "dst.verfs"
    import_git(g.top, dst)
    before = files_of(dst)
    _fails(import_git(g.top, dst, "--branch", "nope", check=False), "no branch")
    _fails(import_git(plain, dst, check=False), "not a git repository")
    assert files_of(dst) == before


def _drop_object(g: GitRepo, spec: str) -> None:
    sha = g.git("rev-parse", spec).decode().strip()
    (g.top / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def test_a_corrupt_source_leaves_the_target_untouched(tmp_path):
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("a", "a\n")
    g.commit("one")
    dst = tmp_path / "dst.verfs"
    import_git(g.top, dst)
    before = files_of(dst)
    for i in range(3):
        g.write(f"new{i}", f"new content {i}\n")
        g.commit(f"more {i}")
    _drop_object(g, "HEAD~1:new1")          # the third new commit's blob is gone
    proc = import_git(g.top, dst, check=False)
    _fails(proc, "missing")
    assert files_of(dst) == before
    fresh = tmp_path / "fresh.verfs"
    _fails(import_git(g.top, fresh, check=False), "missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst.verfs", "src"]


# --- a long history ----------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_a_thousand_commits(tmp_path):
    need("git")
    src = tmp_path / "big"
    src.mkdir()
    env = git_env()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=src, check=True, env=env)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=src, check=True, env=env,
                   input=fast_import_stream(1000))
    dst = tmp_path / "big.verfs"
    t0 = time.monotonic()
    out = import_git(src, dst).stdout
    took = time.monotonic() - t0
    assert b"imported 1004 of 1004 patches" in out
    print(f"\n1,000 git commits imported in {took:.1f}s: {1000 / took:.0f} commits/s")
    history, steps = imported_history(dst)
    commits = [s for s in steps if not s.patch.is_tag]
    assert len(commits) == 1000
    assert [s.patch.info.name for s in steps if s.patch.is_tag] == [
        "TAG v250", "TAG v500", "TAG v750", "TAG v1000"]
    assert any(isinstance(p, Move) for s in commits for p in s.patch.prims)
    assert any(isinstance(p, Binary) for s in commits for p in s.patch.prims)
    for s in [*commits[::97], commits[-1]]:
        sha = s.patch.info.get_meta("git-commit")
        assert tree_state(history.store, history.root_tree(s.vid)) == archive_state(src, sha)
    assert b"already up to date" in import_git(src, dst).stdout


def test_commit_info_mapping():
    sha = "0" * 40
    info = commit_info(sha, ADA, "20240101000000", "subject\n\n\nbody\n\n")
    assert (info.name, info.comment) == ("subject", ("", "body"))
    assert commit_info(sha, ADA, "20240101000000", "\n\n").name == "(no message)"
    assert commit_info(sha, ADA, "20240101000000", "one line").comment == ()
    assert commit_info(sha, ADA, "20240101000000", "a\nb\n").comment == ("b",)
