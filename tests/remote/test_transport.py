"""The transports' behaviour, the same checks against each: a directory, a real S3
(SeaweedFS, tests/servers.py) and a real web server (nginx serving a directory that
a DirTransport writes).  The remote store above them relies on exactly these."""

import os
import threading
import time

import pytest

from store.remote.http import HTTPTransport
from store.remote.s3 import S3Transport
from store.remote.transport import DirTransport, PreconditionFailed, ReadOnlyRemote, RemoteError
from store.remote.url import open_transport
from tests.servers import free_ports


class Remote:
    """A transport to read through and one to write through (the same, except for
    HTTP, which is written as a directory and read over the web), and how to open
    another, independent writer (a second machine)."""

    def __init__(self, reader, writer, another):
        self.reader = reader
        self.writer = writer
        self.another = another


def make_remote(kind, request, tmp_path) -> Remote:
    if kind == "dir":
        root = str(tmp_path / "remote")
        os.makedirs(root)
        t = DirTransport(root)
        return Remote(t, t, lambda: DirTransport(root))
    if kind == "s3":
        url = request.getfixturevalue("s3_url")
        t = open_transport(url)
        assert isinstance(t, S3Transport)
        return Remote(t, t, lambda: open_transport(url))
    root = str(request.getfixturevalue("http_root"))
    t = open_transport(request.getfixturevalue("http_url"))
    assert isinstance(t, HTTPTransport)
    return Remote(t, DirTransport(root), lambda: DirTransport(root))


@pytest.fixture(params=["dir", "s3", "http"])
def remote(request, tmp_path):
    return make_remote(request.param, request, tmp_path)


@pytest.fixture(params=["dir", "s3"])
def writable_remote(request, tmp_path):
    return make_remote(request.param, request, tmp_path)


@pytest.fixture
def writable(writable_remote):
    return writable_remote.reader


DATA = bytes(range(256)) * 40          # 10,240 bytes


def test_get_whole_and_missing(remote):
    remote.writer.put("packs/a.pack", DATA)
    data, etag = remote.reader.get("packs/a.pack")
    assert data == DATA and etag
    assert remote.reader.get("packs/b.pack") is None
    assert remote.reader.get("nothing/at/all") is None


def test_get_range(remote):
    remote.writer.put("packs/a.pack", DATA)
    r = remote.reader
    assert r.get_range("packs/a.pack", 0, 10) == DATA[:10]
    assert r.get_range("packs/a.pack", 1000, 300) == DATA[1000:1300]
    assert r.get_range("packs/a.pack", len(DATA) - 5, 100) == DATA[-5:]   # fewer at the end
    assert r.get_range("packs/a.pack", len(DATA) + 10, 5) == b""          # wholly past it
    assert r.get_range("packs/a.pack", 7, 0) == b""
    with pytest.raises(RemoteError) as caught:
        r.get_range("packs/b.pack", 0, 10)
    assert "packs/b.pack" in str(caught.value)


def test_size(remote):
    remote.writer.put("head", b"x" * 65)
    remote.writer.put("empty", b"")
    assert remote.reader.size("head") == 65
    assert remote.reader.size("empty") == 0
    assert remote.reader.size("missing") is None


def test_list_sorted(remote):
    keys = ["objects/blob/bb", "objects/blob/aa", "objects/tree/cc", "packs/x.pack",
            "objects/blob/ab", "head"]
    for k in keys:
        remote.writer.put(k, k.encode())
    if not remote.reader.writable:
        with pytest.raises(ReadOnlyRemote):
            list(remote.reader.list("objects/"))
        return
    assert list(remote.reader.list("objects/")) == sorted(k for k in keys
                                                          if k.startswith("objects/"))
    assert list(remote.reader.list("objects/blob/a")) == ["objects/blob/aa",
                                                          "objects/blob/ab"]
    assert list(remote.reader.list("")) == sorted(keys)
    assert list(remote.reader.list("nothing/")) == []


def test_s3_list_pages(s3_url):
    """More keys than one ListObjectsV2 answer holds: every page is read."""
    t = open_transport(s3_url)
    keys = [f"objects/blob/{i:02x}" for i in range(23)]
    for k in keys:
        t.put(k, b"")
    t.list_page = 5
    before = t.stats.requests
    assert list(t.list("objects/")) == keys
    assert t.stats.requests - before == 5


def test_put_returns_the_etag_get_sees(writable):
    etag = writable.put("manifest", b"one")
    assert writable.get("manifest") == (b"one", etag)
    etag2 = writable.put("manifest", b"two")
    assert etag2 != etag and writable.get("manifest") == (b"two", etag2)


