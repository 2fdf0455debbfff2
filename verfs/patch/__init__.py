"""Patch theory as pure functions: prims and their inverses, applying them to a tree,
commuting them, named patches and their text.

The names below are imported from their modules when first used (PEP 562): a command
that only reads patches' text (``verfs log``) does not load commuting and applying.
"""

import importlib

_WHERE = {
    "apply_prim": "apply", "apply_prims": "apply", "apply_to_tree": "apply",
    "commute": "commute", "commute_patches": "commute", "commute_seqs": "commute",
    "Patch": "named", "PatchInfo": "named",
    "invert": "prims", "invert_all": "prims",
    "read_patch": "text", "read_prims": "text", "write_patch": "text", "write_prims": "text",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
