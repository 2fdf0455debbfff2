"""Bad input gets one line on stderr and a non-zero exit, never a traceback
(run_verfs fails any test whose command printed one)."""

import json
import os
from pathlib import Path

import pytest

from tests.conftest import one_line_error


@pytest.fixture
def two_patches(verfs, repo_dir):
    (repo_dir / "a.txt").write_text("a\n")
    verfs("record", "-m", "add a", cwd=repo_dir)
    (repo_dir / "a.txt").write_text("a\nmore\n")
    verfs("record", "-m", "edit a", cwd=repo_dir)
    return repo_dir


@pytest.mark.parametrize("args", [
    ["log"], ["head"], ["whatsnew"], ["record", "-m", "x"], ["versions"], ["fsck"],
    ["commute"], ["unrecord"], ["tag", "t"], ["show", "head:"], ["diff", "head", "head"],
])
def test_any_command_outside_a_repository(verfs, tmp_path, args):
    err = one_line_error(verfs(*args, cwd=tmp_path, check=False))
    assert "not in a verfs repository" in err


def test_unknown_hash_and_unknown_name(verfs, two_patches):
    err = one_line_error(verfs("show", "ffff0000:", cwd=two_patches, check=False))
    assert "unknown" in err and "ffff0000" in err
    err = one_line_error(verfs("log", "no-such-tag", cwd=two_patches, check=False))
    assert "unknown" in err
    err = one_line_error(verfs("log", "head~5", cwd=two_patches, check=False))
    assert "not that long" in err


def test_ambiguous_prefix(verfs, repo_dir):
    """Make versions (in process, with fixed dates, so the ids are always the same)
    until two share a 4-digit prefix, then ask the command line for it."""
    from verfs import ops
    from verfs.repo import Repository
    repo = Repository(repo_dir)
    seen: dict[str, str] = {}
    for i in range(5000):
        (repo_dir / "f").write_text(f"{i}\n")
        vid = ops.record(repo, f"p{i}", "T <t@example.com>", "20260101000000")
        if vid[:4] in seen:
            break
        seen[vid[:4]] = vid
    else:
        pytest.fail("no shared prefix in 5000 versions")
    err = one_line_error(verfs("log", vid[:4], cwd=repo_dir, check=False))
    assert "ambiguous" in err
    out = verfs("log", "--json", vid[:20], cwd=repo_dir).stdout
    assert json.loads(out)[0]["version"] == vid


def test_nothing_to_record(verfs, two_patches):
    proc = verfs("record", "-m", "nothing", cwd=two_patches, check=False)
    assert proc.returncode == 1
    assert "no changes" in one_line_error(proc)


def test_commute_that_cannot_be_done_names_the_dependency(verfs, two_patches):
    before = verfs("head", cwd=two_patches).stdout
    err = one_line_error(verfs("commute", cwd=two_patches, check=False))
    assert "'edit a' depends on 'add a'" in err
    err = one_line_error(verfs("commute", "add a", cwd=two_patches, check=False))
    assert "'add a'" in err and "'edit a' depends on it" in err
    assert verfs("head", cwd=two_patches).stdout == before


def _flip(path: Path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 if at is None else at] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupt_object_is_named_by_fsck_and_never_read_as_wrong_bytes(verfs, two_patches):
    """A byte flipped in a blob of a state (derived, in the cache area): fsck names it;
    reading gives the right bytes, rebuilt (docs/FORMAT.md, Derived data heals)."""
    verfs("fsck", cwd=two_patches)
    blobs = two_patches / ".verfs" / "store" / "cache" / "v2" / "objects" / "blobs"
    blob = next(p for p in blobs.rglob("*") if p.is_file())
    oid = blob.parent.name + blob.name
    _flip(blob)
    proc = verfs("fsck", cwd=two_patches, check=False)
    assert proc.returncode == 3
    assert oid in proc.stdout.decode() and str(blob) in proc.stdout.decode()
    assert verfs("show", "head:a.txt", cwd=two_patches).stdout == b"a\nmore\n"
    assert verfs("show", "head~1:a.txt", cwd=two_patches).stdout == b"a\n"


