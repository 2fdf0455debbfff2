"""``files/`` without FUSE (verfs/mount/files.py): every path that ever existed along
head's chain, and each file's versions — checked against git's own ``log
--first-parent -- PATH`` and ``show COMMIT:PATH`` on an imported history, and against
``versions/`` on the sample; following head; the documented corner cases."""

import os
import subprocess

import pytest

from store import DIR, FILE, LINK
from tests.compat.gitrepo import GitRepo, git_env
from tests.conftest import run_verfs
from tests.mount.conftest import fresh_view
from tests.mount.histories import AUTHOR, ODD_NAME, add_dotverfs_version, put
from tests.mount.test_follow_changes import Said, refs
from verfs import ops
from verfs.filelog import Change, PathLog
from verfs.history import History
from verfs.mount.files import FileTree
from verfs.mount.follow import FILES_CHANGED, FILES_GREW, Follower, changes
from verfs.mount.nodes import NoSuchPath, NotADirectory
from verfs.mount.view import View
from verfs.repo import Repository

SPACED = "dir with space/a file.txt"


def git_history(top) -> GitRepo:
    """A first-parent line with edits, an exec bit, a deletion and a re-addition, a
    rename, a link moved, names with spaces, a path that is a file, then a directory,
    then a file again, and a merge whose side branch edits a file."""
    g = GitRepo(top)
    g.write("src/core.py", "def echo():\n    pass\n")
    g.write("README", "readme\n")
    g.write(SPACED, "spaced\n")
    g.write("p", "p is a file\n")
    g.link("lnk", "README")
    g.commit("start")
    g.write("src/core.py", "def echo():\n    return 1\n")
    g.commit("edit core")
    g.remove(SPACED)
    g.remove("p")
    g.write("p/inside.txt", "p is a directory\n")
    g.commit("drop spaced, p becomes a directory")
    g.git("mv", "README", "README.md")
    g.link("lnk", "README.md")
    g.commit("rename the readme, move the link")
    g.git("checkout", "-q", "-b", "side")
    g.write("src/core.py", "def echo():\n    return 2\n")
    g.write("side.txt", "from the side\n")
    g.commit("side: edit core")
    g.git("checkout", "-q", "main")
    g.write("other.txt", "main goes on\n")
    g.commit("main goes on")
    g.when += 1
    g.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    g.write(SPACED, "spaced\n")
    g.commit("spaced again")
    g.remove("p")
    g.write("p", "p is a file again\n")
    g.path("src/core.py").chmod(0o755)
    g.commit("p a file again, core executable")
    return g


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    top = tmp_path_factory.mktemp("files-git")
    g = git_history(top / "git")
    run_verfs("import", "git", g.top, "--into", top / "repo")
    return g, top / "repo"


def git_out(g: GitRepo, *args) -> bytes:
    return subprocess.run(["git", *args], cwd=g.top, capture_output=True, check=True,
                          env=git_env()).stdout


def ever_on_the_line(g: GitRepo) -> set[str]:
    """Every path (and directory) any first-parent commit holds, as git lists them."""
    out = set()
    for c in GitRepo.line(g.top):
        for p in os.fsdecode(git_out(g, "ls-tree", "-r", "-t", "-z", "--name-only",
                                     c)).split("\0"):
            if p:
                out.add(p)
    return out


def blob_at(g: GitRepo, commit: str, path: str) -> tuple[str, str] | None:
    """(mode, blob id) of ``path`` at ``commit`` when it is a file or link there."""
    line = git_out(g, "ls-tree", "-z", commit, "--", path).decode().rstrip("\0")
    if not line:
        return None
    mode, kind, _ = line.split(" ", 2)
    return (mode, kind) if kind == "blob" else None


