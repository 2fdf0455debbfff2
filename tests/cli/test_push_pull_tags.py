"""Tags travel with a pushed history: ``verfs push`` sends every tag reference (a tag
imported off git's first-parent line lives on a chain of its own, reachable through
its reference alone) with the versions of its chain, ``clone`` and ``pull`` from the
remote bring them back, ``log``/``show --store URL`` name them.  Checked against real
git (``git archive`` of each tag), over a directory (file://), a real S3 server
(SeaweedFS) and, read-only, nginx.  A tag the remote has at another version is kept
and said; a push killed before or after writing the tag table leaves a valid remote.
Every command has its own remote cache (``XDG_CACHE_HOME``), as another machine would.
"""

import os
import shutil
from pathlib import Path

import pytest

from store.remote.store import open_remote
from tests.compat.gitrepo import GitRepo, archive_state, imported_history
from tests.compat.test_import_all_tags_git import build
from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.pausing import Paused
from tests.treestate import tree_state
from verfs import heads
from verfs.importers.common import ref_names
from verfs.repo import Repository

pytestmark = pytest.mark.compat

GIT_TAGS = ["v1.0", "v1.0.1", "v1.0.2", "release/1.0.2", "v2.0", "wip-1"]
OFF_THE_LINE = ["v1.0.1", "v1.0.2", "release-1.0.2", "wip-1"]


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-default"))



