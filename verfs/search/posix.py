"""git grep's pattern dialects, read into a Python bytes regex and a ``Query``.

git grep hands a basic (default) or extended (``-E``) pattern to the C library's
``regcomp`` — on Linux glibc's, with ``REG_NEWLINE``, in whatever locale; verfs reads
them as glibc does in the C locale (a character is a byte) and writes the Python
regex that matches the same lines.  Python's ``re`` cannot take POSIX syntax as it
is: ``\\(`` groups in a basic pattern, ``{`` is a literal there, a leading ``*`` is a
literal, ``[]a]`` holds a ``]``, ``\\n`` is an ``n`` — so this is a parser of its own
(glibc's rules, posix/regcomp.c, including the GNU extensions git grep users get:
``\\w \\W \\s \\S \\b \\B \\< \\>`` and, in a basic pattern, ``\\+ \\? \\|``).

Two promises the rest of verfs leans on:

* the regex never matches a newline (``.``, ``[^a]``, ``\\s`` and ``\\W`` exclude it),
  so a search of a whole blob with ``re.MULTILINE`` finds exactly the lines a search
  line by line would (``grep.py`` relies on it; ``-P`` patterns, written in Python's
  own dialect, make no such promise and are searched line by line);
* the ``Query`` (the literals every match contains, for the trigram index) is never
  stricter than the pattern: a text with a matching line satisfies it.  Where the
  analysis is unsure it says ``ALL``; it is a filter, the regex decides.

A pattern holding newlines is several patterns, any of which may match (as git grep
and grep take it).  ``-w`` follows git's own rule (``Compiled.search``).
"""

import re
import warnings
from dataclasses import dataclass

from ..errors import UsageError
from .query import ALL, All, And, Literal, Or, Query

BASIC, EXTENDED, FIXED, PERL = "basic", "extended", "fixed", "perl"
DIALECTS = (BASIC, EXTENDED, FIXED, PERL)

_EXACT_MAX = 32           # alternatives kept exact before the analysis lets go
_WORD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_NL = 10


class PatternError(UsageError):
    """A pattern that does not parse in its dialect (git grep says ``fatal:``)."""


@dataclass(frozen=True)
class Compiled:
    """A pattern read: ``regex`` (compiled, bytes), ``query`` for the index, and
    whether lines must be searched one by one (``per_line``: only for -P)."""

    regex: re.Pattern
    query: Query
    per_line: bool = False
    word: bool = False
    bounded: re.Pattern | None = None       # with -w: the pattern, then no word character
    folded: re.Pattern | None = None        # -i of a plain string: search data.lower() with it

    def search(self, data: bytes, pos: int = 0, endpos: int | None = None):
        """The first match in ``data[pos:endpos]`` that git grep counts.

        With -w that is git's own rule (grep.c): a match is taken when no word
        character touches it and it is not empty; else the search goes on after the
        next non-word character of the same line.  git judges POSIX's longest match
        at a start, Python finds its first one: when that fails, any match from the
        same start ending at a word's end is taken (``bounded``) — so no line git
        finds is missed, and only a pattern whose longest match at a start runs into
        a word while a shorter one does not (``-w 'a *'`` on ``a b``) finds more,
        and a pattern that may match nothing, whose first match from a start is the
        empty one (``-w -E '|x'``), may find less."""
        end = len(data) if endpos is None else endpos
        while True:
            m = self.regex.search(data, pos, end)
            if m is None or not self.word:
                return m
            s, e = m.span()
            if s == 0 or data[s - 1] not in _WORDSET:
                if s < e and (e >= end or data[e] not in _WORDSET):
                    return m
                # a shorter or longer match from here may end at a word's end
                m = self.bounded.match(data, s, end) if self.bounded else None
                if m is not None and m.end() > s:
                    return m
            eol = data.find(b"\n", s, end)
            eol = end if eol < 0 else eol
            nxt = s + 1
            while nxt < eol and data[nxt - 1] in _WORDSET:
                nxt += 1
            pos = nxt if nxt < eol else eol + 1
            if pos > end:
                return None


# --- the query algebra ---------------------------------------------------------------

def _and(*parts: Query) -> Query:
    flat: list[Query] = []
    for p in parts:
        if isinstance(p, All):
            continue
        flat.extend(p.parts if isinstance(p, And) else (p,))
    uniq = tuple(dict.fromkeys(flat))
    return ALL if not uniq else uniq[0] if len(uniq) == 1 else And(uniq)