def test_files_agrees_with_git_log_first_parent(imported):
    g, target = imported
    repo = Repository(str(target))
    view = View(repo.store, History(repo.store), str(target / ".verfs" / "head"))
    chain = [s for s in repo.history.chain(repo.head())][::-1]
    version_of = {s.patch.info.get_meta("git-commit"): (i, s.vid) for i, s in enumerate(chain)}
    paths = ever_on_the_line(g)
    assert {"p", "p/inside.txt", "src/core.py", SPACED, "README.md", "side.txt"} <= paths
    for path in sorted(paths):
        names = {n: kind for n, kind, _ in view.readdir(f"/files/{path}")}
        want = {}
        for c in git_out(g, "log", "--first-parent", "--format=%H", "--",
                         path).decode().split():
            at = blob_at(g, c, path)
            if at is None:                  # gone, or a directory: no content to show
                continue
            i, vid = version_of[c]
            name = f"{i + 1:04d}-{vid[:8]}"
            want[name] = LINK if at[0] == "120000" else FILE
            node = view.lookup(f"/files/{path}/{name}")
            data = git_out(g, "cat-file", "blob", f"{c}:{path}")
            if at[0] == "120000":
                assert view.readlink(f"/files/{path}/{name}").encode() == data
            else:
                assert view.read(view.open(f"/files/{path}/{name}"), 0, 1 << 20) == data
                assert node.exec == (at[0] == "100755")
        versions = {n: k for n, k in names.items() if k != DIR}
        assert versions == want, path
        kids = {p.rpartition("/")[2] for p in paths if p.rpartition("/")[0] == path}
        assert {n for n, k in names.items() if k == DIR} == kids, path
    top = {n for n, _, _ in view.readdir("/files")}
    assert top == {p for p in paths if "/" not in p}


def test_a_file_then_a_directory_holds_both(imported):
    g, target = imported
    view = fresh_view_of(target)
    listed = sorted((n, k) for n, k, _ in view.readdir("/files/p"))
    assert [k for _, k in listed] == [FILE, FILE, DIR] and listed[-1][0] == "inside.txt"
    first, again = (n for n, _ in listed[:2])
    assert view.read(view.open(f"/files/p/{first}"), 0, 99) == b"p is a file\n"
    assert view.read(view.open(f"/files/p/{again}"), 0, 99) == b"p is a file again\n"
    assert view.lookup("/files/p").nlink == 3


def fresh_view_of(target) -> View:
    repo = Repository(str(target))
    return View(repo.store, History(repo.store), str(target / ".verfs" / "head"))


def test_an_entry_is_the_versions_node(sample, view):
    """Same inode, size, mtime, exec bit and content as versions/<hash>/PATH: tools
    that compare inodes skip equal contents, and ls -l shows what versions/ does."""
    for path in ("src/lib/util.c", "logo.bin", "src/main.c", "run.sh", "readme-link",
                 "with space.txt", "docs/guide.txt", "docs/manual.txt",
                 ODD_NAME.decode("utf-8", "surrogateescape")):
        entries = view.entries(f"/files/{path}")
        assert entries, path
        for name, kind, ino, node in entries:
            vid = sample.chain[int(name[:4]) - 1]
            assert name == f"{name[:4]}-{vid[:8]}"
            there = view.lookup(f"/versions/{vid}/{path}")
            assert node == there == view.lookup(f"/files/{path}/{name}")
            assert (kind, ino) == (there.kind, there.ino)
    assert view.readlink("/files/readme-link/0001-" + sample.chain[0][:8]) == "README"
    [main_before, main_exec] = view.readdir("/files/src/main.c")
    assert view.lookup(f"/files/src/main.c/{main_exec[0]}").exec
    assert not view.lookup(f"/files/src/main.c/{main_before[0]}").exec
    assert main_before[2] != main_exec[2]       # another exec bit: another file


def test_listings_without_nodes_say_the_same(view):
    for path in ("/files", "/files/src", "/files/src/main.c", "/files/readme-link"):
        full = [(n, k, i) for n, k, i, _ in view.entries(path)]
        assert view.entries(path, full=False) == [(n, k, i, None) for n, k, i in full]


def test_directories_of_files(sample, view):
    assert [n for n, _, _ in view.readdir("/files/docs")] == ["guide.txt", "manual.txt"]
    src = view.lookup("/files/src")
    assert src.kind == DIR and src.nlink == 2 + 2      # lib/ and main.c/
    assert view.lookup("/files/src/lib").nlink == 4
    assert view.lookup("/files/README").nlink == 2
    # a directory's mtime: the newest version where the path itself changed
    guide = view.lookup("/files/docs/guide.txt")
    assert guide.mtime_ns == view.lookup(f"/versions/{sample.named['rename']}").mtime_ns
    assert view.lookup("/").nlink >= 2 and view.lookup("/files").nlink == 1   # not counted


