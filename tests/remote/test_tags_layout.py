"""The remote's tag table (store/remote/layout.py): built sorted, parsed strictly —
anything that does not hold together is a FormatError, never a guess."""

import pytest

from store.errors import FormatError
from store.remote import layout

A, B = "a" * 64, "b" * 64


def test_round_trip_sorted():
    data = layout.format_tags({"v2.0": B, "v1.0": A})
    assert data == b"verfs-tags 1\nv1.0 " + A.encode() + b"\nv2.0 " + B.encode() + b"\n"
    assert layout.parse_tags(data) == {"v1.0": A, "v2.0": B}
    assert layout.parse_tags(layout.format_tags({})) == {}


@pytest.mark.parametrize("data", [
    b"",
    b"verfs-tags 2\n",
    b"verfs-tags 1\nv1.0 " + A.encode(),                                  # no newline
    b"verfs-tags 1\nv1.0 " + A[:-1].encode() + b"\n",                     # short id
    b"verfs-tags 1\nv1.0  " + A.encode() + b"\n",                         # two spaces
    b"verfs-tags 1\n\n",                                                 # empty line
    b"verfs-tags 1\nv2 " + A.encode() + b"\nv1 " + B.encode() + b"\n",   # unsorted
    b"verfs-tags 1\nv1 " + A.encode() + b"\nv1 " + B.encode() + b"\n",   # twice
    b"verfs-tags 1\nv\xc3\xa9 " + A.encode() + b"\n",                     # not ASCII
])
def test_what_does_not_hold_together_is_refused(data):
    with pytest.raises(FormatError):
        layout.parse_tags(data)


def test_a_bad_name_or_id_is_never_written():
    for tags in ({"a b": A}, {"": A}, {"v1": "not an id"}, {"x" * 256: A}):
        with pytest.raises(FormatError):
            layout.format_tags(tags)