@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The git history of test_import_all_tags_git (tags off the main line, one on an
    unmerged branch), imported with --all once; each test copies it."""
    top = tmp_path_factory.mktemp("tagged")
    g = build(top / "git")
    run_verfs("import", "git", str(g.top), "--all", "--into", str(top / "verfs"))
    return g, top / "verfs"


@pytest.fixture
def source(imported, tmp_path):
    """A fresh copy of the git repository and of its import: (git, repository dir)."""
    g, target = imported
    shutil.copytree(g.top, tmp_path / "git", symlinks=True)
    shutil.copytree(target, tmp_path / "src", symlinks=True)
    return GitRepo(tmp_path / "git"), tmp_path / "src"


def machine(name: str, tmp_path):
    """A command runner with a cache directory of its own."""
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / f"cache-{name}"))
    return lambda *args, cwd=None, check=True: run_verfs(*args, cwd=cwd, check=check, env=env)


def tags_of(d) -> dict[str, str]:
    return heads.tag_refs(os.path.join(d, ".verfs"))


def assert_tags_are_gits(g: GitRepo, d: Path, names=GIT_TAGS) -> None:
    """Each git tag's tree, read from the repository's patches (its derived cache
    deleted first), is what ``git archive`` of the tag holds."""
    mapped = ref_names(names, "tag")
    refs = tags_of(d)
    history, _ = imported_history(d)
    for git_name in names:
        vid = refs[mapped[git_name]]
        assert tree_state(history.store, history.root_tree(vid)) == \
            archive_state(g.top, git_name), git_name


def remote_tags(url: str, tmp_path) -> dict[str, str]:
    remote = open_remote(url, cache_dir=str(tmp_path / "cache-look"))
    try:
        return remote.read_tags()[0]
    finally:
        remote.close()


def test_push_then_clone_brings_every_tag(source, url, tmp_path):
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    repo = Repository(str(src))
    line = {s.vid for s in repo.history.chain(repo.head())}
    assert all(tags_of(src)[t] not in line for t in OFF_THE_LINE)     # only by their refs
    out = a("push", url, cwd=src).stdout.decode()
    assert "and 6 tags (release-1.0.2, v1.0, v1.0.1, v1.0.2, v2.0, ...)" in out, out
    assert remote_tags(url, tmp_path) == tags_of(src)
    clone = tmp_path / "clone"
    out = b("clone", url, clone).stdout.decode()
    assert ", with 6 tags (release-1.0.2, v1.0, " in out, out
    assert tags_of(clone) == tags_of(src)
    assert_tags_are_gits(g, clone)
    b("fsck", cwd=clone)
    # a tag off the line names a version of the remote's, for clone --version too
    at = tmp_path / "at-wip-1"
    b("clone", "--version", "wip-1", url, at)
    assert Repository(str(at)).head() == tags_of(src)["wip-1"]
    assert (at / "wip.txt").read_text() == "unfinished\n"
    # nothing new: nothing pushed, and a pull brings no tag
    assert "nothing to push" in a("push", url, cwd=src).stdout.decode()
    assert "brought" not in b("pull", url, cwd=clone).stdout.decode()


def test_log_and_show_store_url_name_the_remote_tags(source, url, tmp_path):
    g, src = source
    a = machine("a", tmp_path)
    a("push", url, cwd=src)
    for verfs_name, git_name in (("v1.0.2", "v1.0.2"), ("release-1.0.2", "release/1.0.2")):
        there = a("show", f"{verfs_name}:NEWS", "--store", url, cwd="/").stdout
        assert there == g.git("show", f"{git_name}:NEWS")
        here = a("log", "--json", verfs_name, cwd=src).stdout
        assert a("log", "--json", verfs_name, "--store", url, cwd="/").stdout == here
    # suffixes on a remote tag's name: its commit, then the line before the branch
    assert a("show", "wip-1~1:wip.txt", "--store", url, cwd="/").stdout == b"unfinished\n"
    assert a("show", "wip-1~2:wip.txt", "--store", url, cwd="/", check=False).returncode == 1


def test_pull_brings_a_new_tag_off_the_line(source, url, tmp_path):
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    a("push", url, cwd=src)
    clone = tmp_path / "clone"
    b("clone", url, clone)
    head = Repository(str(clone)).head()
    # a fix on maint, tagged: a new chain beside the line, head unmoved
    g.git("checkout", "-q", "maint")
    g.write("src/a.c", "int a; /* fix 2 */\n")
    g.commit("second fix on maint")
    g.git("tag", "v1.0.3")
    g.git("checkout", "-q", "main")
    a("import", "git", str(g.top), "--all", "--into", str(src))
    assert Repository(str(src)).head() == head
    out = a("push", url, cwd=src).stdout.decode()
    assert out.startswith("pushed 1 tag (v1.0.3): ") and "still" in out, out
    out = b("pull", url, cwd=clone).stdout.decode()
    assert out.endswith("brought 1 tag (v1.0.3)\n"), out
    assert tags_of(clone) == tags_of(src)
    assert_tags_are_gits(g, clone, [*GIT_TAGS, "v1.0.3"])
    b("fsck", cwd=clone)


def test_a_tag_that_differs_is_kept_and_said(source, url, tmp_path):
    """A copy of the imported repository on another machine, imported again after
    ``wip-1`` was moved in git and a tag added: its push keeps the remote's ``wip-1``
    (warned) and sends the rest; its pull keeps its own (warned); ``push --force``
    moves the remote's, loudly."""
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    a("push", url, cwd=src)
    first = tags_of(src)
    other = tmp_path / "other"
    shutil.copytree(src, other, symlinks=True)
    g.git("tag", "-f", "wip-1", "maint")
    g.git("tag", "v1.9", "maint~1")
    b("import", "git", str(g.top), "--all", "--into", str(other))
    mine = tags_of(other)
    assert mine["wip-1"] != first["wip-1"] and mine["v2.0"] == first["v2.0"]
    proc = b("push", url, cwd=other)
    assert proc.stderr.decode() == ("verfs: warning: tag wip-1 differs on the remote; "
                                    "kept the remote's\n")
    assert "1 tag (v1.9)" in proc.stdout.decode()
    theirs = remote_tags(url, tmp_path)
    assert theirs == {**first, "v1.9": mine["v1.9"]}
    proc = b("pull", url, cwd=other)
    assert proc.stderr.decode() == "verfs: warning: tag wip-1 differs on the remote; kept yours\n"
    assert tags_of(other) == mine
    proc = a("pull", url, cwd=src)      # the other machine's new tag, nothing moved
    assert proc.stdout.decode().endswith("brought 1 tag (v1.9)\n")
    assert tags_of(src) == theirs
    proc = b("push", "--force", url, cwd=other)
    assert "WARNING: push --force moved the remote's 1 tag wip-1 to yours" in \
        proc.stderr.decode()
    assert remote_tags(url, tmp_path)["wip-1"] == mine["wip-1"]
    c = machine("c", tmp_path)
    c("clone", url, tmp_path / "after")
    assert_tags_are_gits(g, tmp_path / "after", [*GIT_TAGS, "v1.9"])


