"""The view's layout and content, without FUSE: every version's tree as the store has
it, the named views (head, history, tags, info), prefixes, inodes, times."""

import pytest

from store import DIR, FILE, LINK, MemoryStore, Version
from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR, BINARY, ODD_NAME, put
from tests.treestate import tree_state
from verfs import ops
from verfs.mount.nodes import NoSuchPath
from verfs.mount.view import VERSION_XATTR, View
from verfs.patch.named import parse_date


def view_state(view, top: str) -> dict:
    """What a user walking ``top`` in the mount sees, in tests/treestate's form."""
    out = {}

    def walk(path: str, rel: str) -> None:
        for name, kind, _ in view.readdir(path):
            p, r = f"{path}/{name}", f"{rel}/{name}" if rel else name
            node = view.lookup(p)
            assert node.kind == kind
            if kind == DIR:
                out[r] = ("dir",)
                walk(p, r)
            elif kind == LINK:
                out[r] = ("link", view.readlink(p).encode("utf-8", "surrogateescape"))
            else:
                data = view.read(view.open(p), 0, node.size + 10)
                assert len(data) == node.size
                out[r] = ("file", data, node.exec)

    walk(top, "")
    return out


def test_top_of_a_repository_mount(view):
    assert sorted(n for n, _, _ in view.readdir("/")) == [
        "branches", "files", "head", "history", "info", "tags", "versions"]
    assert view.lookup("/head").kind == DIR


def test_top_of_a_bare_store(sample):
    store = sample.repo.store
    v = View(store)
    assert sorted(n for n, _, _ in v.readdir("/")) == ["info", "versions"]
    for name in ("head", "history", "tags"):
        with pytest.raises(NoSuchPath):
            v.lookup(name)


def test_versions_lists_every_version_in_the_store(sample, view):
    listed = [n for n, kind, _ in view.readdir("/versions")]
    assert listed == sorted(sample.repo.store.iter_ids("version"))
    assert set(sample.named.values()) <= set(listed)       # commuted-away ones too
    assert [n for n, _, _ in view.readdir("/info")] == listed + ["head"]


def test_every_version_has_its_tree(sample, view):
    store, history = sample.repo.store, sample.repo.history
    for vid in view.store.iter_ids("version"):
        assert view_state(view, f"/versions/{vid}") == tree_state(store, history.root_tree(vid))


def test_content_kinds_survive(sample, view):
    start = view_state(view, "/versions/" + sample.named["start"])
    assert start["logo.bin"] == ("file", BINARY, False)
    assert start["run.sh"][2] is True
    assert start["readme-link"] == ("link", b"README")
    assert start[ODD_NAME.decode("utf-8", "surrogateescape")] == ("file", b"odd name\n", False)
    assert start["docs/guide.txt"][1].endswith(b"No final newline")
    last = view_state(view, f"/versions/{sample.repo.head()}")
    assert "readme-link" not in last and last["src/main.c"][2] is True
    assert "docs/manual.txt" in last and "docs/guide.txt" not in last


def test_sizes_and_times_come_without_reading_data(sample, view, monkeypatch):
    vid = sample.named["edit"]
    state = tree_state(sample.repo.store, sample.repo.history.root_tree(vid))
    monkeypatch.setattr(view.store, "get_blob", lambda oid: pytest.fail("read a blob"))
    monkeypatch.setattr(view.store, "read_blob_range", lambda *a: pytest.fail("read a blob"))
    node = view.lookup(f"/versions/{vid}/src/lib/util.c")
    assert node.size == len(state["src/lib/util.c"][1])
    moment = parse_date(sample.dates[vid])
    assert node.mtime_ns == int(moment.timestamp()) * 10**9
    assert view.lookup(f"/versions/{vid}").mtime_ns == node.mtime_ns
    assert view.lookup(f"/info/{vid}").mtime_ns == node.mtime_ns


def test_prefix_resolves_like_the_full_hash(sample, view):
    vid = sample.named["rename"]
    full, short = view.lookup(f"/versions/{vid}"), view.lookup(f"/versions/{vid[:4]}")
    assert full == short
    assert view.readdir(f"/versions/{vid[:6]}") == view.readdir(f"/versions/{vid}")
    assert view.lookup(f"/info/{vid[:5]}").data == view.lookup(f"/info/{vid}").data
    assert vid[:4] not in [n for n, _, _ in view.readdir("/versions")]


@pytest.mark.parametrize("name", ["ffff0000", "abc", "zzzz", "0" * 64, "not-hex"])
def test_unknown_or_malformed_names_are_missing(sample, view, name):
    if any(v.startswith(name) for v in view.store.iter_ids("version")):
        pytest.skip("the random prefix happens to exist")
    with pytest.raises(NoSuchPath):
        view.lookup(f"/versions/{name}")
    with pytest.raises(NoSuchPath):
        view.lookup(f"/info/{name}")


def test_an_ambiguous_prefix_is_missing():
    store = MemoryStore()
    seen: dict[str, str] = {}
    i = 0
    while True:                 # two versions sharing their first 4 hex digits
        vid = store.put_version(Version(f"{i:064x}"))
        if vid[:4] in seen:
            break
        seen[vid[:4]] = vid
        i += 1
    v = View(store)
    with pytest.raises(NoSuchPath):
        v.lookup(f"/versions/{vid[:4]}")


