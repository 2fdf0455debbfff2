"""The trigram index (verfs/search/index.py): it may only ever add candidates, never
drop a blob that could match — fresh, stale, merged, damaged, deleted, or written by
two processes at once."""

import hashlib
import os
import select
import shutil
import subprocess
import sys
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import verfs_env
from verfs import ops
from verfs.repo import Repository
from verfs.search import index as ix
from verfs.search import trigrams as tg
from verfs.search.index import GrepIndex, chain_blobs, update
from verfs.search.query import ALL, All, And, Literal, Or, Query


def oid(data: bytes, salt: bytes = b"") -> str:
    return hashlib.sha256(salt + data).hexdigest()


def admits(query: Query, text: bytes) -> bool:
    """What the query says of a text, by substring containment (the truth)."""
    if isinstance(query, Literal):
        return query.text in text.lower()
    if isinstance(query, And):
        return all(admits(p, text) for p in query.parts)
    if isinstance(query, Or):
        return any(admits(p, text) for p in query.parts)
    return True


def write(index: GrepIndex, blobs: dict[str, bytes]) -> None:
    with index.writer() as w:
        for h, data in blobs.items():
            w.add(h, data)


def segment_names(index: GrepIndex) -> list[str]:
    return sorted(n for n in os.listdir(index.directory) if n.endswith(ix.SUFFIX))


# --- the property ---------------------------------------------------------------------

ALPHABET = b"abcAB \n\0x"
texts = st.binary(max_size=60).map(lambda b: bytes(ALPHABET[c % len(ALPHABET)] for c in b))
literals = texts.map(lambda t: Literal(t[:6].lower()))
queries = st.recursive(
    literals | st.just(ALL),
    lambda inner: st.tuples(inner, inner).map(And) | st.tuples(inner, inner).map(Or),
    max_leaves=6)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(parts=st.lists(st.lists(texts, max_size=12), min_size=1, max_size=4),
       qs=st.lists(queries, min_size=1, max_size=4), merge=st.booleans(),
       uncovered=st.lists(texts, max_size=3))
def test_candidates_never_drop_a_blob_holding_the_literals(parts, qs, merge, uncovered):
    with tempfile.TemporaryDirectory() as d:
        index = GrepIndex(directory=d)
        blobs = {}
        for k, part in enumerate(parts):
            seg = {oid(t, b"%d:%d" % (k, i)): t for i, t in enumerate(part)}
            blobs.update(seg)
            write(index, seg)
        if merge:
            merger = GrepIndex(directory=d)
            merger._merge(merger.segments())
            merger.close()
        blobs.update({oid(t, b"u%d" % i): t for i, t in enumerate(uncovered)})
        for q in qs:
            truth = {h for h, t in blobs.items() if admits(q, t)}
            got = index.candidates(q, set(blobs))
            assert truth <= got <= set(blobs)
        index.close()


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 300)), max_size=20))
def test_run_lists_round_trip(pairs):
    runs, at = [], 0
    for gap, length in pairs:
        runs += (at + gap, at + gap + length)
        at += gap + length
    assert tg.decode(tg.encode(runs)) == runs
    docs = {d for s, e in zip(runs[0::2], runs[1::2], strict=True) for d in range(s, e)}
    assert tg.size(runs) == len(docs)
    assert all(tg.contains(runs, d) == (d in docs) for d in range(at + 3))


run_lists = st.sets(st.integers(0, 80)).map(sorted).map(
    lambda ds: [x for d in ds for x in (d, d + 1)])


@given(run_lists, run_lists)
def test_intersect_and_union_are_those_of_sets(a, b):
    def docs(r):
        return {d for s, e in zip(r[0::2], r[1::2], strict=True) for d in range(s, e)}
    assert docs(tg.intersect(a, b)) == docs(a) & docs(b)
    assert docs(tg.union(a, b)) == docs(a) | docs(b)


def test_a_literal_narrows_to_the_blobs_holding_it(tmp_path, monkeypatch):
    monkeypatch.setattr(ix, "STOP_AT", 0)       # exact answers (not "few enough")
    index = GrepIndex(directory=str(tmp_path))
    blobs = {oid(b"%d" % i): b"line %d of file\nvalue = compute(%d)\n" % (i, i * 7)
             for i in range(200)}
    blobs[oid(b"needle")] = b"here is the Needle_In_The_Haystack\n"
    write(index, blobs)
    assert index.candidates(Literal(b"needle_in"), set(blobs)) == {oid(b"needle")}
    assert index.candidates(Literal(b"nowhere"), set(blobs)) == set()
    assert index.candidates(Literal(b"ne"), set(blobs)) == set(blobs)      # too short
    assert index.candidates(ALL, set(blobs)) == set(blobs)
    assert index.candidates(Or((Literal(b"needle"), Literal(b"(14)"))), set(blobs)) == {
        oid(b"needle"), oid(b"2")}
    assert index.candidates(And((Literal(b"line 1"), Literal(b"(7)"))), set(blobs)) == {
        oid(b"1")}
    assert index.size_bytes() > 0
    assert index.covered() == set(blobs)


