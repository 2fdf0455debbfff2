"""``head``, ``history/`` and ``tags/``: the few names of the mount that move.

They follow the repository as it records: ``.verfs/head`` is stat'ed on each look at
them (cheap), and the chain and the tags are walked again only when that file changed
(it is replaced by rename on every move of head, so its inode changes).
"""

import os
import re
import threading
from functools import cached_property

from ..history import History

_SLUG = re.compile(r"[^a-z0-9._]+")


def slug(name: str) -> str:
    """A patch name as a file name: lowercase, runs of other characters as ``-``."""
    text = _SLUG.sub("-", name.lower()).strip("-._")[:48].rstrip("-._")
    return text or "patch"


class Refs:
    """One state of head, with its history and tags computed on first use."""

    def __init__(self, history: History, head: str | None):
        self.history = history
        self.head = head

    @cached_property
    def history_links(self) -> dict[str, str]:
        """``NNNN-slug`` → version, along head's chain, oldest first."""
        vids = [(s.vid, s.patch.info.name) for s in self.history.chain(self.head)]
        vids.reverse()
        width = max(4, len(str(len(vids))))
        return {f"{i:0{width}d}-{slug(name)}": vid for i, (vid, name) in enumerate(vids, 1)}

    @cached_property
    def tags(self) -> dict[str, str]:
        """Tag name → version, by name."""
        return dict(sorted(self.history.tags(self.head).items()))


class RefsWatcher:
    """The current ``Refs`` of a repository; ``None`` for a bare store."""

    def __init__(self, history: History, head_file: str):
        self.history = history
        self.head_file = head_file
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._refs = Refs(history, None)

    def current(self) -> Refs:
        try:
            st = os.stat(self.head_file)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key != self._key:
                self._refs = Refs(self.history, self._read_head() if key else None)
                self._key = key
            return self._refs

    def _read_head(self) -> str | None:
        try:
            with open(self.head_file, encoding="ascii") as f:
                return f.read().strip() or None
        except (OSError, UnicodeDecodeError):
            return None
