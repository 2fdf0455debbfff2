"""What a mount says of itself in the mount table, and reading it back (table.py)."""

import pytest

from verfs.mount.table import Mounted, fsname, option_value, parse_fsname, parse_mountinfo


def line(mountpoint: bytes, fstype: bytes, source: bytes, optional: bytes = b"") -> bytes:
    return (b"41 29 0:44 / " + mountpoint + b" ro,nosuid,nodev relatime " + optional +
            b"- " + fstype + b" " + source + b" ro,user_id=0,group_id=0")


@pytest.mark.parametrize("kind, source, version", [
    ("repo", "/work/my repo", None),
    ("store", "/srv/store", None),
    ("remote", "s3://team/proj:with:colons", None),
    ("repo", "/work/r", "3fa2" * 16),
])
def test_an_fsname_reads_back(kind, source, version):
    m = parse_fsname("/mnt", fsname(kind, source, version))
    assert (m.source, m.version) == (source, version)
    assert m.kind == {"repo": "repository"}.get(kind, kind)


def test_mountinfo_lines():
    data = b"\n".join([
        line(b"/", b"ext4", b"/dev/sda1"),
        line(b"/tmp/m\\040one", b"fuse.verfs", b"verfs:repo:/work/a\\134b\\040c",
             b"shared:5 "),
        line(b"/tmp/old", b"fuse.verfs", b"verfs"),
        line(b"/tmp/other", b"fuse.sshfs", b"verfs:repo:/x"),
        line(b"/tmp/\xe9", b"fuse.verfs", b"verfs:remote@abcd:file:///srv/h"),
        b"",
    ])
    assert parse_mountinfo(data) == [
        Mounted("/tmp/m one", "repository", "/work/a\\b c"),
        Mounted("/tmp/old", "unknown", None),
        Mounted("/tmp/\udce9", "remote", "file:///srv/h", "abcd"),
    ]


def test_option_values_keep_commas_and_backslashes():
    assert option_value("verfs:repo:/a,b\\c") == "verfs:repo:/a\\,b\\\\c"
