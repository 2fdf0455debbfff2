"""``files/``: every path that ever existed along head's chain, and each file's versions.

```
/files/DIR/            what was ever directly under DIR (at any version of the chain)
/files/DIR/NAME/       for a path that was ever a file or a link: its versions, each
    NNNN-<hash>        the version (NNNN its position on head's chain, as history/
                       numbers it; <hash> its first 8 hex digits, as verfs grep names
                       versions) where the content at that path became what this entry
                       holds: a file with that content and exec bit, or a symbolic link
```

So ``ls files/src/core.py`` lists the versions where that file changed, oldest first
(its content or its exec bit: a change git's ``log -- PATH`` lists too; a version
where it went away has no content and no entry — ``verfs log PATH`` shows those), and
``diff files/src/core.py/0003-* files/src/core.py/0007-*`` compares two of them.

A path that was a file (or link) in some versions and a directory in others is one
directory here holding both: its version entries (of the versions where it became a
file, or a file with another content) and the names ever under it.  A name under it
that is spelled exactly like one of its version entries (``0007-1a2b3c4d``) would
clash: the version entry wins, and that name is shown in ``versions/`` only.

A repository's own data (``.verfs``) is no path of any tree here, as in ``versions/``.

All of it comes from the path log of head's chain (``verfs.filelog``), taken once per
state of head (``Refs.files``): the pure ``FileTree`` below answers which names a
directory of ``files/`` has, and the view (view.py) makes their nodes — a version entry
is the very node ``versions/<hash>/PATH`` is, so same inode, mtime and size.
"""

import bisect

from store import FILE, LINK

from ..filelog import Change, PathLog
from ..repo import DOTDIR
from .nodes import NoSuchPath, NotADirectory

HASH_DIGITS = 8


class FileTree:
    """The names of ``files/`` for one path log: which paths are directories there,
    and the version entries of each."""

    def __init__(self, log: PathLog):
        self.log = log
        self.width = max(4, len(str(len(log.versions))))
        self._contents: dict[str, list[Change]] = {}    # path → its file/link changes
        self.dir_nodes: dict = {}       # path → its directory's node (the view's, made once)

    def entry_name(self, index: int) -> str:
        """The name of the version entry of chain index ``index`` (0-based)."""
        return f"{index + 1:0{self.width}d}-{self.log.versions[index][:HASH_DIGITS]}"

    def is_dir(self, path: str) -> bool:
        """Whether ``files/<path>`` exists ("" is ``files/`` itself)."""
        if not path:
            return True
        return bool(self.log.changes(path)) and DOTDIR not in path.split("/")

    def contents(self, path: str) -> list[Change]:
        """``path``'s changes that gave it a content (a file or a link), oldest first:
        the version entries of ``files/<path>``."""
        found = self._contents.get(path)
        if found is None:
            found = [c for c in self.log.changes(path) if c.kind in (FILE, LINK)]
            self._contents[path] = found
        return found

    def entry(self, path: str, name: str) -> Change | None:
        """The change that version entry ``name`` of ``files/<path>`` shows, or None
        when ``name`` is no version entry there."""
        number, dash, _ = name.partition("-")
        if not dash or len(number) != self.width or not number.isdigit():
            return None
        index = int(number) - 1
        if not 0 <= index < len(self.log.versions) or self.entry_name(index) != name:
            return None
        found = self.contents(path)
        at = bisect.bisect_left(found, index, key=lambda c: c.index)
        return found[at] if at < len(found) and found[at].index == index else None

    def names(self, path: str) -> list[str]:
        """The names ever directly under ``path``, without ``.verfs`` and without
        those spelled like a version entry of ``path`` (see the module's docstring)."""
        kids = [n for n in self.log.children(path) if n != DOTDIR]
        if not self.contents(path):
            return kids
        return [n for n in kids if self.entry(path, n) is None]

    def listing(self, path: str) -> list[tuple[str, Change | None]]:
        """``files/<path>``'s entries: its versions (oldest first, with their change),
        then the names under it (None: each is a directory of ``files/``)."""
        out: list[tuple[str, Change | None]] = [
            (self.entry_name(c.index), c) for c in self.contents(path)]
        out.extend((n, None) for n in self.names(path))
        return out

    def last_index(self, path: str) -> int | None:
        """The chain index of the newest change of ``path`` itself (appeared, changed,
        went away); None for ``files/`` itself."""
        ch = self.log.changes(path)
        return ch[-1].index if ch else None

    def resolve(self, names: list[str]) -> tuple[str, Change | None]:
        """What ``files/<names...>`` is: (path, None) for a directory of ``files/``,
        (path, change) for a version entry of ``path``; NoSuchPath, NotADirectory."""
        path = ""
        for i, name in enumerate(names):
            change = self.entry(path, name) if path else None
            if change is not None:
                if i != len(names) - 1:
                    raise NotADirectory("/".join(names[:i + 1]))
                return path, change
            child = f"{path}/{name}" if path else name
            if not self.is_dir(child):
                raise NoSuchPath("/".join(names[:i + 1]))
            path = child
        return path, None
