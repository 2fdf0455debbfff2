"""Random histories, driven through the command line (in process, for speed): every
version's reconstructed tree equals the working tree that was recorded — across
tags (the inventory chain), unrecord, commute, obliterate, clone and restore — and
it still does when reconstructed from scratch, with the derived cache deleted."""

import random
import shutil

import pytest
from click.testing import CliRunner

from tests.repo.workgen import WorkGen
from tests.treestate import disk_state, tree_state
from verfs.cli.main import cli
from verfs.history import History
from verfs.repo import Repository


class Driver:
    def __init__(self, top):
        self.top = str(top)
        self.runner = CliRunner()

    def __call__(self, *args, ok=(0,)):
        r = self.runner.invoke(cli, [*args, "--repo", self.top] if args[0] not in (
            "init", "clone") else list(args), catch_exceptions=False,
            env={"VERFS_AUTHOR": "Random <r@example.com>"})
        assert r.exit_code in ok, (args, r.output)
        return r


def _expected_matches_store(repo: Repository, expected: dict) -> None:
    """Rebuild every version from nothing but the version chain and inventories."""
    shutil.rmtree(repo.store.root + "/cache", ignore_errors=True)
    fresh = History(type(repo.store)(repo.store.root))
    for vid, state in expected.items():
        assert tree_state(fresh.store, fresh.root_tree(vid)) == state, vid
    assert fresh.replayed > 0


@pytest.mark.parametrize("seed", range(12))
def test_every_version_reconstructs_to_what_was_recorded(tmp_path, seed):
    rng = random.Random(seed)
    top = tmp_path / "repo"
    run = Driver(top)
    run("init", str(top))
    gen = WorkGen(top, seed)
    expected: dict[str, dict] = {}
    head = None
    ntags = 0
    for step in range(18):
        for _ in range(rng.randint(1, 4)):
            gen.change()
        r = run("record", "-m", f"step {step}", ok=(0, 1))
        if r.exit_code == 1:
            assert "no changes" in r.output
            continue
        head = r.output.strip()
        expected[head] = disk_state(top)
        roll = rng.random()
        if roll < 0.12:
            ntags += 1
            head = run("tag", f"t{ntags}").output.strip()
            expected[head] = disk_state(top)
        elif roll < 0.3:
            r = run("commute", ok=(0, 1, 2))
            if r.exit_code == 0:
                new = r.output.strip()
                expected[new] = expected[head]
                back = run("commute").output.strip()
                assert back == head, "commuting back must give the very same version"
        elif roll < 0.38:
            run("unrecord")
            head = Repository(top).head()
            # the working tree keeps the change; the next record records it again
        elif roll < 0.45:
            run("obliterate")
            head = Repository(top).head()
            if head is not None:
                assert disk_state(top) == expected[head]
    repo = Repository(top)
    assert repo.head() == head
    _expected_matches_store(repo, expected)

    if expected:
        some = rng.choice(sorted(expected))
        clone_dir = tmp_path / "clone"
        run("clone", "--version", some, str(top), str(clone_dir))
        assert disk_state(clone_dir) == expected[some]
        assert Repository(clone_dir).head() == some

        other = rng.choice(sorted(expected))
        run("restore", other, "--yes-i-know", "--force")
        assert disk_state(top) == expected[other]
        assert Repository(top).head() == other
        listed = {e.vid for e in repo.reflog()}
        assert head in listed or head is None
