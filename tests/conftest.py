"""Shared test helpers.

``run_verfs`` drives the real command line in a subprocess, as a user would, and
fails any test whose command printed a traceback.  ``need`` skips a test that needs a
real program or /dev/fuse — except under ``VERFS_REQUIRE_REAL=1`` (set by .ci/run),
where a missing one is a failure, so a green CI means the real things ran.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mount.histories import build_sample, copy_sample

REQUIRE_REAL = os.environ.get("VERFS_REQUIRE_REAL") == "1"


def need(program: str | None = None, fuse: bool = False) -> None:
    missing = []
    if program and shutil.which(program) is None:
        missing.append(program)
    if fuse and not (os.path.exists("/dev/fuse") and shutil.which("fusermount")):
        missing.append("/dev/fuse and fusermount")
    if missing:
        msg = f"needs {', '.join(missing)}"
        if REQUIRE_REAL:
            pytest.fail(msg + " (VERFS_REQUIRE_REAL=1: skipping is not allowed)")
        pytest.skip(msg)


def one_line_error(proc, code: int | None = None) -> str:
    """A failed command's stderr, asserted to be one line ``verfs: ...`` (and, if
    given, its exit status ``code``)."""
    err = proc.stderr.decode()
    assert proc.returncode != 0 if code is None else proc.returncode == code, \
        (proc.returncode, err)
    assert err.count("\n") == 1 and err.startswith("verfs: "), err
    return err


def verfs_env(**extra) -> dict:
    env = dict(os.environ)
    env.update({"VERFS_AUTHOR": "Tester <tester@example.com>", "LC_ALL": "C.UTF-8"})
    env.update(extra)
    return env


def run_verfs(*args, cwd=None, check: bool = True, input: bytes | None = None,
              env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``verfs ARGS`` in a subprocess; bytes out and err."""
    proc = subprocess.run([sys.executable, "-m", "verfs", *map(str, args)], cwd=cwd,
                          input=input, capture_output=True, env=env or verfs_env(),
                          timeout=timeout)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    if check and proc.returncode != 0:
        raise AssertionError(f"verfs {' '.join(map(str, args))} exited {proc.returncode}:\n"
                             f"{proc.stderr.decode(errors='replace')}")
    return proc


@pytest.fixture
def verfs():
    return run_verfs


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    """An empty verfs repository."""
    d = tmp_path / "repo"
    run_verfs("init", d)
    return d


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory):
    """The sample history (tests/mount/histories.py), built once — recording fsyncs,
    which is slow; each test gets a copy."""
    return build_sample(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture
def sample(sample_template, tmp_path):
    return copy_sample(sample_template, tmp_path / "repo")


# --- real servers for the remote stores (tests/servers.py) ----------------------------

def _server_or_skip(start):
    """Enter the context manager ``start()``; a missing program skips (fails under
    VERFS_REQUIRE_REAL=1, as ``need`` does)."""
    from tests.servers import ServerMissing
    try:
        return start()
    except ServerMissing as exc:
        if REQUIRE_REAL:
            pytest.fail(f"{exc} (VERFS_REQUIRE_REAL=1: skipping is not allowed)")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One SeaweedFS for the whole session (it takes seconds to start and to stop)."""
    from tests.servers import seaweedfs
    with _server_or_skip(lambda: seaweedfs(str(tmp_path_factory.mktemp("seaweedfs")))) \
            as server:
        server.make_bucket(S3_BUCKET)
        yield server


S3_BUCKET = "verfs-test"
_prefixes = iter(range(1, 1 << 30))


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The environment that points boto3 at the session's SeaweedFS, applied to this
    process (and so to ``verfs_env()`` for subprocesses)."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return dict(s3_server.env)


@pytest.fixture
def s3_url(s3_env, request):
    """``s3://verfs-test/<fresh prefix>``: an empty remote for this test."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40]
    return f"s3://{S3_BUCKET}/t{next(_prefixes)}-{name}"


@pytest.fixture(params=["file", "s3"])
def url(request, tmp_path):
    """A remote store's URL, not made yet (the first push makes it): a directory
    (``file://``), then a fresh prefix of the real S3 server's bucket."""
    if request.param == "file":
        return f"file://{tmp_path}/remote"
    return request.getfixturevalue("s3_url")


@pytest.fixture(scope="session")
def _http_server(tmp_path_factory):
    """One nginx for the session, serving a directory whose subdirectories are the
    tests' ``http_root``s."""
    from tests.servers import nginx
    served = tmp_path_factory.mktemp("www")
    workdir = tmp_path_factory.mktemp("nginx")
    with _server_or_skip(lambda: nginx(str(served), str(workdir))) as url:
        yield served, url


@pytest.fixture
def http_root(_http_server, request) -> Path:
    """A fresh directory that nginx serves at ``http_url``: write a store into it
    (e.g. through ``file://``), read it back over HTTP."""
    served, _url = _http_server
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40]
    d = served / f"t{next(_prefixes)}-{name}"
    d.mkdir()
    return d


@pytest.fixture
def http_url(_http_server, http_root) -> str:
    return f"{_http_server[1]}/{http_root.name}"
