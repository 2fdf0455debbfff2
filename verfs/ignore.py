"""What a snapshot of the working tree leaves out: ``.verfsignore`` files, and the
directories of version-control systems, which are never part of a tree.

``.verfsignore`` is gitignore's syntax and semantics, matched by ``pathspec``'s
``GitIgnoreSpec`` (not hand-written: its corner cases — ``**``, ``!``, anchoring by a
slash, ``dir/`` matching directories only — are gitignore's, as users know them).
Files may be nested, as ``.gitignore`` files are: each one's patterns are relative
to its own directory, a deeper file's say wins over a shallower one's, and within
one file the last matching pattern wins (so ``!`` re-includes).  As in git, nothing
inside an ignored directory is looked at (a ``!`` cannot bring back a file under
an ignored directory, and an ignored directory's own ``.verfsignore`` is not read).

Ignoring decides only what is *added*: a path the repository already has (in
head's tree) stays in the snapshot even when a pattern matches it, as git keeps
tracking a file that is added to ``.gitignore`` afterwards — otherwise writing a
pattern would make whatsnew show a recorded file as removed.  To stop tracking one,
delete it (or move it away) and record.

``.verfs``, ``.git`` and ``_darcs`` are left out at every depth whatever the ignore
files say: a repository's own data (ours at the top, a nested one's deeper), which
a tree holding it would plant in every checkout.
"""

import pathspec

from .errors import VerfsError

IGNORE_FILE = ".verfsignore"
ALWAYS = frozenset({".verfs", ".git", "_darcs"})


class BadIgnoreFile(VerfsError):
    """A ``.verfsignore`` holds a line that is not a gitignore pattern."""


class Rules:
    """The ignore files met on the way from the top down to one directory, shallowest
    first: ``(prefix, spec)`` pairs, ``prefix`` being the directory of the file
    (``""`` at the top, else ``"a/b/"``)."""

    __slots__ = ("layers",)

    def __init__(self, layers: tuple = ()):
        self.layers = layers

    def __bool__(self) -> bool:
        return bool(self.layers)

    def below(self, directory: str, text: bytes) -> "Rules":
        """These rules and those of ``text``, the ignore file of ``directory`` (a path
        from the top, ``""`` for the top itself)."""
        lines = text.decode("utf-8", "surrogateescape").splitlines()
        where = f"{directory}/{IGNORE_FILE}" if directory else IGNORE_FILE
        try:
            spec = pathspec.GitIgnoreSpec.from_lines(lines)
        except (ValueError, TypeError) as exc:
            raise BadIgnoreFile(f"{where}: not a gitignore pattern: {exc}") from None
        if not spec.patterns:
            return self
        return Rules((*self.layers, (f"{directory}/" if directory else "", spec)))

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether ``path`` (from the top; a directory when ``is_dir``) is ignored:
        the deepest ignore file with a pattern that matches decides."""
        for prefix, spec in reversed(self.layers):
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix):] + ("/" if is_dir else "")
            verdict = spec.check_file(rel).include
            if verdict is not None:
                return verdict
        return False
