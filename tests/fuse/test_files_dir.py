"""``files/`` through a real mount: on an imported git history, ``ls files/PATH`` is
the versions ``git log --first-parent -- PATH`` lists (those holding PATH as a file or
link), each entry is ``verfs show VERSION:PATH``, and ``diff`` and ``grep -l`` over the
entries work as on plain files; under a running mount it follows a record and an
unrecord (with libfuse 2 and 3)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_verfs, verfs_env
from tests.fuse.mounting import wait_for
from tests.mount.histories import put
from tests.mount.test_view_files import blob_at, ever_on_the_line, git_history, git_out
from verfs.repo import Repository

pytestmark = [pytest.mark.fuse, pytest.mark.compat, pytest.mark.timeout(240)]


@pytest.fixture
def imported(tmp_path):
    g = git_history(tmp_path / "git")
    run_verfs("import", "git", g.top, "--into", tmp_path / "repo")
    return g, tmp_path / "repo"


def _line(target) -> dict[str, tuple[int, str]]:
    """git commit → (position on head's chain, 1-based; version)."""
    repo = Repository(str(target))
    chain = [s for s in repo.history.chain(repo.head())][::-1]
    return {s.patch.info.get_meta("git-commit"): (i, s.vid) for i, s in enumerate(chain, 1)}


def test_files_through_the_mount_is_git_log_and_verfs_show(imported, mount):
    g, target = imported
    m = mount("--repo", target)
    line = _line(target)
    for path in sorted(ever_on_the_line(g)):
        want = {}
        for c in git_out(g, "log", "--first-parent", "--format=%H", "--",
                         path).decode().split():
            at = blob_at(g, c, path)
            if at is not None:
                n, vid = line[c]
                want[f"{n:04d}-{vid[:8]}"] = (c, vid, at[0])
        here = m / "files" / path
        assert here.is_dir(), path
        versions = sorted(n for n in os.listdir(here) if not (here / n).is_dir())
        assert versions == sorted(want), path
        for name, (c, vid, mode) in want.items():
            entry = here / name
            st = os.lstat(entry)
            if mode == "120000":
                assert stat.S_ISLNK(st.st_mode)
                assert os.fsencode(os.readlink(entry)) == git_out(g, "cat-file", "blob",
                                                                  f"{c}:{path}")
                continue
            shown = run_verfs("show", f"{vid}:{path}", cwd=target).stdout
            assert entry.read_bytes() == shown == git_out(g, "cat-file", "blob", f"{c}:{path}")
            assert bool(st.st_mode & stat.S_IXUSR) == (mode == "100755")
            there = os.stat(m / "versions" / vid / path)
            assert (st.st_ino, st.st_mode, st.st_size, st.st_mtime_ns) == (
                there.st_ino, there.st_mode, there.st_size, there.st_mtime_ns)


def test_diff_and_grep_over_a_files_versions(imported, mount):
    g, target = imported
    m = mount("--repo", target)
    core = m / "files" / "src" / "core.py"
    names = sorted(os.listdir(core))
    assert len(names) == 4                   # start, edit, the merge, the exec bit
    out = subprocess.run(["diff", names[0], names[1]], cwd=core, capture_output=True)
    assert out.returncode == 1
    assert out.stdout == b"2c2\n<     pass\n---\n>     return 1\n"
    same = subprocess.run(["diff", names[2], names[3]], cwd=core, capture_output=True)
    assert same.returncode == 0 and same.stdout == b""     # only the exec bit changed
    grep = subprocess.run("grep -l 'return 2' files/src/core.py/*", shell=True, cwd=m.path,
                          capture_output=True)
    assert grep.returncode == 0
    assert grep.stdout.decode().split() == [f"files/src/core.py/{n}" for n in names[2:]]
    spaced = subprocess.run(["grep", "-rl", "spaced", "files/dir with space"], cwd=m.path,
                            capture_output=True)
    assert len(spaced.stdout.decode().splitlines()) == 2   # added, and added again


@pytest.fixture(params=["2", "3"])
def libfuse(request):
    return verfs_env(VERFS_LIBFUSE=request.param)


def test_files_follows_a_record_and_an_unrecord(sample, mount, libfuse):
    m = mount("--repo", sample.root, env=libfuse)
    readme = m / "files" / "README"
    fd = os.open(readme, os.O_RDONLY | os.O_DIRECTORY)
    try:
        before = sorted(os.listdir(fd))              # the kernel caches this listing
        top = sorted(os.listdir(m / "files"))
        first = readme / before[0]
        content = first.read_bytes()
        put(sample.root, "README", b"short\n")
        put(sample.root, "brand new.txt", b"new\n")
        vid = run_verfs("record", "-m", "change the readme", "--repo",
                        sample.root).stdout.decode().strip()
        added = f"{len(sample.chain) + 1:04d}-{vid[:8]}"
        assert wait_for(lambda: sorted(os.listdir(fd)) == sorted(before + [added]))
        assert (readme / added).read_bytes() == b"short\n"
        assert wait_for(lambda: sorted(os.listdir(m / "files")) == sorted(
            top + ["brand new.txt"]))
        assert (m / "files" / "brand new.txt" / added).read_bytes() == b"new\n"
        assert first.read_bytes() == content
        run_verfs("unrecord", "--repo", sample.root)
        assert wait_for(lambda: sorted(os.listdir(fd)) == before)
        assert wait_for(lambda: not (readme / added).exists())
        assert wait_for(lambda: not (m / "files" / "brand new.txt").exists())
        assert sorted(os.listdir(m / "files")) == top
        assert first.read_bytes() == content
    finally:
        os.close(fd)



def _tree_of_files(top) -> dict:
    """Every name under ``top`` (a files/ directory) → its bytes or link target."""
    out = {}
    for d, dirs, files in os.walk(top):
        for name in dirs:
            out[os.path.relpath(os.path.join(d, name), top)] = "dir"
        for name in files:
            p = Path(d, name)
            out[str(p.relative_to(top))] = os.readlink(p) if p.is_symlink() else p.read_bytes()
    return out


def test_files_over_a_remote_mount(sample, mount, tmp_path):
    """``mount --store URL``: files/ of the remote's head, as a repository mount shows
    it, and following a push made elsewhere."""
    url = f"file://{tmp_path / 'remote'}"
    pusher = verfs_env(XDG_CACHE_HOME=str(tmp_path / "pusher"))
    run_verfs("push", url, "--repo", sample.root, env=pusher)
    local = mount("--repo", sample.root)
    m = mount("--store", url, "--cache", tmp_path / "cache", "--log", tmp_path / "r.log",
              "--poll", "0.2")
    shown = _tree_of_files(local / "files")
    assert len(shown) > 20 and _tree_of_files(m / "files") == shown
    readme = m / "files" / "README"
    before = sorted(os.listdir(readme))
    put(sample.root, "README", b"pushed\n")
    run_verfs("record", "-m", "pushed", "--repo", sample.root)
    run_verfs("push", url, "--repo", sample.root, env=pusher)
    assert wait_for(lambda: len(os.listdir(readme)) == len(before) + 1, 30)
    newest = sorted(os.listdir(readme))[-1]
    assert (readme / newest).read_bytes() == b"pushed\n"
