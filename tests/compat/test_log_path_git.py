"""``verfs log PATH`` against ``git log --first-parent --format=%H -- PATH`` on
imported git histories: files, directories, a rename, a path deleted and added again,
a file that becomes a directory, an exec bit, a link, names with spaces; and every
path of a long synthetic history (in-process, through the path log)."""

import json
import subprocess

import pytest

from tests.compat.gitrepo import GitRepo, fast_import_stream, git_env
from tests.conftest import need, one_line_error, run_verfs
from verfs.filelog import path_log
from verfs.repo import Repository

pytestmark = pytest.mark.compat


def git_log(top, *paths: str) -> list[str]:
    return subprocess.run(["git", "log", "--first-parent", "--format=%H", "--", *paths],
                          cwd=top, capture_output=True, check=True,
                          env=git_env()).stdout.decode().split()


def commits_of(out: bytes) -> list[str]:
    """The git commits of ``verfs log --json``'s versions, in its order."""
    return [e["meta"]["git-commit"] for e in json.loads(out)]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    need("git")
    top = tmp_path_factory.mktemp("log-path")
    g = GitRepo(top / "git")
    g.write("a.txt", "one\n")
    g.write("src/core.py", "def f(): pass\n")
    g.write("docs/read me.txt", "hello\n")
    g.commit("start")
    g.write("src/core.py", "def f(): return 1\n")
    g.write("src/util.py", "u = 1\n")
    g.commit("edit core, add util")
    g.git("mv", "src/core.py", "src/engine.py")
    g.commit("rename core")
    g.remove("a.txt")
    g.write("p", "a file\n")
    g.commit("drop a, add p")
    g.write("a.txt", "two\n")
    g.write("src/engine.py", "def f(): return 1\n", exe=True)
    g.link("ln", "a.txt")
    g.commit("a again, exec bit, link")
    g.git("tag", "-a", "v1", "-m", "release one")
    g.remove("p")
    g.write("p/x", "now a directory\n")
    g.write("docs/more docs/b c.txt", "spaces\n")
    g.commit("p becomes a directory")
    g.write("docs/read me.txt", "hello again\n")
    g.link("ln", "src/engine.py")
    g.commit("docs, link target")
    g.commit("nothing", allow_empty=True)
    g.remove("src")
    g.commit("drop src")
    g.write("src/core.py", "back\n")
    g.commit("core is back")
    run_verfs("import", "git", g.top, "--into", top / "verfs")
    return g.top, top / "verfs"


PATHS = ["a.txt", "src/core.py", "src/engine.py", "src/util.py", "src", "p", "p/x", "ln",
         "docs", "docs/read me.txt", "docs/more docs", "docs/more docs/b c.txt"]


@pytest.mark.parametrize("path", PATHS)
def test_log_path_equals_git_log(imported, path):
    src, dst = imported
    out = run_verfs("log", "--json", path, cwd=dst).stdout
    assert commits_of(out) == git_log(src, path)


def test_several_paths_and_the_top(imported):
    src, dst = imported
    out = run_verfs("log", "--json", "--", "p", "ln", cwd=dst).stdout
    assert commits_of(out) == git_log(src, "p", "ln")
    assert commits_of(run_verfs("log", "--json", ".", cwd=dst).stdout) == git_log(src, ".")


def test_text_format_and_max_count(imported):
    src, dst = imported
    want = git_log(src, "src")
    out = run_verfs("log", "-n", "2", "src", cwd=dst).stdout.decode()
    blocks = out.split("\n\n")[:-1]
    assert len(blocks) == 2
    for block, commit in zip(blocks, want[:2], strict=True):
        lines = block.splitlines()
        assert lines[0].startswith("version ") and lines[1].endswith(f"git {commit}")
        assert lines[2].startswith("Author: ") and lines[4].startswith("  * ")
    assert commits_of(run_verfs("log", "--json", "--max-count", "1", "src",
                                cwd=dst).stdout) == want[:1]
    # the same text as the whole log prints for those versions
    whole = run_verfs("log", cwd=dst).stdout.decode().split("\n\n")
    assert all(b in whole for b in blocks)


def test_relative_to_the_current_directory(imported):
    src, dst = imported
    out = run_verfs("log", "--json", "engine.py", cwd=dst / "src").stdout
    assert commits_of(out) == git_log(src, "src/engine.py")
    out = run_verfs("log", "--json", "../a.txt", cwd=dst / "src").stdout
    assert commits_of(out) == git_log(src, "a.txt")
    out = run_verfs("log", "--json", "--repo", dst, "src/util.py").stdout
    assert commits_of(out) == git_log(src, "src/util.py")


def test_version_then_paths(imported):
    src, dst = imported
    older = GitRepo.line(src)[4]            # "a again, exec bit, link", tagged v1
    repo = Repository(dst)
    vid = next(s.vid for s in repo.history.chain(repo.head())
               if s.patch.info.get_meta("git-commit") == older)
    for version in (vid[:12], "v1", "v1~1"):
        out = run_verfs("log", "--json", version, "--", "src", "p", cwd=dst).stdout
        assert commits_of(out) == _git_at(src, older, "src", "p"), version
    out = run_verfs("log", "--json", vid[:12], "src", cwd=dst).stdout
    assert commits_of(out) == _git_at(src, older, "src")
    # a version alone, as before: its whole log (the tag's own version first)
    entries = json.loads(run_verfs("log", "--json", "v1", cwd=dst).stdout)
    assert entries[0]["tag"] == "v1"
    assert [e["meta"]["git-commit"] for e in entries[1:]] == _git_at(src, older)


def _git_at(top, rev: str, *paths: str) -> list[str]:
    return subprocess.run(["git", "log", "--first-parent", "--format=%H", rev, "--", *paths],
                          cwd=top, capture_output=True, check=True,
                          env=git_env()).stdout.decode().split()


def test_a_path_that_never_existed(imported):
    src, dst = imported
    err = one_line_error(run_verfs("log", "nowhere.txt", cwd=dst, check=False), 1)
    assert "nowhere.txt: no such version, tag or path" in err
    err = one_line_error(run_verfs("log", "--", "src", "nowhere/", cwd=dst, check=False), 1)
    assert "nowhere: no such path in the history" in err
    assert git_log(src, "nowhere.txt") == []        # git says nothing; verfs says so
    err = one_line_error(run_verfs("log", "-n", "x", "src", cwd=dst, check=False), 2)
    assert "-n" in err


def test_every_path_of_a_long_history(tmp_path):
    """300 commits of edits, adds, deletes, renames, exec bits, links and binary
    files: every path that ever existed, and every directory, gives git's answer."""
    need("git")
    src = tmp_path / "git"
    subprocess.run(["git", "init", "-q", "-b", "main", str(src)], check=True, env=git_env())
    subprocess.run(["git", "fast-import", "--quiet"], cwd=src, check=True, env=git_env(),
                   input=fast_import_stream(300))
    subprocess.run(["git", "checkout", "-q", "main"], cwd=src, check=True, env=git_env())
    run_verfs("import", "git", src, "--into", tmp_path / "verfs")
    repo = Repository(tmp_path / "verfs")
    plog = path_log(repo.history, repo.head())
    commit = [repo.history.step(v).patch.info.get_meta("git-commit") for v in plog.versions]
    dirs = {p.rpartition("/")[0] for p in plog.paths} - {""}
    assert dirs and len(plog.paths) > 50
    for p in sorted(set(plog.paths) | dirs):
        got = [commit[i] for i in plog.touched([p])[::-1]]
        assert got == git_log(src, p), p
