"""Remote stores for the mount's tests: a repository's history published at a URL as
``verfs push`` leaves it (one history pack, then head), written with the remote
store's own ``upload_pack`` and ``write_head``."""

from store import KINDS
from store.remote.layout import HISTORY
from store.remote.store import open_remote


def publish(repo, url: str, cache_dir, skip: frozenset = frozenset(), transport=None) -> str:
    """Upload every object of ``repo``'s store but those in ``skip`` ((kind, id)
    pairs) to ``url``, then move the remote's head to ``repo``'s; that head."""
    remote = open_remote(url, cache_dir=str(cache_dir), create=True, transport=transport)
    try:
        items = [(kind, oid, repo.store.get(kind, oid)) for kind in KINDS
                 for oid in sorted(repo.store.iter_ids(kind)) if (kind, oid) not in skip]
        remote.upload_pack(items, HISTORY)
        _, etag = remote.read_head()
        head = repo.head()
        remote.write_head(head, etag)
        return head
    finally:
        remote.close()
