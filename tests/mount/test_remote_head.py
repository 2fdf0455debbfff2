"""The head source of a remote store (verfs/mount/remote.py): polled only when due,
one request each for head and the tag table when nothing moved; a move seen by the
follower as a repository's is; a remote that cannot be reached keeps the last head
shown and is said once."""

import logging
import os

from store.remote.store import open_remote
from tests.fuse.remotes import publish
from tests.mount.histories import AUTHOR, put
from tests.mount.test_follow_changes import Said
from verfs import ops
from verfs.history import History
from verfs.mount.follow import Follower
from verfs.mount.remote import Outage, RemoteHead
from verfs.mount.view import View


def _remote(sample, tmp_path):
    url = f"file://{tmp_path / 'remote'}"
    publish(sample.repo, url, tmp_path / "pusher")
    remote = open_remote(url, cache_dir=str(tmp_path / "cache"))
    return url, remote


def test_a_poll_costs_two_requests_and_only_when_due(sample, tmp_path):
    _, remote = _remote(sample, tmp_path)
    head = RemoteHead(remote, remote.read_head(), every=3600)
    before = remote.stats.requests
    assert not head.poll() and remote.stats.requests == before        # not due
    assert not head.poll(now=True) and remote.stats.requests == before + 2    # head, tags
    assert head.read() == sample.repo.head()


def test_a_push_is_followed(sample, tmp_path):
    url, remote = _remote(sample, tmp_path)
    head = RemoteHead(remote, remote.read_head(), every=3600)
    view = View(remote, History(remote), head)
    follower, said = Follower(view), Said()
    follower.start(said)
    follower.stop()                     # driven by hand below
    shown = len(view.readdir("/history"))
    view.lookup("/head/README")
    put(sample.root, "README", b"pushed\n")
    vid = ops.record(sample.repo, "pushed", AUTHOR, "20240201120000")
    publish(sample.repo, url, tmp_path / "pusher")
    assert view.refs.current().head != vid          # nothing asked the remote yet
    assert not follower.check()                     # nor does a look before it is due
    head.every = 0
    assert follower.check().head
    assert "head" in said.entries and "/head/README" in said.paths
    assert view.refs.current().head == vid and len(view.readdir("/history")) == shown + 1
    assert view.read(view.open("/head/README"), 0, 100) == b"pushed\n"


def test_an_unreachable_remote_keeps_head_and_is_said_once(sample, tmp_path, caplog):
    _, remote = _remote(sample, tmp_path)
    outage = Outage()
    head = RemoteHead(remote, remote.read_head(), every=0, outage=outage)
    where = tmp_path / "remote"
    os.rename(where, tmp_path / "away")
    where.write_bytes(b"")
    with caplog.at_level(logging.INFO, "verfs.mount"):
        for _ in range(3):
            assert not head.poll()
        assert head.read() == sample.repo.head() and outage.failed == 3
        assert sum("cannot be reached" in r.getMessage() for r in caplog.records) == 1
        where.unlink()
        os.rename(tmp_path / "away", where)
        assert not head.poll() and outage.failed == 0
    assert "the remote answers again (3 requests failed meanwhile)" in caplog.text


def test_a_damaged_remote_head_keeps_the_last_one_shown(sample, tmp_path, caplog):
    _, remote = _remote(sample, tmp_path)
    head = RemoteHead(remote, remote.read_head(), every=0, outage=Outage())
    remote.transport.put("head", b"not a version\n")
    with caplog.at_level(logging.INFO, "verfs.mount"):
        for _ in range(3):
            assert not head.poll()
    assert head.read() == sample.repo.head()
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "keeps showing" in said[0], said
    assert "cannot be reached" not in caplog.text
