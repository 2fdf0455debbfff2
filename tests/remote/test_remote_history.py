"""A real little history read from a remote store: the states a mount would show are
the local repository's, rebuilt into the remote's local derived store — or, when the
pusher uploaded its states and roots, read from those without replaying anything."""

from tests.mount.histories import build_sample
from tests.remote.stores import dir_remote, new_store, requests
from verfs.history import ROOTS, History

HISTORY_KINDS = ("version", "patch", "inventory", "blob")


def upload(repo_store, remote, kinds, role):
    items = [(kind, oid, repo_store.get(kind, oid)) for kind in kinds
             for oid in repo_store.iter_ids(kind)]
    return remote.upload_pack(items, role)


def test_states_rebuilt_from_a_remote_history_are_the_local_ones(tmp_path):
    sample = build_sample(tmp_path / "repo")
    local = History(sample.repo.store)
    where = dir_remote(tmp_path / "remote")
    pusher = new_store(where, tmp_path / "pusher", create=True)
    upload(sample.repo.store, pusher, HISTORY_KINDS, "history")

    remote = new_store(where, tmp_path / "cache")
    history = History(remote)
    for vid in sample.chain:
        assert history.root_tree(vid) == local.root_tree(vid)
    assert history.replayed > 0
    assert not list(remote.transport.list("objects/"))       # nothing written remotely

    again = History(new_store(where, tmp_path / "cache"))   # the local derived store kept
    assert again.root_tree(sample.chain[-1]) == local.root_tree(sample.chain[-1])
    assert again.replayed == 0 and requests(again.store) == 1     # the manifest's check


def test_pushed_states_and_roots_are_read_not_replayed(tmp_path):
    sample = build_sample(tmp_path / "repo")
    local = History(sample.repo.store)
    roots = {vid: local.root_tree(vid) for vid in sample.chain}
    where = dir_remote(tmp_path / "remote")
    pusher = new_store(where, tmp_path / "pusher", create=True)
    upload(sample.repo.store, pusher, HISTORY_KINDS, "history")
    upload(sample.repo.store.derived, pusher, ("tree", "blob"), "states")
    pusher.upload_table(ROOTS, roots)

    remote = new_store(where, tmp_path / "cache")
    history = History(remote)
    head = sample.chain[-1]
    assert history.root_tree(head) == roots[head]
    tree = history.states.get_tree(roots[head])
    for entry in tree.entries:
        if entry.kind == "file":
            assert history.states.read_blob_range(entry.oid, 0, entry.size) == \
                sample.repo.store.states.get_blob(entry.oid)
    assert history.replayed == 0