def _or(*parts: Query) -> Query:
    flat: list[Query] = []
    for p in parts:
        if isinstance(p, All):
            return ALL
        flat.extend(p.parts if isinstance(p, Or) else (p,))
    uniq = tuple(dict.fromkeys(flat))
    return uniq[0] if len(uniq) == 1 else Or(uniq)


@dataclass(frozen=True)
class _Info:
    """What is known of the strings a piece of pattern matches: ``exact`` every one
    of them (lower-cased; None: too many or unknown), else ``need`` a query each
    match satisfies."""

    exact: frozenset | None
    need: Query = ALL

    def query(self) -> Query:
        if self.exact is None:
            return self.need
        if b"" in self.exact:
            return ALL
        return _or(*(Literal(s) for s in sorted(self.exact)))


_EMPTY = _Info(frozenset({b""}))
_UNKNOWN = _Info(None)


def _lit(byte: int) -> _Info:
    return _Info(frozenset({bytes([byte]).lower()}))


def _concat(a: _Info, b: _Info) -> _Info:
    if a.exact is not None and b.exact is not None and \
            len(a.exact) * len(b.exact) <= _EXACT_MAX:
        return _Info(frozenset(x + y for x in a.exact for y in b.exact))
    return _Info(None, _and(a.query(), b.query()))


def _alt(a: _Info, b: _Info) -> _Info:
    if a.exact is not None and b.exact is not None and \
            len(a.exact) + len(b.exact) <= _EXACT_MAX:
        return _Info(a.exact | b.exact)
    return _Info(None, _or(a.query(), b.query()))


def _repeat(a: _Info, low: int, high: int | None) -> _Info:
    if low == 0:
        if high == 1 and a.exact is not None:
            return _Info(a.exact | {b""})
        return _UNKNOWN
    if low == high == 1:
        return a
    return _Info(None, a.query())


# --- character sets ------------------------------------------------------------------

def _span(lo: str, hi: str) -> set[int]:
    return set(range(ord(lo), ord(hi) + 1))


_CLASSES: dict[bytes, set[int]] = {
    b"alpha": _span("A", "Z") | _span("a", "z"),
    b"digit": _span("0", "9"),
    b"alnum": _span("A", "Z") | _span("a", "z") | _span("0", "9"),
    b"upper": _span("A", "Z"),
    b"lower": _span("a", "z"),
    b"space": {9, 10, 11, 12, 13, 32},
    b"blank": {9, 32},
    b"punct": _span("!", "/") | _span(":", "@") | _span("[", "`") | _span("{", "~"),
    b"print": set(range(0x20, 0x7F)),
    b"graph": set(range(0x21, 0x7F)),
    b"cntrl": set(range(0, 0x20)) | {0x7F},
    b"xdigit": _span("0", "9") | _span("A", "F") | _span("a", "f"),
}
_WORDSET = frozenset(_WORD)


def _set_source(members: set[int], negate: bool) -> str:
    """A Python class for ``members`` (or all bytes but them), never a newline."""
    members = set(members)
    if negate:
        members.add(_NL)
    else:
        members.discard(_NL)
        if not members:
            return "(?!)"
    out, ordered, i = [], sorted(members), 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(f"\\x{ordered[i]:02x}" + (f"-\\x{ordered[j]:02x}" if j > i else ""))
        i = j + 1
    return ("[^" if negate else "[") + "".join(out) + "]"


def _set_info(members: set[int], negate: bool) -> _Info:
    if negate:
        return _UNKNOWN
    lowered = frozenset(bytes([b]).lower() for b in members if b != _NL)
    if not lowered:
        return _Info(frozenset())
    return _Info(lowered) if len(lowered) <= 8 else _UNKNOWN


def _byte_source(b: int) -> str:
    c = chr(b)
    return c if c.isascii() and c.isalnum() else f"\\x{b:02x}"


# --- the parser ----------------------------------------------------------------------

