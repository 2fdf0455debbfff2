"""Patch theory as pure functions: prims and their inverses, applying them to a tree,
commuting them, named patches and their text.

The names below are imported from their modules when first used (PEP 562): a command
that only reads patches' text (``verfs log``) does not load commuting and applying.
"""

import importlib
import sys
import types

_WHERE = {
    "apply_prim": "apply", "apply_prims": "apply", "apply_to_tree": "apply",
    "commute": "commute", "commute_patches": "commute", "commute_seqs": "commute",
    "Patch": "named", "PatchInfo": "named",
    "invert": "prims", "invert_all": "prims",
    "read_patch": "text", "read_prims": "text", "write_patch": "text", "write_prims": "text",
}

__all__ = sorted(_WHERE)


class _Package(types.ModuleType):
    """The import system sets a submodule as an attribute of its package once it is
    imported: ``verfs.patch.commute`` would then be the module, not the function of
    that name (which the eager ``from .commute import commute`` used to rebind)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
