"""The test servers themselves (tests/servers.py): a server that cannot start is one
clear failure with its log, and a server is gone when its block ends, however it ends."""

import socket

import pytest

from tests import servers


def _refused(url: str) -> bool:
    host, port = url.rsplit("/", 1)[-1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_nginx_is_stopped_when_the_block_raises(tmp_path):
    (tmp_path / "www").mkdir()
    with pytest.raises(RuntimeError), servers.nginx(str(tmp_path / "www")) as url:
        assert not _refused(url)
        raise RuntimeError("the test failed")
    assert _refused(url)


def test_a_server_that_exits_says_why(tmp_path, monkeypatch):
    fake = tmp_path / "nginx"
    fake.write_text("#!/bin/sh\necho 'nginx: [emerg] something is wrong' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(servers, "find_program", lambda *names: str(fake))
    (tmp_path / "www").mkdir()
    with pytest.raises(servers.ServerFailed) as caught, \
            servers.nginx(str(tmp_path / "www"), str(tmp_path / "work")):
        pass
    assert "status 3" in str(caught.value) and "something is wrong" in str(caught.value)


def test_a_missing_program_is_server_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(servers, "find_program", lambda *names: None)
    with pytest.raises(servers.ServerMissing), servers.seaweedfs(str(tmp_path)):
        pass
