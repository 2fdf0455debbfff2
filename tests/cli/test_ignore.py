"""``.verfsignore``: what record and whatsnew leave out, and what restore leaves alone."""

import json

from tests.conftest import one_line_error


def _write(root, files: dict) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _summary(verfs, d) -> set[str]:
    proc = verfs("whatsnew", "-s", cwd=d, check=False)
    return set(proc.stdout.decode().splitlines()) - {"No changes!"}


def _recorded(verfs, d) -> set[str]:
    """Every path (files and directories) of head's tree, from the latest patches."""
    prims = "".join(e["prims"] for e in json.loads(verfs("log", "--json", "-v", cwd=d).stdout))
    return {line.split()[1][2:] for line in prims.splitlines()
            if line.split()[:1] in (["addfile"], ["adddir"])}


def test_nested_files_negation_directories_and_anchors(verfs, repo_dir):
    _write(repo_dir, {
        ".verfsignore": "# objects\n*.o\n!keep.o\nbuild/\n/top-only\n",
        "sub/.verfsignore": "local.txt\n!wanted.o\n",
        "a.c": "", "a.o": "", "keep.o": "", "top-only": "", "local.txt": "",
        "build/out": "", "notdir/build": "",
        "sub/b.o": "", "sub/wanted.o": "", "sub/local.txt": "", "sub/top-only": "",
        "sub/deep/c.o": "", "sub/deep/wanted.o": "",
        "gen/x.o": "", "gen/more/y.o": "",
    })
    want = {".verfsignore", "a.c", "keep.o", "local.txt", "notdir", "notdir/build", "sub",
            "sub/.verfsignore", "sub/wanted.o", "sub/top-only", "sub/deep",
            "sub/deep/wanted.o"}
    assert _summary(verfs, repo_dir) == {f"A {p}" for p in want}
    verfs("record", "-m", "all", cwd=repo_dir)
    assert _recorded(verfs, repo_dir) == want       # a directory of only ignored files: out
    assert _summary(verfs, repo_dir) == set()       # whatsnew and record agree


def test_git_darcs_and_verfs_directories_are_never_recorded(verfs, repo_dir):
    _write(repo_dir, {
        ".verfsignore": "!.git\n!_darcs/\n",        # cannot bring them back
        ".git/config": "", "_darcs/format": "", "src/.git/HEAD": "",
        "src/_darcs/prefs/boring": "", "src/f": "", ".gitignore": "",
    })
    (repo_dir / "src" / ".verfs").mkdir()
    verfs("record", "-m", "one", cwd=repo_dir)
    assert _recorded(verfs, repo_dir) == {".verfsignore", ".gitignore", "src", "src/f"}
    assert _summary(verfs, repo_dir) == set()


def test_a_recorded_file_stays_tracked_when_ignored(verfs, repo_dir):
    _write(repo_dir, {"a.log": "one\n", "d/kept.tmp": "x\n"})
    verfs("record", "-m", "logs", cwd=repo_dir)
    _write(repo_dir, {".verfsignore": "*.log\nd/\n", "b.log": "", "d/new.tmp": ""})
    assert _summary(verfs, repo_dir) == {"A .verfsignore"}      # no removal of a.log
    _write(repo_dir, {"a.log": "two\n", "d/kept.tmp": "y\n"})
    assert _summary(verfs, repo_dir) == {"A .verfsignore", "M a.log", "M d/kept.tmp"}
    verfs("record", "-m", "more", cwd=repo_dir)
    assert _recorded(verfs, repo_dir) == {"a.log", "d", "d/kept.tmp", ".verfsignore"}
    assert _summary(verfs, repo_dir) == set()
    (repo_dir / "a.log").unlink()                      # how one stops tracking it
    assert _summary(verfs, repo_dir) == {"R a.log"}


