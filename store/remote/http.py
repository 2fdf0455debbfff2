"""A remote store served by any static web server (``https://HOST/PATH``, ``http://``):
a copy of an S3 or directory remote, read-only, by plain GETs with ``Range`` and
``If-None-Match``.

Only the standard library (http.client): each thread keeps its own keep-alive
connection, since a mount reads from many threads and a connection carries one
request at a time.  A web server cannot list or write, so ``list`` and ``put`` raise
ReadOnlyRemote (the base class's).
"""

import email.utils
import hashlib
import http.client
import threading
import urllib.parse

from .transport import RemoteError, Transport

TIMEOUT = 30.0                  # seconds, per connect and per read
SETTLED = 2.0                   # seconds: see _validator
_DROPPED = (http.client.RemoteDisconnected, http.client.CannotSendRequest,
            http.client.BadStatusLine, ConnectionResetError, BrokenPipeError,
            ConnectionAbortedError)


class HTTPTransport(Transport):
    """Keys are paths below the URL.  ETags are the server's (nginx sends them for
    static files) where they can be trusted, else a hash of the content, so polling
    still answers "unchanged", at the price of a whole GET (see ``_validator``)."""

    writable = False

    def __init__(self, url: str):
        super().__init__()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.label = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._base = parts.path.rstrip("/")
        self._local = threading.local()

    # --- plumbing ---------------------------------------------------------------------
    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it has carried a request before
        (a reused keep-alive connection the server may have closed meanwhile)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        if self._https:
            conn = http.client.HTTPSConnection(self._host, self._port, timeout=TIMEOUT)
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=TIMEOUT)
        self._local.conn = conn
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _request(self, method: str, key: str, headers: dict[str, str]):
        """(status, response headers, body) of one request; a dropped keep-alive
        connection is reopened once; anything else unreachable is a RemoteError."""
        path = self._base + "/" + urllib.parse.quote(key)
        while True:
            conn, reused = self._connection()
            try:
                conn.request(method, path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
            except _DROPPED as exc:
                self._drop()
                if reused:
                    continue        # the server closed it while idle: once more, fresh
                raise RemoteError(f"{self._url(key)}: the server closed the connection "
                                  f"({_one_line(exc) or type(exc).__name__})") from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise RemoteError(f"{self._url(key)}: cannot reach "
                                  f"{self._host}: {_one_line(exc) or type(exc).__name__}"
                                  ) from None
            if resp.will_close:
                self._drop()
            # bytes of values, as the other transports count (not error pages)
            self._count(bytes_in=len(body) if resp.status in (200, 206) else 0)
            return resp.status, resp, body

    def _url(self, key: str) -> str:
        return f"{self.label}/{key}"

    def _refused(self, key: str, resp) -> RemoteError:
        return RemoteError(f"{self._url(key)}: the server answered {resp.status} "
                           f"{resp.reason}")

    # --- reading --------------------------------------------------------------------
    def get(self, key):
        return self._get(key, None)

    def get_if_changed(self, key, etag):
        return self._get(key, etag)

    def _get(self, key, etag):
        headers = {"If-None-Match": etag} if etag is not None else {}
        status, resp, body = self._request("GET", key, headers)
        if status == 304:
            return False
        if status in (404, 410):
            return None
        if status != 200:
            raise self._refused(key, resp)
        content = _etag(body)
        if etag is not None and etag in (content, resp.getheader("ETag")):
            return False
        return body, _validator(resp, content)

    def get_range(self, key, start, length):
        if length <= 0:
            return b""
        headers = {"Range": f"bytes={start}-{start + length - 1}"}
        status, resp, body = self._request("GET", key, headers)
        if status == 206:
            return body
        if status == 200:        # a server that ignores Range: the whole value, sliced
            return body[start:start + length]
        if status == 416:        # wholly past the end
            return b""
        if status in (404, 410):
            raise RemoteError(f"{self._url(key)}: no such key")
        raise self._refused(key, resp)

    def size(self, key):
        status, resp, _body = self._request("HEAD", key, {})
        if status in (404, 410):
            return None
        if status != 200:
            raise self._refused(key, resp)
        length = resp.getheader("Content-Length")
        if length is None or not length.isdigit():
            raise RemoteError(f"{self._url(key)}: the server sent no length")
        return int(length)


def _validator(resp, content: str) -> str:
    """The ETag to hand out for a value read: the server's, once it can be trusted to
    change with the value, else ``content`` (a hash of the bytes).

    nginx's ETag is the file's mtime (whole seconds) and size, so a ``head`` rewritten
    within the second it was read, at the same size, would keep it and a poller would
    never see the change.  A value modified less than SETTLED seconds before the
    server's clock is therefore compared by content: the next poll sends an ETag no
    server matches, gets the value, and compares hashes."""
    server = resp.getheader("ETag")
    if not server or server.startswith("W/"):
        return content
    modified = _http_date(resp.getheader("Last-Modified"))
    if modified is None:
        return server           # no clock behind it: presumably a content hash
    now = _http_date(resp.getheader("Date"))
    if now is None or now - modified < SETTLED:
        return content
    return server


def _http_date(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split())
