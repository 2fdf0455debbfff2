"""``fsck --verify-data`` owns its scratch store as a batch owns its staging
directory (flock on it): one a killed run left is removed by gc or the next run, one
a live run works in never is."""

import os

from store.staging import PREFIX
from tests.mount.histories import build_sample
from tests.pausing import Paused


def _scratch(root) -> list[str]:
    where = root / ".verfs" / "store" / "cache" / "v2"
    found = []
    for d, dirs, _ in os.walk(where):
        found += [os.path.relpath(os.path.join(d, n), where) for n in dirs
                  if n.startswith((PREFIX + "verify-", ".verify-"))]
    return sorted(found)


def test_a_killed_verify_leaves_what_gc_removes(verfs, tmp_path):
    sample = build_sample(tmp_path / "repo")
    Paused(tmp_path, "verify", "fsck", "--verify-data", "--repo", sample.root).kill()
    left = _scratch(sample.root)
    assert len(left) == 1 and left[0].startswith("objects/.staging-verify-")
    live = Paused(tmp_path, "verify", "fsck", "--verify-data", "--repo", sample.root)
    assert len(_scratch(sample.root)) == 2
    verfs("gc", "--repo", sample.root)
    assert _scratch(sample.root) == [p for p in _scratch(sample.root) if p not in left]
    assert len(_scratch(sample.root)) == 1          # the live one's: left alone
    done = live.resume()
    assert done.returncode == 0, done.stderr
    assert _scratch(sample.root) == []


def test_the_next_verify_removes_old_unowned_scratch(verfs, tmp_path):
    """The scratch of earlier versions of verfs (cache/v2/.verify-*, no owner)."""
    sample = build_sample(tmp_path / "repo")
    old = sample.root / ".verfs" / "store" / "cache" / "v2" / ".verify-abc123"
    (old / "objects").mkdir(parents=True)
    (old / "objects" / "x").write_bytes(b"x" * 1000)
    verfs("fsck", "--verify-data", "--repo", sample.root)
    assert _scratch(sample.root) == []