_SPECIAL = {                            # GNU escapes: (regex source, info)
    ord("w"): (_set_source(_WORDSET, False), _UNKNOWN),
    ord("W"): (_set_source(_WORDSET, True), _UNKNOWN),
    ord("s"): (_set_source(_CLASSES[b"space"], False), _UNKNOWN),
    ord("S"): (_set_source(_CLASSES[b"space"], True), _UNKNOWN),
}
_ANCHORS = {
    ord("b"): r"\b", ord("B"): r"\B", ord("<"): r"\b(?=\w)", ord(">"): r"\b(?<=\w)",
    ord("`"): "^", ord("'"): "$",
}


class _Parser:
    """glibc's regcomp grammar for one pattern (no newline in it), BRE or ERE."""

    def __init__(self, pattern: bytes, extended: bool, icase: bool):
        self.p = pattern
        self.i = 0
        self.ere = extended
        self.icase = icase
        self.groups = 0             # capturing groups opened so far
        self.closed: set[int] = set()
        self.depth = 0

    def fail(self, why: str):
        raise PatternError(f"{why} in pattern {self.p.decode('utf-8', 'replace')!r}")

    def peek(self, k: int = 0) -> int | None:
        j = self.i + k
        return self.p[j] if j < len(self.p) else None

    # token classification
    def at_alt(self) -> bool:
        if self.ere:
            return self.peek() == ord("|")
        return self.peek() == ord("\\") and self.peek(1) == ord("|")

    def at_close(self) -> bool:
        if self.ere:
            return self.peek() == ord(")") and self.depth > 0
        return self.peek() == ord("\\") and self.peek(1) == ord(")")

    def dup_here(self) -> str | None:
        """The repetition operator at the cursor (``*``, ``+``, ``?``, ``{``)."""
        c = self.peek()
        if c is None:
            return None
        if c == ord("*"):
            return "*"
        if self.ere:
            return chr(c) if c in b"+?{" else None
        if c == ord("\\") and self.peek(1) is not None and self.peek(1) in b"+?{":
            return chr(self.peek(1))
        return None

    def parse(self) -> tuple[str, _Info]:
        src, info = self.alternation()
        if self.i < len(self.p):
            # only an unmatched close can stop the top level
            self.fail("Unmatched ) or \\)")
        return src, info

    def alternation(self) -> tuple[str, _Info]:
        src, info = self.sequence()
        while self.at_alt():
            self.i += 1 if self.ere else 2
            s2, i2 = self.sequence()
            src, info = f"{src}|{s2}", _alt(info, i2)
        return src, info

    def sequence(self) -> tuple[str, _Info]:
        parts: list[str] = []
        run = _EMPTY                # the exact strings of the atoms since the last inexact one
        need: Query | None = None   # what the parts before that require (None: all exact)
        start = True                # a repetition here is a literal (BRE) or an error
        while self.i < len(self.p) and not self.at_alt() and not self.at_close():
            dup = self.dup_here()
            if dup is not None and start:
                if self.ere or dup == "{":
                    self.fail("Invalid preceding regular expression")
                self.i += 1 if dup == "*" else 2
                src, atom, anchor = _byte_source(ord(dup)), _lit(ord(dup)), False
            else:
                src, atom, anchor = self.atom(start_of_seq=not parts)
            if not anchor:
                src, atom = self.repetitions(src, atom)
            parts.append(src)
            if atom.exact is None:
                need = _and(need or ALL, run.query(), atom.query())
                run = _EMPTY
            else:
                joined = _concat(run, atom)
                if joined.exact is None:        # too many: keep what is known, go on
                    need = _and(need or ALL, run.query())
                    joined = atom
                run = joined
            start = anchor
        info = run if need is None else _Info(None, _and(need, run.query()))
        return "".join(parts), info

    def repetitions(self, src: str, info: _Info) -> tuple[str, _Info]:
        repeated = False
        while (dup := self.dup_here()) is not None:
            if repeated and not self.ere and dup in "*{":
                self.fail("Invalid preceding regular expression")   # glibc: not in a BRE
            repeated = True
            self.i += 1 if (self.ere or dup == "*") else 2
            if dup == "{":
                low, high = self.interval()
            else:
                low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[dup]
            suffix = "{" + f"{low},{'' if high is None else high}" + "}"
            src = f"(?:{src}){suffix}"
            info = _repeat(info, low, high)
        return src, info

    def interval(self) -> tuple[int, int | None]:
        close = b"}" if self.ere else b"\\}"
        end = self.p.find(close, self.i)
        if end < 0:
            self.fail("Unmatched \\{")
        body = self.p[self.i:end]
        self.i = end + len(close)
        m = re.fullmatch(rb"(\d*)(,(\d*))?", body)
        if not m or (not m.group(1) and not m.group(2)):
            self.fail("Invalid content of \\{\\}")
        low = int(m.group(1) or 0)
        high = low if not m.group(2) else (int(m.group(3)) if m.group(3) else None)
        if (high is not None and high < low) or max(low, high or 0) > 0x7FFF:
            self.fail("Invalid content of \\{\\}")
        return low, high

    def atom(self, start_of_seq: bool) -> tuple[str, _Info, bool]:
        """(regex source, info, is an anchor) of the atom at the cursor."""
        c = self.p[self.i]
        if c == ord("\\"):
            return self.escape()
        self.i += 1
        if c == ord("."):
            return ".", _UNKNOWN, False
        if c == ord("["):
            return self.bracket()
        if c == ord("^") and (self.ere or start_of_seq):
            return "^", _EMPTY, True
        if c == ord("$") and (self.ere or self.i == len(self.p) or self.at_alt()
                              or self.at_close()):
            return "$", _EMPTY, True
        if self.ere and c == ord("("):
            return self.group()
        return _byte_source(c), _lit(c), False

    def escape(self) -> tuple[str, _Info, bool]:
        c = self.peek(1)
        if c is None:
            self.fail("Trailing backslash")
        self.i += 2
        if not self.ere and c == ord("("):
            return self.group()
        if c in _SPECIAL:
            src, info = _SPECIAL[c]
            return src, info, False
        if c in _ANCHORS:
            return _ANCHORS[c], _EMPTY, True
        if ord("1") <= c <= ord("9"):
            n = c - ord("0")
            if n not in self.closed:
                self.fail("Invalid back reference")
            return f"(?:\\{n})", _UNKNOWN, False
        return _byte_source(c), _lit(c), False

    def group(self) -> tuple[str, _Info, bool]:
        self.groups += 1
        n = self.groups
        self.depth += 1
        src, info = self.alternation()
        if not self.at_close():
            self.fail("Unmatched ( or \\(")
        self.i += 1 if self.ere else 2
        self.depth -= 1
        self.closed.add(n)
        return f"({src})", info, False

    def bracket(self) -> tuple[str, _Info, bool]:
        p = self.p
        negate = self.peek() == ord("^")
        if negate:
            self.i += 1
        members: set[int] = set()
        first = True
        while True:
            if self.i >= len(p):
                self.fail("Unmatched [, [^, [:, [., or [=")
            c = p[self.i]
            if c == ord("]") and not first:
                self.i += 1
                break
            first = False
            if c == ord("[") and self.peek(1) in (ord(":"), ord("="), ord(".")):
                kind = p[self.i + 1]
                end = p.find(bytes([kind, ord("]")]), self.i + 2)
                if end < 0:
                    self.fail("Unmatched [, [^, [:, [., or [=")
                name = p[self.i + 2:end]
                self.i = end + 2
                if kind == ord(":"):
                    if name not in _CLASSES:
                        self.fail("Invalid character class name")
                    if self.icase and name in (b"upper", b"lower"):
                        name = b"alpha"
                    members |= _CLASSES[name]
                    continue
                if len(name) != 1:
                    self.fail("Invalid collation character")
                lo = name[0]
            else:
                lo = c
                self.i += 1
            if self.peek() == ord("-") and self.peek(1) not in (None, ord("]")):
                self.i += 1
                if p[self.i] == ord("[") and self.peek(1) == ord("."):
                    end = p.find(b".]", self.i + 2)
                    if end < 0 or end != self.i + 3:
                        self.fail("Invalid range end")
                    hi = p[self.i + 2]
                    self.i = end + 2
                else:
                    hi = p[self.i]
                    self.i += 1
                if hi < lo:
                    self.fail("Invalid range end")
                members |= set(range(lo, hi + 1))
            else:
                members.add(lo)
        return _set_source(members, negate), _set_info(members, negate), False


