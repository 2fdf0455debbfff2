"""Branches through the command line: listing, making, deleting, switching (with
restore's safety, and finished after a kill), their reflogs, tags kept when head
leaves them, and clone carrying branches and tag references."""

import json
import shutil

import pytest

from tests.conftest import one_line_error, run_verfs
from tests.pausing import Paused
from tests.treestate import disk_state


def _rec(d, text, name):
    (d / "f").write_text(text)
    return run_verfs("record", "-m", name, cwd=d).stdout.decode().strip()


def _head(d):
    return run_verfs("head", cwd=d).stdout.decode().strip()


@pytest.fixture
def two(repo_dir):
    """main: one, two; branch old at one."""
    one = _rec(repo_dir, "1\n", "one")
    two = _rec(repo_dir, "2\n", "two")
    run_verfs("branch", "old", "head^", cwd=repo_dir)
    return repo_dir, one, two


def test_list_make_and_delete(two):
    d, one, two_ = two
    lines = run_verfs("branch", cwd=d).stdout.decode().splitlines()
    assert lines == [f"* main  {two_[:12]}  two", f"  old   {one[:12]}  one"]
    listed = json.loads(run_verfs("branch", "--json", cwd=d).stdout)
    assert listed == [{"name": "main", "version": two_, "current": True},
                      {"name": "old", "version": one, "current": False}]
    assert _head(d) == two_                                   # making moves nothing
    for bad, code in [("old", 1), ("v1~2", 2), ("abcd12", 2), ("head", 2), ("a/b", 2)]:
        one_line_error(run_verfs("branch", bad, cwd=d, check=False), code)
    for bad in ("abcd", "0123456789", "HEAD", "v1^", "a b"):     # tags: the same rule
        one_line_error(run_verfs("tag", bad, cwd=d, check=False), 2)
    assert "hash prefix" in one_line_error(run_verfs("tag", "beef", cwd=d, check=False), 2)
    run_verfs("tag", "rel", cwd=d)
    assert "tag's name" in one_line_error(run_verfs("branch", "rel", cwd=d, check=False), 1)
    assert "branch's name" in one_line_error(run_verfs("tag", "old", cwd=d, check=False), 1)
    one_line_error(run_verfs("branch", "-d", "main", cwd=d, check=False), 1)
    one_line_error(run_verfs("branch", "-d", "nosuch", cwd=d, check=False), 1)
    out = run_verfs("branch", "-d", "old", cwd=d).stdout.decode()
    assert one[:12] in out and not (d / ".verfs" / "branches" / "old").exists()
    assert not (d / ".verfs" / "logs" / "old").exists()


def test_force_moves_a_branch_not_checked_out_and_its_reflog_says_so(two):
    d, one, two_ = two
    assert "-f moves it" in one_line_error(run_verfs("branch", "old", two_, cwd=d,
                                                     check=False), 1)
    run_verfs("branch", "-f", "old", "head", cwd=d)
    assert json.loads(run_verfs("branch", "--json", cwd=d).stdout)[1]["version"] == two_
    out = run_verfs("reflog", "old", cwd=d).stdout.decode().splitlines()
    assert "branch: moved to head" in out[0] and one[:12] in out[1]
    assert run_verfs("show", "old@{1}:f", cwd=d).stdout == b"1\n"
    err = one_line_error(run_verfs("branch", "-f", "main", one, cwd=d, check=False), 1)
    assert "checked out" in err and _head(d) == two_
    run_verfs("branch", "-f", "new", one, cwd=d)               # -f of a new name: made
    assert run_verfs("show", "new:f", cwd=d).stdout == b"1\n"
    one_line_error(run_verfs("branch", "-f", "-d", "new", cwd=d, check=False), 2)


def test_switch_moves_head_tree_and_name_and_keeps_the_branch_left(two):
    d, one, two_ = two
    run_verfs("switch", "old", cwd=d)
    assert _head(d) == one and (d / "f").read_text() == "1\n"
    assert (d / ".verfs" / "branch").read_text() == "old\n"
    three = _rec(d, "3\n", "three on old")
    lines = run_verfs("branch", cwd=d).stdout.decode().splitlines()
    assert lines == [f"  main  {two_[:12]}  two", f"* old   {three[:12]}  three on old"]
    reflog = run_verfs("reflog", cwd=d).stdout.decode().splitlines()
    assert "switch: main -> old" in reflog[1] and "@{1}" in reflog[1]
    own = run_verfs("reflog", "old", cwd=d).stdout.decode().splitlines()
    assert len(own) == 2 and "record: three on old" in own[0] and "made at" in own[1]
    assert run_verfs("show", "main:f", cwd=d).stdout == b"2\n"
    assert run_verfs("show", "old@{1}:f", cwd=d).stdout == b"1\n"
    run_verfs("switch", "main", cwd=d)
    assert _head(d) == two_ and (d / "f").read_text() == "2\n"
    assert run_verfs("show", "old:f", cwd=d).stdout == b"3\n"
    run_verfs("switch", "-c", "new", "old^", cwd=d)
    assert _head(d) == one and run_verfs("branch", cwd=d).stdout.decode().count("*") == 1
    run_verfs("switch", "-c", "here", cwd=d)
    assert _head(d) == one and "* here" in run_verfs("branch", cwd=d).stdout.decode()


