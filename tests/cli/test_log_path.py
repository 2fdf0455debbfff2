"""``verfs log [VERSION] [--] [PATH...]`` on the sample history: which argument is
the version and which a path, ``--``, the options, a remote store (``--store``), an
empty repository, and the help."""

import json
import os

from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.mount.histories import put
from tests.pausing import Paused
from verfs import filelog, ops
from verfs.repo import Repository


def names(out: bytes) -> list[str]:
    return [e["name"] for e in json.loads(out)]


def test_paths_of_the_sample(sample):
    root = sample.repo.root
    assert names(run_verfs("log", "--json", "src/lib/util.c", cwd=root).stdout) == [
        "edit util", "start the project"]
    assert names(run_verfs("log", "--json", "docs", cwd=root).stdout) == [
        "rename the guide", "start the project"]
    assert names(run_verfs("log", "--json", "src/main.c", "readme-link", cwd=root).stdout) \
        == ["drop the link, main executable", "start the project"]
    assert names(run_verfs("log", "--json", "docs/guide.txt", cwd=root).stdout) == [
        "rename the guide", "start the project"]
    assert names(run_verfs("log", "--json", "with space.txt", cwd=root).stdout) == [
        "start the project"]


def test_a_path_that_looks_like_a_version(sample):
    """A file named like a hash prefix of a version, and one named like a tag: the
    version wins for a hash (say '--' for the path), the path wins over a tag."""
    repo = sample.repo
    prefix = repo.head()[:6]
    put(repo.root, prefix, b"x\n")
    put(repo.root, "v1.0", b"y\n")
    ops.record(repo, "odd names", "T <t@example.com>", "20240110120000")
    root = repo.root
    whole = names(run_verfs("log", "--json", prefix, cwd=root).stdout)
    assert len(whole) == len(names(run_verfs("log", "--json", "head~1", cwd=root).stdout))
    assert names(run_verfs("log", "--json", "--", prefix, cwd=root).stdout) == ["odd names"]
    assert names(run_verfs("log", "--json", "v1.0", cwd=root).stdout) == ["odd names"]
    tagged = names(run_verfs("log", "--json", "v1.0", "--", cwd=root).stdout)
    assert tagged[0] == "TAG v1.0"


def test_max_count_with_and_without_paths(sample):
    root = sample.repo.root
    assert len(names(run_verfs("log", "--json", "-n", "2", cwd=root).stdout)) == 2
    assert names(run_verfs("log", "--json", "-n", "1", "src", cwd=root).stdout) == [
        "drop the link, main executable"]
    assert names(run_verfs("log", "--json", "-n", "0", "src", cwd=root).stdout) == []


def test_plain_log_is_unchanged(sample):
    root = sample.repo.root
    out = run_verfs("log", cwd=root).stdout.decode()
    steps = list(sample.repo.history.chain(sample.repo.head()))
    assert out.count("version ") == len(steps)
    assert out.startswith(f"version {steps[0].vid}\n")
    verbose = run_verfs("log", "-v", "head~1", cwd=root).stdout.decode(errors="replace")
    assert "    " in verbose and verbose.count("version ") == len(steps) - 1


def test_errors(sample, tmp_path):
    root = sample.repo.root
    err = one_line_error(run_verfs("log", "nothing-here", cwd=root, check=False), 1)
    assert "unknown version, tag or hash prefix: nothing-here (and no such path" in err
    err = one_line_error(run_verfs("log", "head", "nothing/here", cwd=root, check=False), 1)
    assert "nothing/here: no such path in the history of version" in err
    one_line_error(run_verfs("log", "--", "../../x", cwd=root, check=False), 2)
    one_line_error(run_verfs("log", "-n", "-1", "src", cwd=root, check=False), 2)
    empty = Repository.init(str(tmp_path / "empty"))
    assert run_verfs("log", cwd=empty.root).stdout == b""
    one_line_error(run_verfs("log", "x", cwd=empty.root, check=False), 1)


def test_damaged_kept_log_is_said_and_made_again(sample):
    repo = sample.repo
    root = repo.root
    want = run_verfs("log", "src", cwd=root).stdout
    kept = repo.store.cache.directory("paths")
    for name in os.listdir(kept):
        path = os.path.join(kept, name)
        with open(path, "r+b") as f:
            f.seek(40)
            byte = f.read(1)
            f.seek(40)
            f.write(bytes([byte[0] ^ 0xff]))
    proc = run_verfs("log", "src", cwd=root)
    assert proc.stdout == want
    assert b"verfs: warning: derived path log" in proc.stderr
    assert run_verfs("log", "src", cwd=root).stderr == b""


def test_remote_store(sample, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "xdg"))
    run_verfs("push", url, "--repo", sample.repo.root, env=env)
    for args in (["src/lib"], ["head~3", "--", "docs"], ["-n", "1", "README"]):
        here = run_verfs("log", "--json", *args, cwd=sample.repo.root)
        there = run_verfs("log", "--json", "--store", url, *args, cwd="/", env=env)
        assert there.stdout == here.stdout, args
    kept = [n for _, _, files in os.walk(tmp_path / "xdg") for n in files
            if len(n) == 64 and n in {s for s in sample.chain}]
    assert kept         # the remote's path log is kept in its local cache


def test_help_has_examples():
    out = run_verfs("log", "--help").stdout.decode()
    assert "verfs log src/core.py" in out and "-n, --max-count N" in out and "--" in out


def test_kept_log_removed_under_a_reader(sample, tmp_path):
    """A reader about to open head's kept log (parked there) while other commands
    record enough versions that the file is removed: it still answers head's log, by
    cutting a newer one."""
    repo = sample.repo
    root = repo.root
    want = run_verfs("log", "--json", "src", cwd=root).stdout
    head = repo.head()
    kept = repo.store.cache.directory("paths")
    assert head in os.listdir(kept)
    reader = Paused(tmp_path, "path-log", "log", "--json", "src", cwd=root)
    for i in range(filelog.KEEP + 1):
        put(root, f"src/n{i}.c", b"%d\n" % i)
        ops.record(repo, f"n{i}", "T <t@example.com>", "20240110120000")
    assert head not in os.listdir(kept)
    done = reader.resume()
    assert done.returncode == 0, done.stderr
    assert done.stdout == want
