"""Each command as a user drives it."""

import json
import os
import random
import shutil
import subprocess

import click
import pytest

from store.disk import PLAIN, RAW_ABOVE
from tests.treestate import disk_state
from verfs.cli.main import cli


def _head(verfs, d) -> str:
    return verfs("head", cwd=d).stdout.decode().strip()


def test_every_command_has_help_with_an_example(verfs):
    def walk(group, prefix):
        ctx = click.Context(group)      # commands' modules are imported when asked for
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if hasattr(cmd, "commands"):
                yield from walk(cmd, [*prefix, name])
            else:
                yield [*prefix, name]
    paths = list(walk(cli, []))
    assert ["log"] in paths and ["import", "git"] in paths and len(paths) > 20
    for path in paths:
        out = verfs(*path, "--help").stdout.decode()
        assert "Example" in out, path


def test_whatsnew_and_record_of_paths(verfs, repo_dir):
    assert verfs("whatsnew", cwd=repo_dir, check=False).returncode == 1
    (repo_dir / "docs").mkdir()
    (repo_dir / "docs" / "a.md").write_text("doc\n")
    (repo_dir / "src.c").write_text("int main;\n")
    out = verfs("whatsnew", cwd=repo_dir).stdout.decode()
    assert "adddir ./docs" in out and "hunk ./src.c 1\n+int main;" in out
    summary = verfs("whatsnew", "-s", cwd=repo_dir).stdout.decode().split("\n")
    assert "A docs/a.md" in summary and "A src.c" in summary
    verfs("record", "-m", "docs only", "docs", cwd=repo_dir)
    out = verfs("whatsnew", cwd=repo_dir).stdout.decode()
    assert "docs" not in out and "src.c" in out
    log = json.loads(verfs("log", "--json", "-v", cwd=repo_dir).stdout)
    assert log[0]["name"] == "docs only" and "src.c" not in log[0]["prims"]


def test_log_shows_author_date_comment_and_changes(verfs, repo_dir):
    (repo_dir / "f").write_text("x\n")
    verfs("record", "-m", "first", "-A", "Ada <ada@example.com>", "--date",
          "2024-02-03T04:05:06+01:00", "-c", "why:\nbecause", cwd=repo_dir)
    out = verfs("log", "-v", cwd=repo_dir).stdout.decode()
    assert "Ada <ada@example.com>" in out and "Sat Feb 3 04:05:06 2024 +0100" in out
    assert "because" in out and "hunk ./f 1" in out
    entry = json.loads(verfs("log", "--json", cwd=repo_dir).stdout)[0]
    assert entry["stored_date"] == "20240203030506" and entry["comment"] == ["why:", "because"]
    assert entry["parent"] is None and len(entry["identity"]) == 64


def test_diff_is_what_diff_ruN_says_and_applies_with_patch(verfs, repo_dir, tmp_path):
    (repo_dir / "keep.txt").write_text("same\n")
    (repo_dir / "edit.txt").write_text("one\ntwo\nthree\n")
    (repo_dir / "gone.txt").write_text("bye\n")
    (repo_dir / "nonl.txt").write_text("no newline")
    verfs("record", "-m", "v1", cwd=repo_dir)
    v1 = _head(verfs, repo_dir)
    (repo_dir / "edit.txt").write_text("one\n2\nthree\nfour\n")
    (repo_dir / "gone.txt").unlink()
    (repo_dir / "d").mkdir()
    (repo_dir / "d" / "new.txt").write_text("hello\n")
    (repo_dir / "nonl.txt").write_text("no newline\n")
    verfs("record", "-m", "v2", cwd=repo_dir)
    v2 = _head(verfs, repo_dir)
    assert verfs("diff", v1, v1, cwd=repo_dir, check=False).returncode == 0
    proc = verfs("diff", "--gnu", v1, v2, cwd=repo_dir, check=False)
    assert proc.returncode == 1
    text = proc.stdout.decode()
    assert f"diff -ruN {v1[:12]}/edit.txt {v2[:12]}/edit.txt" in text
    assert "\\ No newline at end of file" in text
    # the same changes as GNU diff -ruN between two checkouts
    a, b = tmp_path / "a", tmp_path / "b"
    verfs("clone", "--version", v1, repo_dir, a)
    verfs("clone", "--version", v2, repo_dir, b)
    shutil.rmtree(a / ".verfs")
    shutil.rmtree(b / ".verfs")
    gnu = subprocess.run(["diff", "-ruN", "a", "b"], cwd=tmp_path, capture_output=True).stdout
    def strip(s: bytes) -> list[bytes]:
        return [ln for ln in s.splitlines() if not ln.startswith((b"---", b"+++", b"diff "))]

    assert strip(gnu) == strip(proc.stdout)
    # and it applies
    if shutil.which("patch"):
        subprocess.run(["patch", "-s", "-p1", "-d", str(a)], input=proc.stdout, check=True)
        assert disk_state(a) == disk_state(b)
    # restricted to a path
    only = verfs("diff", v1, v2, "d", cwd=repo_dir, check=False).stdout.decode()
    assert "new.txt" in only and "edit.txt" not in only


