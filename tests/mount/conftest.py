import pytest

from verfs.history import History
from verfs.mount.view import View


def fresh_view(sample, **kw) -> View:
    """A view as a new mount would have it: its own History, nothing in memory."""
    store = type(sample.repo.store)(sample.repo.store.root)
    return View(store, History(store), str(sample.root / ".verfs" / "head"), **kw)


@pytest.fixture
def view(sample):
    return fresh_view(sample)
