"""A real mount whose repository's head gets damaged under it: head, history/ and tags/
stay as the daemon last read them (never an empty repository), the log says so once
without quoting the file, versions/ keeps working, and a repaired head is followed."""

import os

import pytest

from tests.conftest import run_verfs
from tests.fuse.mounting import version_at, wait_for
from tests.mount.histories import put

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]

SECRET = "SECRET-CONTENTS-NOT-TO-QUOTE"


def _shown(m):
    return (sorted(os.listdir(m.path)), version_at(m / "head"),
            sorted(os.listdir(m / "history")), sorted(os.listdir(m / "tags")))


@pytest.mark.parametrize("how", ["truncated", "symlink"])
def test_a_damaged_head_under_a_mount(sample, mounted, tmp_path, how):
    head = sample.root / ".verfs" / "head"
    before = _shown(mounted)
    assert before[1] == sample.chain[-1] and before[2] and before[3]
    if how == "truncated":
        head.write_bytes(head.read_bytes()[:30])
    else:
        outside = tmp_path / "outside"
        outside.write_text(SECRET + "\n")
        head.unlink()
        head.symlink_to(outside)
    for _ in range(3):
        assert _shown(mounted) == before
    vid = sample.named["start"]
    assert (mounted / "versions" / vid / "README").read_bytes() == b"A sample project.\n"
    log = mounted.log.read_text()
    said = [line for line in log.splitlines() if "head is damaged" in line]
    assert len(said) == 1 and SECRET not in log
    assert f"keeps showing {sample.chain[-1]}" in said[0]

    run_verfs("head", "--repair", "--repo", sample.root)    # the reflog's last entry
    put(sample.root, "after.txt", b"after\n")
    new = run_verfs("record", "-m", "after repair", "--repo", sample.root)
    new = new.stdout.decode().strip()
    assert wait_for(lambda: version_at(mounted / "head") == new)
    assert wait_for(lambda: len(os.listdir(mounted / "history")) == len(before[2]) + 1)
