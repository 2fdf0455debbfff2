import pytest

from tests.mount.histories import build_sample, copy_sample
from verfs.history import History
from verfs.mount.view import View


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    """Built once (recording fsyncs, which is slow); each test gets a copy."""
    return build_sample(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def sample(sample_template, tmp_path):
    return copy_sample(sample_template, tmp_path / "repo")


def fresh_view(sample, **kw) -> View:
    """A view as a new mount would have it: its own History, nothing in memory."""
    store = type(sample.repo.store)(sample.repo.store.root)
    return View(store, History(store), str(sample.root / ".verfs" / "head"), **kw)


@pytest.fixture
def view(sample):
    return fresh_view(sample)
