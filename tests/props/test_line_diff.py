"""The line diff behind record and the importers (verfs/lines.py): whatever the two
sides, its regions turn one into the other, in order and apart, and lines the sides
share uniquely are never part of a change."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verfs.lines
from verfs.diff import line_hunks
from verfs.lines import differences

# Few distinct lines, so that repeats (blank lines, brackets) are common, as in code.
LINES = st.lists(st.sampled_from([b"", b"a", b"b", b"c", b"}", b"def f():", b"x = 1"]),
                 max_size=40)


@pytest.fixture(autouse=True, params=["anchored", "difflib"])
def mode(request, monkeypatch):
    """Every test both ways: anchoring on unique lines everywhere (which real files
    only see above DIFFLIB_UPTO), and difflib for regions of this size."""
    if request.param == "anchored":
        monkeypatch.setattr(verfs.lines, "DIFFLIB_UPTO", 0)
    return request.param


def apply_regions(a, b, regions):
    out, at = [], 0
    for i1, i2, j1, j2 in regions:
        out += a[at:i1] + b[j1:j2]
        at = i2
    return out + a[at:]


@settings(max_examples=400)
@given(LINES, LINES)
def test_regions_turn_one_side_into_the_other(a, b):
    regions = differences(a, b)
    assert apply_regions(a, b, regions) == b
    for (_, i2, _, j2), (i1, _, j1, _) in zip(regions, regions[1:], strict=False):
        assert i2 < i1 and j2 < j1              # in order, an equal line between
    assert all(i1 < i2 or j1 < j2 for i1, i2, j1, j2 in regions)


@settings(max_examples=200)
@given(LINES, LINES)
def test_hunks_apply_in_order(a, b):
    old, new = b"\n".join(a), b"\n".join(b)
    lines = old.split(b"\n")
    for h in line_hunks("f", old, new):
        at = h.line - 1
        assert tuple(lines[at:at + len(h.old)]) == h.old
        lines[at:at + len(h.old)] = list(h.new)
    assert lines == new.split(b"\n")


def test_an_edit_far_down_a_long_file_is_one_small_hunk():
    a = [b"line %d" % i for i in range(5000)] + [b""] * 300
    b = list(a)
    b[2500] = b"changed"
    b.insert(4000, b"inserted")
    assert differences(a, b) == [(2500, 2501, 2500, 2501), (4000, 4000, 4000, 4001)]


def test_renamed_functions_are_two_one_line_hunks():
    a = [b"def f():", b"    pass", b"", b"def g():", b"    pass", b""]
    b = [b"def g():", b"    pass", b"", b"def h():", b"    pass", b""]
    assert differences(a, b) == [(0, 1, 0, 1), (3, 4, 3, 4)]
