"""Two pushes at once to one remote: exactly one moves its head, the other is refused
in one line, and nothing is lost — the winner's head is the remote's, and the loser
pulls, then pushes.  Gated, never timed: in process by a barrier both pushes reach
with everything uploaded and the head read, just before the conditional write; on
the command line by both commands parked at the ``pushed-pack`` point."""

import threading

import pytest

from store.remote.store import open_remote
from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.pausing import Paused
from verfs import ops, sharing
from verfs.repo import Repository


@pytest.fixture(params=["file", "s3"])
def url(request, tmp_path):
    if request.param == "file":
        return f"file://{tmp_path}/remote"
    return request.getfixturevalue("s3_url")


def _record(repo: Repository, name: str) -> str:
    with open(f"{repo.root}/{name}.txt", "w") as f:
        f.write(name + "\n")
    return ops.record(repo, name, "Tester <t@example.com>", "20240101120000")


def _remote(url: str, cache) -> object:
    return open_remote(url, cache_dir=str(cache), create=True)


def _two_repositories(tmp_path, url):
    """The remote at "one"; ``x`` a patch beyond it, ``y`` a clone of ``x`` and one
    more: whichever push wins, the other's head can follow it."""
    x = Repository.init(str(tmp_path / "x"))
    _record(x, "one")
    sharing.push(x, _remote(url, tmp_path / "cache-setup"))
    _record(x, "two")
    y = ops.clone(x, str(tmp_path / "y"))
    _record(y, "three")
    return x, y


@pytest.mark.parametrize("run", range(5))
def test_two_pushes_at_once_one_refused_nothing_lost(tmp_path, url, run):
    x, y = _two_repositories(tmp_path, url)
    gate = threading.Barrier(2)
    results: dict[str, object] = {}

    def push(name: str, repo: Repository) -> None:
        remote = _remote(url, tmp_path / f"cache-{name}")
        try:
            results[name] = sharing.push(repo, remote, ready=lambda: gate.wait(60))
        except sharing.HeadMoved as exc:
            results[name] = exc

    threads = [threading.Thread(target=push, args=(n, r)) for n, r in (("x", x), ("y", y))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [n for n, r in results.items() if isinstance(r, sharing.HeadMoved)]
    assert len(refused) == 1, results
    assert str(results[refused[0]]) == "the remote's head moved while pushing: pull first"
    winner, loser = ("y", "x") if refused == ["x"] else ("x", "y")
    repos = {"x": x, "y": y}
    check = _remote(url, tmp_path / "cache-check")
    assert check.read_head()[0] == repos[winner].head()
    # the loser pulls, then pushes: both patches are in the remote's head
    again = _remote(url, tmp_path / f"cache-{loser}")
    sharing.pull(repos[loser], again, url)
    sharing.push(repos[loser], again)
    assert check.read_head()[0] == y.head()
    assert sharing.since(y.history, y.head(), x.head()) is not None     # "two" is in it


def test_the_second_of_two_parked_pushes_is_refused_in_one_line(tmp_path, url, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x, y = _two_repositories(tmp_path, url)
    first = Paused(tmp_path, "pushed-pack", "push", url, cwd=x.root)
    second = Paused(tmp_path, "pushed-pack", "push", url, cwd=y.root)
    done = first.resume()
    assert done.returncode == 0, done.stderr
    lost = second.resume()
    err = one_line_error(lost, 1)
    assert err == "verfs: the remote's head moved while pushing: pull first\n"
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    run_verfs("clone", url, tmp_path / "check", env=env)
    assert Repository(str(tmp_path / "check")).head() == x.head()
    run_verfs("pull", url, cwd=y.root, env=env)
    run_verfs("push", url, cwd=y.root, env=env)
    run_verfs("pull", url, cwd=tmp_path / "check", env=env)
    assert Repository(str(tmp_path / "check")).head() == y.head()
