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
as darcs's regex-posix uses them), never as Python's dialect.  The two shapes most
of darcs's lines have — a plain ending (``\\.o$``) and a component name
(``(^|/)CVS($|/)``) — are decided without a regex (``_plain``; property-tested to
decide as the expression does): 12 µs a path becomes ~3.5 µs with darcs's default
file.
"""

import functools

import pathspec

from .errors import VerfsError

IGNORE_FILE = ".verfsignore"
ALWAYS = frozenset({".verfs", ".git", "_darcs"})
BORING_FILES = (".verfs/boring", "_darcs/prefs/boring")     # from the top


class BadIgnoreFile(VerfsError):
    """A ``.verfsignore`` holds a line that is not a gitignore pattern."""


_LIT = rb"(?:[^.\[\]\\()*+?{}|^$/]|\\[.\[\]\\()*+?{}|^$])"    # a literal of ERE, no /


@functools.cache
def _shapes():
    """The two shapes ``_plain`` knows, and an unescaper (compiled once, when first
    asked: a command that reads no boring file never compiles them)."""
    import re
    return (re.compile(rb"(%s*)(?:\((%s+(?:\|%s+)*)\))?(%s*)\$" % ((_LIT,) * 4)),
            re.compile(rb"\(\^\|/\)(%s+)\(\$\|/\)" % _LIT),
            functools.partial(re.compile(rb"\\(.)").sub, rb"\1"))


def _plain(line: bytes) -> tuple[list[bytes], bytes | None] | None:
    """What an expression of two common shapes stands for, or None for any other:
    ``\\.o$``, ``~$``, ``\\.(obj|a|so)$`` match exactly the paths ending in one of
    their literal endings (returned first); ``(^|/)CVS($|/)`` exactly the paths with
    that name as one of their components (returned second).  Most of darcs's boring
    lines are of these shapes, and ``bytes.endswith`` or a set look-up is far cheaper
    than one more alternative of a regex tried at every position of every path."""
    ending, component, unescape = _shapes()
    m = component.fullmatch(line)
    if m is not None:
        return [], unescape(m.group(1))
    m = ending.fullmatch(line)
    if m is None:
        return None
    alts = m.group(2).split(b"|") if m.group(2) is not None else [b""]
    ends = [unescape(m.group(1) + alt + m.group(3)) for alt in alts]
    return (ends, None) if all(ends) else None


class Boring:
    """darcs's boring expressions, compiled: the plain endings and component names
    (``_plain``) as a tuple for ``bytes.endswith`` and a set, every other expression
    in one regex."""

    __slots__ = ("ends", "names", "regex")

    def __init__(self, ends: tuple[bytes, ...], names: frozenset[bytes], regex):
        self.ends, self.names, self.regex = ends, names, regex

    def matches(self, path: bytes) -> bool:
        """Whether an expression is found in ``path`` (from the top, no ``./``)."""
        return (path.endswith(self.ends)
                or (bool(self.names) and not self.names.isdisjoint(path.split(b"/")))
                or (self.regex is not None and self.regex.search(path) is not None))


def boring(files: list[tuple[str, bytes]]) -> Boring | None:
    """The boring expressions of ``files`` — (where, text) pairs — or None when they
    hold none; a line that is no extended regular expression is a ``BadIgnoreFile``
    naming its file and line."""
    from .search.posix import EXTENDED, PatternError, translate
    sources: list[str] = []
    ends: list[bytes] = []
    names: set[bytes] = set()
    for where, text in files:
        for n, line in enumerate(text.split(b"\n"), 1):
            line = line.rstrip(b"\r")
            if not line or line.startswith(b"#"):
                continue
            try:
                source = translate(line, EXTENDED)[0]
            except (PatternError, RecursionError) as exc:
                raise BadIgnoreFile(f"{where}: line {n} is not an extended regular "
                                    f"expression: {exc}") from None
            plain = _plain(line)
            if plain is None:
                sources.append(source)
            else:
                ends += plain[0]
                names.update([plain[1]] if plain[1] is not None else [])
    if not sources and not ends and not names:
        return None
    import re
    try:
        regex = re.compile("|".join(f"(?:{s})" for s in sources).encode("latin-1")) \
            if sources else None
    except (re.error, OverflowError, RecursionError) as exc:
        raise BadIgnoreFile(f"{files[0][0]}: the expressions do not compile: {exc}") from None
    return Boring(tuple(ends), frozenset(names), regex)


class Rules:
    """The ignore files met on the way from the top down to one directory, shallowest
    first: ``(prefix, spec)`` pairs, ``prefix`` being the directory of the file
    (``""`` at the top, else ``"a/b/"``); and the boring expressions (a ``Boring``,
    or None), which decide where no ignore file does."""

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
            return self.boring.matches(path.encode("utf-8", "surrogateescape"))
        return False
