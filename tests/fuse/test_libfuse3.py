"""Mounts over libfuse 3, the default where it can mount: the kernel keeps the
listing of each directory whose opendir answers ENOSYS, so a second walk reaches the
daemon only to open directories; READDIRPLUS hands the kernel whole attributes, so a
first ``ls -l`` looks nothing up; libfuse 2 still mounts (ENOSYS from opendir does
not crash it either), and its log says what it lacks."""

import collections
import os
import re
import signal
import subprocess
import sys
from ctypes.util import find_library

import pytest

from tests.conftest import REQUIRE_REAL, need, verfs_env
from tests.fuse.mounting import alive, force_unmount, is_mounted, wait_for
from verfs.mount import binding

pytestmark = pytest.mark.timeout(120)


def need_libfuse3() -> None:
    if binding.libfuse3() is None:
        why = "needs libfuse 3 (scripts/bootstrap as root builds one)"
        if REQUIRE_REAL:
            pytest.fail(why + " (VERFS_REQUIRE_REAL=1: skipping is not allowed)")
        pytest.skip(why)


def default_env() -> dict:
    env = verfs_env()
    env.pop("VERFS_LIBFUSE", None)
    return env


def requests(log, since: int = 0) -> collections.Counter:
    """The kernel's requests libfuse logged (``--debug``) from offset ``since``."""
    with open(log, "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    return collections.Counter(re.findall(r"opcode: (\w+)", text))


def walk_and_read(top) -> int:
    """os.walk, a stat of every entry, a read of every file: what a backup or grep
    does.  Returns how many files it read.  (Unbuffered: a buffered open asks
    isatty, an ioctl every FUSE mount answers itself, each time.)"""
    files = 0
    for parent, dirs, names in os.walk(top):
        for name in dirs + names:
            os.lstat(os.path.join(parent, name))
        for name in names:
            path = os.path.join(parent, name)
            if not os.path.islink(path):
                with open(path, "rb", buffering=0) as f:
                    f.read()
                files += 1
    return files


def test_the_default_mount_is_libfuse_3(sample, mount):
    need_libfuse3()
    m = mount("--repo", sample.root, env=default_env())
    assert re.search(r"\(mfusepy[^,]*, libfuse 3\.\d+\)", m.log.read_text())


def test_a_second_walk_only_opens_directories(sample, mount):
    """No LOOKUP, GETATTR, READDIR, OPEN or READ the second time: entries, attributes,
    listings and pages all stay in the kernel."""
    need_libfuse3()
    m = mount("--repo", sample.root, "--debug", env=default_env())
    version = m / "versions" / sample.chain[-1]
    assert walk_and_read(version) > 5
    first = requests(m.log)
    assert first["READDIR"] + first["READDIRPLUS"] > 0 and first["LOOKUP"] > 0
    start = m.log.stat().st_size
    walk_and_read(version)
    again = requests(m.log, start)
    assert again["OPENDIR"] > 0
    assert set(again) <= {"OPENDIR", "RELEASEDIR"}, again


def test_sigkill_leaves_no_mount_behind_every_time(sample, mount):
    """fusermount3 unmounts a killed daemon's mount only if the FUSE device went
    first; that was a race lost about one time in three (see the daemon's
    ``_auto_unmount_last``), so try it ten times."""
    need_libfuse3()
    for _ in range(10):
        m = mount("--repo", sample.root, env=default_env())
        assert os.listdir(m / "versions")
        pid, path = m.pid, m.path
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: not alive(pid))             # noqa: B023 - waited for here
        assert wait_for(lambda: not is_mounted(path), 5)    # noqa: B023
        assert os.listdir(path) == []


def test_libfuse_2_mounts_and_says_what_it_lacks(sample, mount):
    if find_library("fuse") is None:
        pytest.skip("needs libfuse 2")
    m = mount("--repo", sample.root, env=verfs_env(VERFS_LIBFUSE="2"))
    log = m.log.read_text()
    assert "libfuse 2.9" in log and "libfuse 2: the kernel asks the daemon again" in log
    assert (m / "versions" / sample.chain[-1] / "README").read_bytes() == \
        b"A sample project.\n"


