"""A command killed while it changes the working tree is finished by the next one:
``restore``, ``obliterate`` (journalled, verfs/journal.py) and ``clone`` (staged
beside its target, verfs/staging.py), each stopped at a named point of its checkout
(tests/pausing.py), killed with SIGKILL, and then compared with an uninterrupted
run: the same head (hash), the same files, nothing left over."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_verfs
from tests.pausing import Paused
from tests.treestate import disk_state

RESTORE = ("restore", "--yes-i-know")


def _history(top: Path) -> list[str]:
    """Three versions, each changing many files (so a checkout stopped after its
    first change is half-way), and a directory that becomes a file."""
    run_verfs("init", top)
    vids = []
    for v in range(3):
        for i in range(8):
            (top / f"f{i}.txt").write_bytes(b"version %d of %d\n" % (v, i))
        if v == 1:
            (top / "d").mkdir()
            (top / "d" / "inner.txt").write_bytes(b"inner\n")
        if v == 2:
            shutil.rmtree(top / "d")
            (top / "d").write_bytes(b"now a file\n")
        run_verfs("record", "-m", f"v{v}", cwd=top)
        vids.append(head(top))
    return vids


def head(top: Path) -> str:
    return (top / ".verfs" / "head").read_text().strip()


@pytest.fixture
def history(tmp_path):
    top = tmp_path / "repo"
    return top, _history(top)


def _reference(top: Path, tmp_path: Path, *args) -> tuple[str, dict]:
    ref = tmp_path / "reference"
    shutil.copytree(top, ref, symlinks=True)
    run_verfs(*args, cwd=ref)
    return head(ref), disk_state(ref)


NEXT = {
    "rerun": None,                  # the same command again
    "log": ("log",),                # a command that only reads
    "record": ("record", "-m", "after"),
}
# A re-run of a command relative to head (obliterate -n 2, restore head~2) finishes the
# killed one, then does its own work from the new head: not a case of its own here.
CASES = [("restore", "rerun"), ("restore", "log"), ("restore", "record"),
         ("obliterate", "log"), ("obliterate", "record")]


@pytest.mark.parametrize(("verb", "after"), CASES, ids=["-".join(c) for c in CASES])
def test_a_killed_tree_change_is_finished_by_the_next_command(history, tmp_path, verb,
                                                               after):
    top, vids = history
    command = (*RESTORE, vids[0]) if verb == "restore" else ("obliterate", "-n", "2")
    want_head, want_tree = _reference(top, tmp_path, *command)
    assert want_head == vids[0]
    Paused(tmp_path, "checkout", *command, cwd=top).kill()
    state = disk_state(top)
    assert state != want_tree and head(top) == vids[2]      # half-way, head not moved
    assert (top / ".verfs" / "journal").exists()

    r = run_verfs(*(NEXT[after] or command), cwd=top, check=False)
    if after == "record":
        assert b"no changes to record" in r.stderr       # finished first: nothing new
    else:
        assert r.returncode == 0, r.stderr
    assert head(top) == want_head
    assert disk_state(top) == want_tree
    assert not (top / ".verfs" / "journal").exists()
    assert b"finished after an interruption" in (top / ".verfs" / "reflog").read_bytes()
    assert b"ok" in run_verfs("fsck", cwd=top).stdout


def test_a_kill_between_the_tree_and_head_is_finished(history, tmp_path):
    top, vids = history
    want_head, want_tree = _reference(top, tmp_path, *RESTORE, vids[0])
    Paused(tmp_path, "head", *RESTORE, vids[0], cwd=top).kill()
    assert disk_state(top) == want_tree and head(top) == vids[2]
    run_verfs("log", cwd=top)
    assert head(top) == want_head and not (top / ".verfs" / "journal").exists()


def test_a_killed_recovery_is_finished_in_turn(history, tmp_path):
    top, vids = history
    want_head, want_tree = _reference(top, tmp_path, *RESTORE, vids[0])
    Paused(tmp_path, "checkout", *RESTORE, vids[0], cwd=top).kill()
    Paused(tmp_path, "checkout", "log", cwd=top).kill()        # the recovery, killed
    run_verfs("head", cwd=top)
    assert head(top) == want_head and disk_state(top) == want_tree
    assert not (top / ".verfs" / "journal").exists()


def test_a_damaged_journal_is_named(history, tmp_path):
    top, _ = history
    (top / ".verfs" / "journal").write_bytes(b"{not json\n")
    r = run_verfs("log", cwd=top, check=False)
    assert r.returncode == 3
    err = r.stderr.decode()
    assert err.count("\n") == 1 and "journal" in err, err


def test_a_killed_clone_is_redone_and_its_leftover_removed(history, tmp_path):
    top, vids = history
    dest = tmp_path / "out" / "copy"
    Paused(tmp_path, "checkout", "clone", "--version", vids[1], top, dest).kill()
    leftovers = [n for n in os.listdir(dest.parent) if n.startswith(".verfs-clone-")]
    assert len(leftovers) == 1
    assert not dest.exists() or os.listdir(dest) == []      # the target: as it was, or empty
    run_verfs("clone", "--version", vids[1], top, dest)
    assert os.listdir(dest.parent) == ["copy"]
    assert head(dest) == vids[1]
    ref = tmp_path / "ref"
    run_verfs("clone", "--version", vids[1], top, ref)
    assert disk_state(dest) == disk_state(ref)


def test_a_clone_into_an_existing_directory_keeps_that_directory(history, tmp_path):
    """It may be the shell's current directory: the repository moves into it."""
    top, vids = history
    dest = tmp_path / "empty"
    dest.mkdir()
    inode = dest.stat().st_ino
    run_verfs("clone", top, ".", cwd=dest)
    assert dest.stat().st_ino == inode
    assert head(dest) == vids[2]
    assert sorted(os.listdir(tmp_path)) == ["empty", "repo"]
    ref = tmp_path / "ref"
    run_verfs("clone", top, ref)
    assert disk_state(dest) == disk_state(ref)
    assert (dest / ".verfs" / "reflog").read_bytes().count(b"\n") == 2   # init, clone
    assert not (dest / ".verfs" / "journal").exists()


