"""``verfs log`` on a longer history (400 git commits, imported): written as the chain
is walked (parked at the walk's end, the log has already written its newest
entries), text and --json; $PAGER when there is no $VERFS_PAGER, a user's $LESS kept;
a closed pipe ends it quietly with status 0; ``-n`` and head's forms (``head^^``,
``@{0}~3``).  tests/cli/test_log_pager.py has the pager itself."""

import os
import select
import subprocess
import sys

import pytest

from tests.cli.test_log_pager import on_a_terminal
from tests.conftest import run_verfs, verfs_env
from tests.pausing import Paused

RECORDER = """\
import os, sys
data = sys.stdin.buffer.read()
out = os.environ["RECORD_TO"]
with open(out + ".less", "w") as f:
    f.write(os.environ.get("LESS", "<unset>"))
with open(out + ".tmp", "wb") as f:
    f.write(data)
os.rename(out + ".tmp", out)
"""


def git_history(where, commits: int):
    """A git repository of ``commits`` commits (one file edited each time, the author
    at -0700), made with ``git fast-import`` and imported into verfs: the repository."""
    src, dst = where / "src.git", where / "repo"
    stream = []
    for n in range(1, commits + 1):
        body = b"edit %d\n" % n
        msg = b"commit number %d" % n
        stream.append(b"commit refs/heads/main\n"
                      b"committer Ada <ada@example.com> %d -0700\n" % (1_700_000_000 + n * 60)
                      + b"data %d\n%s\n" % (len(msg), msg)
                      + b"M 100644 inline f.txt\ndata %d\n%s\n" % (len(body), body))
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(where)}
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", src], check=True, env=env)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=src, check=True, env=env,
                   input=b"".join(stream))
    run_verfs("import", "git", src, "--into", dst)
    return dst


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    return git_history(tmp_path_factory.mktemp("log-stream"), 400)


def recorder(tmp_path, **extra):
    script = tmp_path / "pager.py"
    script.write_text(RECORDER)
    got = tmp_path / "paged"
    return verfs_env(VERFS_PAGER=f"{sys.executable} {script}", RECORD_TO=str(got),
                     **extra), got


def test_less_of_the_user_is_kept_and_verfs_pager_wins_over_pager(history, tmp_path):
    env, got = recorder(tmp_path, LESS="-S", PAGER="false")
    on_a_terminal(["log", "-n", "3"], history, env)
    assert got.read_bytes().count(b"version ") == 3
    assert (tmp_path / "paged.less").read_text() == "-S"


def test_pager_is_used_without_verfs_pager(history, tmp_path):
    env, got = recorder(tmp_path)
    env["PAGER"] = env.pop("VERFS_PAGER")
    on_a_terminal(["log", "-n", "2"], history, env)
    assert got.read_bytes().count(b"version ") == 2


def test_an_empty_pager_is_none(history, tmp_path):
    env, got = recorder(tmp_path)
    out, _ = on_a_terminal(["log", "-n", "1"], history, {**env, "VERFS_PAGER": ""})
    assert not got.exists() and out.count(b"version ") == 1


def test_a_closed_pipe_is_quiet(history):
    """``verfs log | head -c 100``: quiet, and verfs's own status 0."""
    for args in ("log", "log --json"):
        proc = subprocess.run(["bash", "-c", f"'{sys.executable}' -m verfs {args} | "
                               f"head -c 100; echo \" ${{PIPESTATUS[0]}}\""],
                              cwd=history, capture_output=True, env=verfs_env())
        assert proc.stderr == b"" and len(proc.stdout) == 100 + 3
        assert proc.stdout.endswith(b" 0\n")


def test_max_count_and_heads_forms(history):
    for n in (0, 1, 7):
        out = run_verfs("log", "-n", str(n), cwd=history).stdout
        assert out.count(b"version ") == n
    out = run_verfs("log", "--max-count", "2", "head~5", cwd=history).stdout
    assert b"commit number 395\n" in out and b"commit number 394\n" in out
    assert out.count(b"version ") == 2
    for spec, name in (("head^^", b"398"), ("@{0}~3", b"397"), ("head^~2", b"397")):
        out = run_verfs("log", "-n", "1", spec, cwd=history).stdout
        assert out.endswith(b"commit number " + name + b"\n\n"), spec


def test_written_as_the_chain_is_walked(history, tmp_path):
    """Parked once the walk has read the first version of the history, the log has
    already written its newest entries (not the whole walk first, then the text).
    The ranges give more than the log's 32 KiB buffer and less than a pipe holds, so
    the command gets to the pause with nobody reading yet."""
    for args in (["log", "head~200"], ["log", "--json", "head~300"]):
        paused = Paused(tmp_path, "log-walked", *args, cwd=history)
        ready, _, _ = select.select([paused.proc.stdout], [], [], 30)
        assert ready, "nothing written before the walk's end"
        first = os.read(paused.proc.stdout.fileno(), 1 << 16)
        newest = b"commit number %d" % (400 - int(args[-1][5:]))
        assert newest in first
        done = paused.resume()
        assert done.returncode == 0
        assert first + done.stdout == run_verfs(*args, cwd=history).stdout
