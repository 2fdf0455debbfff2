"""Which verfs mounts there are, and what each shows: the mount table's side of a
mount (``verfs mounts``).

A mount says where it comes from in its FUSE ``fsname`` — the kernel's "source" of the
mount, shown by ``mount``, ``df`` and ``/proc/self/mountinfo`` — as
``verfs:KIND:SOURCE``, or ``verfs:KIND@VERSION:SOURCE`` for a mount of one version:
KIND is ``repo`` (SOURCE the repository's absolute path), ``store`` (a bare store's
path) or ``remote`` (the store's URL, which holds ':' itself: so the kind and the
version come first, and SOURCE is the rest).  Its ``subtype`` is ``verfs``, so its type
is ``fuse.verfs``: the mount table is the one place that knows what is mounted now —
no file of ours to go stale when a daemon is killed.  A mount of an older verfs (fsname
``verfs``) is listed with an unknown source.
"""

import re
from dataclasses import dataclass

FSTYPE = "fuse.verfs"
KINDS = {"repo": "repository", "store": "store", "remote": "remote"}
_OCTAL = re.compile(rb"\\([0-7]{3})")


@dataclass(frozen=True)
class Mounted:
    """One verfs mount: where, of what (``kind``: repository, store, remote or
    unknown), and the version when it shows just one."""

    mountpoint: str
    kind: str
    source: str | None
    version: str | None = None

    def as_json(self) -> dict:
        return {"mountpoint": self.mountpoint, "kind": self.kind, "source": self.source,
                "version": self.version}


def fsname(kind: str, source: str, version: str | None = None) -> str:
    """The fsname of a mount of ``source`` (``kind``: a key of ``KINDS``)."""
    if kind not in KINDS:
        raise ValueError(kind)
    return f"verfs:{kind}{'@' + version if version else ''}:{source}"


def option_value(text: str) -> str:
    """``text`` as the value of a libfuse ``-o`` option: libfuse splits options at ','
    and takes '\\' as an escape (fuse_opt.c)."""
    return text.replace("\\", "\\\\").replace(",", "\\,")


def parse_fsname(mountpoint: str, text: str) -> Mounted:
    kind, sep, source = text.removeprefix("verfs:").partition(":")
    kind, _, version = kind.partition("@")
    if not text.startswith("verfs:") or not sep or kind not in KINDS:
        return Mounted(mountpoint, "unknown", None)
    return Mounted(mountpoint, KINDS[kind], source, version or None)


def _unescape(field: bytes) -> str:
    """The kernel writes space, tab, newline and backslash in mountinfo as octal
    escapes; a name that is not UTF-8 comes back as surrogate escapes."""
    raw = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), field)
    return raw.decode("utf-8", "surrogateescape")


def parse_mountinfo(data: bytes) -> list[Mounted]:
    """The verfs mounts of a ``/proc/PID/mountinfo``, in its order (oldest first).
    Each line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE
    SUPER-OPTIONS (proc(5))."""
    out = []
    for line in data.splitlines():
        fields = line.split(b" ")
        try:
            dash = fields.index(b"-", 6)
        except ValueError:
            continue
        if len(fields) < dash + 3 or fields[dash + 1] != FSTYPE.encode():
            continue
        out.append(parse_fsname(_unescape(fields[4]), _unescape(fields[dash + 2])))
    return out


def verfs_mounts(path: str = "/proc/self/mountinfo") -> list[Mounted]:
    with open(path, "rb") as f:
        return parse_mountinfo(f.read())
