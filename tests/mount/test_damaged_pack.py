"""A version in a pack that cannot be read is damage, never "no such version".

A look-up that misses while a pack is unreadable cannot tell whether the object is
there: the mount answers EIO (not ENOENT) and the command line exits 3 (not 1)."""

import errno
import os

import pytest
from click.testing import CliRunner

from store.errors import CannotTell, ObjectNotFound
from tests.mount.conftest import fresh_view
from verfs.cli.main import cli
from verfs.mount.nodes import NoSuchPath
from verfs.repo import Repository


def _truncate_the_pack(sample) -> str:
    """Pack everything, then cut the pack short; the head version's id."""
    repo = Repository(str(sample.root))
    head = repo.head()
    repo.store.repack()
    packs = os.path.join(repo.store.root, "packs")
    (name,) = [n for n in os.listdir(packs) if n.endswith(".pack")]
    path = os.path.join(packs, name)
    os.truncate(path, os.path.getsize(path) // 2)
    return head


def test_a_version_in_an_unreadable_pack_is_eio_in_the_view(sample):
    head = _truncate_the_pack(sample)
    view = fresh_view(sample)
    for text in (head, head[:8]):
        with pytest.raises(CannotTell) as caught:
            view.lookup(f"/versions/{text}")
        assert caught.value.fuse_errno == errno.EIO


def test_a_version_in_an_unreadable_pack_is_exit_3_at_the_command_line(sample,
                                                                      monkeypatch):
    head = _truncate_the_pack(sample)
    monkeypatch.chdir(sample.root)
    for text in (head, head[:8]):
        result = CliRunner().invoke(cli, ["show", text])
        assert result.exit_code == 3, result.output
        assert "unreadable" in result.stderr or "cannot tell" in result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_a_lost_version_the_reflog_names_is_eio_in_the_view(sample):
    """Every object packed, then the pack deleted: nothing is unreadable, but head's
    version, which the reflog names, is gone — damage, not "no such version"."""
    repo = Repository(str(sample.root))
    head = repo.head()
    repo.store.repack()
    packs = os.path.join(repo.store.root, "packs")
    for name in os.listdir(packs):
        os.unlink(os.path.join(packs, name))
    view = fresh_view(sample)
    with pytest.raises(ObjectNotFound) as caught:
        view.lookup(f"/versions/{head}")
    assert caught.value.fuse_errno == errno.EIO
    with pytest.raises(NoSuchPath):                 # a version nothing names: ENOENT
        view.lookup("/versions/" + "0" * 64)