def test_paths_that_are_not_there(sample, view):
    first = "0001-" + sample.chain[0][:8]
    for bad in ("/files/nope", "/files/README/0009-" + sample.chain[0][:8],
                "/files/README/" + first[:-1], "/files/README/01-" + sample.chain[0][:8],
                "/files/README/0000-" + sample.chain[0][:8], "/files/src/lib/util.c/x"):
        with pytest.raises(NoSuchPath):
            view.lookup(bad)
    with pytest.raises(NotADirectory):
        view.lookup(f"/files/README/{first}/more")
    with pytest.raises(NotADirectory):
        view.readdir(f"/files/README/{first}")


def test_dotverfs_is_no_path_of_files(sample):
    add_dotverfs_version(sample.repo)
    view = fresh_view(sample)
    assert ".verfs" not in {n for n, _, _ in view.readdir("/files")}
    assert ".verfs" not in {n for n, _, _ in view.readdir("/files/src")}
    assert "kept.txt" in {n for n, _, _ in view.readdir("/files")}
    for bad in ("/files/.verfs", "/files/.verfs/head", "/files/src/.verfs"):
        with pytest.raises(NoSuchPath):
            view.lookup(bad)


def test_a_name_spelled_like_a_version_entry_gives_way(sample):
    """Documented (files.py): under a path that was a file and then a directory, a
    name spelled like one of its version entries is that version entry."""
    put(sample.root, "q", b"q, a file\n")
    vid = ops.record(sample.repo, "q", AUTHOR, "20240201000000")
    n = len(sample.chain) + 1
    clash = f"{n:04d}-{vid[:8]}"
    os.unlink(sample.root / "q")
    put(sample.root, f"q/{clash}", b"a file named like a version\n")
    put(sample.root, "q/other", b"other\n")
    ops.record(sample.repo, "q a directory", AUTHOR, "20240202000000")
    view = fresh_view(sample)
    assert sorted(view.readdir("/files/q")) == sorted(
        (name, kind, ino) for name, kind, ino, _ in view.entries("/files/q"))
    assert [(name, kind) for name, kind, _ in view.readdir("/files/q")] == [
        (clash, FILE), ("other", DIR)]
    assert view.read(view.open(f"/files/q/{clash}"), 0, 99) == b"q, a file\n"


def test_numbers_widen_as_history_does():
    versions = [f"{i:064x}" for i in range(10_000)]
    tree = FileTree(PathLog(versions, {"f": [Change(0, FILE, "a" * 64),
                                             Change(9_999, FILE, "b" * 64)]}))
    assert tree.width == 5
    assert [n for n, _ in tree.listing("f")] == ["00001-00000000", f"10000-{versions[-1][:8]}"]
    assert tree.entry("f", f"10000-{versions[-1][:8]}").oid == "b" * 64
    assert tree.entry("f", "0001-00000000") is None


def test_no_files_without_head(sample):
    assert "files" not in {n for n, _, _ in View(sample.repo.store).readdir("/")}
    empty = Repository.init(str(sample.root.parent / "empty"))
    view = View(empty.store, History(empty.store), os.path.join(empty.root, ".verfs", "head"))
    assert view.readdir("/files") == []
    with pytest.raises(NoSuchPath):
        view.lookup("/files/README")


def test_files_follows_head(sample, view):
    before = [n for n, _, _ in view.readdir("/files/README")]
    put(sample.root, "README", b"changed\n")
    put(sample.root, "new/file.txt", b"new\n")
    vid = ops.record(sample.repo, "change the readme", AUTHOR, "20240120000000")
    added = f"{len(sample.chain) + 1:04d}-{vid[:8]}"
    assert [n for n, _, _ in view.readdir("/files/README")] == before + [added]
    assert view.read(view.open(f"/files/README/{added}"), 0, 99) == b"changed\n"
    assert "new" in {n for n, _, _ in view.readdir("/files")}
    ops.unrecord(sample.repo)
    assert [n for n, _, _ in view.readdir("/files/README")] == before
    assert "new" not in {n for n, _, _ in view.readdir("/files")}
    with pytest.raises(NoSuchPath):
        view.lookup(f"/files/README/{added}")


