"""The store contract bound to the remote store: over a directory (file://), and over
a real S3 server when the fixtures that start one are there."""

import pytest

from store.place import RAW, encode, is_plain
from store.remote import layout
from store.remote.store import RemoteStore, open_remote
from store.remote.transport import DirTransport
from store.testing import StoreContract


def tamper_remote(store: RemoteStore, kind: str, oid: str, data: bytes) -> None:
    """Rewrite the remote's copy of an object (loose: every single put is) through the
    transport, behind the store's back."""
    body = RAW + data if is_plain(kind, len(data)) else encode(kind, data)
    store.transport.put(layout.object_key(kind, oid), body)


class TestRemoteStoreOverDirectory(StoreContract):
    def make_store(self, tmp_path):
        transport = DirTransport(str(tmp_path / "remote"))
        return RemoteStore(transport, transport.label, str(tmp_path / "cache"), create=True)

    def tamper(self, store, kind, oid, data):
        tamper_remote(store, kind, oid, data)


class TestRemoteStoreOverS3(StoreContract):
    """The same, against a real S3 server (SeaweedFS, started by the fixtures)."""

    @pytest.fixture
    def store(self, tmp_path, s3_url):
        return open_remote(s3_url, cache_dir=str(tmp_path / "cache"), create=True)

    def tamper(self, store, kind, oid, data):
        tamper_remote(store, kind, oid, data)
