"""verfs's content-addressed store: objects named by the SHA-256 of their bytes.

Imports nothing from verfs, click or fusepy.
"""

from .base import BLOB, DIRS, EMPTY_TREE_ID, INVENTORY, KINDS, PATCH, TREE, VERSION, ObjectStore
from .disk import DiskStore
from .errors import (
    AmbiguousPrefix,
    CorruptObject,
    FormatError,
    InvalidId,
    ObjectNotFound,
    StoreError,
    UnknownPrefix,
)
from .ids import EMPTY_BLOB, check_id, hash_bytes, is_id, short
from .memory import MemoryStore
from .objects import DIR, EMPTY_TREE, FILE, LINK, Inventory, Tree, TreeEntry, Version

__all__ = [
    "BLOB", "DIR", "DIRS", "EMPTY_BLOB", "EMPTY_TREE", "EMPTY_TREE_ID", "FILE", "INVENTORY",
    "KINDS", "LINK", "PATCH", "TREE", "VERSION", "AmbiguousPrefix", "CorruptObject",
    "DiskStore", "FormatError", "InvalidId", "Inventory", "MemoryStore", "ObjectNotFound",
    "ObjectStore", "StoreError", "Tree", "TreeEntry", "UnknownPrefix", "Version", "check_id",
    "hash_bytes", "is_id", "short",
]
