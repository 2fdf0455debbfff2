"""The remote layout's files: built and parsed back, and refused when damaged —
a FormatError or a dropped line, never a wrong answer."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.base import KINDS
from store.errors import FormatError
from store.ids import hash_bytes
from store.pack import RECORD, Pack, PackWriter
from store.place import encode
from store.remote import layout

ids = st.binary(min_size=1, max_size=8).map(hash_bytes)
values = st.text(st.characters(categories=("L", "N", "P", "S"), include_characters=" "),
                 min_size=1,
                 max_size=20)
settings.register_profile("verfs-layout", max_examples=60, deadline=None, database=None)
settings.load_profile("verfs-layout")


def write_pack(tmp_path, objects: list[tuple[str, bytes]]) -> Pack:
    writer = PackWriter(str(tmp_path))
    for kind, data in objects:
        writer.add(kind, hash_bytes(data), encode(kind, data))
    return Pack(writer.finish(str(tmp_path / "packs"), durable=False))


def fan_of(path: str) -> tuple[bytes, bytes]:
    """The fan of a pack file, and the file's bytes."""
    with open(path, "rb") as f:
        data = f.read()
    index_offset, count = layout.parse_trailer(data[-24:], len(data))
    return layout.build_fan(data[index_offset:index_offset + count * RECORD.size],
                            index_offset), data


# --- fans and slices --------------------------------------------------------------------
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.binary(max_size=40)), max_size=60))
def test_every_object_is_found_through_its_fan_and_slice(tmp_path_factory, objects):
    tmp = tmp_path_factory.mktemp("pack")
    pack = write_pack(tmp, objects)
    fan_bytes, data = fan_of(pack.path)
    fan = layout.parse_fan(fan_bytes)
    assert fan.count == len(pack)
    seen = 0
    for kind in KINDS:
        for first in range(256):
            offset, length = fan.byte_range(*fan.records(kind, first))
            records = layout.parse_slice(data[offset:offset + length], kind, first)
            seen += len(records)
            for oid, place in records.items():
                assert pack.find(kind, oid) == place
    assert seen == len(pack)
    for kind, body in objects:
        oid = hash_bytes(body)
        first = int(oid[:2], 16)
        offset, length = fan.byte_range(*fan.records(kind, first))
        assert oid in layout.parse_slice(data[offset:offset + length], kind, first)


def test_an_empty_pack_has_a_fan_of_nothing(tmp_path):
    fan = layout.parse_fan(fan_of(write_pack(tmp_path, []).path)[0])
    assert fan.count == 0
    assert all(fan.records(k, b) == (0, 0) for k in KINDS for b in range(256))


@given(st.data())
def test_a_damaged_fan_is_refused(tmp_path_factory, data):
    pack = write_pack(tmp_path_factory.mktemp("pack"),
                      [("blob", b"%d" % i) for i in range(20)] + [("tree", b"t")])
    good = fan_of(pack.path)[0]
    at = data.draw(st.integers(0, len(good) - 1))
    flip = data.draw(st.integers(1, 255))
    bad = good[:at] + bytes([good[at] ^ flip]) + good[at + 1:]
    with pytest.raises(FormatError):
        layout.parse_fan(bad)
    with pytest.raises(FormatError):
        layout.parse_fan(good[:data.draw(st.integers(0, len(good) - 1))])


def test_a_fan_that_checks_but_does_not_add_up_is_refused():
    body = layout.FAN_HEADER + b"\0" * (len(KINDS) * 1024) + (13).to_bytes(8, "big") + \
        (5).to_bytes(8, "big")
    with pytest.raises(FormatError, match="add up"):
        layout.parse_fan(body + layout._sha(body))


def test_a_slice_out_of_place_is_refused(tmp_path):
    pack = write_pack(tmp_path, [("blob", b"%d" % i) for i in range(600)])
    fan_bytes, data = fan_of(pack.path)
    fan = layout.parse_fan(fan_bytes)
    offset, length = fan.byte_range(*fan.records("blob", 7))
    good = data[offset:offset + length]
    assert len(good) >= 2 * RECORD.size
    with pytest.raises(FormatError):
        layout.parse_slice(good, "blob", 8)            # another byte's slice
    with pytest.raises(FormatError):
        layout.parse_slice(good, "tree", 7)            # another kind's
    with pytest.raises(FormatError):
        layout.parse_slice(good[:-1], "blob", 7)       # cut
    swapped = good[RECORD.size:2 * RECORD.size] + good[:RECORD.size] + good[2 * RECORD.size:]
    with pytest.raises(FormatError):
        layout.parse_slice(swapped, "blob", 7)         # out of order