def test_record_of_an_ignored_path_records_nothing(verfs, repo_dir):
    _write(repo_dir, {".verfsignore": "*.o\n", "x.o": ""})
    verfs("record", "-m", "ignore", cwd=repo_dir)
    proc = verfs("record", "-m", "object", "x.o", cwd=repo_dir, check=False)
    assert "no changes" in one_line_error(proc, 1)


def test_ignored_files_survive_restore_and_obliterate(verfs, repo_dir):
    _write(repo_dir, {".verfsignore": "*.o\n", "a": "a\n"})
    verfs("record", "-m", "v1", cwd=repo_dir)
    _write(repo_dir, {"d/f": "f\n"})
    verfs("record", "-m", "v2", cwd=repo_dir)
    _write(repo_dir, {"d/x.o": "mine\n", "y.o": "mine too\n", "d/e/z.o": "deep\n"})
    assert _summary(verfs, repo_dir) == set()
    verfs("restore", "--yes-i-know", "head~1", cwd=repo_dir)
    assert not (repo_dir / "d" / "f").exists()
    assert (repo_dir / "d" / "x.o").read_text() == "mine\n"
    assert (repo_dir / "d" / "e" / "z.o").read_text() == "deep\n"
    assert (repo_dir / "y.o").read_text() == "mine too\n"
    assert _summary(verfs, repo_dir) == set()       # d holds only ignored files
    verfs("restore", "--yes-i-know", _version(verfs, repo_dir, "v2"), cwd=repo_dir)
    assert (repo_dir / "d" / "f").read_text() == "f\n"
    assert (repo_dir / "d" / "x.o").read_text() == "mine\n"
    verfs("obliterate", cwd=repo_dir)
    assert not (repo_dir / "d" / "f").exists() and (repo_dir / "d" / "x.o").exists()


def test_restore_refuses_to_overwrite_an_ignored_file(verfs, repo_dir):
    _write(repo_dir, {"out.o": "recorded\n"})
    verfs("record", "-m", "with out.o", cwd=repo_dir)
    (repo_dir / "out.o").unlink()
    _write(repo_dir, {".verfsignore": "*.o\n"})
    verfs("record", "-m", "ignore objects", cwd=repo_dir)
    _write(repo_dir, {"out.o": "mine\n"})
    assert _summary(verfs, repo_dir) == set()
    one_line_error(verfs("restore", "--yes-i-know", "head~1", cwd=repo_dir, check=False), 1)
    assert (repo_dir / "out.o").read_text() == "mine\n"
    verfs("restore", "--yes-i-know", "--force", "head~1", cwd=repo_dir)
    assert (repo_dir / "out.o").read_text() == "recorded\n"


def _version(verfs, d, name: str) -> str:
    for e in json.loads(verfs("log", "--json", cwd=d).stdout):
        if e["name"] == name:
            return e["version"]
    for line in verfs("versions", cwd=d).stdout.decode().splitlines():
        if line.endswith(f"record: {name}"):
            return line.split()[0]
    raise AssertionError(name)


def test_switch_refuses_to_overwrite_an_ignored_file(verfs, repo_dir):
    """The safety of restore (above) is switch's too: they share ops.check_out."""
    _write(repo_dir, {".verfsignore": "*.o\n", "a": "a\n"})
    verfs("record", "-m", "v1", cwd=repo_dir)
    verfs("switch", "-c", "other", cwd=repo_dir)
    (repo_dir / ".verfsignore").write_text("")
    _write(repo_dir, {"out.o": "recorded\n"})
    verfs("record", "-m", "with out.o", cwd=repo_dir)
    verfs("switch", "main", cwd=repo_dir)
    assert not (repo_dir / "out.o").exists()
    _write(repo_dir, {"out.o": "mine\n"})
    assert _summary(verfs, repo_dir) == set()
    one_line_error(verfs("switch", "other", cwd=repo_dir, check=False), 1)
    assert (repo_dir / "out.o").read_text() == "mine\n"
    verfs("switch", "--force", "other", cwd=repo_dir)
    assert (repo_dir / "out.o").read_text() == "recorded\n"
