"""A damaged head or reflog is a damaged repository: one line naming the file, exit 3,
with the reflog's last entry offered as the way back ('verfs head --repair') — never
an empty-looking repository, a traceback, or the bytes of whatever the head points at.
The rule (docs/FORMAT.md): head is a regular file holding one version id and a
newline, or just a newline when empty."""

import os

import pytest

from tests.conftest import one_line_error
from verfs.repo import Repository

COMMANDS = [["head"], ["log"], ["fsck"], ["show", "head:"], ["versions"]]


@pytest.fixture
def recorded(verfs, repo_dir):
    (repo_dir / "a.txt").write_text("a\n")
    verfs("record", "-m", "add a", cwd=repo_dir)
    (repo_dir / "a.txt").write_text("a\nb\n")
    verfs("record", "-m", "edit a", cwd=repo_dir)
    head = verfs("head", cwd=repo_dir).stdout.decode().strip()
    return repo_dir, head


def _head_file(repo_dir):
    return repo_dir / ".verfs" / "head"


def _damaged(verfs, repo_dir, head, why: str) -> None:
    """head, log and show refuse in one line naming head and the way back; fsck
    reports it (and exits 3); versions still lists the reflog."""
    for args in (["head"], ["log"], ["show", "head:"]):
        err = one_line_error(verfs(*args, cwd=repo_dir, check=False), 3)
        assert f"{_head_file(repo_dir)} is damaged ({why}" in err, err
        assert head in err and "verfs head --repair" in err, err
    proc = verfs("fsck", cwd=repo_dir, check=False)
    assert proc.returncode == 3
    assert f"{_head_file(repo_dir)} is damaged ({why}" in proc.stdout.decode()
    assert head[:12] in verfs("versions", cwd=repo_dir).stdout.decode()


def _repaired(verfs, repo_dir, head) -> None:
    out = verfs("head", "--repair", cwd=repo_dir).stdout.decode()
    assert head in out
    assert verfs("head", cwd=repo_dir).stdout.decode().strip() == head
    assert b"edit a" in verfs("log", cwd=repo_dir).stdout
    verfs("fsck", cwd=repo_dir)


def test_a_truncated_head_is_damage_not_an_empty_repository(verfs, recorded):
    repo_dir, head = recorded
    _head_file(repo_dir).write_bytes(b"")
    _damaged(verfs, repo_dir, head, "empty")
    _repaired(verfs, repo_dir, head)


def test_a_head_cut_short_inside_the_id(verfs, recorded):
    repo_dir, head = recorded
    _head_file(repo_dir).write_bytes(head[:20].encode())
    _damaged(verfs, repo_dir, head, "not one version id and a newline")
    _repaired(verfs, repo_dir, head)


def test_a_head_that_is_a_symlink_is_never_read_through(verfs, recorded, tmp_path):
    repo_dir, head = recorded
    secret = tmp_path / "secret"
    secret.write_text(f"{head}\n")      # even a valid id behind a link is refused
    other = tmp_path / "passwd"
    other.write_text("root:x:0:0:root:/root:/bin/bash\n")
    os.unlink(_head_file(repo_dir))
    os.symlink(secret, _head_file(repo_dir))
    _damaged(verfs, repo_dir, head, "a symbolic link, not a file")
    os.unlink(_head_file(repo_dir))
    os.symlink(other, _head_file(repo_dir))
    for args in COMMANDS[:4]:
        proc = verfs(*args, cwd=repo_dir, check=False)
        assert b"root:x" not in proc.stdout + proc.stderr
    _repaired(verfs, repo_dir, head)
    assert not _head_file(repo_dir).is_symlink()


def test_a_head_with_non_ascii_bytes(verfs, recorded):
    repo_dir, head = recorded
    _head_file(repo_dir).write_bytes(b"\xff\xfe" + head[2:].encode() + b"\n")
    _damaged(verfs, repo_dir, head, "not one version id and a newline")
    _repaired(verfs, repo_dir, head)


def test_a_missing_head(verfs, recorded):
    repo_dir, head = recorded
    os.unlink(_head_file(repo_dir))
    _damaged(verfs, repo_dir, head, "missing")
    _repaired(verfs, repo_dir, head)


