"""The path log (verfs/filelog.py): each path's changes along a chain, kept per tip in
``cache/v2/paths`` — the kept log always equals one made from scratch (``build``):
after record, unrecord, commute, restore, with ``cache/`` deleted, with a kept file
damaged, truncated or renamed; it costs only the new versions; and readers and
writers in several threads at once all get the right log."""

import hashlib
import os
import shutil
import threading

import pytest

from store import DIR, FILE, LINK
from verfs import filelog, ops
from verfs.filelog import Change, PathLog, build, path_log, tree_changes, update
from verfs.history import History
from verfs.repo import Repository

AUTHOR = "Tester <tester@example.com>"


def write(root, rel: str, text: str, exe: bool = False) -> None:
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o755 if exe else 0o644)


def rec(repo: Repository, name: str) -> str:
    return ops.record(repo, name, AUTHOR, "20240101120000")


@pytest.fixture
def repo(tmp_path) -> Repository:
    """A repository of eight versions: files, a directory, a rename, a removal and a
    re-add, an exec bit, a link, a file that becomes a directory, a name with spaces."""
    r = Repository.init(str(tmp_path / "r"))
    w = r.root
    write(w, "a.txt", "one\n")
    write(w, "src/core.py", "def f(): pass\n")
    write(w, "docs/read me.txt", "hello\n")
    rec(r, "start")
    write(w, "src/core.py", "def f(): return 1\n")
    rec(r, "edit core")
    os.rename(os.path.join(w, "src/core.py"), os.path.join(w, "src/engine.py"))
    rec(r, "rename core")
    os.unlink(os.path.join(w, "a.txt"))
    write(w, "p", "a file\n")
    rec(r, "drop a, add p")
    write(w, "a.txt", "two\n")
    write(w, "src/engine.py", "def f(): return 1\n", exe=True)
    os.symlink("a.txt", os.path.join(w, "ln"))
    rec(r, "a again, exec, link")
    os.unlink(os.path.join(w, "p"))
    write(w, "p/x", "now a directory\n")
    rec(r, "p becomes a directory")
    write(w, "docs/read me.txt", "hello again\n")
    rec(r, "docs")
    ops.tag(r, "v1", AUTHOR, "20240101120000")
    update(r.history, r.head())         # a tag does not: its log is made when asked
    return r


def fresh(repo: Repository) -> History:
    """A History with nothing in memory: what a new command sees."""
    return History(type(repo.store)(repo.store.root))


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def kept_dir(repo: Repository) -> str:
    return repo.store.cache.directory(filelog.AREA)


def kept(repo: Repository) -> list[str]:
    return sorted(n for n in os.listdir(kept_dir(repo)) if not n.startswith("."))


def same(a: PathLog, b: PathLog) -> None:
    assert a.versions == b.versions
    assert sorted(a.paths) == sorted(b.paths)
    for p in b.paths:
        assert a.paths[p] == b.paths[p], p
        assert list(a.spans(p)) == list(b.spans(p)), p
    assert a.children("") == b.children("")


def flat(states, root: str) -> dict[str, tuple]:
    """Every path of a tree → (kind, oid or None, exec), by walking it whole."""
    out, todo = {}, [("", root)]
    while todo:
        prefix, oid = todo.pop()
        for e in states.get_tree(oid).entries:
            p = prefix + e.name
            out[p] = (e.kind, None if e.kind == DIR else e.oid, e.exec)
            if e.kind == DIR:
                todo.append((p + "/", e.oid))
    return out


def oracle(history: History, tip: str) -> dict[str, list[Change]]:
    """The path log's changes found the slow way, with no diff: each version's whole
    tree against its parent's."""
    vids = list(history._vids(tip))[::-1]
    paths: dict[str, list[Change]] = {}
    prev: dict[str, tuple] = {}
    for i, v in enumerate(vids):
        now = flat(history.states, history.root_tree(v))
        for p in sorted(prev.keys() | now.keys()):
            if prev.get(p) != now.get(p):
                kind, oid, exe = now.get(p, (None, None, False))
                paths.setdefault(p, []).append(Change(i, kind, oid, exe))
        prev = now
    return paths