def shown(sample, vid):
    """A state of head whose files/ was looked at."""
    out = refs(sample, vid, shown=False)
    out.files  # noqa: B018 - made, as a look at files/ makes it
    return out


def test_how_files_moved(sample):
    c = changes(shown(sample, sample.chain[-2]), shown(sample, sample.chain[-1]))
    assert c.files == FILES_GREW
    c = changes(shown(sample, sample.chain[-1]), shown(sample, sample.chain[1]))
    assert c.files == FILES_CHANGED
    assert changes(shown(sample, sample.chain[-1]), refs(sample, None)).files == FILES_CHANGED
    assert changes(shown(sample, None), refs(sample, sample.chain[0])).files == FILES_GREW
    c = changes(refs(sample, sample.chain[-1], shown=False), shown(sample, sample.chain[1]))
    assert c.files == 0 and c.head              # nothing of files/ was shown
    c = changes(refs(sample, sample.chain[-2]), refs(sample, sample.chain[-1]))
    assert c.files == 0                         # history/ looked at, files/ never


def test_the_follower_refreshes_files_on_a_record_and_forgets_it_on_an_unrecord(sample):
    view = fresh_view(sample)
    follower, said = Follower(view), Said()
    follower.start(said)
    follower.stop()                     # driven by hand below, not by its thread
    for path in ("/files", "/files/src", "/files/src/lib", "/files/README"):
        view.readdir(path)              # one name at a time, as the kernel looks
    view.lookup("/files/README/0001-" + sample.chain[0][:8])
    put(sample.root, "README", b"changed\n")
    ops.record(sample.repo, "change the readme", AUTHOR, "20240120000000")
    view.lookup("/files/README")        # a lookup sees the new head before the follower
    assert follower.check().files == FILES_GREW
    assert "files" not in said.entries and said.entries == ["head"]
    assert {"/files", "/files/src", "/files/src/lib", "/files/README"} <= set(said.paths)
    assert not any(p.startswith("/files/README/") for p in said.paths)  # never changes
    said.entries.clear()
    said.paths.clear()
    ops.unrecord(sample.repo)
    assert follower.check().files == FILES_CHANGED
    assert "files" in said.entries
    assert {"/files", "/files/src/lib", "/files/README"} <= set(said.paths)
    assert not any(p.startswith("/files/") for p in view.moving_seen)  # forgotten


def test_libfuse2_forgets_files_on_a_record(sample):
    """libfuse 2 can name no directory below the top: the entry files goes."""
    view = fresh_view(sample)
    follower, said = Follower(view), Said()
    said.by_path = False
    follower.start(said)
    follower.stop()
    view.readdir("/files/src")
    put(sample.root, "README", b"changed\n")
    ops.record(sample.repo, "change the readme", AUTHOR, "20240120000000")
    assert follower.check().files == FILES_GREW
    assert "files" in said.entries


def test_concurrent_first_looks_make_one_path_log(sample, monkeypatch):
    """Threads that look at files/ of a new head at once wait for one path log."""
    import threading

    from verfs.mount import refs as refs_module
    gate, calls, real = threading.Event(), [], refs_module.path_log

    def slow(history, tip):
        calls.append(tip)
        assert gate.wait(10)
        return real(history, tip)

    monkeypatch.setattr(refs_module, "path_log", slow)
    state = refs(sample, sample.chain[-1], shown=False)
    got = []
    threads = [threading.Thread(target=lambda: got.append(state.files)) for _ in range(4)]
    for t in threads:
        t.start()
    assert wait_until(lambda: all(parked(t) for t in threads))
    gate.set()
    for t in threads:
        t.join(10)
    assert calls == [sample.chain[-1]] and len(got) == 4
    assert all(g is got[0] for g in got) and state.files_known


def parked(thread) -> bool:
    """Whether ``thread`` waits: in ``slow`` (at the gate), or in ``Refs.files`` at
    its innermost Python frame (blocked on its lock, a C call)."""
    import sys
    frame = sys._current_frames().get(thread.ident)
    if frame is None:
        return False
    if frame.f_code.co_name == "files":
        return True
    while frame is not None:
        if frame.f_code.co_name == "slow":
            return True
        frame = frame.f_back
    return False


def wait_until(cond, timeout: float = 10.0) -> bool:
    import time
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True
