"""A version whose tree holds a ``.verfs`` (made before it was refused) shows none in
the mount, at any level — as checkout writes none — while its other files show."""

import pytest

from tests.mount.conftest import fresh_view
from tests.mount.histories import add_dotverfs_version
from verfs.mount.nodes import NoSuchPath


def test_no_verfs_in_a_version_tree(sample):
    vid = add_dotverfs_version(sample.repo)
    view = fresh_view(sample)
    tree = sample.repo.history.states.get_tree(sample.repo.history.root_tree(vid))
    assert tree.get(".verfs") is not None                   # it is in the stored tree
    top = [n for n, _, _ in view.readdir(f"/versions/{vid}")]
    assert ".verfs" not in top and "kept.txt" in top and "src" in top
    assert ".verfs" not in [n for n, _, _ in view.readdir(f"/versions/{vid}/src")]
    for path in (f"/versions/{vid}/.verfs", f"/versions/{vid}/.verfs/head",
                 f"/versions/{vid[:8]}/src/.verfs/x"):
        with pytest.raises(NoSuchPath):
            view.lookup(path)
    assert view.read(view.open(f"/versions/{vid}/kept.txt"), 0, 100) == b"kept\n"
