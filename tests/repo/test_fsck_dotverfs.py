"""A history made before ``.verfs`` was refused may hold paths inside one: fsck says
so (a note with a count, naming patch, version and path) without calling it damage."""

import pytest

from tests.mount.histories import add_dotverfs_version, build_sample


@pytest.fixture
def dotted(tmp_path):
    sample = build_sample(tmp_path / "repo")
    return sample, add_dotverfs_version(sample.repo)


def test_fsck_notes_paths_inside_verfs(verfs, dotted):
    sample, vid = dotted
    proc = verfs("fsck", cwd=sample.root, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr          # a hazard, no damage
    notes = [line for line in proc.stdout.decode().splitlines() if ".verfs" in line]
    assert notes[0] == ("note: 1 patch(es) touch paths inside a .verfs directory, which "
                        "checkout and the mount leave out")
    patch = sample.repo.history.version(vid).patch
    assert notes[1] == f"note: patch {patch} (version {vid}) touches '.verfs'"
    assert len(notes) == 2


def test_fsck_of_a_clean_history_says_nothing_of_verfs(verfs, tmp_path):
    sample = build_sample(tmp_path / "repo")
    proc = verfs("fsck", cwd=sample.root)
    assert b".verfs" not in proc.stdout
