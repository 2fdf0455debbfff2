"""fsck and the named heads: every branch, tag reference and branch reflog names a
version fsck must find (roots, as head is), and each of their files that is damaged
— garbage, a symbolic link, a named pipe, a badly named file — is one line of its
report, all of them in one run, none read forever or followed out of the repository."""

import os

import pytest

from tests.conftest import one_line_error, run_verfs

ABSENT = "ab" * 32          # a well-formed version id no store holds


def _rec(d, text, name):
    (d / "f").write_text(text)
    return run_verfs("record", "-m", name, cwd=d).stdout.decode().strip()


@pytest.fixture
def named(repo_dir):
    """main: one, two; branch old at one (made, then moved: a reflog of two lines);
    tag v1 on one, tag v2 (a reference) on two."""
    one = _rec(repo_dir, "1\n", "one")
    two = _rec(repo_dir, "2\n", "two")
    run_verfs("branch", "old", "head", cwd=repo_dir)
    run_verfs("branch", "-f", "old", one, cwd=repo_dir)
    run_verfs("tag", "v2", cwd=repo_dir)
    return repo_dir, one, two


def _fsck(d):
    proc = run_verfs("fsck", cwd=d, check=False)
    return proc.returncode, proc.stdout.decode()


def test_a_sound_repository_with_branches_and_tags_passes(named):
    d, _, _ = named
    code, out = _fsck(d)
    assert code == 0 and out.startswith("ok: "), out


@pytest.mark.parametrize("where, who", [
    ("branches/old", "branch old"),
    ("tags/v2", "tag v2"),
])
def test_a_name_of_a_version_no_store_holds_is_missing(named, where, who):
    d, _, _ = named
    (d / ".verfs" / where).write_text(ABSENT + "\n")
    code, out = _fsck(d)
    assert code == 3
    assert f"missing version {ABSENT} (named by {who})" in out


def test_a_branch_reflog_line_naming_an_absent_version_is_missing(named):
    d, _, _ = named
    with open(d / ".verfs" / "logs" / "old", "a") as f:
        f.write(f"2026-01-01T00:00:00Z {ABSENT} branch: by hand\n")
    code, out = _fsck(d)
    assert code == 3 and f"missing version {ABSENT} (named by branch old's reflog)" in out


def test_every_damaged_file_is_named_in_one_run(named, tmp_path):
    d, _, _ = named
    dot = d / ".verfs"
    (dot / "branches" / "old").write_text("not a version\n")
    os.mkfifo(dot / "tags" / "fifo")
    (tmp_path / "outside").write_text(ABSENT + "\n")
    os.symlink(tmp_path / "outside", dot / "tags" / "linked")
    (dot / "tags" / "a b").write_text(ABSENT + "\n")
    with open(dot / "logs" / "old", "a") as f:
        f.write("yesterday, somewhere\n")
    (dot / "branch").write_text("no/such name\n")
    code, out = _fsck(d)
    assert code == 3
    for line in (f"{dot}/branches/old is damaged (not a version id and a newline)",
                 f"{dot}/tags/fifo is damaged (not a regular file)",
                 f"{dot}/tags/linked is damaged (a symbolic link, not a file)",
                 f"{dot}/tags/a b is no tag's name (verfs never writes it)",
                 f"{dot}/logs/old is damaged: line 3 is not",
                 f"{dot}/branch is damaged (not a branch name and a newline)"):
        assert line in out, line
    assert ABSENT not in out          # the link was not followed, the odd name not read


def test_a_tags_directory_that_is_a_file_is_named(named):
    d, _, _ = named
    tags = d / ".verfs" / "tags"
    for f in tags.iterdir():
        f.unlink()
    tags.rmdir()
    tags.write_text("")
    code, out = _fsck(d)
    assert code == 3 and f"{tags} is damaged (not a directory)" in out


@pytest.mark.timeout(60)
def test_a_tag_that_is_a_named_pipe_is_damage_not_a_hang(named):
    """Naming the tag reads its file: a FIFO there must not block the command."""
    d, _, _ = named
    (d / ".verfs" / "tags" / "v2").unlink()
    os.mkfifo(d / ".verfs" / "tags" / "v2")
    proc = run_verfs("show", "v2:f", cwd=d, check=False)
    assert proc.returncode == 3
    assert one_line_error(proc).endswith("tags/v2 is damaged (not a regular file)\n")
