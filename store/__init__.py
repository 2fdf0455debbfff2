"""verfs's content-addressed store: objects named by the SHA-256 of their bytes.

Imports nothing from verfs, click or fusepy.

The names below are loaded on first use (PEP 562): ``import store.errors`` — which
every verfs command does — then costs the errors module alone, not the disk store, the
packs and the rest (``verfs head`` starts in a few milliseconds more than Python).
"""

import importlib

_WHERE = {
    "base": ("BLOB", "DIRS", "EMPTY_TREE_ID", "INVENTORY", "KINDS", "PATCH", "TREE", "VERSION",
             "ObjectStore"),
    "disk": ("DiskStore",),
    "errors": ("AmbiguousPrefix", "CorruptObject", "FormatError", "InvalidId",
               "ObjectNotFound", "StoreError", "UnknownPrefix"),
    "ids": ("EMPTY_BLOB", "check_id", "hash_bytes", "is_id", "short"),
    "memory": ("MemoryStore",),
    "objects": ("DIR", "EMPTY_TREE", "FILE", "LINK", "Inventory", "Tree", "TreeEntry",
                "Version"),
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE)


def __getattr__(name: str):
    module = _MODULE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value         # once: later look-ups are plain
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
