"""``branches/`` and ``tags/`` of a repository's view, without FUSE: the names beside
head (verfs/heads.py) as ``Repository.branches`` and ``Repository.tags`` have them,
followed as they move; what the follower makes the kernel forget when they do; and a
view of one version alone."""

import os

import pytest

from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR
from tests.mount.test_follow_changes import Said
from verfs import heads, ops
from verfs.mount.follow import Follower, changes
from verfs.mount.nodes import NoSuchPath
from verfs.mount.refs import Refs, RefsWatcher
from verfs.mount.view import VERSION_XATTR, View


def listed(view, path):
    return [n for n, _, _ in view.readdir(path)]


def shown(view, path) -> str:
    return view.xattrs(path)[VERSION_XATTR].decode()


def dotdir(sample) -> str:
    return str(sample.root / ".verfs")


def test_the_checked_out_branch_is_head(sample, view):
    assert listed(view, "/branches") == ["main"]
    assert shown(view, "/branches/main") == sample.repo.head()
    assert view.lookup("/branches/main").ino == view.lookup("/head").ino
    assert view.lookup("/branches").nlink == 3


def test_branches_follow_their_files(sample, view):
    d = dotdir(sample)
    listed(view, "/branches")
    heads.write_branch(d, "topic", sample.chain[1])
    assert listed(view, "/branches") == ["main", "topic"]
    assert shown(view, "/branches/topic") == sample.chain[1]
    assert listed(view, "/branches/topic") == listed(view, f"/versions/{sample.chain[1]}")
    heads.write_branch(d, "topic", sample.chain[2])          # moved
    assert shown(view, "/branches/topic") == sample.chain[2]
    heads.write_branch(d, "empty", None)                      # the empty state: no dir
    assert listed(view, "/branches") == ["main", "topic"]
    heads.delete_branch(d, "topic")
    assert listed(view, "/branches") == ["main"]
    with pytest.raises(NoSuchPath):
        view.lookup("/branches/topic")


def test_a_switch_moves_the_names(sample, view):
    """Switching: head becomes the other branch's version, the old branch's file is
    written, ``.verfs/branch`` names the new one (what ``verfs switch`` writes)."""
    d, old_head = dotdir(sample), sample.repo.head()
    heads.write_branch(d, "topic", sample.chain[1])
    assert shown(view, "/branches/topic") == sample.chain[1]
    heads.write_branch(d, "main", old_head)
    heads.set_current_branch(d, "topic")
    sample.repo.set_head(sample.chain[1], "switch")
    assert shown(view, "/head") == sample.chain[1]
    assert shown(view, "/branches/topic") == sample.chain[1]
    assert shown(view, "/branches/main") == old_head


def test_tags_are_references_and_the_chain(sample, view):
    d = dotdir(sample)
    assert listed(view, "/tags") == ["v1.0"]
    heads.write_tag_ref(d, "side", sample.chain[0])           # on no tag patch
    assert listed(view, "/tags") == ["side", "v1.0"]
    assert shown(view, "/tags/side") == sample.chain[0]
    heads.write_tag_ref(d, "v1.0", sample.chain[1])           # a reference wins
    assert shown(view, "/tags/v1.0") == sample.chain[1]


def test_a_chain_tag_without_its_reference_still_shows(sample, view):
    """Repositories made before tag references have their tags on head's chain only."""
    os.unlink(os.path.join(dotdir(sample), "tags", "v1.0"))
    assert listed(view, "/tags") == ["v1.0"]
    assert shown(view, "/tags/v1.0") == sample.named["tag"]


def test_a_tag_left_behind_by_head_stays_by_its_reference(sample, view):
    tagged = sample.named["tag"]
    listed(view, "/tags")
    ops.restore(sample.repo, sample.chain[0], force=True)
    assert listed(view, "/tags") == ["v1.0"] and shown(view, "/tags/v1.0") == tagged


def test_a_damaged_branch_file_keeps_the_last_names(sample, view):
    d = dotdir(sample)
    heads.write_branch(d, "topic", sample.chain[1])
    assert listed(view, "/branches") == ["main", "topic"]
    with open(os.path.join(d, "branches", "broken"), "w") as f:
        f.write("not a version\n")
    assert listed(view, "/branches") == ["main", "topic"]
    assert view.refs.damaged == 1
    sample.repo.set_head(sample.chain[1], "test: move")       # head is still followed
    assert shown(view, "/head") == sample.chain[1]
    assert view.refs.damaged == 2 and listed(view, "/branches") == ["main", "topic"]


