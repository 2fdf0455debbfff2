"""``verfs import git``: every tag and (``--all``) every branch, against real git.

One history: a main line; a maintenance branch forked early, released twice
(lightweight and annotated tags, one named with a ``/``) and merged back, so its
tags are reachable only through the merge; an unmerged branch with a tag of its own;
a tag of a tree.  Every imported tag's version is compared with ``git archive`` of
the tag (bytes, exec bits, symlinks, the set of paths), read from the patches
after the derived cache is deleted, and one through ``verfs clone --version TAG``
(the working tree a user gets); with ``--all`` every branch's version is git's tip.
"""

import os
from pathlib import Path

import pytest

from tests.compat.gitrepo import GitRepo, archive_state, imported_history
from tests.conftest import run_verfs
from tests.treestate import tree_state
from verfs import heads
from verfs.importers.common import ref_names
from verfs.repo import Repository

pytestmark = pytest.mark.compat


def build(top: Path) -> GitRepo:
    g = GitRepo(top)
    g.write("README", "hello\n")
    g.write("bin/run", "#!/bin/sh\necho run\n", exe=True)
    g.commit("first")
    g.write("src/a.c", "int a;\n")
    g.commit("second", tz="-0700")
    g.git("tag", "v1.0")                            # on the main line
    g.git("checkout", "-q", "-b", "maint")
    g.write("src/a.c", "int a; /* fix */\n")
    g.link("latest", "src/a.c")
    g.commit("fix on maint")
    g.git("tag", "v1.0.1")                          # lightweight, off the line
    g.write("NEWS", "1.0.2\n")
    g.remove("bin/run")
    g.commit("more on maint", tz="+0530")
    g.git("tag", "-a", "-m", "release 1.0.2\n\nnotes", "v1.0.2")
    g.git("tag", "release/1.0.2")                   # a name verfs refuses
    g.git("checkout", "-q", "main")
    g.write("src/b.c", "int b;\n")
    g.commit("third")
    g.when += 1
    g.git("merge", "-q", "--no-ff", "--no-edit", "maint")
    g.git("tag", "-a", "-m", "two", "v2.0")
    g.git("checkout", "-q", "-b", "wip")
    g.write("wip.txt", "unfinished\n")
    g.commit("wip")
    g.git("tag", "wip-1")                           # not reachable from main
    g.git("checkout", "-q", "main")
    tree = g.git("rev-parse", "HEAD^{tree}").decode().strip()
    g.git("tag", "a-tree", tree)                    # a tag of a tree
    g.write("README", "hello again\n")
    g.commit("fourth")
    return g


@pytest.fixture(scope="module")
def hist(tmp_path_factory):
    top = tmp_path_factory.mktemp("alltags")
    g = build(top / "src")
    one = run_verfs("import", "git", str(g.top), "--into", str(top / "one"))
    every = run_verfs("import", "git", str(g.top), "--all", "--into", str(top / "all"))
    return g, top, one, every


def _tag_vids(target: Path) -> dict[str, str]:
    return heads.tag_refs(os.path.join(target, ".verfs"))


def test_every_reachable_tag_is_git_tree(hist):
    g, top, one, _ = hist
    refs = _tag_vids(top / "one")
    names = ref_names(["v1.0", "v1.0.1", "v1.0.2", "release/1.0.2", "v2.0"], "tag")
    assert set(refs) == set(names.values())
    assert names["release/1.0.2"] == "release-1.0.2"
    history, _ = imported_history(top / "one")
    for git_name, verfs_name in names.items():
        root = history.root_tree(refs[verfs_name])
        assert tree_state(history.store, root) == archive_state(g.top, git_name), git_name
        tip = history.step(refs[verfs_name]).patch
        assert tip.is_tag and tip.info.name == f"TAG {git_name}"


def test_side_chain_shares_versions(hist):
    _, top, _, _ = hist
    refs = _tag_vids(top / "one")
    history, line = imported_history(top / "one")
    on_line = {s.vid for s in line}
    chain = [s for s in history.chain(refs["v1.0.2"])]
    # off the line each tag sits on its commit's version (not stacked: a new tag
    # moves no other), sharing it with the other tags of that commit
    assert history.version(refs["v1.0.2"]).parent == \
        history.version(refs["release-1.0.2"]).parent
    # TAG, "more on maint", "fix on maint", then the line's "second" (shared)
    assert [s.patch.info.name for s in chain[:3]] == ["TAG v1.0.2", "more on maint",
                                                      "fix on maint"]
    assert chain[3].vid in on_line and chain[2].vid not in on_line
    # v1.0.1 is on the same chain: its version's parent is v1.0.2's chain's commit
    assert history.version(refs["v1.0.1"]).parent == chain[2].vid
    assert chain[2].patch.info.get_meta("zone") == "+0200"
    assert chain[1].patch.info.get_meta("zone") == "+0530"
    assert chain[1].patch.info.comment == ()
    assert history.step(refs["v1.0.2"]).patch.info.comment == ("release 1.0.2", "", "notes")


def test_zone_kept(hist):
    _, top, _, _ = hist
    _, line = imported_history(top / "one")
    zones = {s.patch.info.name: s.patch.info.get_meta("zone") for s in line}
    assert zones["first"] == "+0200" and zones["second"] == "-0700"


def test_what_is_left_out_is_said(hist):
    _, _, one, every = hist
    # each side chain's tree was compared with git ls-tree of its commit: no warning
    assert b"warning" not in one.stderr and b"warning" not in every.stderr
    one, every = one.stdout.decode(), every.stdout.decode()
    assert ("import: 5 tag(s) imported; 2 left out (not reachable from main: wip-1; "
            "not of a commit: a-tree); use --all") in one
    assert "release/1.0.2 -> release-1.0.2" in one
    assert "2 other branch(es) left out: maint, wip; use --all" in one
    assert "import: 6 tag(s) imported; 1 left out (not of a commit: a-tree)" in every
    assert "3 branch(es) imported" in every


