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
