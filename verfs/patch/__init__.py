"""Patch theory as pure functions: prims and their inverses, applying them to a tree,
commuting them, named patches and their text."""

from .apply import apply_prim, apply_prims, apply_to_tree
from .commute import commute, commute_patches, commute_seqs
from .named import Patch, PatchInfo
from .prims import invert, invert_all
from .text import read_patch, read_prims, write_patch, write_prims

__all__ = ["Patch", "PatchInfo", "apply_prim", "apply_prims", "apply_to_tree", "commute",
           "commute_patches", "commute_seqs", "invert", "invert_all", "read_patch",
           "read_prims", "write_patch", "write_prims"]
