"""``verfs mounts``: every verfs mount of the machine with where it comes from — a
repository (even one whose path holds a comma, a space and a backslash, which libfuse's
options and the mount table escape), a bare store, a remote store, one version — read
from the kernel's mount table, so an unmounted or killed one is gone from the list."""

import json
import os
import shutil
import signal

import pytest

from tests.conftest import run_verfs
from tests.fuse.conftest import mount  # noqa: F401 - the fixture that always unmounts
from tests.fuse.mounting import alive, is_mounted, wait_for
from tests.fuse.remotes import publish

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


def listed(mine) -> list[dict]:
    """``verfs mounts --json``, only the mounts under ``mine`` (other tests' mounts
    may be there too)."""
    out = json.loads(run_verfs("mounts", "--json").stdout)
    return [m for m in out if m["mountpoint"].startswith(str(mine))]


def test_every_kind_of_mount_is_listed(sample, mount, tmp_path):  # noqa: F811
    odd = tmp_path / "a, b\\c d"
    shutil.copytree(sample.root, odd, symlinks=True)
    url = f"file://{tmp_path / 'remote'}"
    publish(sample.repo, url, tmp_path / "pub-cache")
    store = sample.root / ".verfs" / "store"
    r = mount("--repo", odd, at=tmp_path / "m repo")
    s = mount("--store", store)
    u = mount("--store", url, "--cache", tmp_path / "cache")
    v = mount("--repo", sample.root, "--version", "v1.0")
    assert listed(tmp_path) == [
        {"mountpoint": str(r.path), "kind": "repository", "source": str(odd),
         "version": None},
        {"mountpoint": str(s.path), "kind": "store", "source": str(store), "version": None},
        {"mountpoint": str(u.path), "kind": "remote", "source": url, "version": None},
        {"mountpoint": str(v.path), "kind": "repository", "source": str(sample.root),
         "version": sample.named["tag"]},
    ]
    assert os.listdir(r / "tags") == ["v1.0"]       # the odd path mounted what it says
    text = run_verfs("mounts").stdout.decode().splitlines()
    assert f"{r.path}\trepository\t{odd}" in text
    assert f"{v.path}\trepository\t{sample.root}\tversion {sample.named['tag']}" in text

    run_verfs("umount", s.path)
    assert [m["mountpoint"] for m in listed(tmp_path)] == [str(r.path), str(u.path),
                                                            str(v.path)]
    os.kill(u.pid, signal.SIGKILL)                  # auto_unmount: the table forgets it
    assert wait_for(lambda: not alive(u.pid) and not is_mounted(u.path))
    assert [m["mountpoint"] for m in listed(tmp_path)] == [str(r.path), str(v.path)]


def test_no_mounts_is_an_empty_list(tmp_path):
    assert listed(tmp_path) == []
    assert run_verfs("mounts").returncode == 0
