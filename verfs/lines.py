"""Where two sequences of lines differ: patience anchoring, and difflib on what is left.

``difflib.SequenceMatcher`` alone costs about the product of the lengths it compares,
and far more where lines repeat (blank lines, closing brackets): on a real history,
70 % of an import's time went there.  So, as git's patience diff does: the lines both
sides share at the start and at the end are set aside; then the lines that occur
exactly once on each side, taken in the longest order both agree on, anchor the match;
the gaps between anchors are compared the same way; and difflib compares only regions
that are small, or have no such line left.  The result is a valid diff and usually the
one a person would write, since code's unique lines (a function's first line) line up
before its repeated ones — though not always the smallest (a unique line that moved
past repeated ones costs those), hence difflib, which finds the smallest, wherever it
is quick.
"""

import bisect
import difflib
from collections import Counter
from collections.abc import Sequence

Region = tuple[int, int, int, int]      # a[i1:i2] becomes b[j1:j2]
# Regions up to this many line pairs (say 300 × 300) go to difflib as they are: it is
# quick there, and its diff is minimal where anchoring on unique lines need not be.
DIFFLIB_UPTO = 90_000


def differences(a: Sequence, b: Sequence) -> list[Region]:
    """Every region where ``a`` and ``b`` differ, in order, none touching another."""
    out: list[Region] = []
    todo = [(0, len(a), 0, len(b))]     # a stack: the next region to look at is last
    while todo:
        alo, ahi, blo, bhi = todo.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        if alo == ahi or blo == bhi:
            if alo < ahi or blo < bhi:
                out.append((alo, ahi, blo, bhi))
            continue
        small = (ahi - alo) * (bhi - blo) <= DIFFLIB_UPTO
        anchors = [] if small else _anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            m = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            out.extend((alo + i1, alo + i2, blo + j1, blo + j2)
                       for tag, i1, i2, j1, j2 in m.get_opcodes() if tag != "equal")
            continue
        gaps, i, j = [], alo, blo
        for ai, bj in anchors:
            gaps.append((i, ai, j, bj))
            i, j = ai + 1, bj + 1
        gaps.append((i, ahi, j, bhi))
        todo.extend(reversed(gaps))
    return out


def _anchors(a: Sequence, b: Sequence, alo: int, ahi: int, blo: int,
             bhi: int) -> list[tuple[int, int]]:
    """(i, j) of lines unique on both sides within the region, in the longest run in
    which both indices increase."""
    in_a, in_b = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    where = {b[j]: j for j in range(blo, bhi) if in_b[b[j]] == 1 and in_a[b[j]] == 1}
    pairs = [(i, where[a[i]]) for i in range(alo, ahi) if a[i] in where]
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by their first item) whose second
    items increase too: patience sorting, O(n log n)."""
    tails: list[int] = []           # tails[k]: the pair ending the best run of length k+1
    tail_js: list[int] = []
    back: list[int | None] = [None] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_js, j)
        back[n] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(n)
            tail_js.append(j)
        else:
            tails[k], tail_js[k] = n, j
    run, n = [], tails[-1] if tails else None
    while n is not None:
        run.append(pairs[n])
        n = back[n]
    return run[::-1]
