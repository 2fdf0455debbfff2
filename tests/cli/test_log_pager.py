"""``verfs log`` on a terminal goes through the pager (as ``verfs grep``): the one of
$VERFS_PAGER, given LESS=FRX; not with --no-pager, nor when stdout is a pipe; and a
pager that quits early ends the command quietly."""

import sys

import pytest

from tests.conftest import run_verfs, verfs_env
from tests.terminal import on_a_terminal


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """Two patches, the second a file of 40,000 lines (``log -v``: far more than a
    pipe holds, so a pager that stops reading leaves the writer on a closed pipe)."""
    repo = tmp_path_factory.mktemp("log") / "repo"
    run_verfs("init", repo)
    (repo / "a.txt").write_bytes(b"one\n")
    run_verfs("record", "-m", "first", cwd=repo)
    (repo / "many.txt").write_bytes(b"".join(b"line %d\n" % i for i in range(40000)))
    run_verfs("record", "-m", "second", cwd=repo)
    return repo


@pytest.fixture
def pager(tmp_path):
    """A pager that writes what it got, and its $LESS, to files; its env."""
    script = tmp_path / "pager.py"
    got, less = tmp_path / "got", tmp_path / "less"
    script.write_text("import os, sys\n"
                      f"open({str(less)!r}, 'w').write(os.environ.get('LESS', '-'))\n"
                      f"open({str(got)!r}, 'wb').write(sys.stdin.buffer.read())\n")
    env = verfs_env(VERFS_PAGER=f"{sys.executable} {script}", PAGER="false")
    env.pop("LESS", None)
    return env, got, less


def test_paged_on_a_terminal(repo, pager):
    env, got, less = pager
    out, _ = on_a_terminal(["log"], repo, env)
    assert out == b""                               # all went to the pager
    text = got.read_bytes().decode()
    assert text == run_verfs("log", cwd=repo, env=env).stdout.decode()
    assert text.count("version ") == 2 and "  * second" in text
    assert less.read_text() == "FRX"


def test_no_pager_and_piped(repo, pager):
    env, got, _ = pager
    out, _ = on_a_terminal(["log", "--no-pager"], repo, env)
    assert b"  * second" in out and not got.exists()
    piped = run_verfs("log", cwd=repo, env=env).stdout
    assert b"  * second" in piped and not got.exists()
    out, _ = on_a_terminal(["log", "--json"], repo, env)       # for programs: never paged
    assert b'"second"' in out and not got.exists()


def test_a_pager_that_quits_early_is_quiet(repo):
    env = verfs_env(VERFS_PAGER="head -c 1")
    out, err = on_a_terminal(["log", "-v"], repo, env)
    assert len(out) <= 2 and err == b"", err
