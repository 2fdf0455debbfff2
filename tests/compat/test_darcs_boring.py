"""darcs's boring files, against the real darcs: what ``darcs whatsnew -l`` would add
is what ``verfs whatsnew`` shows, with darcs's own default boring file (a hundred
extended regular expressions) read by verfs's POSIX reader; ``verfs import darcs``
carries the source's and the user's boring files into ``.verfs/boring``, so a build
in the imported repository is no change and does not block the next import."""

import os

import pytest
from conftest import need, one_line_error, run_verfs, verfs_env
from darcs_util import Darcs

pytestmark = pytest.mark.compat

# Paths darcs's default boring file leaves out (objects, editor files, other VCSs,
# a directory matched by ``(^|/)CVS($|/)``) and ones it keeps, in nested directories.
FILES = ["src/main.c", "src/main.o", "src/lib.hi", "src/x.pyc", "src/keep.txt",
         "doc/notes.txt~", "doc/a.orig", "doc/guide.md", "doc/.#lock", "CVS/Entries",
         "sub/CVS/Root", "sub/real.txt", "sub/Thumbs.db", "core", "tools/build.sh",
         "tools/.DS_Store", "weird name #1.txt", "tags", "lib/tags.c"]


def _populate(top, extra=()):
    for rel in [*FILES, *extra]:
        p = top / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(rel + "\n")


def _darcs_adds(d: Darcs, repo) -> set[str]:
    out = d("whatsnew", "-l", "-s", cwd=repo, check=False).stdout.decode()
    return {line.split(None, 1)[1].removeprefix("./").rstrip("/")
            for line in out.splitlines() if line.startswith("a ")}


def _verfs_adds(d) -> set[str]:
    out = run_verfs("whatsnew", "-s", cwd=d, check=False).stdout.decode()
    return {line[2:] for line in out.splitlines() if line.startswith("A ")}


def test_a_verfs_repository_in_a_darcs_working_copy_leaves_out_what_darcs_does(tmp_path):
    need("darcs")
    d = Darcs(tmp_path)
    work = d.init(tmp_path / "work")
    with open(work / "_darcs" / "prefs" / "boring", "a") as f:
        f.write("^tools($|/)\n\\.sh$\n(^|/)\\.verfs($|/)\n")  # a directory, the user's own
    _populate(work)
    run_verfs("init", cwd=work)
    theirs = _darcs_adds(d, work)
    assert "src/main.c" in theirs and "src/main.o" not in theirs and "tools" not in theirs
    assert _verfs_adds(work) == theirs, (sorted(_verfs_adds(work)), sorted(theirs))
    run_verfs("record", "-m", "all", cwd=work)
    assert _verfs_adds(work) == set()
    (work / ".verfsignore").write_text("!*.o\n")     # .verfsignore decides first
    assert _verfs_adds(work) == {".verfsignore", "src/main.o"}


def test_import_carries_the_boring_files_and_a_build_is_no_change(tmp_path):
    need("darcs")
    d = Darcs(tmp_path)
    src = d.init(tmp_path / "src")
    with open(src / "_darcs" / "prefs" / "boring", "a") as f:
        f.write("(^|/)build($|/)\n")
    (src / "f.txt").write_text("one\n")
    d.record(src, "first")
    home = tmp_path / "home"
    (home / ".darcs").mkdir(parents=True)
    (home / ".darcs" / "boring").write_text("\\.mine$\n")
    env = verfs_env(HOME=str(home))
    dst = tmp_path / "dst"
    run_verfs("import", "darcs", src, "--into", dst, env=env)
    boring = (dst / ".verfs" / "boring").read_text()
    assert f"# from {src}/_darcs/prefs/boring" in boring and "\\.mine$" in boring
    for rel in ("build/out.bin", "x.o", "notes.mine", "sub/build/y"):
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        (dst / rel).write_text("made\n")
    assert _verfs_adds(dst) == set()        # sub holds only what is boring: no change
    (src / "f.txt").write_text("two\n")
    d.record(src, "second")
    proc = run_verfs("import", "darcs", src, "--into", dst, env=env)   # not "unrecorded"
    assert b"imported 1 of 2" in proc.stdout
    assert (dst / "f.txt").read_text() == "two\n" and (dst / "x.o").exists()


def test_a_bad_expression_is_one_line_naming_the_file_and_line(tmp_path, repo_dir):
    boring = repo_dir / ".verfs" / "boring"
    boring.write_text("# comment\n\\.o$\nab(c\n")
    (repo_dir / "f").write_text("x\n")
    err = one_line_error(run_verfs("whatsnew", cwd=repo_dir, check=False))
    assert ".verfs/boring: line 3 is not an extended regular expression" in err
    boring.unlink()
    os.mkfifo(boring)                                  # never read forever
    err = one_line_error(run_verfs("whatsnew", cwd=repo_dir, check=False))
    assert ".verfs/boring: not a regular file" in err