def test_a_clone_killed_while_moving_in_is_finished_by_the_next_command(history, tmp_path):
    top, vids = history
    dest = tmp_path / "empty"
    dest.mkdir()
    Paused(tmp_path, "checkout", "clone", top, dest).kill()
    assert head(dest) == "" and (dest / ".verfs" / "journal").exists()
    run_verfs("log", cwd=dest)
    assert head(dest) == vids[2]
    ref = tmp_path / "ref"
    run_verfs("clone", top, ref)
    assert disk_state(dest) == disk_state(ref)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".verfs-")]


def test_a_live_clones_staging_directory_is_not_removed(history, tmp_path):
    top, vids = history
    live = Paused(tmp_path, "checkout", "clone", top, tmp_path / "a")
    run_verfs("clone", top, tmp_path / "b")         # cleans stale ones: not the live one
    assert live.resume().returncode == 0
    assert head(tmp_path / "a") == head(tmp_path / "b") == vids[2]
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".verfs-")]


def test_two_clones_into_one_target_one_is_told(history, tmp_path):
    top, _ = history
    dest = tmp_path / "dest"
    first = Paused(tmp_path, "staged", "clone", top, dest)
    r = run_verfs("clone", top, dest, check=False)
    assert r.returncode != 0
    assert r.stderr.decode() == f"verfs: another clone into {dest} is running\n"
    assert first.resume().returncode == 0


def test_a_target_made_meanwhile_is_named_not_the_staging_directory(history, tmp_path):
    top, _ = history
    dest = tmp_path / "dest"
    first = Paused(tmp_path, "staged", "clone", top, dest)
    dest.mkdir()
    (dest / "someone's").write_bytes(b"file\n")
    r = first.resume()
    assert r.returncode != 0
    assert r.stderr.decode() == (f"verfs: {dest} was made by another command meanwhile; "
                                 f"nothing of this clone was kept\n")
    assert os.listdir(dest) == ["someone's"]
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".verfs-")]