def test_two_changes_in_one_tick_are_seen_by_the_follower(sample, view):
    """A directory's mtime comes from a coarse clock: two writes of a branch within
    one tick leave the directory as it was to ``stat``.  The follower's ``poll``
    stats the files of a recently changed directory, and sees the second."""
    d = dotdir(sample)
    heads.write_branch(d, "topic", sample.chain[1])
    branches = os.path.join(d, "branches")
    st = os.stat(branches)
    assert shown(view, "/branches/topic") == sample.chain[1]
    heads.write_branch(d, "topic", sample.chain[2])
    os.utime(branches, ns=(st.st_atime_ns, st.st_mtime_ns))  # as within one tick
    assert os.stat(branches).st_mtime_ns == st.st_mtime_ns
    assert shown(view, "/branches/topic") == sample.chain[1]  # the stat alone misses it
    view.refs.source.poll()
    assert shown(view, "/branches/topic") == sample.chain[2]


def test_only_a_branch_moving_keeps_heads_chain(sample):
    watcher = RefsWatcher(sample.repo.history, str(sample.root / ".verfs" / "head"))
    first = watcher.current()
    first.chain     # noqa: B018 - walked
    heads.write_branch(dotdir(sample), "topic", sample.chain[1])
    second = watcher.current()
    assert second is not first and second.head == first.head
    assert second.chain is first.chain                        # not walked again


# --- what the follower makes the kernel forget ------------------------------------------
def state(sample, head=None, shown=True, **names):
    from verfs.mount.refs import Names
    out = Refs(sample.repo.history, head or sample.chain[-1],
               names=Names(names.get("branch", "main"), names.get("stored", {}),
                           names.get("tags", {})))
    if shown:
        out.chain       # noqa: B018 - walked, as a listing of history/ walks it
    return out


def test_a_new_branch_only_adds_a_name(sample):
    c = changes(state(sample), state(sample, stored={"topic": sample.chain[1]}))
    assert c and not c.head and c.added == {"branches"} and not any(c.changed.values())


def test_a_moved_branch_is_forgotten(sample):
    c = changes(state(sample, stored={"topic": sample.chain[1]}),
                state(sample, stored={"topic": sample.chain[2]}))
    assert not c.head and c.changed["branches"] == {"topic"} and not c.added


def test_a_switch_moves_head_not_the_branches(sample):
    """Each branch keeps its version through a switch: head is forgotten, branches/
    is not."""
    old = state(sample, sample.chain[-1], stored={"topic": sample.chain[1]})
    new = state(sample, sample.chain[1], branch="topic",
                stored={"topic": sample.chain[1], "main": sample.chain[-1]})
    c = changes(old, new)
    assert c.head and not c.changed["branches"] and "branches" not in c.added


def test_a_tag_reference_that_moves_is_forgotten(sample):
    c = changes(state(sample, tags={"side": sample.chain[0]}),
                state(sample, tags={"side": sample.chain[1]}))
    assert not c.head and c.changed["tags"] == {"side"}


def test_the_checked_out_branch_is_forgotten_with_head_once_served(sample):
    """branches/main moves with head on every record: forgotten only once this mount
    served something under it (a lookup, or a listing of branches/)."""
    view = fresh_view(sample)
    follower, said = Follower(view), Said()
    follower.start(said)
    follower.stop()                     # driven by hand below, not by its thread
    ops.tag(sample.repo, "t1", AUTHOR)
    follower.check()
    assert said.entries == ["head"]
    said.entries.clear()
    view.lookup("/branches/main/README")
    ops.tag(sample.repo, "t2", AUTHOR)
    follower.check()
    assert said.entries == ["branches", "head"]
    assert "/branches/main/README" in said.paths and "/branches" in said.paths
    said.entries.clear()
    ops.tag(sample.repo, "t3", AUTHOR)      # what was served was forgotten already
    follower.check()
    assert said.entries == ["head"]
    listed(view, "/branches")
    ops.tag(sample.repo, "t4", AUTHOR)
    said.entries.clear()
    follower.check()
    assert said.entries == ["branches", "head"]


def test_the_same_names_change_nothing(sample):
    assert not changes(state(sample, stored={"a": sample.chain[1]}),
                       state(sample, stored={"a": sample.chain[1]}))


# --- one version alone ------------------------------------------------------------------
def test_a_view_of_one_version_is_its_tree(sample):
    vid = sample.chain[2]
    whole = fresh_view(sample)
    one = View(sample.repo.store, version=vid)
    assert listed(one, "/") == listed(whole, f"/versions/{vid}")
    assert one.xattrs("/") == {VERSION_XATTR: vid.encode()}
    node = one.lookup("/src/main.c")
    assert one.read(node, 0, 100) == whole.read(whole.lookup(f"/versions/{vid}/src/main.c"),
                                                0, 100)
    for name in ("head", "versions", "history", "tags", "branches", "info"):
        with pytest.raises(NoSuchPath):
            one.lookup(f"/{name}")
