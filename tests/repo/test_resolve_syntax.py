"""VERSION syntax (verfs.versionspec, Repository.resolve): suffixes on any base,
the reflog's @{N}, branches and tags, and one-line errors for what names nothing."""

import pytest

from tests.mount.histories import AUTHOR
from verfs import branching, ops
from verfs.errors import UnknownVersion
from verfs.repo import Repository


@pytest.fixture
def repo(tmp_path):
    r = Repository.init(str(tmp_path / "r"))
    vids = []
    for i in range(4):
        (tmp_path / "r" / "f").write_text(f"{i}\n")
        vids.append(ops.record(r, f"p{i}", AUTHOR, f"2024010{i + 1}000000"))
        if i == 1:
            vids.append(ops.tag(r, "v1.0", AUTHOR, "20240102120000"))
    return r, vids       # p0 p1 v1.0 p2 p3


@pytest.mark.parametrize(("spec", "index"), [
    ("head", 4), ("head^", 3), ("head^^", 2), ("head~", 3), ("head~3", 1), ("@^", 3),
    ("HEAD~1^", 2), ("head^0", 4), ("head^1", 3), ("v1.0", 2), ("v1.0^", 1),
    ("v1.0~2", 0), ("v1.0~1^", 0), ("@{0}", 4), ("@{1}", 3), ("@{2}", 2),
    ("@{1}~2", 1), ("head@{3}^", 0), ("main", 4), ("main~4", 0), ("main@{1}", 3)])
def test_suffixes_on_every_base(repo, spec, index):
    r, vids = repo
    assert r.resolve(spec) == vids[index]


def test_prefix_and_branch_bases(repo):
    r, vids = repo
    assert r.resolve(vids[3][:8] + "~2^") == vids[0]
    branching.create(r, "old", "v1.0~1")
    assert r.resolve("old") == vids[1] and r.resolve("old^") == vids[0]
    assert r.resolve("old@{0}") == vids[1]
    assert r.resolve("head~5") is None      # back to the empty state


@pytest.mark.parametrize(("spec", "words"), [
    ("head~6", "not that long"), ("head^2", "one parent"), ("@{99}", "only 6 entries"),
    ("nosuch~1", "unknown version, branch, tag"), ("nosuch@{1}", "no branch"),
    ("v1.0~9", "not that long")])
def test_what_names_nothing_is_one_line(repo, spec, words):
    r, _ = repo
    with pytest.raises(UnknownVersion) as exc:
        r.resolve(spec)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_a_legacy_tag_with_a_suffix_character_is_found_whole(repo, tmp_path):
    r, vids = repo
    from verfs import heads
    (tmp_path / "r" / ".verfs" / "tags").mkdir(exist_ok=True)
    heads.write_tag_ref(r.dotdir, "odd~1", vids[0])     # written before names were checked
    assert r.resolve("odd~1") == vids[0]


def test_reflog_at_follows_moves_of_head(repo):
    r, vids = repo
    ops.unrecord(r, 2)
    assert r.resolve("@{0}") == vids[2] and r.resolve("@{1}") == vids[4]
    assert r.resolve("main@{1}") == vids[4]