def test_a_damaged_pack_trailer_is_refused(tmp_path):
    pack = write_pack(tmp_path, [("blob", b"x")])
    with open(pack.path, "rb") as f:
        data = f.read()
    layout.parse_trailer(data[-24:], len(data))
    with pytest.raises(FormatError):
        layout.parse_trailer(data[-24:], len(data) + 1)
    with pytest.raises(FormatError):
        layout.parse_trailer(data[-24:-8] + b"verfs-xx", len(data))


def test_parse_index_lists_every_id_by_kind(tmp_path):
    objects = [("blob", b"a"), ("tree", b"b"), ("version", b"c"), ("blob", b"d")]
    pack = write_pack(tmp_path, objects)
    _, data = fan_of(pack.path)
    index = layout.parse_index(data[pack._index:pack._index + len(pack) * RECORD.size])
    assert index["blob"] == sorted([hash_bytes(b"a"), hash_bytes(b"d")])
    assert index["tree"] == [hash_bytes(b"b")] and index["patch"] == []
    with pytest.raises(FormatError):
        layout.parse_index(b"x" * RECORD.size)


# --- the manifest -----------------------------------------------------------------------
lines = st.one_of(
    st.builds(layout.pack_line, st.sampled_from(layout.ROLES), ids),
    st.builds(layout.table_line, st.sampled_from(["roots", "stamps", "closed-inventory"]),
              ids))


@given(st.lists(lines, max_size=10), st.lists(lines, max_size=10))
def test_manifest_grows_by_lines_and_parses_back(first, second):
    one = layout.add_lines(None, first)
    two = layout.add_lines(one, second)
    manifest = layout.parse_manifest(two)
    want = set(first) | set(second)
    got = {layout.pack_line(r, n) for r, n in manifest.packs} | \
        {layout.table_line(a, n) for a, n in manifest.tables}
    assert got == want
    assert layout.add_lines(two, first) == two          # nothing new: the same bytes
    assert layout.add_lines(layout.add_lines(None, second), first) == two   # any order


@pytest.mark.parametrize("bad", [
    b"", b"verfs-manifest 2\n", b"verfs-manifest 1\npack history abc\n",
    b"verfs-manifest 1\npack other " + b"0" * 64 + b"\n",
    b"verfs-manifest 1\ntable roots " + b"0" * 64,                 # no end of line
    b"verfs-manifest 1\nfile " + b"0" * 64 + b"\n",
    b"verfs-manifest 1\npack history " + b"0" * 64 + b" x\n",
    b"verfs-manifest 1\n\xff\n",
])
def test_a_bad_manifest_is_refused(bad):
    with pytest.raises(FormatError):
        layout.parse_manifest(bad)
    with pytest.raises(FormatError):
        layout.add_lines(bad, [])


def test_manifest_names_by_role_and_area():
    a, b, c = (hash_bytes(x) for x in (b"a", b"b", b"c"))
    m = layout.parse_manifest(layout.add_lines(None, [
        layout.pack_line("history", a), layout.pack_line("states", b),
        layout.table_line("roots", c)]))
    assert set(m.pack_names()) == {a, b}
    assert m.pack_names("states") == [b]
    assert m.table_names("roots") == [c] and m.table_names("stamps") == []
    with pytest.raises(FormatError):
        layout.pack_line("other", a)
    with pytest.raises(FormatError):
        layout.table_line("two words", a)


# --- head and keys ----------------------------------------------------------------------
@given(st.one_of(st.none(), ids))
def test_head_round_trips(vid):
    assert layout.parse_head(layout.format_head(vid)) == vid


@pytest.mark.parametrize("bad", [b"", b"x\n", b"0" * 64, b"0" * 63 + b"\n", b"\n\n",
                                 b"A" * 64 + b"\n"])
def test_a_bad_head_is_refused(bad):
    with pytest.raises(FormatError):
        layout.parse_head(bad)


