"""One exit status for each kind of failure, for every command that names something:
1 what is named is not there (an unknown version, tag or branch, a path not in a
version, a missing source directory, mount point or store) or it cannot be done;
2 the request is malformed (a bad option, a missing argument, a path out of the tree);
3 the repository is damaged.  Always one ``verfs: ...`` line and no traceback
(``run_verfs`` fails on one)."""

import shutil
from pathlib import Path

import pytest

from tests.conftest import one_line_error, run_verfs

NOT_FOUND, USAGE, DAMAGED = 1, 2, 3
GONE = "{tmp}/no-such-dir"      # never made


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """Two versions (a.txt, then a.txt and b.txt), tag v1 on the second, branch b1."""
    root = tmp_path_factory.mktemp("exit-codes") / "repo"
    run_verfs("init", root)
    (root / "a.txt").write_text("a\n")
    run_verfs("record", "-m", "add a", cwd=root)
    (root / "b.txt").write_text("b\n")
    run_verfs("record", "-m", "add b", cwd=root)
    run_verfs("tag", "v1", cwd=root)
    run_verfs("branch", "b1", "head~1", cwd=root)
    (root.parent / "plain").mkdir()            # a directory that is no repository
    return root


ROWS = [
    # --- versions, tags, branches that are not there
    (["log", "nosuch"], NOT_FOUND, "nosuch"),
    (["log", "head~9"], NOT_FOUND, "not that long"),
    (["log", "@{99}"], NOT_FOUND, "reflog"),
    (["show", "nosuch:a.txt"], NOT_FOUND, "unknown"),
    (["show", "v1~9:"], NOT_FOUND, "not that long"),
    (["diff", "head", "nosuch"], NOT_FOUND, "unknown"),
    (["grep", "a", "head~9"], NOT_FOUND, "not that long"),
    (["grep", "a", "nosuch"], NOT_FOUND, "nosuch"),
    (["commute", "nosuch"], NOT_FOUND, "no patch"),
    (["commute", "head~9"], NOT_FOUND, "head~9"),
    (["unrecord", "-n", "9"], NOT_FOUND, "only"),
    (["obliterate", "-n", "9"], NOT_FOUND, "only"),
    (["restore", "nosuch", "--yes-i-know"], NOT_FOUND, "unknown"),
    (["branch", "new", "nosuch"], NOT_FOUND, "unknown"),
    (["branch", "-d", "nosuch"], NOT_FOUND, "no branch"),
    (["switch", "nosuch"], NOT_FOUND, "no branch"),
    (["switch", "-c", "new", "nosuch"], NOT_FOUND, "unknown"),
    (["reflog", "nosuch"], NOT_FOUND, "no branch"),
    (["clone", "--version", "nosuch", ".", "{tmp}/c1"], NOT_FOUND, "unknown"),
    (["mount", "--version", "nosuch", "{tmp}"], NOT_FOUND, "unknown"),
    # --- paths that are not in a version (or the working tree)
    (["show", "head:nope"], NOT_FOUND, "not in version"),
    (["show", "head:a.txt/deeper"], NOT_FOUND, "not in version"),
    (["log", "--", "nope"], NOT_FOUND, "no such path"),
    (["diff", "head~1", "head", "nope"], NOT_FOUND, "in neither version"),
    (["grep", "a", "--", "nope"], NOT_FOUND, "no such path"),
    (["record", "-m", "x", "nope"], NOT_FOUND, "neither in the working tree nor in head"),
    # --- directories, mount points and stores that are not there
    (["clone", GONE, "{tmp}/c2"], NOT_FOUND, "no such directory"),
    (["clone", "file://" + GONE, "{tmp}/c3"], NOT_FOUND, "no verfs store"),
    (["import", "git", GONE], NOT_FOUND, "no such directory"),
    (["import", "darcs", GONE], NOT_FOUND, "no such directory"),
    (["import", "git", "{tmp}/plain"], NOT_FOUND, "not a git repository"),
    (["import", "darcs", "{tmp}/plain"], NOT_FOUND, "not a darcs repository"),
    (["pull", "file://" + GONE], NOT_FOUND, "no verfs store"),
    (["log", "--store", "file://" + GONE], NOT_FOUND, "no verfs store"),
    (["show", "--store", "file://" + GONE, "head:"], NOT_FOUND, "no verfs store"),
    (["mount", GONE], NOT_FOUND, "does not exist"),
    (["mount", "--store", GONE, "{tmp}"], NOT_FOUND, "not a verfs store"),
    (["umount", GONE], NOT_FOUND, "not mounted"),
    (["umount", "/proc"], NOT_FOUND, "not a verfs mount"),
    (["log", "--repo", GONE], NOT_FOUND, "no such directory"),
    # --- malformed requests
    (["log", "-n", "x"], USAGE, "-n"),
    (["show"], USAGE, "Missing argument"),
    (["diff", "head"], USAGE, "Missing argument"),
    (["log", "--", "../../x"], USAGE, "outside"),
    (["show", "head:../../x"], USAGE, "outside"),
    (["push", GONE], USAGE, "not a store URL"),
    (["pull", "bogus://x"], USAGE, "not a store URL"),
    (["tag", "has space"], USAGE, "bad tag name"),
    (["restore", "head~1"], USAGE, "--yes-i-know"),
    (["whatsnew", "extra"], USAGE, "unexpected extra argument"),
]


def _ids(row) -> str:
    args = row.values[0] if hasattr(row, "values") else row[0]
    return " ".join(a.replace("{tmp}/", "") for a in args)


@pytest.mark.parametrize("args,code,said", ROWS, ids=[_ids(r) for r in ROWS])
def test_exit_code(small, args, code, said):
    args = [a.replace("{tmp}", str(small.parent)) for a in args]
    err = one_line_error(run_verfs(*args, cwd=small, check=False), code)
    assert said in err, err


@pytest.mark.parametrize("args", [["log"], ["head"], ["show", "head:a.txt"], ["fsck"]])
def test_damaged_head_is_exit_3(small, tmp_path, args):
    repo = tmp_path / "repo"
    shutil.copytree(small, repo, symlinks=True)
    (repo / ".verfs" / "head").write_text("damaged\n")
    proc = run_verfs(*args, cwd=repo, check=False)
    assert proc.returncode == DAMAGED
    if args != ["fsck"]:                    # fsck lists what it found on stdout
        assert "is damaged" in one_line_error(proc, DAMAGED)


def test_a_store_url_with_nothing_there(small, s3_env):
    """A server that does not answer, and a bucket that is not there: not found (1)."""
    from tests.servers import free_ports
    (port,) = free_ports(1)
    for url, said in [(f"http://127.0.0.1:{port}/x", "cannot reach"),
                      ("s3://no-such-bucket/x", "there is no bucket 'no-such-bucket'")]:
        pushed = [["push", url]] if url.startswith("s3:") else []     # http is read-only
        for args in [["log", "--store", url], ["pull", url], ["clone", url, "copy"], *pushed]:
            err = one_line_error(run_verfs(*args, cwd=small, check=False, env=None), 1)
            assert said in err, err