def test_show_file_and_directory(verfs, repo_dir):
    (repo_dir / "dir one").mkdir()
    (repo_dir / "dir one" / "naïve.txt").write_bytes(b"caf\xc3\xa9\n")
    (repo_dir / "link").symlink_to("dir one")
    verfs("record", "-m", "x", cwd=repo_dir)
    assert verfs("show", "head:dir one/naïve.txt", cwd=repo_dir).stdout == b"caf\xc3\xa9\n"
    listing = verfs("show", "head:", cwd=repo_dir).stdout.decode().splitlines()
    assert listing == ["dir one/", "link -> dir one"]
    proc = verfs("show", "head:nothing", cwd=repo_dir, check=False)
    assert proc.returncode == 1 and b"not in version" in proc.stderr


def test_tag_closes_an_inventory_named_by_the_next_version(verfs, repo_dir):
    from verfs.repo import Repository
    (repo_dir / "f").write_text("1\n")
    verfs("record", "-m", "one", cwd=repo_dir)
    tag = verfs("tag", "v1", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "f").write_text("2\n")
    after = verfs("record", "-m", "two", cwd=repo_dir).stdout.decode().strip()
    repo = Repository(repo_dir)
    v = repo.store.get_version(after)
    assert v.parent == tag and v.inventory
    inv = repo.store.get_inventory(v.inventory)
    assert inv.tree == repo.history.root_tree(tag)
    assert [rep for _, rep in inv.patches] == [
        repo.store.get_version(x).patch for x in (repo.history.ancestor(tag, 1), tag)]
    assert verfs("show", "v1:f", cwd=repo_dir).stdout == b"1\n"
    assert _head(verfs, repo_dir) == after
    err = verfs("tag", "v1", cwd=repo_dir, check=False).stderr.decode()
    assert "already exists" in err


def test_versions_lists_every_head_newest_first(verfs, repo_dir):
    (repo_dir / "f").write_text("1\n")
    a = verfs("record", "-m", "one", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "g").write_text("1\n")
    b = verfs("record", "-m", "two", cwd=repo_dir).stdout.decode().strip()
    verfs("unrecord", cwd=repo_dir)
    entries = json.loads(verfs("versions", "--json", cwd=repo_dir).stdout)
    assert [e["version"] for e in entries] == [a, b, a, None]
    assert entries[0]["operation"] == "unrecord 1"
    assert entries[1]["operation"] == "record: two"


def test_obliterate_keeps_unrecorded_changes(verfs, repo_dir):
    (repo_dir / "f").write_text("1\n")
    verfs("record", "-m", "one", cwd=repo_dir)
    (repo_dir / "g").write_text("g\n")
    verfs("record", "-m", "two", cwd=repo_dir)
    (repo_dir / "f").write_text("1\nunrecorded\n")
    verfs("obliterate", cwd=repo_dir)
    assert not (repo_dir / "g").exists()
    assert (repo_dir / "f").read_text() == "1\nunrecorded\n"


def test_restore_refuses_then_warns_and_keeps_the_old_head(verfs, repo_dir):
    (repo_dir / "f").write_text("1\n")
    one = verfs("record", "-m", "one", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "f").write_text("2\n")
    two = verfs("record", "-m", "two", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "f").write_text("dirty\n")
    proc = verfs("restore", one, "--yes-i-know", cwd=repo_dir, check=False)
    assert proc.returncode != 0 and b"unrecorded changes" in proc.stderr
    assert (repo_dir / "f").read_text() == "dirty\n"
    proc = verfs("restore", one, "--yes-i-know", "--force", cwd=repo_dir)
    assert b"WARNING" in proc.stderr
    assert (repo_dir / "f").read_text() == "1\n" and _head(verfs, repo_dir) == one
    listed = [e["version"] for e in json.loads(verfs("versions", "--json", cwd=repo_dir).stdout)]
    assert two in listed