def test_conditional_put(writable):
    t = writable
    e1 = t.put("head", b"1\n", if_none_match=True)
    with pytest.raises(PreconditionFailed):
        t.put("head", b"2\n", if_none_match=True)           # it exists now
    assert t.get("head") == (b"1\n", e1)
    e2 = t.put("head", b"2\n", if_match=e1)
    with pytest.raises(PreconditionFailed):
        t.put("head", b"3\n", if_match=e1)                   # e1 is stale
    assert t.get("head") == (b"2\n", e2)
    with pytest.raises(PreconditionFailed):
        t.put("absent", b"x", if_match=e2)                   # nothing to match
    assert t.get("absent") is None


@pytest.mark.parametrize("condition", ["if_match", "if_none_match"])
def test_lost_race_exactly_one_wins(writable_remote, condition):
    """Two machines that read the same head write it at once: one wins, the other
    gets PreconditionFailed, and the value is the winner's."""
    remote = writable_remote
    rounds = 5
    for n in range(rounds):
        key = f"head{n}"
        etag = None
        if condition == "if_match":
            etag = remote.writer.put(key, b"old\n")
        writers = [remote.another(), remote.another()]
        gate = threading.Barrier(len(writers))
        outcome = {}

        def push(i, writers=writers, key=key, etag=etag, gate=gate, outcome=outcome):
            t = writers[i]
            gate.wait()
            try:
                if etag is None:
                    t.put(key, f"{i}\n".encode(), if_none_match=True)
                else:
                    t.put(key, f"{i}\n".encode(), if_match=etag)
                outcome[i] = "won"
            except PreconditionFailed:
                outcome[i] = "lost"

        threads = [threading.Thread(target=push, args=(i,)) for i in range(len(writers))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(outcome.values()) == ["lost", "won"], outcome
        winner = next(i for i, o in outcome.items() if o == "won")
        assert remote.reader.get(key)[0] == f"{winner}\n".encode()


def test_get_if_changed(remote):
    r = remote.reader
    remote.writer.put("head", b"a" * 64 + b"\n")
    data, etag = r.get("head")
    before = r.stats.copy()
    assert r.get_if_changed("head", etag) is False
    if isinstance(r, S3Transport):                                # a 304: no body
        assert (r.stats.requests - before.requests, r.stats.bytes_in - before.bytes_in) \
            == (1, 0)
    remote.writer.put("head", b"b" * 64 + b"\n")                  # same size
    if isinstance(r, HTTPTransport):
        # nginx's ETag is mtime (seconds) and size: give the new value the old mtime
        path = os.path.join(remote.writer.root, "head")
        os.utime(path, (int(time.time()), int(time.time())))
    got = r.get_if_changed("head", etag)
    assert got is not False and got[0] == b"b" * 64 + b"\n"
    assert r.get_if_changed("head", got[1]) is False
    assert r.get_if_changed("missing", etag) is None
    assert r.get_if_changed("head", None)[0] == got[0]


def test_http_same_size_rewrite_in_the_same_second_is_seen(http_root, http_url):
    """nginx's ETag does not change when a value is replaced by one of the same size
    within the same second; a fresh value is therefore compared by content."""
    w = DirTransport(str(http_root))
    r = HTTPTransport(http_url)
    path = os.path.join(w.root, "head")
    stamp = int(time.time())
    w.put("head", b"a" * 64 + b"\n")
    os.utime(path, (stamp, stamp))
    _data, etag = r.get("head")
    w.put("head", b"b" * 64 + b"\n")
    os.utime(path, (stamp, stamp))                    # the server's ETag is unchanged
    got = r.get_if_changed("head", etag)
    assert got is not False and got[0] == b"b" * 64 + b"\n"


def test_http_settled_value_is_polled_with_a_304(http_root, http_url):
    w = DirTransport(str(http_root))
    r = HTTPTransport(http_url)
    w.put("head", b"a" * 64 + b"\n")
    old = time.time() - 100
    os.utime(os.path.join(w.root, "head"), (old, old))
    _data, etag = r.get("head")
    before = r.stats.copy()
    assert r.get_if_changed("head", etag) is False
    assert (r.stats.requests - before.requests, r.stats.bytes_in - before.bytes_in) == (1, 0)


def test_http_is_read_only(http_url):
    t = open_transport(http_url)
    assert not t.writable
    for write in (lambda: t.put("head", b"x"), lambda: t.put_file("head", __file__),
                  lambda: t.delete("head"), lambda: list(t.list(""))):
        with pytest.raises(ReadOnlyRemote) as caught:
            write()
        assert "\n" not in str(caught.value) and http_url in str(caught.value)


def test_counting(remote):
    r = remote.reader
    remote.writer.put("packs/a.pack", DATA)
    before = r.stats.copy()
    r.get("packs/a.pack")
    r.get_range("packs/a.pack", 100, 50)
    r.size("packs/a.pack")
    r.get("missing")
    assert r.stats.requests - before.requests == 4
    assert r.stats.bytes_in - before.bytes_in == len(DATA) + 50
    if r.writable:
        before = r.stats.copy()
        r.put("x", b"12345")
        assert (r.stats.requests - before.requests,
                r.stats.bytes_out - before.bytes_out) == (1, 5)


def test_put_file(writable, tmp_path):
    small = tmp_path / "small"
    small.write_bytes(DATA)
    etag = writable.put_file("packs/small.pack", str(small))
    assert writable.get("packs/small.pack") == (DATA, etag)


def test_s3_put_file_in_parts(s3_url, tmp_path):
    t = open_transport(s3_url)
    t.put_whole_below = t.part_size = 5 << 20      # S3's smallest part
    big = tmp_path / "big"
    data = os.urandom(1 << 20) * 12
    big.write_bytes(data)
    before = t.stats.copy()
    etag = t.put_file("packs/big.pack", str(big))
    assert t.stats.requests - before.requests == 3 + 3
    assert t.stats.bytes_out - before.bytes_out == len(data)
    assert t.get("packs/big.pack") == (data, etag)
    assert t.size("packs/big.pack") == len(data)
    assert t.get_range("packs/big.pack", (5 << 20) - 3, 6) == data[(5 << 20) - 3:(5 << 20) + 3]


def test_delete(writable):
    writable.put("x", b"1")
    writable.delete("x")
    assert writable.get("x") is None
    writable.delete("x")                    # absent already: no error


# --- failures: one line naming the URL --------------------------------------------------

def one_line(exc: Exception, *words: str) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text, text
    for w in words:
        assert w in text, text
    return text


def test_s3_unreachable(monkeypatch, s3_env):
    (port,) = free_ports(1)             # nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    t = open_transport("s3://verfs-test/p")
    for op in (lambda: t.get("head"), lambda: t.put("head", b"x"), lambda: t.size("head"),
               lambda: list(t.list(""))):
        with pytest.raises(RemoteError) as caught:
            op()
        one_line(caught.value, "s3://verfs-test/p", f"127.0.0.1:{port}")


def test_s3_no_credentials(monkeypatch, s3_env):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")     # no instance role look-up
    t = open_transport("s3://verfs-test/p")
    with pytest.raises(RemoteError) as caught:
        t.get("head")
    one_line(caught.value, "s3://verfs-test/p", "AWS_ACCESS_KEY_ID")


def test_s3_wrong_credentials(monkeypatch, s3_env):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    t = open_transport("s3://verfs-test/p")
    with pytest.raises(RemoteError) as caught:
        t.get("head")
    one_line(caught.value, "s3://verfs-test/p/head", "access denied")


def test_s3_no_such_bucket(s3_env):
    t = open_transport("s3://verfs-no-such-bucket/p")
    for op in (lambda: t.get("head"), lambda: t.put("head", b"x")):
        with pytest.raises(RemoteError) as caught:
            op()
        one_line(caught.value, "s3://verfs-no-such-bucket/p", "no bucket")


def test_http_unreachable():
    (port,) = free_ports(1)
    t = open_transport(f"http://127.0.0.1:{port}/store")
    for op in (lambda: t.get("head"), lambda: t.size("head"),
               lambda: t.get_range("packs/a.pack", 0, 5)):
        with pytest.raises(RemoteError) as caught:
            op()
        one_line(caught.value, f"http://127.0.0.1:{port}/store/")


def test_http_refusal_is_one_line(http_root, http_url):
    (http_root / "secret").mkdir()                  # a directory: nginx answers 403/301
    t = open_transport(http_url)
    with pytest.raises(RemoteError) as caught:
        t.get("secret")
    one_line(caught.value, http_url + "/secret", "answered")


def test_http_reconnects_once_on_a_dropped_connection():
    """A server that closes each connection after one answer, without saying so (as
    one whose keep-alive timed out while idle): every request is still answered."""
    import http.server
    connections = []

    class OneShot(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            connections.append(self.client_address)

        def do_GET(self):
            body = self.path.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True        # and no "Connection: close" header

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OneShot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        t = HTTPTransport(f"http://127.0.0.1:{server.server_address[1]}/s")
        assert [t.get(k)[0] for k in ("a", "b", "c")] == [b"/s/a", b"/s/b", b"/s/c"]
        assert len(connections) == 3
    finally:
        server.shutdown()
        server.server_close()