def test_key_names_take_only_ids():
    h = hash_bytes(b"x")
    assert layout.pack_key(h) == f"packs/{h}.pack"
    assert layout.fan_key(h) == f"packs/{h}.fan"
    assert layout.table_key(h) == f"tables/{h}.tab"
    assert layout.object_key("blob", h) == f"objects/blob/{h}"
    for bad in ("../x", "", h[:-1], h.upper()):
        with pytest.raises(FormatError):
            layout.pack_key(bad)
    with pytest.raises(FormatError):
        layout.object_key("nothing", h)


# --- tables -----------------------------------------------------------------------------
def read_table(area: str, data: bytes) -> dict[str, str]:
    header = layout.parse_table_header(data, area)
    assert len(data) == header.size + header.body_length
    out = {}
    for first in range(layout.TABLE_BUCKETS):
        offset, length = header.bucket(first)
        found, bad = layout.parse_bucket(area, first, data[offset:offset + length])
        assert bad == 0
        assert all(int(k[:3], 16) == first for k in found)
        out.update(found)
    return out


@given(st.sampled_from(["roots", "stamps", "closed-inventory"]),
       st.dictionaries(ids, values, max_size=40))
def test_table_round_trips_bucket_by_bucket(area, entries):
    assert read_table(area, layout.build_table(area, entries)) == entries


def test_table_of_another_area_is_refused():
    data = layout.build_table("roots", {hash_bytes(b"a"): hash_bytes(b"b")})
    with pytest.raises(FormatError):
        layout.parse_table_header(data, "stamps")
    with pytest.raises(FormatError):
        layout.parse_table_header(data[:50], "roots")


@given(st.data())
def test_a_damaged_table_header_is_refused(data):
    good = layout.build_table("roots", {hash_bytes(b"%d" % i): f"v{i}" for i in range(30)})
    size = layout.table_header_size("roots")
    at = data.draw(st.integers(0, size - 1))
    bad = good[:at] + bytes([good[at] ^ data.draw(st.integers(1, 255))]) + good[at + 1:]
    with pytest.raises(FormatError):
        layout.parse_table_header(bad, "roots")


@given(st.data())
def test_a_damaged_bucket_line_is_dropped_never_wrong(data):
    """Any byte of a bucket changed: every entry it still gives is a true one, and a
    changed line is counted as dropped (or, a change that makes no difference — none
    can, since every line checks itself — yields the same entries)."""
    entries = {hash_bytes(b"%d" % i): hash_bytes(b"v%d" % i) for i in range(2000)}
    table = layout.build_table("roots", entries)
    header = layout.parse_table_header(table, "roots")
    first = layout.bucket_of(data.draw(st.sampled_from(sorted(entries))))   # not empty
    offset, length = header.bucket(first)
    bucket = table[offset:offset + length]
    at = data.draw(st.integers(0, length - 1))
    bad = bucket[:at] + bytes([bucket[at] ^ data.draw(st.integers(1, 255))]) + bucket[at + 1:]
    found, dropped = layout.parse_bucket("roots", first, bad)
    assert dropped >= 1
    assert all(entries[k] == v for k, v in found.items())
    good, _ = layout.parse_bucket("roots", first, bucket)
    assert len(found) >= len(good) - 2


def test_a_bucket_of_another_byte_or_area_gives_nothing():
    entries = {hash_bytes(b"%d" % i): "x" for i in range(500)}
    table = layout.build_table("stamps", entries)
    header = layout.parse_table_header(table, "stamps")
    offset, length = header.bucket(3)
    bucket = table[offset:offset + length]
    assert layout.parse_bucket("stamps", 3, bucket)[0]
    found, bad = layout.parse_bucket("stamps", 4, bucket)
    assert found == {} and bad > 0
    found, bad = layout.parse_bucket("roots", 3, bucket)
    assert found == {} and bad > 0


def test_table_refuses_bad_keys_and_values():
    with pytest.raises(FormatError):
        layout.build_table("roots", {"notanid": "x"})
    with pytest.raises(FormatError):
        layout.build_table("roots", {hash_bytes(b"a"): "two\nlines"})
    with pytest.raises(FormatError):
        layout.build_table("roots", {hash_bytes(b"a"): ""})


def test_fan_size_is_what_a_reader_asks():
    assert len(layout.FAN_HEADER) + 5 * 1024 + 16 + 32 == layout.FAN_SIZE
    assert os.path.basename(layout.pack_key(hash_bytes(b""))).endswith(".pack")
