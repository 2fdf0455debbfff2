"""One protocol for every typed error: its class carries the exit code (and the errno
of a read through the mount); errors swallowed on purpose are logged and counted."""

import errno
import logging

import pytest

from store import Inventory, Version, hash_bytes
from store.errors import CorruptObject, Error, ObjectNotFound, StoreError
from verfs import errors, ops
from verfs.mount import nodes
from verfs.patch.named import Patch, PatchInfo
from verfs.patch.prims import AddFile
from verfs.patch.text import write_patch
from verfs.repo import Repository


def test_every_typed_error_has_one_root_and_an_exit_code():
    assert issubclass(StoreError, Error) and issubclass(errors.VerfsError, Error)
    assert CorruptObject("patch", "ab", None, "x").exit_code == 3
    assert ObjectNotFound("patch", "ab").exit_code == 3
    assert errors.DamagedRepository("x").exit_code == 3
    assert errors.UsageError("x").exit_code == 2
    assert errors.UnknownVersion("x").exit_code == 1
    assert nodes.NoSuchPath("x").fuse_errno == errno.ENOENT
    assert CorruptObject("patch", "ab", None, "x").fuse_errno == errno.EIO


def test_a_newline_in_a_patch_name_is_a_usage_error_and_still_a_value_error():
    with pytest.raises(errors.BadText) as caught:
        PatchInfo("two\nlines", "A", "20260101000000")
    assert isinstance(caught.value, ValueError) and caught.value.exit_code == 2


def test_a_corrupt_inventory_exits_3(tmp_path, verfs):
    """An inventory whose recorded tree its patches do not give: corrupt, at the CLI
    exit 3 (it was a plain StoreError, exit 1)."""
    repo = Repository.init(tmp_path / "r")
    (tmp_path / "r" / "a").write_text("a\n")
    first = ops.record(repo, "a", "T <t@example.com>", "20260101000000")
    step = repo.history.step(first)
    wrong = repo.store.put_inventory(Inventory(hash_bytes(b"no such tree"),
                                               ((step.patch.identity, step.version.patch),)))
    rep = repo.store.put("patch", write_patch(Patch(PatchInfo("b", "T", "20260101000000"),
                                                    (AddFile("b"),))))
    second = repo.store.put_version(Version(rep, first, wrong))
    repo.set_head(second, "test: a wrong inventory")
    proc = verfs("show", "head:", cwd=tmp_path / "r", check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert err.count("\n") == 1 and f"corrupt inventory {wrong}" in err


def test_a_failed_automatic_pack_is_logged_and_counted(tmp_path, monkeypatch, caplog):
    repo = Repository.init(tmp_path / "r")

    def fail():
        raise StoreError("disk on fire")

    monkeypatch.setattr(repo.store, "pack_if_needed", fail)
    with caplog.at_level(logging.WARNING, logger="verfs.repo"):
        repo.set_head(None, "test")
    assert repo.swallowed == 1
    assert any("disk on fire" in r.getMessage() for r in caplog.records)
    assert repo.reflog()[0].operation == "test"     # the move itself is done


def test_the_command_line_says_a_swallowed_error_as_a_warning(tmp_path, monkeypatch):
    """The command succeeds (its work is durable) and says what it swallowed."""
    from click.testing import CliRunner

    from store import DiskStore
    from verfs.cli.main import cli
    Repository.init(tmp_path / "r")
    (tmp_path / "r" / "a").write_text("a\n")

    def fail(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(DiskStore, "pack_if_needed", fail)
    monkeypatch.chdir(tmp_path / "r")
    result = CliRunner().invoke(cli, ["record", "-m", "a", "-A", "T <t@example.com>"])
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert warnings and all(w.startswith("verfs: warning: packing loose objects failed")
                            for w in warnings), warnings
    assert "No space left" in warnings[0]
