"""Running a command until it parks at a named point (verfs/testhook.py), to kill it
there or let it go on: deterministic interruptions, no timing.

The read end of the FIFO is opened without blocking before the command starts; the
test then waits (``select``) for the command's line or its exit (a pidfd), so a
command that never reaches the point fails the test instead of hanging it.
"""

import os
import select
import signal
import subprocess
import sys
import tempfile

from tests.conftest import verfs_env


class Paused:
    def __init__(self, fifo_dir, point: str, *args, cwd=None):
        self.point = point
        self.fifo = os.path.join(tempfile.mkdtemp(dir=str(fifo_dir), prefix="pause-"), point)
        os.mkfifo(self.fifo)
        rfd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "verfs", *map(str, args)], cwd=cwd,
            env=verfs_env(VERFS_TEST_PAUSE_AT=f"{point}:{self.fifo}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            while True:
                ready, _, _ = select.select([rfd, pidfd], [], [])
                if rfd in ready and os.read(rfd, 100) == point.encode() + b"\n":
                    break
                if pidfd in ready:
                    out, err = self.proc.communicate()
                    raise AssertionError(f"verfs {' '.join(map(str, args))} ended "
                                         f"({self.proc.returncode}) before {point}:\n"
                                         f"{err.decode(errors='replace')}")
        finally:
            os.close(pidfd)
            os.close(rfd)

    def kill(self) -> None:
        """SIGKILL, as a crash or ``kill -9`` would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate()
        assert self.proc.returncode == -signal.SIGKILL

    def resume(self) -> subprocess.CompletedProcess:
        """Let it go on and finish; its result."""
        with open(self.fifo, "wb"):
            pass
        out, err = self.proc.communicate()
        assert b"Traceback" not in err, err.decode(errors="replace")
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)