def test_corrupt_patch_is_named_and_never_replayed(verfs, two_patches):
    """A byte flipped in a patch (the history itself), with the derived states gone
    so that reading must replay it."""
    import shutil
    store = two_patches / ".verfs" / "store"
    shutil.rmtree(store / "cache")
    head = verfs("head", cwd=two_patches).stdout.decode().strip()
    from verfs.repo import Repository
    rep = Repository(two_patches).store.get_version(head).patch
    path = store / "patches" / rep[:2] / rep[2:]
    _flip(path)
    proc = verfs("fsck", cwd=two_patches, check=False)
    assert proc.returncode == 3 and rep in proc.stdout.decode()
    err = one_line_error(verfs("show", "head:a.txt", cwd=two_patches, check=False))
    assert "corrupt patch" in err and rep in err
    assert verfs("show", "head~1:a.txt", cwd=two_patches).stdout == b"a\n"


def test_corrupt_version_file(verfs, two_patches):
    store = two_patches / ".verfs" / "store"
    head = verfs("head", cwd=two_patches).stdout.decode().strip()
    path = store / "versions" / head[:2] / head[2:]
    _flip(path)
    err = one_line_error(verfs("log", cwd=two_patches, check=False))
    assert "corrupt version" in err and head in err
    proc = verfs("fsck", cwd=two_patches, check=False)
    assert proc.returncode != 0 and head in proc.stdout.decode()


def test_missing_object_is_named_with_its_referrer(verfs, two_patches):
    store = two_patches / ".verfs" / "store"
    patch = next(p for p in (store / "patches").rglob("*") if p.is_file())
    os.unlink(patch)
    proc = verfs("fsck", cwd=two_patches, check=False)
    out = proc.stdout.decode()
    assert proc.returncode != 0
    assert f"missing patch {patch.parent.name + patch.name}" in out
    assert "named by version" in out


def test_bad_options(verfs, two_patches):
    assert verfs("unrecord", "-n", "9", cwd=two_patches, check=False).returncode != 0
    one_line_error(verfs("unrecord", "-n", "9", cwd=two_patches, check=False))
    one_line_error(verfs("record", "-m", "x", "--date", "yesterday-ish", cwd=two_patches,
                    check=False))
    one_line_error(verfs("tag", "has space", cwd=two_patches, check=False))
    one_line_error(verfs("init", two_patches, check=False))
    one_line_error(verfs("clone", two_patches, two_patches, check=False))
    proc = verfs("restore", "head~1", cwd=two_patches, check=False)
    assert proc.returncode == 2 and b"--yes-i-know" in proc.stderr


def _packed(verfs, repo) -> Path:
    """Pack the repository; its one history pack."""
    verfs("gc", cwd=repo)
    (pack,) = (repo / ".verfs" / "store" / "packs").glob("*.pack")
    return pack


def test_a_corrupt_packed_object_is_named_and_never_read(verfs, two_patches):
    import shutil
    pack = _packed(verfs, two_patches)
    shutil.rmtree(two_patches / ".verfs" / "store" / "cache")   # so reading replays
    from verfs.repo import Repository
    store = Repository(two_patches).store
    head = store.get_version(verfs("head", cwd=two_patches).stdout.decode().strip())
    offset = int(store.where("patch", head.patch).rsplit(" ", 1)[1])
    _flip(pack, offset + 5)
    err = one_line_error(verfs("show", "head:a.txt", cwd=two_patches, check=False))
    assert "corrupt patch" in err and head.patch in err and pack.name in err
    proc = verfs("fsck", cwd=two_patches, check=False)
    out = proc.stdout.decode()
    assert proc.returncode == 3 and head.patch in out
    assert f"corrupt pack {pack}: content does not match its name" in out


def test_an_unreadable_pack_is_named(verfs, two_patches):
    pack = _packed(verfs, two_patches)
    with open(pack, "r+b") as f:
        f.truncate(100)
    err = one_line_error(verfs("log", cwd=two_patches, check=False))
    assert "is unreadable" in err
    proc = verfs("fsck", cwd=two_patches, check=False)
    assert proc.returncode == 3
    assert f"unreadable pack {pack}: bad trailer (truncated?)" in proc.stdout.decode()