def test_a_blob_too_big_to_index_is_covered_and_always_a_candidate(tmp_path, monkeypatch):
    monkeypatch.setattr(ix, "MAX_BLOB", 100)
    index = GrepIndex(directory=str(tmp_path))
    big, small = b"x" * 101, b"small text"
    write(index, {oid(big): big, oid(small): small})
    assert index.covered() == {oid(big), oid(small)}
    assert index.candidates(Literal(b"nothing like it"), {oid(big), oid(small)}) == {oid(big)}


def test_a_store_that_keeps_no_files_has_an_empty_index():
    index = GrepIndex(None)
    assert index.directory is None
    write(index, {oid(b"abc"): b"abc"})
    assert index.covered() == set() and index.size_bytes() == 0
    assert index.candidates(Literal(b"zzz"), {oid(b"abc")}) == {oid(b"abc")}


# --- damage, staleness, merging --------------------------------------------------------

def test_a_damaged_segment_is_ignored_and_removed(tmp_path):
    index = GrepIndex(directory=str(tmp_path))
    good = {oid(b"g%d" % i): b"good %d" % i for i in range(5)}
    bad = {oid(b"b%d" % i): b"bad %d" % i for i in range(5)}
    write(index, good)
    first = segment_names(index)
    write(index, bad)
    [damaged] = set(segment_names(index)) - set(first)
    path = tmp_path / damaged
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    fresh = GrepIndex(directory=str(tmp_path))
    blobs = set(good) | set(bad)
    assert fresh.candidates(Literal(b"nowhere"), blobs) == set(bad)    # unindexed now
    assert fresh.swallowed.count == 1
    assert not path.exists()
    assert fresh.covered() == set(good)


@pytest.mark.parametrize("cut", [1, 40, 2000])
def test_a_cut_segment_is_ignored(tmp_path, cut):
    index = GrepIndex(directory=str(tmp_path))
    blobs = {oid(b"%d" % i): b"some text number %d" % i for i in range(50)}
    write(index, blobs)
    [name] = segment_names(index)
    path = tmp_path / name
    path.write_bytes(path.read_bytes()[:-cut])
    assert GrepIndex(directory=str(tmp_path)).candidates(Literal(b"absent"), set(blobs)) \
        == set(blobs)


def test_merging_keeps_what_is_covered_and_the_answers(tmp_path):
    index = GrepIndex(directory=str(tmp_path))
    everything = {}
    answers = []
    for k in range(ix.FANOUT * ix.FANOUT + 1):
        seg = {oid(b"%d" % k): b"file %d says hello_%d\n" % (k, k % 3)}
        everything.update(seg)
        before = len(segment_names(index))
        write(index, seg)
        answers.append(before)
    assert max(answers) < ix.FANOUT + ix.FANOUT      # merged as they came
    assert len(segment_names(index)) <= 2
    assert index.covered() == set(everything)
    for q in (Literal(b"hello_1"), Literal(b"file 7"), Literal(b"absent")):
        truth = {h for h, t in everything.items() if admits(q, t)}
        assert index.candidates(q, set(everything)) == truth


def test_a_segment_merged_away_after_the_listing_only_makes_candidates(tmp_path, monkeypatch):
    index = GrepIndex(directory=str(tmp_path))
    blobs = {oid(b"%d" % i): b"text %d" % i for i in range(3)}
    for h, t in blobs.items():
        write(index, {h: t})
    listed = segment_names(index)
    os.unlink(tmp_path / listed[0])           # as a merge in another process would
    reader = GrepIndex(directory=str(tmp_path))
    monkeypatch.setattr(reader, "_names", lambda: listed)
    got = reader.candidates(Literal(b"absent"), set(blobs))
    assert len(got) == 1 and got <= set(blobs)


# --- kept up to date with a repository ---------------------------------------------

def chain(repo: Repository) -> list[str]:
    return [s.vid for s in repo.history.chain(repo.head())][::-1]


def grep_dir(repo: Repository) -> str:
    return GrepIndex(repo.history.store).directory


