"""Reconstruction never replays more than K patches, whatever the depth: an inventory
is closed at every tag and after every K patches, and its tree is the starting point.
Counted in applications (History.replayed), with no version's root cached."""

import shutil

import pytest

from store import DiskStore
from tests.treestate import tree_state
from verfs import ops
from verfs.history import CHECKPOINT, History
from verfs.repo import Repository


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    top = tmp_path_factory.mktemp("deep") / "repo"
    repo = Repository.init(top)
    states = {}
    n = 2 * CHECKPOINT + 37
    for i in range(n):
        (top / f"f{i % 7}.txt").write_text(f"{i}\n" * (i % 5 + 1))
        if i == CHECKPOINT + 5:
            ops.tag(repo, "middle")
        vid = ops.record(repo, f"p{i}", "T <t@example.com>", "20260101000000")
        states[vid] = tree_state(repo.store, repo.history.root_tree(vid))
    return repo, states


def _fresh(repo: Repository) -> History:
    """A new process's view with no version's root cached (as for versions made
    elsewhere): the derived trees of the inventories are all it has to start from."""
    store = DiskStore(repo.store.root)
    for area in ("roots", "closed-inventory"):
        store.cache.clear(area)
    return History(store)


def test_every_version_replays_at_most_k(deep):
    repo, states = deep
    worst = 0
    for vid, state in states.items():
        h = _fresh(repo)
        assert tree_state(h.store, h.root_tree(vid)) == state
        worst = max(worst, h.replayed)
        assert h.replayed <= CHECKPOINT, (vid, h.replayed)
    assert worst > CHECKPOINT // 2, "the deepest walks did replay: the test can fail"


def test_checkpoints_are_inventories_named_by_versions(deep):
    repo, states = deep
    named = [s.version.inventory for s in repo.history.chain(repo.head())
             if s.version.inventory]
    assert len(named) >= 3        # two checkpoints and the tag
    for inv_id in named:
        inv = repo.store.get_inventory(inv_id)
        assert len(inv.patches) <= CHECKPOINT
        assert repo.history.states.has_tree(inv.tree)


def test_a_second_access_replays_nothing(deep):
    repo, states = deep
    vid = sorted(states)[3]
    h = _fresh(repo)
    h.root_tree(vid)
    again = History(DiskStore(repo.store.root))
    again.root_tree(vid)
    assert again.replayed == 0


def test_after_the_whole_cache_is_gone_one_rebuild_restores_the_bound(deep):
    repo, states = deep
    shutil.rmtree(repo.store.root + "/cache")
    h = History(DiskStore(repo.store.root))
    head = repo.head()
    assert tree_state(h.store, h.root_tree(head)) == states[head]
    assert h.replayed > CHECKPOINT          # the one long walk, rebuilding inventories
    for vid, state in list(states.items())[::17]:
        h = _fresh(repo)
        assert tree_state(h.store, h.root_tree(vid)) == state
        assert h.replayed <= CHECKPOINT


def test_the_long_walk_keeps_the_root_of_every_version_it_passes(deep):
    """After the cache is gone, opening head once makes every version of its chain as
    quick to open as before: no replay at all."""
    repo, states = deep
    shutil.rmtree(repo.store.root + "/cache")
    History(DiskStore(repo.store.root)).root_tree(repo.head())
    for vid, state in states.items():
        h = History(DiskStore(repo.store.root))
        assert tree_state(h.store, h.root_tree(vid)) == state
        assert h.replayed == 0, vid


def test_an_inventory_its_patches_do_not_reproduce_stops_the_long_walk():
    """The rebuild checks each inventory's recorded tree: a wrong one is an error of
    the store, never a silently different state."""
    from store import Inventory, MemoryStore, Version, hash_bytes
    from store.errors import StoreError
    from verfs.patch.named import Patch, PatchInfo
    from verfs.patch.prims import AddFile
    from verfs.patch.text import write_patch
    store = MemoryStore()
    h = History(store)
    first = h.add_version(None, Patch(PatchInfo("a", "T", "20260101000000"), (AddFile("a"),)))
    step = h.step(first)
    wrong = store.put_inventory(Inventory(hash_bytes(b"no such tree"),
                                          ((step.patch.identity, step.version.patch),)))
    rep = store.put("patch", write_patch(Patch(PatchInfo("b", "T", "20260101000000"),
                                               (AddFile("b"),))))
    second = store.put_version(Version(rep, first, wrong))
    store.cache.data.clear()            # no root cached: the walk must replay
    with pytest.raises(StoreError, match="records tree"):
        History(store).root_tree(second)