def test_all_branches_and_tags(hist, tmp_path):
    g, top, _, _ = hist
    target = top / "all"
    dotdir = os.path.join(target, ".verfs")
    assert heads.current_branch(dotdir) == "main"
    branches = heads.stored_branches(dotdir)
    assert set(branches) == {"maint", "wip"}
    history, _ = imported_history(target)
    repo = Repository(target)
    tips = {**branches, "main": repo.head()}
    for name, vid in tips.items():
        assert tree_state(history.store, history.root_tree(vid)) == \
            archive_state(g.top, name), name
    refs = _tag_vids(target)
    assert "wip-1" in refs
    assert history.version(refs["wip-1"]).parent == branches["wip"]
    assert tree_state(history.store, history.root_tree(refs["wip-1"])) == \
        archive_state(g.top, "wip-1")
    # the tag's tree through a clone: what a user gets in a working tree
    run_verfs("clone", "--version", "release-1.0.2", str(target), str(tmp_path / "c"))
    want = archive_state(g.top, "release/1.0.2")
    got = {}
    for dirpath, dirnames, filenames in os.walk(tmp_path / "c"):
        dirnames[:] = [d for d in dirnames if d != ".verfs"]
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, tmp_path / "c")
            if os.path.islink(p):
                got[rel] = ("link", os.fsencode(os.readlink(p)))
            elif os.path.isdir(p):
                got[rel] = ("dir",)
            else:
                got[rel] = ("file", Path(p).read_bytes(), bool(os.stat(p).st_mode & 0o100))
    assert got == want


def test_reimport_is_idempotent_and_follows_new_tags(hist, tmp_path):
    g, top, _, _ = hist
    import shutil
    target = tmp_path / "t"
    shutil.copytree(top / "all", target, symlinks=True)
    before = _tag_vids(target)
    again = run_verfs("import", "git", str(g.top), "--all", "--into", str(target))
    assert "already up to date" in again.stdout.decode()
    assert _tag_vids(target) == before
    # a new tag on the maintenance branch, and a moved one: the next run follows
    g.git("tag", "v1.0.1-again", "maint~1")
    g.git("tag", "-f", "wip-1", "maint")
    try:
        out = run_verfs("import", "git", str(g.top), "--all", "--into", str(target)).stdout
        assert "no new patches (" in out.decode() and \
            "2 reference(s) new or moved: tag v1.0.1-again, tag wip-1" in out.decode()
        after = _tag_vids(target)
        assert after["v1.0.1-again"] != before["v1.0.1"]
        history, _ = imported_history(target)
        assert history.version(after["v1.0.1-again"]).parent == \
            history.version(before["v1.0.1"]).parent
        assert after["v1.0.1"] == before["v1.0.1"]
        assert tree_state(history.store, history.root_tree(after["wip-1"])) == \
            archive_state(g.top, "maint")
    finally:
        g.git("tag", "-d", "v1.0.1-again")
        g.git("tag", "-f", "wip-1", "wip")


def test_name_mapping_is_deterministic_and_collision_safe():
    got = ref_names(["a/b", "a-b", "x y", "v1..2", "1234/5", "HEAD", ".hidden"], "tag")
    assert got["a-b"] == "a-b" and got["a/b"].startswith("a-b-") and len(got["a/b"]) == 12
    assert got["x y"] == "x-y" and got["v1..2"] == "v1.2"
    assert len(set(got.values())) == len(got)
    assert got == ref_names(list(reversed(list(got))), "tag")
    for name in got.values():
        heads.check_name(name, "tag")


@pytest.mark.parametrize("everything", [False, True])
def test_line_tags_added_moved_and_deleted_after_an_import(hist, tmp_path, everything):
    """A tag put on (or moved to) a main-line commit already imported goes beside the
    line, its TAG patch on its commit's version, as a tag off the line does; a tag
    git no longer has keeps its patch (history) and its reference.  Then commits
    made after the tags are imported on top, as usual."""
    import shutil
    g0, top, _, _ = hist
    shutil.copytree(g0.top, tmp_path / "src", symlinks=True)
    g = GitRepo(tmp_path / "src")
    g.when = g0.when
    target = tmp_path / "t"
    shutil.copytree(top / ("all" if everything else "one"), target, symlinks=True)
    flags = ["--all"] if everything else []
    before = _tag_vids(target)
    g.git("tag", "v0.9", "main~3")                      # "second" (v1.0's commit)
    g.git("tag", "-f", "v2.0", "main")                  # moved: was on the merge
    g.git("tag", "-d", "v1.0")
    g.write("later.txt", "later\n")
    g.commit("after the tags")
    run_verfs("import", "git", str(g.top), *flags, "--into", str(target))
    after = _tag_vids(target)
    history, _ = imported_history(target)
    for name, rev in (("v0.9", "main~4"), ("v2.0", "main~1")):
        assert tree_state(history.store, history.root_tree(after[name])) == \
            archive_state(g.top, rev), name
    assert history.version(after["v0.9"]).parent == \
        history.version(before["v1.0"]).parent            # on second's version
    assert after["v2.0"] != before["v2.0"] and after["v1.0"] == before["v1.0"]
    head = run_verfs("head", cwd=target).stdout.decode().strip()
    assert tree_state(history.store, history.root_tree(head)) == archive_state(g.top, "main")
    assert run_verfs("fsck", cwd=target).returncode == 0
    again = run_verfs("import", "git", str(g.top), *flags, "--into", str(target))
    assert "already up to date" in again.stdout.decode()
    assert _tag_vids(target) == after
