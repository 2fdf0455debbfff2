"""Two pushes at once to one remote: one wins the head's conditional write; the other
is refused in one line when its head does not contain the winner's (and pushes on
top of it when it does), and nothing is lost — the winner's head is the remote's, and
the loser pulls, then pushes.  Gated, never timed: in process by a barrier both pushes reach
with everything uploaded and the head read, just before the conditional write; on
the command line by both commands parked at the ``pushed-pack`` point."""

import threading

import pytest

from store.remote.store import open_remote
from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.pausing import Paused
from verfs import ops, sharing
from verfs.repo import Repository


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
def test_two_pushes_at_once_nothing_lost(tmp_path, url, run):
    """Both read the same head and upload, then write head at once: one wins.  When
    ``x`` wins, ``y`` (whose head contains ``x``'s) pushes on top of it; when ``y``
    wins, ``x`` is refused in one line, pulls and pushes (nothing left to push)."""
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
    assert set(results) == {"x", "y"}, results
    assert isinstance(results["y"], sharing.Counts) and results["y"].moved
    check = _remote(url, tmp_path / "cache-check")
    assert check.read_head()[0] == y.head()
    if isinstance(results["x"], sharing.HeadMoved):
        assert str(results["x"]) == "the remote's head moved while pushing: pull first"
        again = _remote(url, tmp_path / "cache-x")
        sharing.pull(x, again, url)
        assert x.head() == y.head()
        assert not sharing.push(x, again).moved
    else:
        assert results["x"].moved       # it wrote first; y then pushed over it
    assert check.read_head()[0] == y.head()
    assert sharing.since(y.history, y.head(), x.head()) is not None     # "two" is in it


def test_a_push_whose_head_does_not_contain_the_winner_is_refused(tmp_path, url,
                                                                 monkeypatch):
    """Both commands parked at ``pushed-pack`` (the head read, a pack uploaded): ``y``
    goes on first and wins; ``x``, whose head does not contain ``y``'s, is refused in
    one line; it then pulls, and pushing has nothing left to do."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x, y = _two_repositories(tmp_path, url)
    second = Paused(tmp_path, "pushed-pack", "push", url, cwd=x.root)
    first = Paused(tmp_path, "pushed-pack", "push", url, cwd=y.root)
    done = first.resume()
    assert done.returncode == 0, done.stderr
    err = one_line_error(second.resume(), 1)
    assert err == "verfs: the remote's head moved while pushing: pull first\n"
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    run_verfs("clone", url, tmp_path / "check", env=env)
    assert Repository(str(tmp_path / "check")).head() == y.head()
    run_verfs("pull", url, cwd=x.root, env=env)
    assert x.head() == y.head()
    assert b"nothing to push" in run_verfs("push", url, cwd=x.root, env=env).stdout


def test_a_push_whose_head_contains_the_winner_goes_on(tmp_path, url, monkeypatch):
    """``x`` parked at ``pushed-pack``, ``y`` parked too, ``x`` wins: ``y``'s head
    contains it, so ``y`` pushes on top of it rather than being refused."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x, y = _two_repositories(tmp_path, url)
    first = Paused(tmp_path, "pushed-pack", "push", url, cwd=x.root)
    second = Paused(tmp_path, "pushed-pack", "push", url, cwd=y.root)
    assert first.resume().returncode == 0
    done = second.resume()
    assert done.returncode == 0, done.stderr
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "cache"))
    run_verfs("clone", url, tmp_path / "check", env=env)
    assert Repository(str(tmp_path / "check")).head() == y.head()
