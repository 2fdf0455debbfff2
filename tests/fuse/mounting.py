"""Watching mounts and daemons from the outside, and the last-resort unmount."""

import os
import signal
import subprocess
import time

from tests.conftest import run_verfs


def is_mounted(path) -> bool:
    path = os.path.abspath(str(path))
    with open("/proc/mounts") as f:
        return any(line.split()[1].replace("\\040", " ") == path for line in f)


def alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)     # our child only with -f
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:             # a zombie is gone for our purpose
        return f.read().split(") ")[-1][:1] != "Z"


def wait_for(cond, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def force_unmount(path, pid: int | None) -> None:
    if is_mounted(path):
        run_verfs("umount", path, check=False, timeout=30)
    if is_mounted(path):
        subprocess.run(["fusermount", "-u", "-z", str(path)], capture_output=True)
    if pid and not wait_for(lambda: not alive(pid), 5):
        os.kill(pid, signal.SIGKILL)
    assert not is_mounted(path)


def version_at(path) -> str:
    """The version a version's root in the mount shows (its user.verfs.version)."""
    return os.getxattr(path, "user.verfs.version").decode()
