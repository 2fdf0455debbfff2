"""Through a real mount, a version whose stored tree holds ``.verfs`` (made before it
was refused) shows none, at any level; its other files read as usual."""

import os
import subprocess

import pytest

from tests.mount.histories import add_dotverfs_version

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


def test_no_verfs_through_the_mount(sample, mount):
    vid = add_dotverfs_version(sample.repo)
    m = mount("--repo", sample.root)
    top = m / "versions" / vid
    assert ".verfs" not in os.listdir(top) and "kept.txt" in os.listdir(top)
    assert ".verfs" not in os.listdir(m / "head")               # head is that version
    assert not (top / ".verfs").exists() and not (top / "src" / ".verfs" / "x").exists()
    found = subprocess.run(["find", top], capture_output=True, check=True).stdout
    assert b".verfs" not in found
    assert (top / "kept.txt").read_bytes() == b"kept\n"
