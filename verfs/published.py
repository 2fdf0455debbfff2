"""A history published on a remote store, read as a repository without a working
tree: what ``verfs log``, ``show`` and ``diff`` need of one (``--store URL``).

Head is the remote's, read once per command; versions are named as in a repository —
``head``, ``head~N``, a full id or a unique prefix of 4+ hex digits, a tag name — by
the very code of ``Repository.resolve``, which asks only ``head()``, ``store`` and
``history`` of its object.  A tag name is looked for first in the remote's tag table
(``tags``, beside ``head``: what ``verfs push`` sends, read once per command, and only
for a name that is not a hash prefix), then on head's chain, as a repository looks at
its tag references before its chain.  Nothing is written but the local cache of what
was fetched.
"""

from . import heads
from .errors import UsageError
from .history import History
from .repo import Repository
from .versionspec import HEAD_NAMES


class Published:
    """A remote store's history (``store.remote.store.RemoteStore``), read-only."""

    root = None         # no working tree: paths are from the top of the tree

    def __init__(self, store):
        self.store = store
        self.history = History(store)
        self._head: tuple[str | None] | None = None
        self._refs: dict[str, str] | None = None

    def head(self) -> str | None:
        """The remote's head (None: nothing pushed yet), asked once."""
        if self._head is None:
            self._head = (self.store.read_head()[0],)
        return self._head[0]

    def tag_refs(self) -> dict[str, str]:
        """The remote's tag table (name → version), asked once."""
        if self._refs is None:
            self._refs = self.store.read_tags()[0]
        return self._refs

    def _resolve_base(self, spec: str, tags: bool = True) -> str | None:
        if tags and spec not in HEAD_NAMES and _may_be_tag(spec):
            vid = self.tag_refs().get(spec)
            if vid is not None:
                return vid
        return Repository._resolve_base(self, spec, tags)

    resolve = Repository.resolve
    resolve_some = Repository.resolve_some


def _may_be_tag(spec: str) -> bool:
    """Whether ``spec`` could be a tag's name (``heads.check_name``): a hash prefix
    never is, so naming a version by its hash asks nothing of the tag table."""
    try:
        heads.check_name(spec, "tag")
    except UsageError:
        return False
    return True


def open_published(url: str, cache_dir: str | None = None) -> Published:
    from store.remote.store import open_remote
    return Published(open_remote(url, cache_dir=cache_dir))
