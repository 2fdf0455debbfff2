"""Running verfs as on a terminal: its stdout on a pseudo-terminal (what pagers and
colours are decided by), read until the other side closes."""

import os
import pty
import subprocess
import sys


def on_a_terminal(args, cwd, env) -> tuple[bytes, bytes]:
    """Run verfs with its stdout on a pseudo-terminal: everything it (and its pager)
    wrote there, and its stderr; it must exit 0."""
    main, sub = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "verfs", *args], cwd=cwd, stdout=sub,
                            stderr=subprocess.PIPE, env=env)
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:         # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    err = proc.stderr.read()
    proc.wait(timeout=60)
    os.close(main)
    assert proc.returncode == 0, err
    return out, err
