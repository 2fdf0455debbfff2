"""history/ and tags/ follow head as it moves — built on the previous listing when
head moved along its chain, and always equal to a listing computed from scratch."""

from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR, put
from verfs import ops
from verfs.mount.refs import Refs


def _scratch(view):
    refs = Refs(view.history, view.refs.current().head)
    return refs.history_links, refs.tags


def _listing(view):
    return dict(view.refs.current().history_links), dict(view.refs.current().tags)


def test_moves_of_head_keep_history_and_tags_right(sample):
    view = fresh_view(sample)
    first = _listing(view)
    assert first == _scratch(view)
    repo = sample.repo
    put(sample.root, "more.txt", b"more\n")
    ops.record(repo, "more", AUTHOR, "20240201000000")          # forward: one new step
    ops.tag(repo, "after", AUTHOR, "20240202000000")
    second = _listing(view)
    assert second == _scratch(view)
    assert len(second[0]) == len(first[0]) + 2 and "after" in second[1]
    ops.unrecord(repo, 3)                                       # back along the chain
    third = _listing(view)
    assert third == _scratch(view) and len(third[0]) == len(first[0]) - 1
    put(sample.root, "other.txt", b"other\n")
    ops.record(repo, "elsewhere", AUTHOR, "20240203000000")     # a new branch
    assert _listing(view) == _scratch(view)
