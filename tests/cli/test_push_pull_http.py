"""clone and pull over plain HTTP, from a real nginx serving a directory that was
pushed to through file://; pushing there is refused (read-only); a server that does
not answer is one line and exit 1."""

from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.servers import free_ports
from tests.treestate import disk_state


def _run(tmp_path, *args, cwd=None, check=True, **env):
    return run_verfs(*args, cwd=cwd, check=check,
                     env=verfs_env(XDG_CACHE_HOME=str(tmp_path / "cache"), **env))


def _record(tmp_path, d, name: str) -> str:
    (d / f"{name}.txt").write_text(name + "\n")
    return _run(tmp_path, "record", "-m", name, cwd=d).stdout.decode().strip()


def test_clone_and_pull_over_http(sample, http_root, http_url, tmp_path):
    pushed = f"file://{http_root}"
    _run(tmp_path, "push", pushed, cwd=sample.root)
    copy, local = tmp_path / "copy", tmp_path / "local"
    _run(tmp_path, "clone", http_url, copy)
    _run(tmp_path, "clone", sample.root, local)
    assert disk_state(copy) == disk_state(local)
    assert _run(tmp_path, "head", cwd=copy).stdout.decode().strip() == sample.repo.head()
    new = _record(tmp_path, sample.root, "more")
    _run(tmp_path, "push", pushed, cwd=sample.root)
    out = _run(tmp_path, "pull", http_url, cwd=copy).stdout.decode()
    assert out.startswith("pulled 1 version ")
    assert _run(tmp_path, "head", cwd=copy).stdout.decode().strip() == new
    assert disk_state(copy) == disk_state(sample.root)
    _run(tmp_path, "fsck", cwd=copy)
    err = one_line_error(_run(tmp_path, "push", http_url, cwd=copy, check=False), 2)
    assert "read-only" in err


def test_an_unreachable_server_is_one_line(repo_dir, tmp_path):
    port = free_ports(1)[0]
    for url in (f"http://127.0.0.1:{port}/store", "s3://bucket/prefix"):
        for args, cwd in ((("pull", url), repo_dir), (("clone", url, tmp_path / "d"), None)):
            proc = _run(tmp_path, *args, cwd=cwd, check=False,
                        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
                        AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y",
                        AWS_DEFAULT_REGION="us-east-1")
            one_line_error(proc, 1)
    assert not (tmp_path / "d").exists()
