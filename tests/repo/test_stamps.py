"""Stamps (verfs/stamps.py): the date each tree and blob first took its form, which
the mount shows as mtimes — the same whichever path made the root (recording, a
replay, a rebuild after the derived cache was deleted)."""

import os
import shutil
import threading
from datetime import UTC, datetime

import pytest

from store import DIR
from tests.mount.histories import AUTHOR, put
from tests.repo.workgen import WorkGen
from verfs import ops
from verfs.history import History
from verfs.patch.named import Patch, PatchInfo
from verfs.repo import Repository
from verfs.stamps import STAMPS, patch_stamp


def day(n: int) -> str:
    return f"202401{n:02d}120000"


def ns(n: int) -> int:
    return int(datetime(2024, 1, n, 12, tzinfo=UTC).timestamp()) * 1_000_000_000


def objects(states, root: str) -> dict[str, str]:
    """Path → object id of everything in a root tree ("" is the root)."""
    out, todo = {"": root}, [("", root)]
    while todo:
        path, oid = todo.pop()
        for e in states.get_tree(oid).entries:
            p = f"{path}/{e.name}" if path else e.name
            out[p] = e.oid
            if e.kind == DIR:
                todo.append((p, e.oid))
    return out


def every_stamp(history: History, vids: list[str]) -> dict[str, dict[str, int]]:
    """Version → path → stamp, asking once per version for all its objects."""
    out = {}
    for vid in vids:
        paths = objects(history.states, history.root_tree(vid))
        stamps = history.stamps(vid, paths.values())
        out[vid] = {p: stamps[oid] for p, oid in paths.items()}
    return out


def fresh_history(repo: Repository) -> History:
    """A History over the repository's store with the derived cache deleted."""
    shutil.rmtree(os.path.join(repo.store.root, "cache"))
    return History(type(repo.store)(repo.store.root))


@pytest.fixture
def small(tmp_path):
    """a.txt changes at patch 3 and stays; sub/deep/c.txt changes at 4 and is
    reverted at 5 (so the root at 5 is the root at 3); a tag at 6, a file at 7."""
    repo = Repository.init(str(tmp_path / "r"))
    w = repo.root
    put(w, "a.txt", b"one\n")
    put(w, "sub/b.txt", b"b\n")
    put(w, "sub/deep/c.txt", b"c\n")
    vids = [ops.record(repo, "start", AUTHOR, day(1))]
    put(w, "x.txt", b"x\n")
    vids.append(ops.record(repo, "add x", AUTHOR, day(2)))
    put(w, "a.txt", b"three\n")
    vids.append(ops.record(repo, "change a", AUTHOR, day(3)))
    put(w, "sub/deep/c.txt", b"c, changed\n")
    vids.append(ops.record(repo, "change c", AUTHOR, day(4)))
    put(w, "sub/deep/c.txt", b"c\n")
    vids.append(ops.record(repo, "revert c", AUTHOR, day(5)))
    vids.append(ops.tag(repo, "t1", AUTHOR, day(6)))
    put(w, "sub/new.txt", b"new\n")
    vids.append(ops.record(repo, "add new", AUTHOR, day(7)))
    return repo, vids


def test_a_file_keeps_the_date_its_content_took_that_form(small):
    repo, vids = small
    got = every_stamp(repo.history, vids)
    assert [got[v]["a.txt"] for v in vids] == [ns(1), ns(1)] + [ns(3)] * 5
    assert [got[v]["x.txt"] for v in vids[1:]] == [ns(2)] * 6
    assert [got[v]["sub/b.txt"] for v in vids] == [ns(1)] * 7


def test_a_directory_is_dated_when_something_beneath_last_took_that_form(small):
    repo, vids = small
    got = every_stamp(repo.history, vids)
    assert [got[v]["sub/deep"] for v in vids] == [ns(1)] * 3 + [ns(4)] + [ns(1)] * 3
    assert [got[v]["sub"] for v in vids] == [ns(1)] * 3 + [ns(4), ns(1), ns(1), ns(7)]
    # the root: a new form at every patch but the revert (the root of 3 again) and
    # the tag (which changes no file)
    assert [got[v][""] for v in vids] == [ns(1), ns(2), ns(3), ns(4), ns(3), ns(3), ns(7)]


def test_a_reverted_content_keeps_its_first_date(small):
    repo, vids = small
    got = every_stamp(repo.history, vids)
    assert got[vids[4]]["sub/deep/c.txt"] == ns(1)
    assert got[vids[3]]["sub/deep/c.txt"] == ns(4)


def test_equal_objects_have_equal_stamps_in_every_version(small):
    repo, vids = small
    by_oid: dict[str, set[int]] = {}
    for vid in vids:
        oids = objects(repo.history.states, repo.history.root_tree(vid)).values()
        for oid, stamp in repo.history.stamps(vid, oids).items():
            by_oid.setdefault(oid, set()).add(stamp)
    assert all(len(s) == 1 for s in by_oid.values()), by_oid


def test_recording_stamps_every_version_so_no_replay_is_needed(small):
    repo, vids = small
    history = History(type(repo.store)(repo.store.root))
    every_stamp(history, vids)
    assert (history.restamped, history.replayed) == (0, 0)


def test_deleting_the_derived_cache_gives_the_same_stamps_again(small):
    repo, vids = small
    before = every_stamp(repo.history, vids)
    assert every_stamp(fresh_history(repo), vids) == before


def without_stamps(repo: Repository) -> History:
    """A History over the repository's store with its stamps forgotten, the roots
    kept: a store made before there were stamps."""
    store = type(repo.store)(repo.store.root)
    store.cache.clear(STAMPS)
    return History(store)


