"""The text of ``info/<hash>``: what a person wants to know about a version without
running ``verfs log``.  Built from the version file and its patch only (no
reconstruction), so listing ``info/`` stays cheap."""

from ..dates import text
from ..history import Step

_FIELDS = ("version", "patch", "author", "date", "parent", "inventory", "identity",
           "representation")


def info_text(step: Step) -> bytes:
    info = step.patch.info
    shown = text(info.date, info.get_meta("zone"))     # as verfs log shows it
    date = info.date if shown == info.date else f"{shown} ({info.date})"
    values = {
        "version": step.vid,
        "patch": info.name,
        "author": info.author,
        "date": date,
        "parent": step.version.parent or "-",
        "inventory": step.version.inventory or "-",
        "identity": info.identity,
        "representation": step.version.patch,
    }
    lines = [f"{key + ':':16}{values[key]}" for key in _FIELDS]
    if info.tag_name is not None:
        lines.append(f"{'tag:':16}{info.tag_name}")
    lines += [f"{key + ':':16}{value}" for key, value in info.meta if key != "salt"]
    lines += [f"{'comment:':16}{line}" for line in info.comment]
    lines.append(f"{'changes:':16}{len(step.patch.prims)} prims")
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
