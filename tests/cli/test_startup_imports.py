"""What a command does not import: ``verfs head`` reads one file and loads neither
the store nor the verbs; ``verfs log`` reads patches' infos and loads neither the
writing side of the store nor prims; none loads FUSE, S3's client or hypothesis.
(How long start-up takes is scripts/bench's to say: ``--only startup``.)"""

import subprocess
import sys

import pytest

from tests.conftest import verfs_env

CODE = """
import sys
from verfs.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    assert not exc.code, exc.code
with open(sys.argv[1], "w") as f:
    f.write("\\n".join(sorted(sys.modules)))
"""

NEVER = ("boto3", "botocore", "fuse", "mfusepy", "hypothesis", "verfs.mount",
         "verfs.importers", "verfs.search", "store.remote", "sqlite3.dump")


def imported(tmp_path, cwd, *args) -> set[str]:
    out = tmp_path / "modules"
    proc = subprocess.run([sys.executable, "-c", CODE, out, *args], cwd=cwd,
                          capture_output=True, env=verfs_env())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return set(out.read_text().split("\n"))


def loaded(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


@pytest.fixture
def repo(repo_dir, verfs):
    (repo_dir / "f").write_text("x\n")
    verfs("record", "-m", "one", cwd=repo_dir)
    return repo_dir


def test_head_loads_no_store_and_no_verbs(repo, tmp_path):
    modules = imported(tmp_path, repo, "head")
    assert "verfs.repo" in modules                      # it did run
    assert loaded(modules, NEVER + ("verfs.ops", "store.disk", "store.pack", "hashlib",
                                    "verfs.history", "verfs.fsck", "verfs.diff",
                                    "subprocess", "json", "dataclasses", "sqlite3")) == []


def test_version_loads_no_repository(repo, tmp_path):
    modules = imported(tmp_path, repo, "--version")
    assert loaded(modules, NEVER + ("verfs.repo", "store.ids", "verfs.ops")) == []


def test_log_loads_no_verbs_no_prims_and_no_writing_side(repo, tmp_path):
    for args in (["log", "-n", "1"], ["log", "--json"]):
        modules = imported(tmp_path, repo, *args)
        assert "verfs.cli.log_cmds" in modules and "verfs.dates" in modules
        assert loaded(modules, NEVER + ("verfs.ops", "verfs.patch.prims", "verfs.patch.text",
                                        "store.repack", "store.staging", "subprocess",
                                        "verfs.filelog", "verfs.diff", "verfs.journal",
                                        "sqlite3")) == []