def test_missing_stamps_are_restamped_from_the_head(small):
    repo, vids = small
    before = every_stamp(repo.history, vids)
    history = without_stamps(repo)
    assert every_stamp(history, vids[::-1]) == {v: before[v] for v in vids[::-1]}
    assert (history.restamped, history.replayed) == (1, len(vids))


def test_restamping_oldest_first_replays_each_patch_once(small):
    repo, vids = small
    before = every_stamp(repo.history, vids)
    history = without_stamps(repo)
    assert every_stamp(history, vids) == before
    # versions 4 and 5 hold what version 2 does: nothing to restamp
    assert history.restamped == history.replayed == len(vids) - 2


def test_a_restamp_is_done_once_and_an_id_it_cannot_find_gets_the_versions_date(small):
    repo, vids = small
    history = fresh_history(repo)
    nowhere = "0" * 64
    assert history.stamps(vids[2], [nowhere]) == {nowhere: ns(3)}
    assert history.stamps(vids[2], [nowhere]) == {nowhere: ns(3)}
    assert history.restamped == 1
    assert history.store.cache.get(STAMPS, nowhere) is None     # never recorded


def test_a_replay_on_an_unstamped_root_records_nothing(small):
    """Stamps given on a base whose own are missing could be later than the first
    date of what the base holds: the replay leaves them to a restamp."""
    repo, vids = small
    store = type(repo.store)(repo.store.root)
    base = store.cache.get("roots", vids[2])
    store.cache.clear(STAMPS)
    store.cache.clear("roots")
    store.cache.put("roots", vids[2], base)
    history = History(store)
    history.root_tree(vids[4])
    assert history.replayed == 2
    assert [k for a, k, _, _ in store.cache.entries() if a == STAMPS] == []
    assert every_stamp(history, vids)[vids[6]]["a.txt"] == ns(3)
    assert history.restamped == 1


def test_a_root_made_by_replay_records_the_same_stamps(small):
    """root_tree's replay from a stamped cached root records what recording did."""
    repo, vids = small
    before = every_stamp(repo.history, vids)
    store = type(repo.store)(repo.store.root)
    early = [(STAMPS, k, v) for a, k, v, _ in store.cache.entries()
             if a == STAMPS and v in (str(ns(1)), str(ns(2)))]     # versions 0 and 1
    base = store.cache.get("roots", vids[1])
    store.cache.clear(STAMPS)
    store.cache.clear("roots")
    store.cache.put_many([("roots", vids[1], base)], early)
    history = History(store)
    history.root_tree(vids[4])
    assert history.replayed == 3
    assert every_stamp(history, vids) == before
    assert history.restamped == 0


def random_repo(top, seed: int, records: int = 14) -> tuple[Repository, list[str]]:
    """A random history of moves, edits, binary files, links and emptied directories,
    recorded (so every root comes from the Merkle diff of add_version's root=)."""
    repo = Repository.init(str(top))
    gen = WorkGen(repo.root, seed)
    vids = []
    for i in range(records):
        for _ in range(3):
            gen.change()
        try:
            vids.append(ops.record(repo, f"change {i}", AUTHOR, day(i + 1)))
        except Exception as exc:       # nothing changed: fine, change more next time
            if type(exc).__name__ != "NothingToRecord":
                raise
    return repo, vids


@pytest.mark.parametrize("seed", range(6))
def test_recording_and_replaying_agree_on_random_histories(tmp_path, seed):
    repo, vids = random_repo(tmp_path / "r", seed)
    recorded = every_stamp(repo.history, vids)
    history = fresh_history(repo)
    assert every_stamp(history, vids) == recorded
    for vid in vids:        # nothing is dated after what holds it
        for path, stamp in recorded[vid].items():
            if path:
                assert stamp <= recorded[vid][path.rpartition("/")[0]], (vid, path)


@pytest.mark.parametrize("date", ["20240101120000", "20240229235959", "19691231235959",
                                  "20241301120000", "20240100120000", "2024010112000",
                                  "not a date", "２０２４０１０１１２００００"])
def test_a_stamp_is_the_patchs_moment_in_whole_seconds(date):
    info = PatchInfo("p", AUTHOR, date)
    moment = info.moment
    try:                                # the sliced reading is strptime's, faster
        assert moment == datetime.strptime(date, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        assert moment is None
    want = 0 if moment is None else int(moment.timestamp()) * 1_000_000_000
    assert patch_stamp(Patch(info)) == want


class _Gated(History):
    """Holds a restamp until the thread named "second" has missed too: so the two
    ask at once, deterministically."""

    def __init__(self, store):
        super().__init__(store)
        self.first_restamping = threading.Event()
        self.second_missed = threading.Event()

    def restamp(self, vid):
        if threading.current_thread().name == "first":
            self.first_restamping.set()
            assert self.second_missed.wait(60)
        super().restamp(vid)

    def _stamps_known(self, oids):
        found = super()._stamps_known(oids)
        if threading.current_thread().name == "second" and len(found) < len(oids):
            self.second_missed.set()
        return found


def test_threads_that_miss_at_once_restamp_once(small):
    repo, vids = small
    history = _Gated(type(repo.store)(repo.store.root))
    head = vids[-1]
    root = history.root_tree(head)
    oids = [e.oid for e in history.states.get_tree(root).entries]
    history.store.cache.clear(STAMPS)
    got = {}

    def ask(name):
        got[name] = history.stamps(head, oids)

    threads = [threading.Thread(target=ask, args=(n,), name=n) for n in ("first", "second")]
    threads[0].start()
    assert history.first_restamping.wait(60)
    threads[1].start()
    for t in threads:
        t.join()
    assert history.restamped == 1
    assert got["first"] == got["second"] and len(got["first"]) == len(oids)