def test_switch_refuses_over_unrecorded_changes_unless_forced(two):
    d, one, two_ = two
    (d / "f").write_text("unrecorded\n")
    err = one_line_error(run_verfs("switch", "old", cwd=d, check=False), 1)
    assert "unrecorded" in err and _head(d) == two_
    assert (d / ".verfs" / "branch").exists() is False
    one_line_error(run_verfs("switch", "nosuch", cwd=d, check=False), 1)
    one_line_error(run_verfs("switch", "main", cwd=d, check=False), 1)     # already on it
    run_verfs("switch", "--force", "old", cwd=d)
    assert (d / "f").read_text() == "1\n" and _head(d) == one


@pytest.mark.parametrize("point", ["checkout", "head"])
def test_a_killed_switch_is_finished_by_the_next_command(two, tmp_path, point):
    d, one, two_ = two
    for i in range(6):              # enough files that a checkout is half-way at first
        (d / f"g{i}").write_text(f"{i}\n")
    run_verfs("record", "-m", "many", cwd=d)
    main_head = _head(d)
    ref = tmp_path / "reference"
    shutil.copytree(d, ref, symlinks=True)
    run_verfs("switch", "old", cwd=ref)
    Paused(tmp_path, point, "switch", "old", cwd=d).kill()
    assert (d / ".verfs" / "journal").exists() and _raw_head(d) == main_head
    run_verfs("log", cwd=d)         # a reader finishes it
    assert _head(d) == one and disk_state(d) == disk_state(ref)
    assert (d / ".verfs" / "branch").read_text() == "old\n"
    assert (d / ".verfs" / "branches" / "main").read_text() == main_head + "\n"
    assert "main" in run_verfs("branch", cwd=d).stdout.decode()
    assert run_verfs("show", "main:g0", cwd=d).stdout == b"0\n"
    assert b"switch: main -> old (finished" in (d / ".verfs" / "reflog").read_bytes()
    assert not (d / ".verfs" / "logs" / "old").read_text().count("switch")


def _raw_head(d):
    return (d / ".verfs" / "head").read_text().strip()


def test_going_back_past_a_tag_keeps_it_and_says_so(repo_dir):
    d = repo_dir
    _rec(d, "1\n", "one")
    tagged = run_verfs("tag", "v1", cwd=d).stdout.decode().strip()
    _rec(d, "2\n", "two")
    (d / ".verfs" / "tags" / "v1").unlink()     # as a tag made before tag references
    r = run_verfs("obliterate", "-n", "3", cwd=d)
    err = r.stderr.decode()
    assert "no longer reaches tag v1" in err and err.count("\n") == 1
    assert (d / ".verfs" / "tags" / "v1").read_text() == tagged + "\n"
    assert run_verfs("show", "v1:f", cwd=d).stdout == b"1\n"
    run_verfs("restore", "--yes-i-know", "v1", cwd=d)
    _rec(d, "3\n", "three")
    run_verfs("tag", "v2", cwd=d)
    r = run_verfs("restore", "--yes-i-know", "v1~1", cwd=d)
    assert "no longer reaches tags v1, v2" in r.stderr.decode()
    assert run_verfs("show", "v2:f", cwd=d).stdout == b"3\n"


@pytest.mark.parametrize("verb", ["unrecord", "obliterate"])
def test_dropping_the_tag_patch_itself_removes_its_ref(repo_dir, verb):
    d = repo_dir
    _rec(d, "1\n", "one")
    run_verfs("tag", "oops", cwd=d)
    r = run_verfs(verb, cwd=d)
    assert "tag oops removed" in r.stderr.decode()
    assert not (d / ".verfs" / "tags" / "oops").exists()
    assert run_verfs("show", "oops:f", cwd=d, check=False).returncode == 1
    run_verfs("tag", "oops", cwd=d)         # the name is free again


def test_clone_copies_branches_and_tag_refs(two, tmp_path):
    d, one, two_ = two
    run_verfs("switch", "old", cwd=d)
    side = _rec(d, "side\n", "side")
    run_verfs("tag", "t-side", cwd=d)
    tagged = _head(d)
    _rec(d, "after\n", "after")
    run_verfs("obliterate", "-n", "3", cwd=d)   # t-side now named by its ref only
    run_verfs("clone", d, tmp_path / "c")
    c = tmp_path / "c"
    got = json.loads(run_verfs("branch", "--json", cwd=c).stdout)
    assert got == [{"name": "main", "version": two_, "current": False},
                   {"name": "old", "version": one, "current": True}]
    assert run_verfs("show", "t-side:f", cwd=c).stdout == b"side\n"
    assert run_verfs("show", "t-side^", cwd=c, check=False).returncode == 0
    assert json.loads(run_verfs("log", "--json", "t-side", cwd=c).stdout)[0]["version"] \
        == tagged != side
    run_verfs("clone", "--version", "main", d, tmp_path / "m")
    assert "* main" in run_verfs("branch", cwd=tmp_path / "m").stdout.decode()
    run_verfs("fsck", cwd=c)