# --- Python's own dialect (-P): a query, best effort ---------------------------------

def _perl_info(items) -> _Info:
    from re import _constants as C  # noqa: N812 - the parser's own names
    info = _EMPTY
    for op, av in items:
        if op is C.LITERAL:
            part = _lit(av)
        elif op is C.IN:
            lits = [v for o, v in av if o is C.LITERAL]
            part = _set_info(set(lits), False) if len(lits) == len(av) else _UNKNOWN
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            part = _EMPTY
        elif op is C.SUBPATTERN:
            part = _perl_info(av[-1])
        elif op is C.ATOMIC_GROUP:
            part = _perl_info(av)
        elif op is C.BRANCH:
            branches = [_perl_info(b) for b in av[1]]
            part = branches[0]
            for b in branches[1:]:
                part = _alt(part, b)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av
            part = _repeat(_perl_info(sub), low, None if high == C.MAXREPEAT else high)
        else:
            part = _UNKNOWN
        info = _concat(info, part)
    return info


def _perl_query(pattern: bytes, flags: int) -> Query:
    try:
        from re import _parser
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _perl_info(_parser.parse(pattern, flags)).query()
    except Exception:               # noqa: BLE001 - a filter: anything odd admits all
        return ALL


# --- the entry point -----------------------------------------------------------------

