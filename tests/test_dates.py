"""Dates in the author's zone (verfs/dates.py): the pure functions, and what ``verfs
log`` shows of a git commit made at -0700 and of recorded patches."""

import json
import subprocess

import pytest

from tests.conftest import run_verfs, verfs_env
from verfs import dates


def test_iso_and_text_in_the_zone():
    assert dates.iso("20261201170203", "-0700") == "2026-12-01T10:02:03-07:00"
    assert dates.text("20261201170203", "-0700") == "Tue Dec 1 10:02:03 2026 -0700"
    assert dates.iso("20261201170203", "+0530") == "2026-12-01T22:32:03+05:30"
    assert dates.text("20261231230000", "+0100") == "Fri Jan 1 00:00:00 2027 +0100"


def test_no_zone_is_utc():
    assert dates.iso("20261201170203") == "2026-12-01T17:02:03+00:00"
    assert dates.text("20261201170203", None) == "Tue Dec 1 17:02:03 2026 +0000"
    assert dates.iso("20261201170203", "bogus") == "2026-12-01T17:02:03+00:00"


@pytest.mark.parametrize("legacy", ["Tue Nov  4 10:20:30 EST 2003", "2026120117", "",
                                    "20261301170203"])
def test_legacy_dates_as_they_are(legacy):
    assert dates.iso(legacy, "-0700") == legacy
    assert dates.text(legacy, "-0700") == legacy


def test_zone_of_a_moment():
    from datetime import datetime
    assert dates.zone_of(datetime.fromisoformat("2026-12-01T10:02:03-07:00")) == "-0700"
    assert dates.zone_of(datetime.fromisoformat("2026-12-01T10:02:03+05:45")) == "+0545"


def entries(repo, env=None):
    out = run_verfs("log", "--json", cwd=repo, env=env).stdout
    return json.loads(out), run_verfs("log", cwd=repo, env=env).stdout.decode()


def test_an_imported_git_commit(tmp_path):
    src = tmp_path / "g"
    git = ["git", "-C", str(src)]
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    (src / "f").write_text("x\n")
    subprocess.run([*git, "add", "f"], check=True)
    env = verfs_env(GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@x", GIT_COMMITTER_NAME="A",
                    GIT_COMMITTER_EMAIL="a@x", GIT_AUTHOR_DATE="2026-12-01T10:02:03-0700",
                    GIT_COMMITTER_DATE="2026-12-01T10:02:03-0700")
    subprocess.run([*git, "commit", "-qm", "one"], check=True, env=env)
    shown = subprocess.run([*git, "log", "-1", "--format=%ad"], check=True,
                           capture_output=True, text=True).stdout.strip()
    run_verfs("import", "git", src, "--into", tmp_path / "v")
    (entry,), text = entries(tmp_path / "v")
    assert entry["stored_date"] == "20261201170203" and entry["meta"]["zone"] == "-0700"
    assert entry["date"] == "2026-12-01T10:02:03-07:00"
    assert f"Date:   {shown}\n" in text                 # as git shows it
    assert shown == "Tue Dec 1 10:02:03 2026 -0700"


def test_recorded_patches_keep_their_zone(tmp_path):
    repo = tmp_path / "r"
    run_verfs("init", repo)
    env = verfs_env(TZ="EST5")                         # -0500, all year round
    for name, date in (("given", "2026-12-01T10:02:03+05:30"), ("utc", "20261201170203"),
                       ("now", None)):
        (repo / name).write_text(name)
        run_verfs("record", "-m", name, *(["--date", date] if date else []), cwd=repo,
                  env=env)
    now, utc, given = (e for e in entries(repo, env)[0])
    assert given["meta"]["zone"] == "+0530"
    assert given["date"] == "2026-12-01T10:02:03+05:30"
    assert utc["meta"]["zone"] == "+0000" and utc["date"] == "2026-12-01T17:02:03+00:00"
    assert now["meta"]["zone"] == "-0500" and now["date"].endswith("-05:00")
    text = entries(repo, env)[1]
    assert "Date:   Tue Dec 1 10:02:03 2026 +0530\n" in text


def test_diff_gnu_headers_in_the_authors_zones(tmp_path):
    repo = tmp_path / "r"
    run_verfs("init", repo)
    for text, date in (("1\n", "2026-12-01T10:02:03+05:30"), ("2\n", "2026-12-02T01:00:00-07:00")):
        (repo / "f").write_text(text)
        run_verfs("record", "-m", text.strip(), "--date", date, cwd=repo)
    out = run_verfs("diff", "--gnu", "head~1", "head", cwd=repo, check=False).stdout.decode()
    assert "/f\t2026-12-01 10:02:03.000000000 +0530\n+++ " in out
    assert "/f\t2026-12-02 01:00:00.000000000 -0700\n@@" in out


def test_diff_header():
    assert dates.diff_header("20261201170203", "-0700") == "2026-12-01 10:02:03.000000000 -0700"
    assert dates.diff_header("20261201170203") == "2026-12-01 17:02:03.000000000 +0000"
    assert dates.diff_header(None) == dates.diff_header("old date") == \
        "1970-01-01 00:00:00.000000000 +0000"
