"""What a version's entries show, without FUSE: inodes from what an entry is, so equal
subtrees of two versions look alike to every tool and changed ones do not; link
counts and sizes as a disk filesystem has them; a version's root stat'ed without
reconstructing it."""

from store import DIR
from tests.mount.conftest import fresh_view
from tests.mount.test_view_lazy import drop_derived_cache
from verfs.mount.nodes import content_ino, dir_size


def _attrs(node):
    return (node.ino, node.kind, node.exec, node.nlink, node.size, node.mtime_ns)


def test_shared_subtrees_look_alike_and_changed_ones_do_not(sample, view):
    edit, rename = sample.named["edit"], sample.named["rename"]   # only docs/ changed
    same = ["src", "src/lib", "src/lib/util.c", "README", "run.sh", "logo.bin"]
    for p in same:
        a, b = view.lookup(f"/versions/{edit}/{p}"), view.lookup(f"/versions/{rename}/{p}")
        assert _attrs(a) == _attrs(b), p
    assert view.lookup(f"/versions/{edit}/docs").ino != view.lookup(f"/versions/{rename}/docs").ino
    start = sample.named["start"]
    changed = [view.lookup(f"/versions/{v}/src/lib/util.c") for v in (start, edit)]
    assert changed[0].ino != changed[1].ino
    assert view.lookup(f"/versions/{start}/src").ino != view.lookup(f"/versions/{edit}/src").ino


def test_an_inode_is_the_entry_it_shows(sample, view):
    node = view.lookup(f"/versions/{sample.named['start']}/run.sh")
    assert node.ino == content_ino(node.kind, True, node.oid, "run.sh")
    assert node.ino != content_ino(node.kind, False, node.oid, "run.sh")  # the exec bit
    assert node.ino != content_ino(node.kind, True, node.oid, "run2.sh")  # and the path


def test_link_counts_and_sizes_are_a_disk_filesystems(sample, view):
    top = f"/versions/{sample.repo.head()}"

    def check(path):
        entries = view.readdir(path)
        node = view.lookup(path)
        if node.role != "version":
            assert node.nlink == 2 + sum(kind == DIR for _, kind, _ in entries)
            assert node.size == dir_size(n for n, _, _ in entries) and node.size % 4096 == 0
        for name, kind, _ in entries:
            if kind == DIR:
                check(f"{path}/{name}")
            else:
                assert view.lookup(f"{path}/{name}").nlink == 1
    check(top)
    assert view.lookup(top).nlink == 1          # a version's root: "not counted"
    assert view.lookup("/").nlink == 2 + 7      # versions, info, history, tags, files,
                                                # branches, head
    assert view.lookup("/history").nlink == 2 + len(sample.chain)
    assert view.lookup("/tags").nlink == 2 + 1


def test_listings_carry_the_nodes_lookups_give(sample, view):
    vid = sample.named["notes"]
    for path in (f"/versions/{vid}", f"/versions/{vid}/src", "/head", "/history", "/"):
        for name, kind, ino, node in view.entries(path):
            looked = view.lookup(f"{path}/{name}".replace("//", "/"))
            assert (kind, ino) == (looked.kind, looked.ino)
            assert node is None or node == looked


def test_a_listing_without_nodes_has_the_same_inodes(sample, view):
    for path in (f"/versions/{sample.named['notes']}", "/head/src", "/head/src/lib"):
        full = [(n, k, i) for n, k, i, _ in view.entries(path)]
        assert [(n, k, i) for n, k, i, node in view.entries(path, full=False)] == full


def test_a_version_root_is_stated_without_reconstructing(sample):
    drop_derived_cache(sample)          # else every root would come from the cache
    view = fresh_view(sample)
    for name in view.readdir("/history"):
        view.lookup(f"/history/{name[0]}")
    assert view.history.replayed == 0