def test_a_push_killed_around_the_tag_table_leaves_a_valid_remote(source, url, tmp_path):
    """Killed with every pack up but the tag table not written, then again with the
    table written but head not moved: each time a clone of the remote is a whole
    repository (fsck) whose tags all name versions it has, at the old head."""
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    a("push", url, cwd=src)
    old, old_tags = Repository(str(src)).head(), tags_of(src)
    g.git("checkout", "-q", "maint")
    g.write("NEWS", "1.0.3\n")
    g.commit("1.0.3 on maint")
    g.git("tag", "v1.0.3")
    g.git("checkout", "-q", "main")
    g.write("README", "hello, third time\n")
    g.commit("fifth")
    a("import", "git", str(g.top), "--all", "--into", str(src))
    new = Repository(str(src)).head()
    assert new != old
    for point, tags in (("tag-table", old_tags), ("pushed-tags", tags_of(src))):
        Paused(tmp_path, point, "push", url, cwd=src).kill()
        assert remote_tags(url, tmp_path) == tags, point
        between = tmp_path / f"between-{point}"
        b("clone", url, between)
        assert Repository(str(between)).head() == old, point
        assert tags_of(between) == tags, point
        b("fsck", cwd=between)
    a("push", url, cwd=src)
    after = tmp_path / "after"
    b("clone", url, after)
    assert Repository(str(after)).head() == new
    assert_tags_are_gits(g, after, [*GIT_TAGS, "v1.0.3"])


def test_a_clone_over_http_brings_the_tags(source, http_root, http_url, tmp_path):
    """A directory pushed to, served by nginx: clone and pull read its tag table."""
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    a("push", f"file://{http_root}", cwd=src)
    clone = tmp_path / "clone"
    b("clone", http_url, clone)
    assert tags_of(clone) == tags_of(src)
    assert_tags_are_gits(g, clone)


def _tagged_copy(g: GitRepo, src: Path, dest: Path, name: str, run) -> None:
    """``src`` copied to ``dest``, with a git tag ``name`` on maint's first commit
    imported there (and taken out of git again): a new tag off the line, head unmoved."""
    shutil.copytree(src, dest, symlinks=True)
    g.git("tag", name, "maint~1")
    try:
        run("import", "git", str(g.top), "--all", "--into", str(dest))
    finally:
        g.git("tag", "-d", name)


def test_two_pushes_of_new_tags_at_once_both_kept(source, url, tmp_path):
    """Both commands parked just before writing the tag table (each has read it):
    the first writes it, the second's conditional write loses, reads it again and
    merges — both tags are on the remote."""
    g, src = source
    a, b = machine("a", tmp_path), machine("b", tmp_path)
    a("push", url, cwd=src)
    _tagged_copy(g, src, tmp_path / "x", "x1", a)
    _tagged_copy(g, src, tmp_path / "y", "y1", b)
    first = Paused(tmp_path, "tag-table", "push", url, cwd=tmp_path / "x")
    second = Paused(tmp_path, "tag-table", "push", url, cwd=tmp_path / "y")
    assert first.resume().returncode == 0
    done = second.resume()
    assert done.returncode == 0 and b"1 tag (y1)" in done.stdout, done
    theirs = remote_tags(url, tmp_path)
    assert theirs == {**tags_of(src), "x1": tags_of(tmp_path / "x")["x1"],
                      "y1": tags_of(tmp_path / "y")["y1"]}


def test_a_damaged_tag_table_is_one_line_and_exit_3(source, tmp_path):
    g, src = source
    a = machine("a", tmp_path)
    remote = tmp_path / "remote"
    url = f"file://{remote}"
    a("push", url, cwd=src)
    clone = tmp_path / "clone"
    a("clone", url, clone)
    (remote / "tags").write_bytes(b"verfs-tags 1\nv1.0 not-a-version\n")
    for args, cwd in ((("pull", url), clone), (("push", url), src),
                      (("clone", url, tmp_path / "new"), None),
                      (("log", "v1.0", "--store", url), "/")):
        err = one_line_error(a(*args, cwd=cwd, check=False), 3)
        assert f"{url}/tags: the remote's tags have a bad line" in err, err
    assert not (tmp_path / "new").exists()