@pytest.mark.parametrize("data", [b"%s\n\n", b"%s\nextra\n", b" %s\n", b"%s", b"%s\n" * 40])
def test_a_head_holds_exactly_one_id_and_a_newline(verfs, recorded, data):
    repo_dir, head = recorded
    _head_file(repo_dir).write_bytes(data.replace(b"%s", head.encode()))
    for args in (["head"], ["log"]):
        assert "is damaged" in one_line_error(verfs(*args, cwd=repo_dir, check=False), 3)


def test_a_head_that_is_a_directory_or_a_fifo(verfs, recorded):
    repo_dir, head = recorded
    os.unlink(_head_file(repo_dir))
    os.mkfifo(_head_file(repo_dir))      # reading must not block
    assert "not a regular file" in one_line_error(verfs("head", cwd=repo_dir, check=False), 3)
    os.unlink(_head_file(repo_dir))
    os.mkdir(_head_file(repo_dir))
    assert "not a regular file" in one_line_error(verfs("log", cwd=repo_dir, check=False), 3)
    os.rmdir(_head_file(repo_dir))
    _repaired(verfs, repo_dir, head)


def test_an_empty_repository_is_a_newline_and_stays_empty(verfs, repo_dir):
    assert _head_file(repo_dir).read_bytes() == b"\n"
    assert "empty" in one_line_error(verfs("head", cwd=repo_dir, check=False), code=1)
    assert verfs("log", cwd=repo_dir).stdout == b""
    verfs("fsck", cwd=repo_dir)
    # the 0 bytes an older init wrote are empty too, where the reflog says so
    _head_file(repo_dir).write_bytes(b"")
    assert "empty" in one_line_error(verfs("head", cwd=repo_dir, check=False), code=1)
    verfs("fsck", cwd=repo_dir)
    assert "not damaged" in one_line_error(
        verfs("head", "--repair", cwd=repo_dir, check=False), code=1)


def test_unrecording_everything_leaves_an_empty_head_not_a_damaged_one(verfs, recorded):
    repo_dir, _ = recorded
    verfs("unrecord", "-n", "2", cwd=repo_dir)
    assert _head_file(repo_dir).read_bytes() == b"\n"
    assert verfs("log", cwd=repo_dir).stdout == b""
    verfs("fsck", cwd=repo_dir)


def test_a_head_damaged_with_a_damaged_reflog_says_so(verfs, recorded):
    repo_dir, _ = recorded
    _head_file(repo_dir).write_bytes(b"")
    (repo_dir / ".verfs" / "reflog").write_bytes(b"")
    err = one_line_error(verfs("head", cwd=repo_dir, check=False), 3)
    assert "is damaged (empty)" in err and "names no version" in err
    one_line_error(verfs("head", "--repair", cwd=repo_dir, check=False), 3)


def test_repair_refuses_a_version_the_store_does_not_hold(verfs, recorded):
    repo_dir, head = recorded
    _head_file(repo_dir).write_bytes(b"")
    with open(repo_dir / ".verfs" / "reflog", "a") as f:
        f.write(f"2026-01-01T00:00:00Z {'ab' * 32} record: gone\n")
    one_line_error(verfs("head", "--repair", cwd=repo_dir, check=False), 3)
    assert _head_file(repo_dir).read_bytes() == b""


def test_a_garbage_reflog_line_is_no_version_and_fsck_names_it(verfs, recorded):
    repo_dir, head = recorded
    with open(repo_dir / ".verfs" / "reflog", "a") as f:
        f.write("line noise here\n2026-01-01T00:00:00Z nothex record: x\n")
    out = verfs("versions", "--json", cwd=repo_dir).stdout.decode()
    assert "line" not in out and "nothex" not in out and head in out
    assert verfs("head", cwd=repo_dir).stdout.decode().strip() == head
    proc = verfs("fsck", cwd=repo_dir, check=False)
    assert proc.returncode == 3
    lines = [x for x in proc.stdout.decode().splitlines() if "reflog" in x]
    assert len(lines) == 2 and "line 4" in lines[0] and "line 5" in lines[1], lines


def test_a_newline_in_an_operation_cannot_split_a_reflog_entry(tmp_path):
    repo = Repository.init(tmp_path / "r")
    repo.set_head(None, "one\ntwo")
    assert repo.reflog_problems() == []
    assert repo.reflog()[0].operation == "one two"
