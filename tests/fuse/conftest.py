"""Real mounts: ``verfs mount`` as a user runs it, and a teardown that always
unmounts — ``verfs umount``, then ``fusermount -u -z``, then killing the daemon — so a
failing or hung test never leaves a mount behind."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need, run_verfs
from tests.fuse.mounting import force_unmount, is_mounted


@dataclass
class Mount:
    path: Path
    pid: int
    log: Path

    def __truediv__(self, other) -> Path:
        return self.path / other


@pytest.fixture
def mount(tmp_path):
    """``mount(*args)`` mounts (``--repo DIR`` or ``--store DIR``...) at a fresh mount
    point and returns a Mount; every one is unmounted in teardown."""
    need(fuse=True)
    made = []

    def do(*args, at: Path | None = None, env=None) -> Mount:
        mp = at or tmp_path / f"mnt{len(made)}"
        mp.mkdir(exist_ok=True)
        made.append([mp, None])
        proc = run_verfs("mount", *args, mp, env=env, timeout=60)
        m = re.search(rb"daemon pid (\d+), log (.*?)\); unmount", proc.stdout)
        assert m, proc.stdout
        made[-1][1] = int(m.group(1))
        assert is_mounted(mp)
        return Mount(mp, int(m.group(1)), Path(m.group(2).decode()))

    yield do
    for mp, pid in made:
        force_unmount(mp, pid)


@pytest.fixture
def mounted(sample, mount):
    """The sample repository, mounted."""
    return mount("--repo", sample.root)
