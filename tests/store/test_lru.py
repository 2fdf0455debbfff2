"""The byte-bounded LRU: bound, order, and one computation for many threads."""

import threading
import time

import pytest

from store.cache import LRU


def test_holds_at_most_max_bytes():
    lru = LRU(100)
    for i in range(30):
        lru.put(i, b"x" * 10)
        assert lru.nbytes <= 100
    assert len(lru) == 10
    assert lru.nbytes == 100
    assert [lru.get(i) for i in range(20)] == [None] * 20
    assert all(lru.get(i) == b"x" * 10 for i in range(20, 30))


def test_evicts_least_recently_used():
    lru = LRU(30)
    for key in "abc":
        lru.put(key, b"0123456789")
    assert lru.get("a") is not None         # a is now the most recent
    lru.put("d", b"0123456789")
    assert lru.get("b") is None
    assert {k for k in "acd" if lru.get(k) is not None} == set("acd")


def test_custom_sizeof_and_replacing_a_key():
    lru = LRU(100, sizeof=lambda v: v)
    lru.put("a", 60)
    lru.put("a", 30)                        # replacing frees the old size
    assert lru.nbytes == 30
    lru.put("b", 70)
    assert lru.nbytes == 100 and len(lru) == 2


def test_value_larger_than_the_bound_is_not_kept():
    lru = LRU(10)
    lru.put("small", b"12345")
    lru.put("big", b"x" * 11)
    assert lru.get("big") is None
    assert lru.get("small") == b"12345"     # and it evicted nothing


def test_get_default_and_clear():
    lru = LRU(10)
    assert lru.get("k", "dflt") == "dflt"
    lru.put("k", b"v")
    lru.clear()
    assert len(lru) == 0 and lru.nbytes == 0 and lru.get("k") is None


def test_get_or_compute_caches():
    lru = LRU(100)
    calls = []
    for _ in range(3):
        assert lru.get_or_compute("k", lambda: calls.append(1) or b"value") == b"value"
    assert len(calls) == 1
    assert (lru.hits, lru.misses) == (2, 1)


def test_get_or_compute_runs_once_for_eight_threads():
    lru = LRU(1000)
    calls = []
    start = threading.Barrier(8)
    results = []

    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.05)                    # long enough for all threads to pile up
        return b"tree"

    def worker():
        start.wait()
        results.append(lru.get_or_compute("key", compute))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [b"tree"] * 8


def test_failed_compute_is_not_cached_and_releases_waiters():
    lru = LRU(100)

    def boom():
        raise ValueError("cannot load")

    with pytest.raises(ValueError):
        lru.get_or_compute("k", boom)
    assert lru.get_or_compute("k", lambda: b"ok") == b"ok"


def test_waiters_retry_after_a_failed_compute():
    """A waiter must not hang, nor see the first thread's error as its value."""
    lru = LRU(100)
    first_started = threading.Event()
    outcome = {}

    def failing():
        first_started.set()
        time.sleep(0.05)
        raise ValueError("first load fails")

    def first():
        try:
            lru.get_or_compute("k", failing)
        except ValueError:
            outcome["first"] = "raised"

    def second():
        first_started.wait()
        outcome["second"] = lru.get_or_compute("k", lambda: b"second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert outcome == {"first": "raised", "second": b"second"}
