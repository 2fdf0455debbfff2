"""Importing records the stamps of every version as it goes (add_version's Merkle diff
of each commit's root against its parent's), so a mount of an imported history never
replays a chain to find them — and they are what a replay finds."""

from pathlib import Path

import pytest

from tests.compat.gitrepo import EPOCH, GitRepo
from tests.compat.test_git_import import build_rich
from tests.conftest import need
from tests.repo.test_stamps import every_stamp, fresh_history
from verfs.history import History
from verfs.importers.common import run_import
from verfs.importers.git import GitSource
from verfs.repo import Repository

NS = 1_000_000_000


def imported(g: GitRepo, target: Path) -> tuple[Repository, list[str]]:
    run_import(GitSource(str(g.top)), str(target))
    repo = Repository(str(target))
    return repo, [s.vid for s in repo.history.chain(repo.head())][::-1]


@pytest.fixture
def git_repo(tmp_path) -> GitRepo:
    need("git")
    return GitRepo(tmp_path / "src")


def test_an_import_stamps_every_version_and_a_replay_agrees(git_repo, tmp_path):
    build_rich(git_repo)
    repo, vids = imported(git_repo, tmp_path / "dst")
    history = History(type(repo.store)(repo.store.root))
    got = every_stamp(history, vids)
    assert (history.restamped, history.replayed) == (0, 0)
    assert every_stamp(fresh_history(repo), vids) == got


def test_an_imported_file_is_dated_by_the_commit_that_gave_it_its_content(git_repo, tmp_path):
    g = git_repo
    g.write("lib/a.txt", "one\n")
    g.write("lib/b.txt", "b\n")
    g.commit("one")                                 # EPOCH + 1
    g.write("lib/a.txt", "two\n")
    g.commit("two")                                 # EPOCH + 2
    g.git("mv", "lib", "moved")
    g.commit("move the directory")                  # EPOCH + 3
    g.write("moved/a.txt", "one\n")
    g.write("other.txt", "other\n")
    g.commit("back to one")                         # EPOCH + 4
    repo, vids = imported(g, tmp_path / "dst")
    got = every_stamp(History(type(repo.store)(repo.store.root)), vids)
    at = [{p: s // NS - EPOCH for p, s in got[v].items()} for v in vids]
    assert at[1] == {"": 2, "lib": 2, "lib/a.txt": 2, "lib/b.txt": 1}
    assert at[2] == {"": 3, "moved": 2, "moved/a.txt": 2, "moved/b.txt": 1}
    assert at[3] == {"": 4, "moved": 1, "moved/a.txt": 1, "moved/b.txt": 1,
                     "other.txt": 4}
