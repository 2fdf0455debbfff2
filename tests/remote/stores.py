"""Remote stores for the tests: a remote as the transports to it (a directory, a real
S3, a real web server), and a store opened over one with its own cache directory."""

from store.remote.store import RemoteStore, open_remote
from store.remote.transport import DirTransport
from store.remote.url import open_transport


class Where:
    """A remote, as transports to it: ``writer()`` (a fresh one: another machine) and
    ``reader()`` (the same, except over HTTP: nginx serving the directory written)."""

    def __init__(self, writer, reader=None, label=""):
        self.writer, self.reader = writer, reader or writer
        self.label = label


def dir_remote(path) -> Where:
    return Where(lambda: DirTransport(str(path)), label="dir")


def make_where(kind, request, tmp_path) -> Where:
    if kind == "dir":
        return dir_remote(tmp_path / "remote")
    if kind == "s3":
        url = request.getfixturevalue("s3_url")
        return Where(lambda: open_transport(url), label="s3")
    root, url = request.getfixturevalue("http_root"), request.getfixturevalue("http_url")
    return Where(lambda: DirTransport(str(root)), lambda: open_transport(url), label="http")


def new_store(where, cache_dir, transport=None, write=False, **kw) -> RemoteStore:
    if not isinstance(where, Where):
        where = dir_remote(where)
    transport = transport or (where.writer() if write or kw.get("create") else where.reader())
    return open_remote(transport.label, cache_dir=str(cache_dir), transport=transport, **kw)


def requests(store) -> int:
    return store.transport.stats.requests