def check(repo: Repository, tip: str | None = None) -> PathLog:
    """The log a new command gets for ``tip`` (head) equals one made from scratch, and
    what a walk of every whole tree says."""
    tip = repo.head() if tip is None else tip
    got = path_log(fresh(repo), tip)
    same(got, build(fresh(repo), tip))
    assert {p: got.paths[p] for p in got.paths} == oracle(fresh(repo), tip)
    return got


def test_changes_of_each_kind(repo):
    plog = check(repo)
    assert len(plog.versions) == 8
    assert [c.index for c in plog.changes("src/core.py")] == [0, 1, 2]
    assert plog.changes("src/core.py")[-1].kind is None
    assert [(c.index, c.kind, c.exec) for c in plog.changes("src/engine.py")] == [
        (2, FILE, False), (4, FILE, True)]
    assert [(c.index, c.kind) for c in plog.changes("a.txt")] == [
        (0, FILE), (3, None), (4, FILE)]
    assert [(c.index, c.kind) for c in plog.changes("p")] == [(3, FILE), (5, DIR)]
    assert plog.changes("ln")[0].kind == LINK
    assert [c.index for c in plog.changes("docs/read me.txt")] == [0, 6]
    assert plog.children("") == ["a.txt", "docs", "ln", "p", "src"]
    assert plog.children("src") == ["core.py", "engine.py"]
    assert plog.under("p") == ["p", "p/x"]
    assert plog.under("src/core.py") == ["src/core.py"]
    assert plog.under("sr") == [] and plog.under("nowhere") == []
    assert plog.touched(["src"]) == [0, 1, 2, 4]
    assert plog.touched(["p"]) == [3, 5]
    assert plog.touched([""]) == list(range(7))      # the tag (7) changes nothing
    spans = list(plog.spans("a.txt"))
    assert [(s.start, s.end) for s in spans] == [(0, 3), (4, 8)]
    assert plog.changes("never") == []


def test_tree_changes_descends_only_where_trees_differ(repo):
    h = repo.history
    a, b = h.root_tree(repo.resolve("head~3")), h.root_tree(repo.resolve("head~2"))
    got = {p: (k, x) for p, k, _, x in tree_changes(h.states, a, b)}
    assert got == {"p": (DIR, False), "p/x": (FILE, False)}
    assert tree_changes(h.states, a, a) == []
    gone = tree_changes(h.states, b, a)                 # p/ removed: p/x first
    assert [(p, k) for p, k, _, _ in gone] == [("p/x", None), ("p", FILE)]


def test_kept_after_record_costs_one_diff(repo):
    assert repo.head() in kept(repo)
    write(repo.root, "src/new.c", "int x;\n")
    before = filelog.counts.diffed
    vid = rec(repo, "one more")
    assert filelog.counts.diffed - before == 1
    assert vid in kept(repo)
    loaded = filelog.counts.loaded
    plog = path_log(fresh(repo), vid)
    assert filelog.counts.loaded == loaded + 1 and filelog.counts.diffed - before == 1
    same(plog, build(fresh(repo), vid))
    assert [c.index for c in plog.changes("src/new.c")] == [8]


def test_every_ancestor_equals_a_fresh_build(repo):
    for back in range(1, 8):
        assert len(check(repo, repo.resolve(f"head~{back}")).versions) == 8 - back
    assert path_log(fresh(repo), None).versions == []


def test_ancestor_needs_no_diff(repo):
    before = filelog.counts.diffed
    plog = path_log(fresh(repo), repo.resolve("head~4"))
    assert filelog.counts.diffed == before
    same(plog, build(fresh(repo), repo.resolve("head~4")))