def test_record_indexes_the_new_blobs(sample):
    repo = sample.repo
    index = GrepIndex(repo.history.store)
    assert index.covered() >= set(chain_blobs(repo.history, repo.head()))
    w = repo.root
    with open(os.path.join(w, "fresh.txt"), "wb") as f:
        f.write(b"a freshly recorded Unusual_Word\n")
    ops.record(repo, "fresh", "Ada <ada@example.com>", "20240110120000")
    blobs = set(chain_blobs(repo.history, repo.head()))
    new = {h for h in blobs if b"Unusual_Word" in repo.history.states.get_blob(h)}
    assert len(new) == 1
    index = GrepIndex(repo.history.store)
    assert index.covered() >= blobs
    assert index.candidates(Literal(b"unusual_word"), blobs) == new


def test_a_record_indexes_only_what_it_brought(sample, monkeypatch):
    repo = sample.repo
    update(repo.history, repo.head())           # marks head as indexed
    with open(os.path.join(repo.root, "README"), "ab") as f:
        f.write(b"one more Distinct_Line\n")
    def whole_chain(*args):
        raise AssertionError("walked the whole chain")
    monkeypatch.setattr(ix, "chain_blobs", whole_chain)
    ops.record(repo, "more", "Ada <ada@example.com>", "20240111120000")
    readme = repo.history.states.get_tree(repo.history.root_tree(repo.head())).entries
    [new] = [e.oid for e in readme if e.name == "README"]
    index = GrepIndex(repo.history.store)
    assert new in index.covered()
    monkeypatch.undo()
    blobs = set(chain_blobs(repo.history, repo.head()))
    assert index.covered() >= blobs
    assert index.candidates(Literal(b"distinct_line"), blobs) == {new}


def test_the_index_survives_deleting_cache(sample):
    repo = sample.repo
    tip = repo.head()
    blobs = set(chain_blobs(repo.history, tip))
    shutil.rmtree(os.path.join(repo.dotdir, "store", "cache"))
    index = GrepIndex(repo.history.store)
    assert index.covered() == set()
    assert index.candidates(Literal(b"return util"), blobs) == blobs     # all unindexed
    update(repo.history, tip)
    index = GrepIndex(repo.history.store)
    assert index.covered() == blobs
    holding = {h for h in blobs if b"return util" in repo.history.states.get_blob(h)}
    assert holding and index.candidates(Literal(b"return util"), blobs) == holding


def test_a_grep_writer_rebuilds_what_it_read(sample):
    repo = sample.repo
    blobs = set(chain_blobs(repo.history, repo.head()))
    shutil.rmtree(grep_dir(repo))
    index = GrepIndex(repo.history.store)
    some = sorted(blobs)[:3]
    with index.writer() as w:
        for h in some:
            w.add(h, repo.history.states.get_blob(h))
    assert GrepIndex(repo.history.store).covered() == set(some)


def test_a_stale_index_still_answers_right(sample):
    repo = sample.repo
    old = sample.chain[0]
    shutil.rmtree(grep_dir(repo))
    update(repo.history, old)                   # covers only the first version's blobs
    index = GrepIndex(repo.history.store)
    blobs = set(chain_blobs(repo.history, repo.head()))
    assert index.covered() < blobs
    for word in (b"line five, edited", b"write more", b"a sample", b"no such words"):
        holding = {h for h in blobs if word in repo.history.states.get_blob(h).lower()}
        got = index.candidates(Literal(word), blobs)
        assert holding <= got
        assert got - holding <= blobs - index.covered()


# --- two processes at once ----------------------------------------------------------

GATED = """
import sys
from verfs import testhook
from verfs.repo import Repository
from verfs.search import index
testhook.arm(sys.argv[3])
repo = Repository(sys.argv[1])
if sys.argv[2] == "merge":
    with index.GrepIndex(repo.history.store) as idx:
        idx.merge()
else:
    index.update(repo.history, sys.argv[2])
"""