def test_inodes_are_stable_and_come_from_content_and_place(sample, view):
    vid = sample.named["start"]
    again = fresh_view(sample)
    paths = [f"/versions/{vid}/{p}" for p in ("README", "src", "src/lib/util.h", "run.sh")]
    assert [view.lookup(p).ino for p in paths] == [again.lookup(p).ino for p in paths]
    assert len({view.lookup(p).ino for p in paths}) == len(paths)
    put(sample.root, "copy-of-readme", b"A sample project.\n")
    twin = ops.record(sample.repo, "a copy", AUTHOR, "20240110000000")
    a, b = view.lookup(f"/versions/{twin}/README"), view.lookup(f"/versions/{twin}/copy-of-readme")
    assert a.oid == b.oid and a.ino != b.ino        # two files of one version stay two
    assert view.lookup(f"/versions/{vid}/README").ino == a.ino   # the same in another version
    roots = {view.lookup(f"/versions/{v}").ino for v in (vid, twin)}
    assert len(roots) == 2                      # a version's root is the version's


def test_info_tells_who_when_and_where(sample, view):
    vid = sample.named["rename"]
    text = view.read(view.open(f"/info/{vid}"), 0, 10_000).decode()
    assert "rename the guide" in text and AUTHOR in text
    assert "Wed Jan 3 12:00:00 2024 +0000 (20240103120000)" in text   # no zone: UTC
    assert f"parent:         {sample.named['edit']}" in text
    assert "inventory:      -" in text
    after_tag = sample.chain[sample.chain.index(sample.named["tag"]) + 1]
    info = view.read(view.open(f"/info/{after_tag}"), 0, 10_000).decode()
    inventory = sample.repo.history.version(after_tag).inventory
    assert inventory and f"inventory:      {inventory}" in info


def version_at(view, path: str) -> str:
    return view.getxattr(path, VERSION_XATTR).decode()


def test_head_history_and_tags(sample, view):
    head = sample.repo.head()
    assert view.lookup("/head").kind == DIR and version_at(view, "/head") == head
    assert view.readdir("/head") == view.readdir(f"/versions/{head}")
    names = [n for n, _, _ in view.readdir("/history")]
    assert len(names) == len(sample.chain)
    assert names[0] == "0001-start-the-project" and names == sorted(names)
    assert [version_at(view, f"/history/{n}") for n in names] == sample.chain
    assert [n for n, _, _ in view.readdir("/tags")] == ["v1.0"]
    assert version_at(view, "/tags/v1.0") == sample.named["tag"]
    tag = sample.named["tag"]
    assert view.lookup("/tags/v1.0/README") == view.lookup(f"/versions/{tag}/README")
    assert view.read(view.open("/info/head"), 0, 10_000) == \
        view.read(view.open(f"/info/{head}"), 0, 10_000)


def test_head_history_and_tags_follow_the_repository(sample, view):
    before = version_at(view, "/head")
    put(sample.root, "later.txt", b"later\n")
    new = ops.record(sample.repo, "later: a change!", AUTHOR, "20240111000000")
    assert version_at(view, "/head") == new != before
    assert view.lookup("/head/later.txt").kind == FILE
    assert view.readdir("/history")[-1][0].endswith("-later-a-change")
    assert new in [n for n, _, _ in view.readdir("/versions")]
    ops.tag(sample.repo, "v2", AUTHOR, "20240112000000")
    assert [n for n, _, _ in view.readdir("/tags")] == ["v1.0", "v2"]
    ops.unrecord(sample.repo, 2)
    assert version_at(view, "/head") == before
    with pytest.raises(NoSuchPath):
        view.lookup("/tags/v2")
    with pytest.raises(NoSuchPath):
        view.lookup("/head/later.txt")


def test_an_empty_repository_has_no_head(tmp_path):
    from verfs.repo import Repository
    repo = Repository.init(str(tmp_path / "empty"))
    v = View(repo.store, None, str(tmp_path / "empty" / ".verfs" / "head"))
    assert [n for n, _, _ in v.readdir("/")] == ["versions", "info", "history", "tags",
                                              "files", "branches"]
    assert v.readdir("/versions") == [] and v.readdir("/history") == []
    assert v.readdir("/branches") == []             # main is at the empty state
    with pytest.raises(NoSuchPath):
        v.lookup("/head")


def test_statfs_is_sensible(view):
    st = view.statfs()
    assert st["f_bavail"] == st["f_bfree"] == 0
    assert st["f_files"] == sum(1 for _ in view.store.iter_ids("version"))
    assert st["f_blocks"] > 0 and st["f_namemax"] == 255


def test_kinds_in_listings_match_lookups(sample, view):
    for name, kind, ino in view.readdir(f"/versions/{sample.named['start']}"):
        node = view.lookup(f"/versions/{sample.named['start']}/{name}")
        assert (node.kind, node.ino) == (kind, ino)
        assert kind in (DIR, FILE, LINK)
