"""verfs: a patch-based repository whose every state is a content-addressed version,
and a FUSE daemon that mounts that history read-only."""

__version__ = "0.1.0"
