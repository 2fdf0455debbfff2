"""The derived cache's entries check themselves: a damaged or moved entry is dropped,
counted and read as absent, never trusted."""

import sqlite3

from store.diskcache import DiskCache
from tests.cachefile import swap_roots

A, B = "a" * 64, "b" * 64
TA, TB = "1" * 64, "2" * 64


def _set(path: str, key: str, value: str) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (value, key))
    db.close()


def test_swapped_values_are_dropped_not_served(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.put_many([("roots", A, TA), ("roots", B, TB)])
    swap_roots(cache.path, A, B)
    fresh = DiskCache(str(tmp_path))
    assert fresh.get("roots", A) is None
    assert fresh.get("roots", B) is None
    assert fresh.dropped == 2
    assert list(fresh.entries()) == []          # dropped from the file, too


def test_a_damaged_value_is_dropped(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.put("roots", A, TA)
    db = sqlite3.connect(cache.path)
    (stored,) = db.execute("SELECT value FROM entries").fetchone()
    db.close()
    _set(cache.path, A, stored.replace("1", "3", 5))
    assert cache.get("roots", A) is None
    assert cache.dropped == 1


def test_entries_names_the_damaged_ones_and_changes_nothing(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.put_many([("roots", A, TA), ("roots", B, TB), ("verified", A, "1 2 3 4")])
    swap_roots(cache.path, A, B)
    found = {(area, key): (value, why) for area, key, value, why in cache.entries()}
    assert found[("verified", A)] == ("1 2 3 4", None)      # spaces inside a value: fine
    assert found[("roots", A)][0] is None and "belongs to key" in found[("roots", A)][1]
    assert found[("roots", B)][0] is None
    assert len(list(cache.entries())) == 3      # reading them dropped nothing
    assert cache.dropped == 0


def test_an_intact_entry_reads_back(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.put("verified", A, "12 34 56 78")
    assert DiskCache(str(tmp_path)).get("verified", A) == "12 34 56 78"


def test_entries_of_the_old_format_are_not_read(tmp_path):
    """Bare values (cache/v1) are in another directory: a cache of this format never
    sees them, and starts empty."""
    old = tmp_path / "cache" / "v1"
    old.mkdir(parents=True)
    db = sqlite3.connect(old / "index.sqlite")
    with db:
        db.execute("CREATE TABLE entries (area TEXT NOT NULL, key TEXT NOT NULL, value TEXT "
                   "NOT NULL, PRIMARY KEY (area, key)) WITHOUT ROWID")
        db.execute("INSERT INTO entries VALUES ('roots', ?, ?)", (A, TA))
    db.close()
    cache = DiskCache(str(tmp_path))
    assert cache.FORMAT >= 2 and "v1" not in cache.path
    assert cache.get("roots", A) is None


def test_get_many_drops_the_damaged_and_answers_the_rest(tmp_path):
    cache = DiskCache(str(tmp_path))
    cache.put_many([("stamps", A, "5"), ("stamps", B, "6")])
    _set(cache.path, A, "garbage")
    assert cache.get_many("stamps", [A, B, TA]) == {B: "6"}
    assert cache.dropped == 1
    cache.put_many([], if_absent=[("stamps", A, "7"), ("stamps", B, "8")])
    assert cache.get_many("stamps", [A, B]) == {A: "7", B: "6"}
