"""``verfs tag`` as git users use it: listing the tags, tagging an older version
(head stays), deleting a tag reference — and a tag patch in head's history staying
part of it, as in darcs."""

import json
import shutil

import pytest

from tests.conftest import one_line_error, run_verfs
from tests.pausing import Paused


def _rec(d, text, name):
    (d / "f").write_text(text)
    return run_verfs("record", "-m", name, "--date", f"2026-03-0{text[0]}T10:00:00-07:00",
                     cwd=d).stdout.decode().strip()


def _head(d):
    return run_verfs("head", cwd=d).stdout.decode().strip()


def test_list_tag_an_older_version_and_delete(repo_dir):
    d = repo_dir
    assert run_verfs("tag", cwd=d).stdout == b""                 # none yet: nothing
    one = _rec(d, "1\n", "one")
    _rec(d, "2\n", "two")
    run_verfs("tag", "v2", cwd=d)
    top = _head(d)
    reflog = (d / ".verfs" / "reflog").read_bytes()
    old = run_verfs("tag", "v1", "head~2", cwd=d).stdout.decode().strip()
    assert _head(d) == top and (d / ".verfs" / "reflog").read_bytes() == reflog
    assert run_verfs("show", "v1:f", cwd=d).stdout == b"1\n"
    assert run_verfs("log", "--json", "-n", "2", "v1", cwd=d).stdout.count(b'"name"') == 2
    listed = json.loads(run_verfs("tag", "--json", cwd=d).stdout)
    assert [(t["name"], t["version"]) for t in listed] == [("v1", old), ("v2", top)]
    assert listed[0]["date"] == "2026-03-01T10:00:00-07:00"
    lines = run_verfs("tag", cwd=d).stdout.decode().splitlines()
    assert lines[0] == f"v1  {old[:12]}  Sun Mar 1 10:00:00 2026 -0700"
    assert run_verfs("fsck", cwd=d).returncode == 0

    out = run_verfs("tag", "-d", "v1", cwd=d).stdout.decode()
    assert old[:12] in out and not (d / ".verfs" / "tags" / "v1").exists()
    assert run_verfs("show", f"{old}:f", cwd=d).stdout == b"1\n"    # the version stays
    assert [t["name"] for t in json.loads(run_verfs("tag", "--json", cwd=d).stdout)] == ["v2"]
    # v2's patch is in head's history: part of it, not deleted
    assert "unrecord" in one_line_error(run_verfs("tag", "-d", "v2", cwd=d, check=False), 1)
    assert (d / ".verfs" / "tags" / "v2").exists()
    one_line_error(run_verfs("tag", "-d", "nosuch", cwd=d, check=False), 1)
    one_line_error(run_verfs("tag", "-d", "v2", "v3", cwd=d, check=False), 2)
    one_line_error(run_verfs("tag", "--date", "2026-01-01T00:00:00Z", cwd=d, check=False), 2)
    one_line_error(run_verfs("tag", "v0", "head~9", cwd=d, check=False), 1)
    assert "empty state" in one_line_error(run_verfs("tag", "v0", f"{one}^", cwd=d,
                                                     check=False), 1)
    # head gone back past it, v2 is only a reference: then it can go
    _rec(d, "3\n", "three")
    run_verfs("unrecord", "-n", "2", cwd=d)
    assert [t["name"] for t in json.loads(run_verfs("tag", "--json", cwd=d).stdout)] == ["v2"]
    run_verfs("tag", "-d", "v2", cwd=d)
    assert run_verfs("tag", cwd=d).stdout == b""


@pytest.mark.parametrize("point", ["tag-made", "tag-head"])
def test_a_killed_tag_ends_as_an_uninterrupted_one(repo_dir, tmp_path, point):
    """Killed after its version is stored (head not moved) the tag is not made, and
    run again it is; killed after head moved, it is made — found on head's chain —
    and its name is taken.  Either way the repository ends as an uninterrupted run
    leaves it (the same version: a tag's patch is a function of head and its info)."""
    d = repo_dir
    _rec(d, "1\n", "one")
    args = ["tag", "v1", "-A", "T <t@example.com>", "--date", "20260101000000"]
    ref = tmp_path / "reference"
    shutil.copytree(d, ref, symlinks=True)
    run_verfs(*args, cwd=ref)
    Paused(tmp_path, point, *args, cwd=d).kill()
    if point == "tag-made":
        assert _head(d) != _head(ref)
        run_verfs(*args, cwd=d)                     # run again: it is made
    else:
        assert _head(d) == _head(ref)
        assert "already exists" in one_line_error(run_verfs(*args, cwd=d, check=False), 1)
    assert _head(d) == _head(ref)
    assert json.loads(run_verfs("tag", "--json", cwd=d).stdout) == \
        json.loads(run_verfs("tag", "--json", cwd=ref).stdout)
    assert run_verfs("fsck", cwd=d).returncode == 0
    run_verfs("record", "-m", "more", cwd=d, check=False)
    (d / "f").write_text("2\n")
    run_verfs("record", "-m", "two", cwd=d)
    run_verfs("unrecord", "-n", "1", cwd=d)
    assert run_verfs("show", "v1:f", cwd=d).stdout == b"1\n"
