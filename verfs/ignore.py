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

**darcs's boring files.**  A darcs user's list of what is never added — extended
regular expressions (regex(7)), one a line, ``#`` lines and blank ones skipped, each
searched for anywhere in the path from the top (``src/a.o``: no ``./``, a directory
without its ``/``), as darcs matches them — is read from ``.verfs/boring`` (which
``verfs import darcs`` writes: the source's ``_darcs/prefs/boring`` and the user's
``~/.darcs/boring``, as darcs reads both) and from ``_darcs/prefs/boring`` at the
top of the working tree (verfs used in a darcs working copy).  They weigh least, as
git's ``info/exclude`` does: a ``.verfsignore`` pattern that matches decides, ``!``
included; only where none does, a boring expression ignores.  The expressions are
read by verfs's own reader of POSIX syntax (``verfs.search.posix``, glibc's rules,
as darcs's regex-posix uses them), never as Python's dialect.
"""

import pathspec

from .errors import VerfsError

IGNORE_FILE = ".verfsignore"
ALWAYS = frozenset({".verfs", ".git", "_darcs"})
BORING_FILES = (".verfs/boring", "_darcs/prefs/boring")     # from the top


class BadIgnoreFile(VerfsError):
    """A ``.verfsignore`` holds a line that is not a gitignore pattern."""


def boring(files: list[tuple[str, bytes]]):
    """One compiled regex (bytes) searching for any expression of the boring
    ``files`` — (where, text) pairs — or None when they hold none; a line that is no
    extended regular expression is a ``BadIgnoreFile`` naming its file and line."""
    from .search.posix import EXTENDED, PatternError, translate
    sources = []
    for where, text in files:
        for n, line in enumerate(text.split(b"\n"), 1):
            line = line.rstrip(b"\r")
            if not line or line.startswith(b"#"):
                continue
            try:
                sources.append(translate(line, EXTENDED)[0])
            except (PatternError, RecursionError) as exc:
                raise BadIgnoreFile(f"{where}: line {n} is not an extended regular "
                                    f"expression: {exc}") from None
    if not sources:
        return None
    import re
    try:
        return re.compile("|".join(f"(?:{s})" for s in sources).encode("latin-1"))
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadIgnoreFile(f"{files[0][0]}: the expressions do not compile: {exc}") from None


class Rules:
    """The ignore files met on the way from the top down to one directory, shallowest
    first: ``(prefix, spec)`` pairs, ``prefix`` being the directory of the file
    (``""`` at the top, else ``"a/b/"``); and the boring expressions (``boring``'s
    regex, or None), which decide where no ignore file does."""

    __slots__ = ("layers", "boring")

    def __init__(self, layers: tuple = (), boring=None):
        self.layers = layers
        self.boring = boring

    def __bool__(self) -> bool:
        return bool(self.layers) or self.boring is not None

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
        return Rules((*self.layers, (f"{directory}/" if directory else "", spec)),
                     self.boring)

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
        if self.boring is not None:
            return self.boring.search(path.encode("utf-8", "surrogateescape")) is not None
        return False
