"""Dates everywhere in one form (tests/test_dates.py has the patches' own): ``verfs
tag`` keeps its zone as ``record`` does; the reflog's times (``versions``, ``reflog``)
as ISO 8601 with an offset in --json and git's form in text, like every other date;
the mount's info/ file shows a date as ``verfs log`` does."""

import json
import re
import subprocess

from tests.cli.test_log_stream import git_history
from tests.conftest import run_verfs, verfs_env
from verfs import dates

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


def test_reflog_times():
    assert dates.reflog_iso("2026-12-02T13:19:34Z") == "2026-12-02T13:19:34+00:00"
    assert dates.reflog_iso("garbage") == "garbage" == dates.reflog_text("garbage")


def test_tag_keeps_the_zone(repo_dir):
    (repo_dir / "f").write_text("x\n")
    run_verfs("record", "-m", "one", "--date", "2026-12-01T10:02:03-07:00", cwd=repo_dir)
    run_verfs("tag", "v1", "--date", "2026-12-01T19:30:00+02:00", cwd=repo_dir)
    run_verfs("tag", "v2", cwd=repo_dir, env=verfs_env(TZ="Asia/Kolkata"))   # +0530
    log = json.loads(run_verfs("log", "--json", cwd=repo_dir).stdout)
    assert [e["meta"]["zone"] for e in log] == ["+0530", "+0200", "-0700"]
    assert log[1]["date"] == "2026-12-01T19:30:00+02:00"
    text = run_verfs("log", cwd=repo_dir).stdout.decode()
    assert "Date:   Tue Dec 1 19:30:00 2026 +0200\n  * TAG v1" in text


def test_reflog_times_in_one_form(repo_dir):
    (repo_dir / "f").write_text("x\n")
    run_verfs("record", "-m", "one", cwd=repo_dir)
    for args, key in ((["log", "--json"], "date"), (["versions", "--json"], "time"),
                      (["reflog", "--json"], "time")):
        for e in json.loads(run_verfs(*args, cwd=repo_dir).stdout):
            assert re.fullmatch(ISO, e[key]), (args, e)
    env = verfs_env(TZ="EST5")      # -0500 all year: the reader's zone
    for args in (["versions"], ["reflog"]):
        text = run_verfs(*args, cwd=repo_dir, env=env).stdout.decode()
        assert re.search(r"  \w{3} \w{3} \d+ \d\d:\d\d:\d\d \d{4} -0500  record: one", text)


def test_imported_zone_in_log_text_as_git_log(tmp_path):
    repo = git_history(tmp_path, 3)
    entry = json.loads(run_verfs("log", "--json", "-n", "1", cwd=repo).stdout)[0]
    assert entry["date"] == "2023-11-14T15:16:20-07:00"
    ours = run_verfs("log", "-n", "1", cwd=repo).stdout.decode()
    git = subprocess.run(["git", "-C", tmp_path / "src.git", "log", "-n", "1",
                          "--format=Date:   %ad"], capture_output=True, check=True,
                         env=verfs_env()).stdout.decode()
    assert git in ours
