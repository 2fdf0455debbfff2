"""``verfs grep --each`` against the real ``git grep`` over every first-parent commit.

A git history is built with the git command line (and a longer one with ``git
fast-import``), imported, and for each case ``git grep ARGS $(git rev-list
--first-parent HEAD)`` is compared, line for line and in order, with ``verfs grep
--each ARGS`` — each version's hash mapped to its commit through the patch's
"git-commit" meta (a tag's own version, which git's list has not, is left out).
"""

import os
import subprocess
from pathlib import Path

import pytest

from tests.compat.gitrepo import GitRepo, fast_import_stream, git_env
from tests.conftest import need, run_verfs
from verfs.repo import Repository

pytestmark = pytest.mark.compat


def build_small(top: Path) -> GitRepo:
    g = GitRepo(top)
    g.write("README", "hello world\nThe Hello program\n")
    g.write("src/core.py", "def echo(x):\n    return x\n\nprint(echo('hello'))\n")
    g.write("dir one/my file.txt", "name with spaces\nhello there\n")
    g.commit("first")
    g.write("src/core.py", "def echo(x):\n    return x  # hello\n\ndef hellohello(): pass\n")
    g.write("data.bin", b"\x00\x01hello\nbinary hello\n")
    g.link("link", "hello-target")
    g.commit("second: binary and a link")
    g.write("README", "hello world\nThe Hello program\nfoo_hello hello_bar\n")
    g.remove("dir one/my file.txt")
    g.write("notes.txt", "x.y and xzy\nab*c abbbc ac\n")
    g.commit("third: a removal")
    g.git("tag", "-a", "v1", "-m", "release")
    g.write("dir one/my file.txt", "back again, hello\n")
    g.write("src/util.py", "import os\n\ndef helper():\n    return 'HELLO'\n")
    g.write(os.fsdecode(b"caf\xe9 \"q\".txt"), "hello in latin-1\n")   # git quotes these
    g.write("tab\there.txt", "hello tab\n")
    g.git("mv", "notes.txt", "docs-notes.txt")
    g.commit("fourth: re-added and renamed")
    g.write("README", "")
    g.write("src/core.py", "def echo(x):\n    return x\n")
    g.commit("fifth: emptied")
    return g


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    need("git")
    top = tmp_path_factory.mktemp("grepgit")
    build_small(top / "src")
    run_verfs("import", "git", top / "src", "--into", top / "dst")
    return top / "src", top / "dst"


@pytest.fixture(scope="module")
def long(tmp_path_factory):
    need("git")
    top = tmp_path_factory.mktemp("grepgitlong")
    src = top / "src"
    GitRepo(src)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=src, input=fast_import_stream(300),
                   check=True, env=git_env())
    subprocess.run(["git", "checkout", "-q", "main"], cwd=src, check=True, env=git_env())
    run_verfs("import", "git", src, "--into", top / "dst")
    return src, top / "dst"


def commit_map(dst: Path) -> dict[bytes, bytes]:
    repo = Repository(dst)
    out = {}
    for step in repo.history.chain(repo.head()):
        commit = step.patch.info.get_meta("git-commit")
        if commit and not step.patch.is_tag:
            out[step.vid.encode()] = commit.encode()
    return out


def git_grep(src: Path, args: list[str], revs: list[str] | None = None,
             paths: list[str] | None = None) -> tuple[int, list[bytes]]:
    if revs is None:
        revs = GitRepo.line(src)[::-1]
    proc = subprocess.run(["git", "grep", *args, *revs, "--", *(paths or [])], cwd=src,
                          capture_output=True, env=git_env())
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def verfs_each(dst: Path, args: list[str], specs: list[str] | None = None,
               paths: list[str] | None = None) -> tuple[int, list[bytes]]:
    proc = run_verfs("grep", "--each", *args, *(specs or []),
                     *(["--", *paths] if paths else []), cwd=dst, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    commits = commit_map(dst)
    out = []
    for line in proc.stdout.splitlines():
        binary = line.startswith(b"Binary file ")
        rest = line[len(b"Binary file "):] if binary else line
        vid, _, tail = rest.partition(b":")
        if vid not in commits:
            continue            # a tag's own version: git's list has no such entry
        mapped = commits[vid] + b":" + tail
        out.append(b"Binary file " + mapped if binary else mapped)
    return proc.returncode, out


CASES = [
    (["-n", "-F", "x.y"]),
    (["-n", "-F", "hello"]),
    (["-n", "ab*c\\|Hello"]),
    (["-n", "-E", "hel+o|wor(ld)?"]),
    (["-n", "-E", "^def [a-z]+\\("]),
    (["-n", "-i", "hello"]),
    (["-n", "-w", "hello"]),
    (["-n", "-i", "-w", "-E", "hello|echo"]),
    (["-n", "no such text anywhere"]),
    (["-n", "-I", "hello"]),
    (["hello"]),
    (["-I", "-l", "hello"]),
    (["-l", "hello"]),
    (["-c", "hello"]),
    (["-c", "-I", "-i", "HELLO"]),
    (["-n", "[[:upper:]]"]),
    (["-n", "spaces\\|again"]),
    (["-n", "latin\\|tab"]),
    (["-l", "-i", "LATIN\\|tab"]),
    (["-n", "^\\(def\\|print\\)"]),
    (["-n", "-E", "^ +return"]),
    # Not compared: '^$', where git's look-ahead reports an empty line after a file's
    # last newline that is not there (tests/search/test_posix.py says more).
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_same_as_git_grep(small, args):
    src, dst = small
    want = git_grep(src, args)
    got = verfs_each(dst, args)
    assert got == want


@pytest.mark.parametrize("paths", [["dir one"], ["src/core.py"], ["src", "README"]])
def test_path_filter(small, paths):
    src, dst = small
    assert verfs_each(dst, ["-n", "hello"], paths=paths) == \
        git_grep(src, ["-n", "hello"], paths=paths)


def test_range_and_single_versions(small):
    src, dst = small
    line = GitRepo.line(src)
    versions = {c: v for v, c in commit_map(dst).items()}
    v = [versions[c.encode()].decode() for c in line]
    # V1..V2: the commits after V1 up to V2
    revs = subprocess.run(["git", "rev-list", "--first-parent", f"{line[0]}..{line[3]}"],
                          cwd=src, capture_output=True, check=True,
                          env=git_env()).stdout.decode().split()
    assert verfs_each(dst, ["-n", "hello"], [f"{v[0]}..{v[3]}"]) == \
        git_grep(src, ["-n", "hello"], revs)
    # single versions, in the order given
    assert verfs_each(dst, ["-n", "hello"], [v[1], v[3]]) == \
        git_grep(src, ["-n", "hello"], [line[1], line[3]])


@pytest.mark.parametrize("args", [
    ["-n", "-I", "edit 1[0-9]"], ["-n", "-F", "line 3 of"], ["-c", "-i", "EDIT"],
    ["-l", "-E", "of d[0-9]/f1+\\.txt"], ["-n", "target"],
], ids=lambda a: " ".join(a))
def test_long_history(long, args):
    src, dst = long
    assert verfs_each(dst, args) == git_grep(src, args)


def test_no_index_gives_the_same(long):
    src, dst = long
    args = ["-n", "-F", "edit 12"]
    with_index = verfs_each(dst, args)
    assert verfs_each(dst, [*args, "--no-index"]) == with_index == git_grep(src, args)