# A file system of its own over the binding, whose readdir gives whole stats (as
# getattr does), to see what READDIRPLUS passes to the kernel.
PLUS_FS = r'''
import errno, stat, sys
from verfs.mount import binding, daemon

fuse = binding.load()
NAMES = {f"f{i:02d}": i for i in range(24)}
NAMES["sub"] = 99

def attrs(name):
    i = NAMES[name]
    mode = stat.S_IFDIR | 0o555 if name == "sub" else stat.S_IFREG | 0o444
    t = (1_600_000_000 + i) * 10**9
    return {"st_ino": 1000 + i, "st_mode": mode, "st_nlink": 2 if name == "sub" else 1,
            "st_size": 10 * i, "st_blocks": 8, "st_uid": 0, "st_gid": 0,
            "st_atime": t, "st_mtime": t, "st_ctime": t}

class Ops:
    use_ns = True

    def getattr(self, path, fh=None):
        if path == "/":
            return {"st_ino": 1, "st_mode": stat.S_IFDIR | 0o555, "st_nlink": 3}
        if path[1:] in NAMES:
            return attrs(path[1:])
        raise OSError(errno.ENOENT, "no such entry")

    def opendir(self, path):
        raise OSError(errno.ENOSYS, "keep the listing")

    def readdir(self, path, fh):
        names = NAMES if path == "/" else {}
        return [(".", None, 0), ("..", None, 0)] + [(n, attrs(n), 0) for n in names]

binding.fuse_class(fuse, binding.keeps_listings(fuse))(
    Ops(), sys.argv[1], encoding=binding.ENCODING, **daemon._options(debug=True))
'''


@pytest.fixture
def plus_fs(tmp_path):
    """``plus_fs(env)`` mounts PLUS_FS and returns (mount point, its debug log)."""
    need(fuse=True)
    served = []

    def do(env):
        mp, log = tmp_path / f"mp{len(served)}", tmp_path / f"plus{len(served)}.log"
        mp.mkdir()
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-c", PLUS_FS, str(mp)], env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        served.append((mp, proc))
        assert wait_for(lambda: is_mounted(mp), 30), log.read_text()
        return mp, log

    yield do
    for mp, proc in served:
        force_unmount(mp, proc.pid)
        proc.wait(timeout=30)


def listed(mp) -> dict:
    """``ls -l``: each entry's stat, as the kernel gives it."""
    seen = {entry.name: entry.stat(follow_symlinks=False) for entry in os.scandir(mp)}
    assert len(seen) == 25
    for name, st in seen.items():
        i = 99 if name == "sub" else int(name[1:])
        assert (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) == \
            (1000 + i, 10 * i, (1_600_000_000 + i) * 10**9, (1_600_000_000 + i) * 10**9)
        assert st.st_nlink == (2 if name == "sub" else 1)
    return seen


def test_readdirplus_gives_the_kernel_whole_attributes(plus_fs):
    need_libfuse3()
    mp, log = plus_fs(default_env())
    listed(mp)
    asked = requests(log)
    assert asked["READDIRPLUS"] > 0
    assert asked["LOOKUP"] == 0 and asked["GETATTR"] <= 1, asked    # (the root's)


def test_enosys_from_opendir_keeps_the_listing(plus_fs):
    need_libfuse3()
    mp, log = plus_fs(default_env())
    listed(mp)
    start = log.stat().st_size
    listed(mp)
    again = requests(log, start)
    assert set(again) <= {"OPENDIR", "RELEASEDIR"}, again


def test_enosys_from_opendir_is_safe_over_libfuse_2(plus_fs):
    """libfuse 2 cannot ask the kernel to keep a listing; the ENOSYS must still not
    reach the kernel, or libfuse would crash on the next READDIR."""
    if find_library("fuse") is None:
        pytest.skip("needs libfuse 2")
    mp, log = plus_fs(verfs_env(VERFS_LIBFUSE="2"))
    for _ in range(2):
        assert sorted(os.listdir(mp)) == sorted([f"f{i:02d}" for i in range(24)] + ["sub"])
    assert "FUSE library version: 2." in log.read_text()
    assert requests(log)["OPENDIR"] == 2
