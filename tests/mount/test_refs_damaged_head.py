"""A damaged head is no empty repository to the mount: head, history/ and tags/ keep
the last good head the mount read, the damage is logged once per state of the file and
counted, the file's contents are never quoted, and versions/ stays whole."""

import logging
import os

import pytest

from tests.mount.conftest import fresh_view
from verfs.mount.view import VERSION_XATTR

SECRET = "SECRET-CONTENTS-NOT-TO-QUOTE"


def _damage(head, how: str, tmp_path) -> None:
    good = head.read_bytes()
    if how == "truncated":
        head.write_bytes(good[:20])
    elif how == "empty":
        head.write_bytes(b"")
    elif how == "non-ascii":
        head.write_bytes(SECRET.encode() + b"\xe9\xff\n")
    elif how == "too long":
        head.write_bytes(good + SECRET.encode() * 4)
    elif how == "symlink":
        outside = tmp_path / "outside"
        outside.write_text(SECRET + "\n")
        head.unlink()
        head.symlink_to(outside)
    elif how == "missing":
        head.unlink()
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated", "empty", "non-ascii", "too long",
                                 "symlink", "missing"])
def test_a_damaged_head_keeps_the_last_good_one(sample, tmp_path, how, caplog):
    view = fresh_view(sample)
    head = sample.root / ".verfs" / "head"
    before = (view.readdir("/"), view.readdir("/history"), view.readdir("/tags"),
              view.getxattr("/head", VERSION_XATTR))
    good = head.read_bytes()
    _damage(head, how, tmp_path)
    with caplog.at_level(logging.WARNING, "verfs.mount"):
        for _ in range(3):                  # looked at again and again: said once
            assert (view.readdir("/"), view.readdir("/history"), view.readdir("/tags"),
                    view.getxattr("/head", VERSION_XATTR)) == before
    said = [r.getMessage() for r in caplog.records if r.name == "verfs.mount"]
    assert len(said) == 1 and view.refs.damaged == 1
    assert "damaged" in said[0] and SECRET not in said[0]
    assert sample.chain[-1] in said[0]      # what the mount keeps showing
    vid = sample.chain[0]
    assert view.lookup(f"/versions/{vid}").is_dir and view.readdir(f"/versions/{vid}")
    if head.is_symlink() or not head.exists():
        head.unlink(missing_ok=True)
    head.write_bytes(good)                  # repaired: followed again, nothing said
    os.utime(head, ns=(1, 1))
    with caplog.at_level(logging.WARNING, "verfs.mount"):
        assert view.getxattr("/head", VERSION_XATTR) == sample.chain[-1].encode()
    assert view.refs.damaged == 1


def test_damaged_from_the_start_shows_no_head_but_every_version(sample, caplog):
    head = sample.root / ".verfs" / "head"
    head.write_bytes(b"\xff" * 10)
    view = fresh_view(sample)
    with caplog.at_level(logging.WARNING, "verfs.mount"):
        assert "head" not in [n for n, _, _ in view.readdir("/")]
        assert view.readdir("/history") == [] and view.readdir("/tags") == []
    assert view.refs.damaged == 1
    assert {n for n, _, _ in view.readdir("/versions")} >= set(sample.chain)
