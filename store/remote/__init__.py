"""Stores elsewhere: a verfs store kept on S3, on any static web server, or in a
directory, read lazily by byte range through a local read-through cache.

Objects are immutable and named by their hash, so nothing fetched is ever
revalidated; only the remote's ``head`` (and its ``manifest``, which only grows) move.
The layout is in docs/FORMAT.md, "Remote stores".  ``transport.py`` is the one place
that talks to the outside (S3 with boto3, HTTP with http.client, or plain files);
everything above it is written against :class:`~store.remote.transport.Transport`.
"""
