"""Ordinary tools through a real mount: diff -r, find, cat, grep -r, stat, cp -a; every
kind of write fails with EROFS; prefixes; many concurrent readers."""

import datetime
import errno
import os
import re
import stat
import subprocess
import threading

import pytest

from tests.conftest import run_verfs
from tests.fuse.mounting import version_at
from tests.mount.histories import ODD_NAME, build_random, clone_at
from tests.treestate import disk_state, tree_state

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(180)]
ENV = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}


def sh(*args, cwd=None) -> subprocess.CompletedProcess:
    args = [a if isinstance(a, bytes) else str(a) for a in args]
    return subprocess.run(args, capture_output=True, env=ENV, cwd=cwd, timeout=120)


def changed_by_diff_r(out: bytes, a: str, b: str) -> set[str]:
    """The files GNU ``diff -rq --no-dereference`` names: differing ones, and every
    file under what is only on one side."""
    paths = set()
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        m = re.fullmatch(r"(?:Files|Symbolic links) (.*) and (.*) differ", line)
        if m:
            assert m.group(1).startswith(a + "/") and m.group(2).startswith(b + "/")
            paths.add(m.group(1)[len(a) + 1:])
            continue
        m = re.fullmatch(r"Only in (.*): (.*)", line)
        assert m, line
        top = a if (m.group(1) + "/").startswith(a + "/") else b
        full = os.path.join(m.group(1), m.group(2))
        if os.path.isdir(full) and not os.path.islink(full):
            for d, dirs, files in os.walk(full):
                paths.update(os.path.relpath(os.path.join(d, n), top) for n in files)
                paths.update(os.path.relpath(os.path.join(d, n), top) for n in dirs
                             if os.path.islink(os.path.join(d, n)))
        else:
            paths.add(os.path.relpath(full, top))
    return paths


def changed_by_verfs_diff(out: bytes) -> set[str]:
    """The paths whose content differs (a section of git's mode lines alone is a change
    'diff -r' does not see)."""
    paths = set()
    section = None
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        m = re.fullmatch(r"diff -ruN [0-9a-f]{12}/(.*) [0-9a-f]{12}/(.*)", line) or \
            re.fullmatch(r"Symbolic links [0-9a-f]{12}/(.*) and [0-9a-f]{12}/(.*) differ", line)
        if m:
            assert m.group(1) == m.group(2)
            section = m.group(1)
            if line.startswith("Symbolic links"):
                paths.add(section)
        elif section is not None and (line.startswith("--- ") or line.startswith("Binary")):
            paths.add(section)
    return paths


def test_diff_r_reports_what_verfs_diff_reports(sample, mounted):
    names = ["start", "edit", "rename", "binary", "tag", "notes", "commuted"]
    pairs = [(a, b) for a in names for b in names if a < b] + [("edit", "edit")]
    for x, y in pairs:
        v1, v2 = sample.named[x], sample.named[y]
        a, b = f"{mounted.path}/versions/{v1}", f"{mounted.path}/versions/{v2}"
        plain = sh("diff", "-r", a, b)
        ours = run_verfs("diff", "--gnu", v1, v2, "--repo", sample.root, check=False)
        assert plain.returncode == ours.returncode, (x, y, plain.stdout, ours.stdout)
        same = sample.repo.history.root_tree(v1) == sample.repo.history.root_tree(v2)
        assert plain.returncode == (0 if same else 1)
        quiet = sh("diff", "-rq", "--no-dereference", a, b)
        assert quiet.returncode == ours.returncode
        assert changed_by_diff_r(quiet.stdout, a, b) == changed_by_verfs_diff(ours.stdout)


def test_diff_r_of_equal_trees_is_silent(sample, mounted):
    tag, binary = sample.named["tag"], sample.named["binary"]     # a tag changes no file
    r = sh("diff", "-r", mounted / "versions" / tag, mounted / "versions" / binary)
    assert (r.returncode, r.stdout) == (0, b"")
    assert run_verfs("diff", tag, binary, "--repo", sample.root, check=False).returncode == 0


