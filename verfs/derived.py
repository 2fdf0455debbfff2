"""Derived indexes kept up to date as versions are made: each path's history
(verfs/filelog.py) and the trigram index of blobs (verfs/search/index.py).

Called once head moved after an import or a record; both indexes are also brought up
to date by whatever uses them, so a failure here (or a deleted ``cache/``) only costs
time later: it is logged, never raised.
"""

import logging

from .history import History

log = logging.getLogger("verfs.derived")


def after_new_versions(history: History, tip: str | None) -> None:
    """Bring the derived indexes up to ``tip``'s chain (what it adds to the last one)."""
    try:
        from .filelog import update as update_paths
        update_paths(history, tip)
        from .search.index import update as update_index
        update_index(history, tip)
    except Exception as exc:        # noqa: BLE001 - derived data: never fail the command
        log.warning("derived indexes not updated: %s", exc)
