"""Damaging the derived cache's SQLite file behind its back, as a disk might."""

import sqlite3


def swap_roots(path: str, v1: str, v2: str) -> None:
    """Swap the stored values of two versions' ``roots`` rows."""
    db = sqlite3.connect(path)
    with db:
        get = "SELECT value FROM entries WHERE area = 'roots' AND key = ?"
        (s1,), (s2,) = db.execute(get, (v1,)).fetchone(), db.execute(get, (v2,)).fetchone()
        for key, value in ((v1, s2), (v2, s1)):
            db.execute("UPDATE entries SET value = ? WHERE area = 'roots' AND key = ?",
                       (value, key))
    db.close()