@pytest.mark.timeout(300)
def test_every_version_of_a_random_history_equals_a_clone(tmp_path, mount):
    s = build_random(tmp_path / "random", seed=20240601, records=12)
    m = mount("--repo", s.root)
    versions = sorted(s.repo.store.iter_ids("version"))
    assert len(versions) >= len(s.chain) >= 8
    for vid in versions:
        clone = clone_at(s, vid, tmp_path / "clone")
        r = sh("diff", "-r", "--no-dereference", m / "versions" / vid, clone)
        assert (r.returncode, r.stdout, r.stderr) == (0, b"", b""), vid
        assert disk_state(m / "versions" / vid) == disk_state(clone)      # exec bits too


def test_find_cat_grep_stat(sample, mounted):
    vid = sample.named["start"]
    top = mounted / "versions" / vid
    expected = tree_state(sample.repo.store, sample.repo.history.root_tree(vid))
    found = sh("find", top, "-mindepth", "1", "-printf", "%P\\n").stdout.splitlines()
    assert sorted(os.fsdecode(p) for p in found) == sorted(expected)
    assert sh("cat", top / "src/lib/util.h").stdout == b"int util(void);\n"
    assert sh("cat", os.fsencode(top) + b"/" + ODD_NAME).stdout == b"odd name\n"
    g = sh("grep", "-rl", "util", top)
    assert sorted(os.path.relpath(p, top) for p in g.stdout.decode().split()) == [
        "src/lib/util.h", "src/main.c"]
    assert sh("grep", "-r", "line 17", top).stdout == f"{top}/src/lib/util.c:line 17\n".encode()
    st = sh("stat", "-c", "%s %a %Y %h %F", top / "run.sh").stdout.decode().split(" ", 4)
    when = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC).timestamp()
    assert st == [str(len(b"#!/bin/sh\necho run\n")), "555", str(int(when)), "1",
                  "regular file\n"]
    assert os.readlink(top / "readme-link") == "README"
    assert sh("cat", top / "readme-link").stdout == b"A sample project.\n"


def test_cp_a_copies_a_version_faithfully(sample, mounted, tmp_path):
    vid = sample.named["binary"]
    r = sh("cp", "-a", mounted / "versions" / vid, tmp_path / "copy")
    assert r.returncode == 0, r.stderr
    assert disk_state(tmp_path / "copy") == tree_state(
        sample.repo.store, sample.repo.history.root_tree(vid))
    assert os.path.islink(tmp_path / "copy" / "readme-link")
    hard = sh("find", tmp_path / "copy", "-type", "f", "-links", "+1").stdout
    assert hard == b""                       # equal files are not taken for hard links
    assert sh("diff", "-r", "--no-dereference", mounted / "versions" / vid,
              tmp_path / "copy").returncode == 0


def test_every_kind_of_write_fails_with_erofs(sample, mounted):
    top = mounted / "versions" / sample.named["start"]
    f = top / "README"
    attempts = {
        "open for writing": lambda: os.open(f, os.O_WRONLY),
        "open for appending": lambda: os.open(f, os.O_WRONLY | os.O_APPEND),
        "open read-write": lambda: os.open(f, os.O_RDWR),
        "open truncating": lambda: os.open(f, os.O_RDONLY | os.O_TRUNC),
        "create": lambda: os.open(top / "new.txt", os.O_WRONLY | os.O_CREAT, 0o644),
        "mkdir": lambda: os.mkdir(top / "d"),
        "mkdir at the top": lambda: os.mkdir(mounted / "d"),
        "unlink": lambda: os.unlink(f),
        "rmdir": lambda: os.rmdir(top / "docs"),
        "rename": lambda: os.rename(f, top / "R"),
        "chmod": lambda: os.chmod(f, 0o777),
        "chown": lambda: os.chown(f, 1, 1),
        "truncate": lambda: os.truncate(f, 0),
        "utime": lambda: os.utime(f, (0, 0)),
        "symlink": lambda: os.symlink("x", top / "l"),
        "link": lambda: os.link(f, top / "h"),
        "setxattr": lambda: os.setxattr(f, "user.x", b"1"),
        "remove a version": lambda: os.rmdir(mounted / "versions" / sample.named["edit"]),
    }
    for what, attempt in attempts.items():
        with pytest.raises(OSError) as info:
            attempt()
        assert info.value.errno == errno.EROFS, what
    assert sh("touch", f).returncode != 0
    assert f.read_bytes() == b"A sample project.\n"