def translate(pattern: bytes, dialect: str = BASIC) -> tuple[str, Query]:
    """(Python regex source, query) of one pattern (no newline) in ``dialect``
    (BASIC, EXTENDED or FIXED); PatternError if it does not parse."""
    if dialect == FIXED:
        src = "".join(_byte_source(b) for b in pattern)
        return src, (Literal(pattern.lower()) if pattern else ALL)
    src, info = _Parser(pattern, dialect == EXTENDED, icase=False).parse()
    return src, info.query()


def compile_pattern(pattern: bytes, dialect: str = BASIC, ignore_case: bool = False,
                    word: bool = False) -> Compiled:
    """The regex and query of ``pattern`` as git grep reads it with ``-G`` (BASIC,
    the default), ``-E``, ``-F`` or ``-P`` (PERL: Python's ``re``), ``-i``, ``-w``."""
    if dialect not in DIALECTS:
        raise ValueError(dialect)
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0)
    sources, queries = [], []
    try:
        for one in pattern.split(b"\n"):
            if dialect == PERL:
                src = one.decode("latin-1")
                query = _perl_query(one, flags)
            elif ignore_case and dialect != FIXED:
                p = _Parser(one, dialect == EXTENDED, icase=True)
                src, info = p.parse()
                query = info.query()
            else:
                src, query = translate(one, dialect)
            sources.append(src)
            queries.append(query)
    except RecursionError:      # the parser descends once per group
        shown = pattern.decode("utf-8", "replace")
        raise PatternError(f"pattern {shown[:60]!r}...: groups nested too deeply") from None
    if len(sources) == 1:
        source = sources[0]
    else:
        source = "|".join(f"(?:{s})" for s in sources)
    try:
        with warnings.catch_warnings():     # -P: "possible nested set" and the like
            warnings.simplefilter("ignore")
            regex = re.compile(source.encode("latin-1"), flags)
    except (re.error, OverflowError, RecursionError) as exc:
        shown = pattern.decode("utf-8", "replace")
        raise PatternError(f"bad pattern {shown!r}: {exc}") from None
    bounded = None
    if word:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bounded = re.compile(b"(?:%s)(?![A-Za-z0-9_])" % regex.pattern, flags)
    return Compiled(regex, _or(*queries), per_line=dialect == PERL, word=word,
                    bounded=bounded, folded=_folded(pattern, dialect, ignore_case, word))


_OPERATORS = {BASIC: frozenset(b"\\.[*^$"), EXTENDED: frozenset(b"\\.[*^$+?(){}|"),
            FIXED: frozenset()}


def _folded(pattern: bytes, dialect: str, ignore_case: bool, word: bool) -> re.Pattern | None:
    """For ``-i`` of a plain string (any dialect's, -P's aside, with no operator in
    it): the lower-cased string as a case-sensitive regex, to search the lower-cased
    data with.  Python's IGNORECASE tries both cases at every byte, 2-3x slower than
    lowering the blob (``bytes.lower`` folds ASCII only, as git grep -i does in the C
    locale, and keeps every offset); None where that does not hold."""
    special = _OPERATORS.get(dialect)
    if (not ignore_case or word or special is None or not pattern or b"\n" in pattern
            or any(b in special for b in pattern)):
        return None
    return re.compile(re.escape(pattern.lower()), re.MULTILINE)
