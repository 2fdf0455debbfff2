"""A history published on a remote store, read as a repository without a working
tree: what ``verfs log``, ``show`` and ``diff`` need of one (``--store URL``).

Head is the remote's, read once per command; versions are named as in a repository —
``head``, ``head~N``, a full id or a unique prefix of 4+ hex digits, a tag name — by
the very code of ``Repository.resolve``, which asks only ``head()``, ``store`` and
``history`` of its object.  Nothing is written but the local cache of what was fetched.
"""

from .history import History
from .repo import Repository


class Published:
    """A remote store's history (``store.remote.store.RemoteStore``), read-only."""

    root = None         # no working tree: paths are from the top of the tree

    def __init__(self, store):
        self.store = store
        self.history = History(store)
        self._head: tuple[str | None] | None = None

    def head(self) -> str | None:
        """The remote's head (None: nothing pushed yet), asked once."""
        if self._head is None:
            self._head = (self.store.read_head()[0],)
        return self._head[0]

    resolve = Repository.resolve
    resolve_some = Repository.resolve_some
    _resolve_base = Repository._resolve_base


def open_published(url: str, cache_dir: str | None = None) -> Published:
    from store.remote.store import open_remote
    return Published(open_remote(url, cache_dir=cache_dir))
