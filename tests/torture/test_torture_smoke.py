"""``scripts/torture --quick`` as a user runs it: it prints its table, every family of
trials has a row, and — once the fixes of issue 9 are in — it passes.

The run is the real thing (real kills, real damage, real FUSE mounts, real git and
darcs), so it is done once for the module and both tests read its outcome.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
ROWS = ("kill -9: import git", "kill -9: import darcs", "kill -9: record", "kill -9: gc",
        "kill -9: commute", "kill -9: clone", "kill -9: restore", "kill -9: tag",
        "corrupt: ", "readers under gc + record", "maintenance beside readers",
        "hostile: tests/props", "hostile names: git", "hostile names: darcs")

pytestmark = [pytest.mark.fuse, pytest.mark.compat]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    need("git")
    need("darcs")
    need(fuse=True)
    work = tmp_path_factory.mktemp("torture")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "torture"), "--quick",
                           "--seed", "1", "--work", str(work / "w")],
                          capture_output=True, timeout=580, cwd=ROOT,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return proc.returncode, proc.stdout.decode(errors="replace"), \
        proc.stderr.decode(errors="replace")


@pytest.mark.timeout(600)
def test_quick_run_prints_its_table(quick_run):
    rc, out, err = quick_run
    assert rc in (0, 1), f"exit {rc}\n{out}\n{err}"      # 2: could not set up
    assert "Traceback" not in out + err, out + err
    lines = out.splitlines()
    assert lines[0].startswith("verfs torture, ") and "seed 1" in lines[0], out
    assert lines[1].split("|")[0].strip() == "trial kind", out
    for row in ROWS:
        assert any(x.startswith(row) for x in lines), f"no row {row!r}:\n{out}"
    assert err == "", err          # piped: no progress line
    if rc:
        assert "replay: scripts/torture --quick --seed 1" in out, out


@pytest.mark.timeout(600)
def test_quick_run_passes(quick_run):
    rc, out, err = quick_run
    assert rc == 0, out
