"""``diff -r`` between two neighbouring versions opens only what changed: the changed
files and the directories on the way to them (GNU diff skips a pair of entries with
equal device, inode and attributes without opening it — docs/FORMAT.md, "Inode
numbers"), counted with strace; and it says what it says of two checkouts."""

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import need, run_verfs
from tests.mount.histories import AUTHOR, put
from verfs import ops
from verfs.repo import Repository

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(180)]
ENV = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
OPEN = re.compile(r'\d+ +open(?:at2?)?\((?:AT_FDCWD, |(\d+), )?"((?:[^"\\]|\\.)*)"')

# Each step: its patch name and the files it edits; the last is a tag (no change).
STEPS = [("the tree", []), ("edit one file", ["d1/s2/f3.txt"]),
         ("edit two files", ["d0/f0.txt", "d3/s1/f2.txt"]), ("tag", None)]


def build(top) -> Repository:
    """Four directories of three subdirectories of four files, and files at every
    level; then the edits of STEPS, one version each."""
    repo = Repository.init(str(top))
    w = repo.root
    put(w, "top.txt", b"top\n")
    for d in range(4):
        for f in range(2):
            put(w, f"d{d}/f{f}.txt", b"d%d f%d\n" % (d, f) * 20)
        for s in range(3):
            for f in range(4):
                put(w, f"d{d}/s{s}/f{f}.txt", b"d%d s%d f%d\n" % (d, s, f) * 20)
    for i, (name, edits) in enumerate(STEPS):
        date = f"202402{i + 1:02d}120000"
        if edits is None:
            ops.tag(repo, "t1", AUTHOR, date)
            continue
        for rel in edits:
            with open(os.path.join(w, rel), "ab") as f:
                f.write(b"changed in %d\n" % i)
        ops.record(repo, name, AUTHOR, date)
    return repo


def opened(trace: str, roots: tuple[str, ...]) -> list[str]:
    """The paths in or at one of ``roots`` that strace saw opened."""
    out = []
    with open(trace) as f:
        for line in f:
            m = OPEN.match(line)
            if m is None:
                continue
            assert m.group(1) is None, line        # relative to a descriptor: uncounted
            path = os.path.normpath(m.group(2))
            if path in roots or path.startswith(tuple(r + "/" for r in roots)):
                out.append(path)
    return out


def strace_diff(a: str, b: str, cwd, trace) -> tuple[subprocess.CompletedProcess, list[str]]:
    r = subprocess.run(["strace", "-f", "-qq", "-s", "4096", "-e", "trace=open,openat,openat2",
                        "-o", str(trace), "diff", "-r", a, b],
                       capture_output=True, env=ENV, cwd=cwd, timeout=120)
    return r, opened(trace, (a, b))


def expected_opens(a: str, b: str, changed: list[str]) -> set[str]:
    """The two roots, every directory on the way to a changed file, the file: on
    both sides."""
    want = set()
    for top in (a, b):
        want.add(top)
        for rel in changed:
            parts = rel.split("/")
            want.update(os.path.join(top, *parts[:i]) for i in range(1, len(parts) + 1))
    return want


def test_diff_r_of_neighbours_opens_only_what_changed(tmp_path, mount):
    need("strace")
    repo = build(tmp_path / "repo")
    m = mount("--repo", repo.root)
    history = sorted(os.listdir(m / "history"))
    chain = [s.vid for s in repo.history.chain(repo.head())][::-1]
    assert len(history) == len(chain) == len(STEPS)
    disk = tmp_path / "disk"
    for name, vid in zip(history, chain, strict=True):
        dest = disk / "history" / name
        run_verfs("clone", "--version", vid, repo.root, dest)
        shutil.rmtree(dest / ".verfs")
    for i in range(1, len(STEPS)):
        a, b = f"history/{history[i - 1]}", f"history/{history[i]}"
        changed = STEPS[i][1] or []
        r, opens = strace_diff(a, b, m.path, tmp_path / f"mount{i}.trace")
        on_disk, disk_opens = strace_diff(a, b, disk, tmp_path / f"disk{i}.trace")
        assert r.returncode == on_disk.returncode == (1 if changed else 0), r.stderr
        assert (r.stdout, r.stderr) == (on_disk.stdout, on_disk.stderr)
        assert len(disk_opens) > 100            # on disk, diff -r reads everything
        if changed:
            assert sorted(set(opens)) == sorted(expected_opens(a, b, changed)), \
                (STEPS[i][0], len(opens), len(disk_opens))
        else:                                   # equal trees: at most the two roots
            assert set(opens) <= {a, b}, (STEPS[i][0], opens)
        plain = subprocess.run(["diff", "-r", a, b], capture_output=True, env=ENV, cwd=m.path)
        assert (plain.returncode, plain.stdout) == (r.returncode, r.stdout)