def test_hash_prefixes(sample, mounted):
    vid = sample.named["rename"]
    assert sorted(os.listdir(mounted / "versions" / vid[:4])) == sorted(
        os.listdir(mounted / "versions" / vid))
    assert (mounted / "versions" / vid[:4] / "docs/manual.txt").read_bytes() == \
        b"How to use it.\nNo final newline"
    assert sh("diff", "-r", mounted / "versions" / vid[:5], mounted / "versions" / vid
              ).returncode == 0
    assert vid[:4] not in os.listdir(mounted / "versions")
    assert (mounted / "info" / vid[:6]).read_text().startswith(f"version:        {vid}")
    unknown = next(p for p in ("0000", "ffff", "abcd", "1234")
                   if not any(v.startswith(p) for v in os.listdir(mounted / "versions")))
    for path in (mounted / "versions" / unknown, mounted / "versions" / "xyz1",
                 mounted / "versions" / vid / "no-such-file"):
        with pytest.raises(FileNotFoundError):
            os.stat(path)


def test_named_views(sample, mounted):
    assert version_at(mounted / "head") == sample.repo.head()
    history = sorted(os.listdir(mounted / "history"))
    assert [version_at(mounted / "history" / h) for h in history] == sample.chain
    assert os.listdir(mounted / "tags") == ["v1.0"]
    assert (mounted / "tags/v1.0/logo.bin").read_bytes() == \
        (mounted / "versions" / sample.named["binary"] / "logo.bin").read_bytes()
    r = sh("diff", "-r", mounted / "history" / history[0], mounted / "head")
    assert r.returncode == 1 and b"util.c" in r.stdout


def test_eight_threads_read_different_versions_at_once(sample, mounted):
    store, history = sample.repo.store, sample.repo.history
    versions = sorted(store.iter_ids("version"))
    expected = {v: tree_state(store, history.root_tree(v)) for v in versions}
    failures = []

    def reader(i: int) -> None:
        for round_ in range(3):
            vid = versions[(i + round_) % len(versions)]
            for rel, what in expected[vid].items():
                if what[0] != "file":
                    continue
                path = os.fsencode(str(mounted / "versions" / vid)) + b"/" + os.fsencode(rel)
                with open(path, "rb") as f:
                    data = f.read() if i % 2 else b"".join(iter(lambda: f.read(7), b""))
                if data != what[1]:
                    failures.append((vid, rel))
    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_statfs(mounted):
    st = os.statvfs(mounted.path)
    assert st.f_bavail == 0 and st.f_blocks > 0 and st.f_files >= 8
    assert st.f_flag & os.ST_RDONLY
    assert sh("df", mounted.path).returncode == 0


def test_the_mount_is_read_only_and_immutable_in_stat(sample, mounted):
    vid = sample.named["start"]
    a = os.stat(mounted / "versions" / vid / "README")
    b = os.stat(mounted / "versions" / vid / "README")
    assert a.st_ino == b.st_ino and stat.S_ISREG(a.st_mode)
    assert a.st_ino != os.stat(mounted / "versions" / vid / "with space.txt").st_ino
