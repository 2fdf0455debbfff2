"""The mounted history: ``verfs mount``.

``view`` is the whole filesystem as plain Python (paths in, records out), testable
without FUSE; ``fuse_ops`` is the thin adapter that turns its records into stat dicts
and its typed errors into errnos; ``daemon`` checks the mount point, forks, waits
until the mount answers, and unmounts cleanly on SIGTERM or SIGINT.
"""