class Parked:
    """``GATED`` in a subprocess, parked at a pause point (verfs/testhook.py) until
    ``resume``: the FIFO handshake of tests/pausing.py, for a Python function."""

    def __init__(self, tmp, point: str, *args):
        self.fifo = os.path.join(tempfile.mkdtemp(dir=str(tmp)), point)
        os.mkfifo(self.fifo)
        rfd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.proc = subprocess.Popen([sys.executable, "-c", GATED, *map(str, args),
                                      f"{point}:{self.fifo}"], env=verfs_env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            while True:
                ready, _, _ = select.select([rfd, pidfd], [], [], 120)
                assert ready, "never reached " + point
                if rfd in ready and os.read(rfd, 100) == point.encode() + b"\n":
                    break
                if pidfd in ready:
                    _, err = self.proc.communicate()
                    raise AssertionError(f"ended before {point}: {err.decode()}")
        finally:
            os.close(pidfd)
            os.close(rfd)

    def resume(self) -> None:
        with open(self.fifo, "wb"):
            pass
        _, err = self.proc.communicate(timeout=120)
        assert self.proc.returncode == 0, err.decode()


def test_two_processes_updating_at_once_lose_nothing(sample, tmp_path):
    repo = sample.repo
    early, tip = sample.chain[1], repo.head()
    shutil.rmtree(grep_dir(repo))
    # both have looked at what is covered (nothing) before either writes
    a = Parked(tmp_path, "index-write", repo.root, early)
    b = Parked(tmp_path, "index-write", repo.root, tip)
    b.resume()
    a.resume()
    index = GrepIndex(repo.history.store)
    blobs = set(chain_blobs(repo.history, tip))
    assert index.covered() == blobs
    for word in (b"return util", b"odd name", b"write more"):
        holding = {h for h in blobs if word in repo.history.states.get_blob(h).lower()}
        assert index.candidates(Literal(word), blobs) == holding


def test_a_segment_written_during_a_merge_is_kept(sample, tmp_path):
    repo = sample.repo
    shutil.rmtree(grep_dir(repo))
    index = GrepIndex(repo.history.store)
    blobs = sorted(chain_blobs(repo.history, repo.head()))
    states = repo.history.states
    first, rest = blobs[:ix.FANOUT], blobs[ix.FANOUT:]
    for h in first:                            # FANOUT one-blob segments: merge due...
        seg = ix._Builder()
        seg.add(bytes.fromhex(h), states.get_blob(h))
        ix._write_segment(index.directory, seg.oids, seg.docs, seg.postings())
    merger = Parked(tmp_path, "index-merge", repo.root, "merge")  # ...holding the lock
    with index.writer() as w:                  # its own merge is skipped, not waited for
        for h in rest:
            w.add(h, states.get_blob(h))
    merger.resume()
    fresh = GrepIndex(repo.history.store)
    assert fresh.covered() == set(blobs)
    assert len(segment_names(fresh)) == 2


def test_all_is_all(tmp_path):
    index = GrepIndex(directory=str(tmp_path))
    write(index, {oid(b"x"): b"xyz"})
    assert index.candidates(All(), {oid(b"x"), oid(b"y")}) == {oid(b"x"), oid(b"y")}


@given(run_lists, st.lists(st.integers(0, 90), max_size=6).map(sorted))
def test_a_short_run_list_against_a_long_one(long, cuts):
    short = tg.union([x for c in cuts for x in (c, c + 1)], [])

    def docs(r):
        return {d for s, e in zip(r[0::2], r[1::2], strict=True) for d in range(s, e)}
    assert docs(tg.intersect(short, long)) == docs(short) & docs(long)
    assert docs(tg.intersect(long, short)) == docs(short) & docs(long)


def test_segments_lost_under_the_mark_only_make_candidates(sample):
    repo = sample.repo
    tip = repo.head()
    update(repo.history, tip)
    index = GrepIndex(repo.history.store)
    for name in segment_names(index):
        os.unlink(os.path.join(index.directory, name))
    update(repo.history, tip)                  # the mark says done: nothing indexed
    blobs = set(chain_blobs(repo.history, tip))
    fresh = GrepIndex(repo.history.store)
    assert fresh.candidates(Literal(b"no such words"), blobs) == blobs
    with fresh.writer() as w:                  # as grep does with what it read
        for h in blobs:
            w.add(h, repo.history.states.get_blob(h))
    assert GrepIndex(repo.history.store).candidates(Literal(b"no such words"), blobs) == set()


def test_a_writer_over_its_budget_indexes_no_more(tmp_path):
    index = GrepIndex(directory=str(tmp_path))
    blobs = {oid(b"%d" % i): b"text number %d" % i for i in range(5)}
    with index.writer(budget=1e-9) as w:       # the first blob spends it all
        for h, data in blobs.items():
            w.add(h, data)
        assert not w.accepted
    [first] = index.covered()
    assert first == next(iter(blobs))
    assert index.candidates(Literal(b"absent"), set(blobs)) == set(blobs) - {first}
    with index.writer(budget=None) as w:
        for h, data in blobs.items():
            w.add(h, data)
        assert w.accepted
    assert index.covered() == set(blobs)