def test_unrecord_commute_restore(repo):
    old = repo.head()
    ops.unrecord(repo, 2)
    check(repo)
    write(repo.root, "z.txt", "zed\n")
    rec(repo, "z")
    check(repo)
    write(repo.root, "y.txt", "why\n")
    rec(repo, "y")
    ops.commute_last(repo)
    check(repo)
    ops.restore(repo, old, force=True)
    plog = check(repo)
    assert plog.tip == old
    assert len(kept(repo)) <= filelog.KEEP


def test_cache_deleted(repo):
    head = repo.head()
    shutil.rmtree(os.path.join(repo.store.root, "cache"))
    plog = check(repo, head)
    assert kept(repo) == [head]             # made, and kept again
    assert filelog.decode(read(os.path.join(kept_dir(repo), head))).tip == head
    same(plog, path_log(fresh(repo), head))


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other tip"])
def test_damaged_kept_file_is_made_again(repo, damage, caplog):
    head = repo.head()
    path = os.path.join(kept_dir(repo), head)
    data = read(path)
    if damage == "flip":
        data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
    elif damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "empty":
        data = b""
    else:                       # a whole, good file, but another tip's
        data = filelog.encode(build(fresh(repo), repo.resolve("head~1")))
    with open(path, "wb") as f:
        f.write(data)
    damaged = filelog.counts.damaged
    plog = check(repo, head)
    assert filelog.counts.damaged == damaged + 1
    assert "damaged" in caplog.text
    assert filelog.decode(read(path)).tip == head     # made again
    same(plog, path_log(fresh(repo), head))


def test_decode_refuses_what_does_not_add_up(repo):
    good = filelog.encode(build(fresh(repo), repo.head()))
    assert filelog.decode(good).tip == repo.head()
    body = good[:-32] + b"x"
    with pytest.raises(filelog.Damaged):
        filelog.decode(body + hashlib.sha256(body).digest())   # hash fine, parts not
    with pytest.raises(filelog.Damaged):
        filelog.decode(b"verfs-paths 9\n" + good[14:])


def test_only_a_few_tips_are_kept(repo):
    for i in range(filelog.KEEP + 3):
        write(repo.root, f"n{i}.txt", f"{i}\n")
        rec(repo, f"n{i}")
    names = kept(repo)
    assert len(names) == filelog.KEEP and repo.head() in names
    check(repo, repo.resolve("head~5"))         # an evicted tip: cut from head's


def test_memory_store_builds_and_remembers():
    from store import MemoryStore
    from verfs.patch.named import Patch, PatchInfo
    from verfs.patch.prims import AddFile, Hunk
    h = History(MemoryStore())
    info = PatchInfo("p", AUTHOR, "20240101120000")
    vid = None
    for i in range(3):
        prims = (AddFile(f"f{i}"), Hunk(f"f{i}", 1, (), (b"x",)))
        vid = h.add_version(vid, Patch(info, prims))
    update(h, vid)
    plog = path_log(h, vid)
    same(plog, build(h, vid))
    assert plog.changes("f2") == [Change(2, FILE, plog.changes("f2")[0].oid, False)]


def test_threads_reading_and_writing_at_once(repo):
    """Eight threads, each with its own History (as processes), ask for every version's
    log while two of them record-like extend the kept logs; a gate holds every
    thread until all are ready, so they overlap."""
    tips = [repo.resolve(f"head~{n}") for n in range(8)]
    want = {t: build(fresh(repo), t) for t in tips}
    shutil.rmtree(kept_dir(repo))
    gate = threading.Barrier(8)
    errors = []

    def work(k: int) -> None:
        try:
            h = fresh(repo)
            gate.wait(timeout=30)
            for t in tips[k % 8:] + tips[:k % 8]:
                if k % 4 == 0:
                    update(h, t)
                same(path_log(h, t), want[t])
        except Exception as exc:        # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert 1 <= len(kept(repo)) <= filelog.KEEP
    for name in kept(repo):
        same(filelog.decode(read(os.path.join(kept_dir(repo), name))),
             want[name])
