"""What ``verfs log --json`` prints of one version: its JSON object, a pure function of
a ``history.Step`` (or of anything of its shape: the log's brief steps carry a patch
with only its info).

Kept out of ``verfs.ops`` so that a log loads neither the verbs nor what they need
(``ops.LogEntry`` is this, for its callers).
"""

from .dates import iso


def entry_json(step, verbose: bool = False) -> dict:
    """The JSON object of a version: its date in ISO 8601 in the author's zone
    (``verfs.dates.iso``), the stored 14 UTC digits beside it (part of the patch's
    identity); with ``verbose`` its prims as text."""
    info = step.patch.info
    out = {
        "version": step.vid,
        "parent": step.version.parent,
        "identity": info.identity,
        "name": info.name,
        "author": info.author,
        "date": iso(info.date, info.get_meta("zone")),
        "stored_date": info.date,
        "tag": info.tag_name,
        "comment": list(info.comment),
        "meta": dict(info.meta),
    }
    if step.version.inventory:
        out["inventory"] = step.version.inventory
    if verbose:
        from .patch.text import write_prims
        out["prims"] = write_prims(step.patch.prims).decode("utf-8", "surrogateescape")
    return out
