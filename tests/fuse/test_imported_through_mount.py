"""Imported histories through the mount: ``diff -r`` between a mounted version and
the program's own view of that state — ``git archive`` of the commit, or a
``darcs clone --to-match`` of the patch — exits 0 for every version."""

import json
import subprocess
from pathlib import Path

import pytest

from tests.compat.darcs_util import Darcs
from tests.compat.gitrepo import GitRepo, git_env
from tests.conftest import need, run_verfs

pytestmark = [pytest.mark.compat, pytest.mark.fuse, pytest.mark.timeout(240)]


def _diff(a: Path, b: Path, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(["diff", "-r", *extra, str(a), str(b)], capture_output=True,
                          timeout=60)


def _versions(repo: Path) -> list[dict]:
    """The imported versions, oldest first."""
    return list(reversed(json.loads(run_verfs("log", "--json", cwd=repo).stdout)))


def test_every_git_commit_through_the_mount(tmp_path, mount):
    need("git")
    g = GitRepo(tmp_path / "src")
    g.write("README", "hello\n")
    g.write("src/main.c", "int main(void)\n{\n    return 0;\n}\n")
    g.write("naïve name.txt", "no final newline")
    g.commit("start")
    g.write("src/main.c", "int main(void)\n{\n    return 1;\n}\n")
    g.write("bin/run", "#!/bin/sh\necho run\n", exe=True)
    g.commit("edit and add")
    g.git("mv", "src", "lib")
    g.write("logo.png", b"\x89PNG\0\x01\x02")
    g.link("latest", "lib/main.c")
    g.commit("rename a directory, a binary file, a link")
    g.git("tag", "v1")
    g.remove("README")
    g.write("bin/run", "#!/bin/sh\necho run faster\n", exe=True)
    g.commit("remove and edit")
    dst = tmp_path / "imported"
    run_verfs("import", "git", g.top, "--into", dst)
    m = mount("--repo", dst)
    commits = [v for v in _versions(dst) if v["tag"] is None]
    assert len(commits) == 4
    for i, v in enumerate(commits):
        out = tmp_path / f"archive{i}"
        out.mkdir()
        tar = subprocess.run(["git", "archive", v["meta"]["git-commit"]], cwd=g.top,
                             capture_output=True, check=True, env=git_env()).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=tar, check=True)
        proc = _diff(m / "versions" / v["version"], out)
        assert proc.returncode == 0, proc.stdout.decode(errors="replace")
    # and a difference is seen as one
    assert _diff(m / "versions" / commits[0]["version"], tmp_path / "archive3").returncode == 1
    assert _diff(m / "tags" / "v1", tmp_path / "archive2").returncode == 0


def test_every_darcs_patch_through_the_mount(tmp_path, mount):
    need("darcs")
    d = Darcs(tmp_path)
    src = d.init(tmp_path / "src")
    (src / "dir one").mkdir()
    (src / "dir one" / "a.txt").write_text("alpha\nbeta\n")
    (src / "nonl").write_text("no final newline")
    d.record(src, "start")
    (src / "dir one" / "a.txt").write_text("alpha\nBETA\ngamma\n")
    (src / "empty").mkdir()
    d.record(src, "edit, and an empty directory")
    d("mv", "dir one", "dir two", cwd=src)
    d.record(src, "rename a directory")
    d("tag", "-q", "-m", "v1", cwd=src)
    (src / "blob.bin").write_bytes(b"BIN\0\x01\x02\n")
    (src / "nonl").unlink()
    d.record(src, "a binary file, a removal")
    dst = tmp_path / "imported"
    run_verfs("import", "darcs", src, "--into", dst)
    m = mount("--repo", dst)
    for i, v in enumerate(_versions(dst)):
        clone = tmp_path / f"clone{i}"
        d.state(src, v["meta"]["darcs-hash"], clone)
        proc = _diff(m / "versions" / v["version"], clone, "--exclude=_darcs")
        assert proc.returncode == 0, proc.stdout.decode(errors="replace")
