"""From what a user types to a transport: ``s3://BUCKET/PREFIX``, ``https://HOST/PATH``
or ``http://…`` (read-only), ``file:///DIR``.  Configuration of S3 (endpoint,
credentials, region) is boto3's own: ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``~/.aws/config`` and the rest."""

import urllib.parse

from ..errors import EXIT_USAGE, StoreError
from .transport import DirTransport, Transport

SCHEMES = ("s3", "http", "https", "file")


class BadURL(StoreError):
    """Not a URL verfs can store a history at."""

    exit_code = EXIT_USAGE


def is_url(text: str) -> bool:
    """Whether ``text`` is meant as a remote (has one of our schemes), not a path."""
    return text.split("://", 1)[0].lower() in SCHEMES and "://" in text


def open_transport(url: str) -> Transport:
    """The transport for ``url``; BadURL (one line) for anything else."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise BadURL(f"{url}: a file URL is file:///ABSOLUTE/PATH")
        return DirTransport(urllib.parse.unquote(parts.path))
    if scheme == "s3":
        if not parts.netloc:
            raise BadURL(f"{url}: an S3 URL is s3://BUCKET/PREFIX")
        from .s3 import S3Transport
        return S3Transport(parts.netloc, parts.path.strip("/"))
    if scheme in ("http", "https"):
        if not parts.netloc:
            raise BadURL(f"{url}: an HTTP URL is http(s)://HOST[:PORT]/PATH")
        from .http import HTTPTransport
        return HTTPTransport(url)
    raise BadURL(f"{url}: not a store URL (s3://BUCKET/PREFIX, https://HOST/PATH, "
                 f"file:///DIR)")