def test_a_large_file_is_on_disk_once_per_file_system(verfs, repo_dir, tmp_path):
    """Recording a large file keeps its blob once (the durable store hard-links the
    derived copy), and a clone links it too — each a checked, whole copy of the bytes."""
    big = random.Random(3).randbytes(2 * RAW_ABOVE + 5)
    (repo_dir / "big.bin").write_bytes(big)
    verfs("record", "-m", "big", cwd=repo_dir)
    verfs("clone", repo_dir, tmp_path / "copy")
    plain = [os.path.join(d, f) for root in (repo_dir, tmp_path / "copy")
             for d, _, fs in os.walk(root / ".verfs") for f in fs if f.endswith(PLAIN)]
    assert len(plain) >= 3 and len({os.stat(p).st_ino for p in plain}) == 1
    assert (tmp_path / "copy" / "big.bin").read_bytes() == big
    verfs("fsck", cwd=tmp_path / "copy")


def test_clone_of_an_empty_repository_and_of_an_old_version(verfs, repo_dir, tmp_path):
    verfs("clone", repo_dir, tmp_path / "empty")
    assert disk_state(tmp_path / "empty") == {}
    (repo_dir / "f").write_text("1\n")
    one = verfs("record", "-m", "one", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "f").write_text("2\n")
    verfs("record", "-m", "two", cwd=repo_dir)
    verfs("clone", "--version", "head~1", repo_dir, tmp_path / "old")
    assert (tmp_path / "old" / "f").read_text() == "1\n"
    assert _head(verfs, tmp_path / "old") == one
    verfs("fsck", cwd=tmp_path / "old")


@pytest.mark.parametrize("spec", ["head", "head~1", "@~1"])
def test_version_names(verfs, repo_dir, spec):
    (repo_dir / "f").write_text("1\n")
    one = verfs("record", "-m", "one", cwd=repo_dir).stdout.decode().strip()
    (repo_dir / "f").write_text("2\n")
    two = verfs("record", "-m", "two", cwd=repo_dir).stdout.decode().strip()
    got = json.loads(verfs("log", "--json", spec, cwd=repo_dir).stdout)[0]["version"]
    assert got == {"head": two, "head~1": one, "@~1": one}[spec]


def test_gc_packs_the_history_and_loses_nothing(verfs, repo_dir, tmp_path):
    for i in range(6):
        (repo_dir / "f").write_text(f"{i}\n" * (i + 1))
        verfs("record", "-m", f"r{i}", cwd=repo_dir)
    verfs("tag", "t1", cwd=repo_dir)
    log = verfs("log", "-v", "--json", cwd=repo_dir).stdout
    shows = [verfs("show", f"head~{i}:f", cwd=repo_dir).stdout for i in range(1, 7)]
    out = verfs("gc", cwd=repo_dir).stdout.decode()
    assert out.startswith("history: 15 objects in one pack of ") and "15 loose files" in out
    store = repo_dir / ".verfs" / "store"
    loose = [p for k in ("versions", "patches", "inventories") for p in (store / k).rglob("*")
             if p.is_file()]
    assert loose == [] and len(list((store / "packs").glob("*.pack"))) == 1
    assert verfs("log", "-v", "--json", cwd=repo_dir).stdout == log
    assert [verfs("show", f"head~{i}:f", cwd=repo_dir).stdout for i in range(1, 7)] == shows
    assert verfs("gc", cwd=repo_dir).stdout.decode().startswith("history: nothing to pack")
    (repo_dir / "f").write_text("after\n")
    verfs("record", "-m", "after gc", cwd=repo_dir)         # loose again, beside the pack
    verfs("fsck", cwd=repo_dir)
    verfs("clone", "--version", "head~2", repo_dir, tmp_path / "copy")
    assert (tmp_path / "copy" / "f").read_text() == "5\n" * 6
    verfs("fsck", cwd=tmp_path / "copy")
