"""Commutation: reordering two adjacent changes without changing their effect.

``commute(p, q)`` takes ``p`` then ``q`` and returns ``(q', p')`` — ``q'`` then ``p'``
with the same effect — or None when ``q`` depends on ``p``.  The rules are darcs's
(``Prim/V1/Commute.hs``; ``docs/FORMAT.md``, Commutation): dispatch on the pair of
kinds, mirrored cases derived through inversion, hunk arithmetic a separate pure
function — except that two nested moves do not commute (see ``_move_move``).
Commuting is exactly self-inverse: commuting the result gives back the very same
prims, so re-serialized patches are byte-identical.
"""

from .named import Patch
from .prims import (
    CREATES,
    FILE_CHANGES,
    REMOVES,
    AddDir,
    ChangePref,
    Chmod,
    Hunk,
    Move,
    Prim,
    Replace,
    RmDir,
    invert,
    paths,
    with_path,
)
from .tokens import replace_tokens

Pair = tuple[Prim, Prim]


def commute(p: Prim, q: Prim) -> Pair | None:
    if isinstance(p, ChangePref) or isinstance(q, ChangePref):
        return q, p
    if isinstance(q, Move):
        return _move_move(p, q) if isinstance(p, Move) else _then_move(p, q)
    if isinstance(p, Move):
        return _mirror(_then_move, p, q)
    if p.path == q.path:
        return _same_path(p, q)
    if _within(p.path, q.path) or _within(q.path, p.path):
        return None
    return q, p


def _mirror(rule, p: Prim, q: Prim) -> Pair | None:
    """Commute ``p; q`` by commuting ``q⁻¹; p⁻¹`` with ``rule`` and inverting back."""
    r = rule(invert(q), invert(p))
    if r is None:
        return None
    p_inv, q_inv = r
    return invert(q_inv), invert(p_inv)


def _within(inner: str, outer: str) -> bool:
    """``inner`` is strictly inside the directory ``outer``."""
    return inner.startswith(outer + "/")


def _rename(path: str, src: str, dst: str) -> str:
    """``path`` as it is called after moving ``src`` to ``dst``."""
    if path == src:
        return dst
    if path.startswith(src + "/"):
        return dst + path[len(src):]
    return path


# --- same file ---------------------------------------------------------------------
def _same_path(p: Prim, q: Prim) -> Pair | None:
    if not (isinstance(p, FILE_CHANGES) and isinstance(q, FILE_CHANGES)):
        return None         # creating, removing, or a directory: q depends on p
    if isinstance(p, Hunk) and p.empty or isinstance(q, Hunk) and q.empty:
        return q, p
    kinds = type(p), type(q)
    if kinds == (Chmod, Chmod):
        return None
    if Chmod in kinds:
        return q, p         # the exec bit is independent of the content
    if kinds == (Hunk, Hunk):
        return commute_hunks(p, q)
    if kinds == (Hunk, Replace):
        return _hunk_replace(p, q)
    if kinds == (Replace, Hunk):
        return _mirror(_hunk_replace, p, q)
    if kinds == (Replace, Replace):
        return _replace_replace(p, q)
    return None             # a binary against content changes


def commute_hunks(p: Hunk, q: Hunk) -> Pair | None:
    """Two hunks on one file commute when they neither overlap nor touch — or touch
    with no side empty, as in darcs.  The later one's line shifts by the earlier
    one's change in length."""
    a, oa, na = p.line, len(p.old), len(p.new)
    b, ob, nb = q.line, len(q.old), len(q.new)
    full = oa and na and ob and nb
    if a + na < b or (full and a + na == b):
        return Hunk(q.path, b - na + oa, q.old, q.new), p
    if b + ob < a or (full and b + ob == a):
        return q, Hunk(p.path, a + nb - ob, p.old, p.new)
    return None


def _replace_lines(lines, r: Replace):
    out = []
    for line in lines:
        new = replace_tokens(line, r.chars, r.old, r.new)
        if new is None:
            return None
        out.append(new)
    return tuple(out)


def _hunk_replace(h: Hunk, r: Replace) -> Pair | None:
    """A hunk, then a token replace: the replace goes first and the hunk's lines are
    rewritten, if the replace applies to both its old and its new lines."""
    old, new = _replace_lines(h.old, r), _replace_lines(h.new, r)
    if old is None or new is None:
        return None
    return r, Hunk(h.path, h.line, old, new)


def _replace_replace(p: Replace, q: Replace) -> Pair | None:
    if p.chars != q.chars:
        return None
    if {p.old, p.new} & {q.old, q.new}:
        return None
    return q, p


# --- moves -------------------------------------------------------------------------
def _then_move(p: Prim, m: Move) -> Pair | None:
    """Any non-move ``p``, then ``move d d'``: the move goes first and ``p``'s path is
    renamed through it — unless ``p`` made ``d`` or its target's room."""
    d, d2 = m.src, m.dst
    path = p.path
    if path == d2:
        return None
    if path == d and isinstance(p, CREATES + REMOVES):
        return None
    if isinstance(p, (AddDir, RmDir)) and (_within(d, path) or _within(d2, path)):
        return None
    if _within(d2, path) or _within(path, d2):
        return None
    return m, with_path(p, _rename(path, d, d2))


def _move_move(p: Move, q: Move) -> Pair | None:
    """Two moves commute, unchanged, only when no path of one is, or lies inside or
    around, a path of the other.

    darcs renames nested moves through each other and fails only one nesting (the
    second moves an ancestor of the first's source into the first's target).  That
    breaks permutivity: whether two moves nest can depend on where a third move put a
    directory, so ``p; q; r`` reordered by one route succeeds and by the other fails
    (``tests/patch/test_commute.py`` has such a triple).  Commuting is exactly
    self-inverse and commutes with inversion, which ties the four nestings together —
    out of the other's target, into it, carrying it, leaving its source — so a
    consistent rule fails all four or none; failing is the safe choice."""
    for a in paths(p):
        for b in paths(q):
            if a == b or _within(a, b) or _within(b, a):
                return None
    return q, p


# --- sequences and named patches ---------------------------------------------------
def commute_past(ps: list[Prim], q: Prim) -> tuple[Prim, list[Prim]] | None:
    """``ps`` then ``q`` → ``q'`` then ``ps'``: ``q`` moved left past every prim."""
    rest: list[Prim] = []
    for p in reversed(ps):
        r = commute(p, q)
        if r is None:
            return None
        q, p1 = r
        rest.append(p1)
    rest.reverse()
    return q, rest


def commute_seqs(ps, qs) -> tuple[list[Prim], list[Prim]] | None:
    """Sequence ``ps`` then sequence ``qs`` → ``qs'`` then ``ps'``."""
    ps = list(ps)
    out = []
    for q in qs:
        r = commute_past(ps, q)
        if r is None:
            return None
        q1, ps = r
        out.append(q1)
    return out, ps


def commute_patches(p: Patch, q: Patch) -> tuple[Patch, Patch] | None:
    """Named patches commute by commuting their prims; identities are kept.  A tag
    depends on every patch before it, so nothing commutes past one."""
    if p.is_tag or q.is_tag:
        return None
    r = commute_seqs(p.prims, q.prims)
    if r is None:
        return None
    qs, ps = r
    return Patch(q.info, tuple(qs)), Patch(p.info, tuple(ps))

