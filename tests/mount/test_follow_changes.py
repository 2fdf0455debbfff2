"""Which names the kernel must forget when head moves (follow.py): a record only adds
names; an unrecord, a restore or a tag that moves changes existing ones; and a follower
that missed an intermediate state still forgets what it showed."""

import os

from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR, put
from verfs import ops
from verfs.mount.follow import Follower, changes
from verfs.mount.refs import Refs


class Said:
    """The notifications a follower sends, as the kernel would receive them."""

    by_path = True

    def __init__(self):
        self.entries, self.paths = [], []

    def entry(self, name):
        self.entries.append(name)

    def path(self, path):
        self.paths.append(path)


def refs(sample, vid, shown=True):
    """A state of head; ``shown``: as after a look at history/ or tags/ under it."""
    out = Refs(sample.repo.history, vid)
    if shown:
        out.chain       # noqa: B018 - walked, as a listing of history/ walks it
    return out


def test_a_record_only_adds_names(sample):
    old = refs(sample, sample.chain[-2])
    new = refs(sample, sample.chain[-1])
    c = changes(old, new)
    assert c.head and not c.top and c.added == {"history"}
    assert not any(c.changed.values())


def test_going_back_changes_names(sample):
    c = changes(refs(sample, sample.chain[-1]), refs(sample, sample.chain[1]))
    assert c.head and not c.added
    assert len(c.changed["history"]) == len(sample.chain) - 2
    assert c.changed["tags"] == {"v1.0"}          # the tag is no longer reached


def test_a_state_never_looked_under_walks_no_chain(sample):
    """Nothing under history/ or tags/ was shown from a state whose chain was never
    walked: its listings may only have grown, and no chain is walked to say so (over a
    remote store, that walk would fetch the whole chain)."""
    old = refs(sample, sample.chain[-1], shown=False)
    new = refs(sample, sample.chain[1], shown=False)
    c = changes(old, new)
    assert c.head and c.added == {"history", "tags"} and not any(c.changed.values())
    assert "chain" not in old.__dict__ and "chain" not in new.__dict__


def test_nothing_moved_is_no_change(sample):
    assert not changes(refs(sample, sample.chain[-1]), refs(sample, sample.chain[-1]))
    assert changes(refs(sample, None), refs(sample, sample.chain[0])).top


def test_the_follower_forgets_what_moved_and_what_it_served(sample):
    view = fresh_view(sample)
    follower, said = Follower(view), Said()
    follower.start(said)
    follower.stop()                     # driven by hand below, not by its thread
    view.lookup("/head/README")
    view.lookup("/history/0001-start-the-project/README")
    put(sample.root, "README", b"changed\n")
    ops.record(sample.repo, "change the readme", AUTHOR, "20240120000000")
    view.lookup("/head")                # a lookup sees the new head before the follower
    assert follower.check()
    assert said.entries == ["head"] and "/head/README" in said.paths
    assert "/history" in said.paths and "/" in said.paths
    assert "/history/0001-start-the-project/README" not in said.paths   # unchanged
    said.entries.clear()
    assert not follower.check() and not said.entries


def test_an_intermediate_state_is_not_missed(sample):
    """head goes back and forth between two looks: the names it showed in between are
    forgotten, though the first and last states agree."""
    view = fresh_view(sample)
    follower, said = Follower(view), Said()
    follower.start(said)
    follower.stop()
    last = sample.repo.head()
    view.lookup("/tags")                # shown: the tag is there
    ops.unrecord(sample.repo, 3)
    os.unlink(sample.root / ".verfs" / "tags" / "v1.0")     # (unrecord kept it)
    view.lookup("/tags")                # shown: the tag is gone
    sample.repo.set_head(last, "test: back")
    assert follower.check()
    assert "tags" in said.entries and "history" in said.entries
