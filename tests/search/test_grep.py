"""``verfs grep``: searching blobs (verfs/search/grep.py), what it prints
(verfs/search/output.py), the command and its pager (verfs/cli/grep_cmds.py, pager.py)."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.terminal import on_a_terminal
from verfs.repo import Repository
from verfs.search.grep import Found, Results, search_blob
from verfs.search.index import GrepIndex
from verfs.search.posix import BASIC, EXTENDED, FIXED, PERL, compile_pattern

# --- one blob ----------------------------------------------------------------------------


def lines_of(found):
    return found.lines.split(b"\n") if found else []


@given(st.binary(max_size=60).map(lambda b: b.replace(b"\0", b"")),
       st.lists(st.sampled_from([b"aB", b"ab", b"AB", b"x", b"\n", b"\xc4", b"\xe4", b"a"]),
                max_size=40).map(b"".join),
       st.sampled_from([BASIC, EXTENDED, FIXED]))
def test_case_folded_plain_strings_find_what_ignorecase_finds(needle, text, dialect):
    """-i of a plain string searches the lower-cased bytes (faster than IGNORECASE):
    the very same lines, with the original bytes shown."""
    try:
        p = compile_pattern(needle or b"ab", dialect, ignore_case=True)
    except Exception:       # noqa: BLE001 - not a pattern of the dialect: not this test's
        return
    plain = dataclasses.replace(p, folded=None)
    hay = text + needle.upper() + b"\n" + text
    for data in (text, hay):
        a, b = search_blob(p, data), search_blob(plain, data)
        assert (a and (a.count, a.lines)) == (b and (b.count, b.lines)), (needle, data)


def test_case_folding_is_used_only_for_plain_strings():
    assert compile_pattern(b"BaseObserver", BASIC, ignore_case=True).folded is not None
    assert compile_pattern(b"a.b", FIXED, ignore_case=True).folded is not None
    assert compile_pattern(b"a.b", BASIC, ignore_case=True).folded is None
    assert compile_pattern(b"a+b", EXTENDED, ignore_case=True).folded is None
    assert compile_pattern(b"ab", BASIC, ignore_case=True, word=True).folded is None
    assert compile_pattern(b"ab", BASIC).folded is None
    assert compile_pattern(b"ab", PERL, ignore_case=True).folded is None


def test_line_numbers_and_the_last_line():
    p = compile_pattern(b"o", FIXED)
    found = search_blob(p, b"one\ntwo\nthree\nfour")
    assert lines_of(found) == [b"1:one", b"2:two", b"4:four"]
    assert found.count == 3 and not found.binary


def test_empty_matches_count_real_lines_only():
    p = compile_pattern(b"x*", BASIC)
    assert search_blob(p, b"a\n\nb\n").count == 3      # not a 4th after the last newline
    assert search_blob(p, b"") is None                  # an empty file has no line
    assert search_blob(compile_pattern(b"^$", BASIC), b"a\n\nb\n").lines == b"2:"


def test_binary_as_git_decides():
    p = compile_pattern(b"hello", FIXED)
    data = b"x" * 7999 + b"\0hello\nhello\n"
    found = search_blob(p, data)
    assert found.binary and found.count == 2 and found.lines == b""
    assert search_blob(p, data, skip_binary=True) is None
    late = b"x" * 8000 + b"\0hello\n"                   # the NUL past git's 8000 bytes
    assert not search_blob(p, late).binary


def test_first_only_and_counting():
    p = compile_pattern(b"a", FIXED)
    assert search_blob(p, b"a\na\na\n", first=True).count == 1
    assert search_blob(p, b"a\nb\na\n", lines=False) == Found(False, 2, b"")


def test_python_dialect_searches_line_by_line():
    p = compile_pattern(rb"a\sb", PERL)       # \s would cross the newline in one search
    assert search_blob(p, b"a\nb\n") is None
    assert lines_of(search_blob(p, b"x\na b\n")) == [b"2:a b"]


def test_results_spill_to_a_file():
    r = Results(memory=10)
    r.put("a" * 64, Found(False, 1, b"1:short"))
    r.put("b" * 64, Found(False, 2, b"1:a longer line\n5:and another"))
    assert r.get("a" * 64).lines == b"1:short"
    assert r.get("b" * 64) == Found(False, 2, b"1:a longer line\n5:and another")
    assert r._spill is not None
    r.close()


# --- the command on a small history ----------------------------------------------------


def record(repo: Path, files: dict, name: str) -> str:
    for rel, data in files.items():
        p = repo / rel
        if data is None:
            p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return run_verfs("record", "-m", name, cwd=repo).stdout.decode().strip()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Four versions: core.py gains a line, moves on, a binary comes and goes."""
    repo = tmp_path_factory.mktemp("grep") / "repo"
    run_verfs("init", repo)
    v = [record(repo, {"src/core.py": b"def echo(x):\n    return x\n",
                       "README": b"echo here\n"}, "one")]
    v.append(record(repo, {"src/core.py": b"# top\ndef echo(x):\n    return x\n",
                           "data.bin": b"\0echo\n"}, "two"))
    v.append(record(repo, {"README": b"nothing\n", "data.bin": None}, "three"))
    v.append(record(repo, {"src/util.py": b"from core import echo\n"}, "four"))
    return repo, v


def grep(repo, *args, cwd=None, check=False, env=None):
    return run_verfs("grep", *args, cwd=cwd or repo, check=check, env=env)


def test_grouped_lines(history):
    repo, v = history
    out = grep(repo, "-n", "echo").stdout.decode().splitlines()
    label = [f"{i + 1:04d}-{vid[:8]}" for i, vid in enumerate(v)]
    assert out == [
        f"src/core.py:2:def echo(x):  [{label[1]}..{label[3]}, 3 versions]",
        f"src/util.py:1:from core import echo  [{label[3]}, 1 version]",
        f"README:1:echo here  [{label[0]}..{label[1]}, 2 versions]",
        f"Binary file data.bin matches  [{label[1]}, 1 version]",
        f"src/core.py:1:def echo(x):  [{label[0]}, 1 version]",
    ]
    # without -n, the same text at another line number is one line
    out = grep(repo, "def echo").stdout.decode().splitlines()
    assert out == [f"src/core.py:def echo(x):  [{label[0]}..{label[3]}, 4 versions]"]


def test_grouped_names_and_counts(history):
    repo, v = history
    out = grep(repo, "-l", "-I", "echo").stdout.decode().splitlines()
    assert [line.split("  [")[0] for line in out] == ["src/core.py", "src/util.py", "README"]
    out = grep(repo, "-c", "-e", "x", "--", "src").stdout.decode().splitlines()
    assert out[0].startswith("src/core.py:2  [0001-") and "4 versions" in out[0]


def test_json(history):
    repo, v = history
    groups = [json.loads(line) for line in grep(repo, "--json", "-n", "return").stdout.splitlines()]
    assert groups == [{"path": "src/core.py", "line": 3, "text": "    return x", "versions": 3,
                       "ranges": [{"first": v[1], "last": v[3], "from": 2, "to": 4}]},
                      {"path": "src/core.py", "line": 2, "text": "    return x", "versions": 1,
                       "ranges": [{"first": v[0], "last": v[0], "from": 1, "to": 1}]}]
    out = grep(repo, "--json", "--each", "import").stdout
    each = [json.loads(line) for line in out.splitlines()]
    assert each == [{"version": v[3], "path": "src/util.py", "line": 1,
                     "text": "from core import echo"}]


def test_each_newest_first_and_ranges(history):
    repo, v = history
    out = grep(repo, "--each", "-l", "echo").stdout.decode().splitlines()
    assert out == [f"{v[3]}:src/core.py", f"{v[3]}:src/util.py", f"{v[2]}:src/core.py",
                   f"Binary file {v[1]}:data.bin matches"[:0] + f"{v[1]}:README",
                   f"{v[1]}:data.bin", f"{v[1]}:src/core.py", f"{v[0]}:README",
                   f"{v[0]}:src/core.py"]
    out = grep(repo, "--each", "echo", f"{v[0]}..{v[2]}", "--", "src").stdout.decode()
    assert out.splitlines() == [f"{v[2]}:src/core.py:def echo(x):",
                                f"{v[1]}:src/core.py:def echo(x):"]
    out = grep(repo, "--each", "-c", "echo", "head~3", "src/core.py").stdout.decode()
    assert out.splitlines() == [f"{v[0]}:src/core.py:1"]


def test_in_a_subdirectory_as_git(history):
    repo, v = history
    out = grep(repo, "--each", "echo", "head", cwd=repo / "src").stdout.decode().splitlines()
    assert out == [f"{v[3]}:core.py:def echo(x):", f"{v[3]}:util.py:from core import echo"]
    out = grep(repo, "--each", "here", "head~3", "--", "../README", cwd=repo / "src").stdout
    assert out.decode().splitlines() == [f"{v[0]}:../README:echo here"]


def test_exit_status_and_errors(history):
    repo, _ = history
    none = grep(repo, "no such thing")
    assert none.returncode == 1 and none.stdout == b"" and none.stderr == b""
    assert "Unmatched" in one_line_error(grep(repo, "a\\{"), 2)
    assert "Invalid preceding" in one_line_error(grep(repo, "-E", "*a"), 2)
    one_line_error(grep(repo, "-l", "-c", "x"), 2)
    one_line_error(grep(repo, "x", "nonexistent", "--", "src"), 1)   # not a version
    assert "not that long" in one_line_error(grep(repo, "x", "head~9"), 1)   # not a path
    one_line_error(grep(repo, "x", "nosuch..head"), 1)
    assert grep(repo, "echo", "README").stdout.startswith(b"README:echo here")   # a path


def test_damaged_repository_is_exit_3(history, tmp_path):
    """The derived cache gone and the patches damaged: the files' contents cannot be
    made again — exit 3, one line, no traceback."""
    repo, _ = history
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    store = Path(Repository(copy).store.root)
    shutil.rmtree(store / "cache", ignore_errors=True)
    patches = [p for p in (store / "patches").rglob("*") if p.is_file()]
    assert patches
    for p in patches:
        p.chmod(0o644)
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    one_line_error(grep(copy, "echo", "--no-index"), 3)


def test_index_built_as_it_goes_and_same_answers(history, tmp_path):
    repo, v = history
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    store = Repository(copy).store
    shutil.rmtree(os.path.join(store.root, "cache"), ignore_errors=True)
    plain = grep(copy, "--each", "-n", "return", "--no-index").stdout
    assert GrepIndex(Repository(copy).store).covered() == set()
    assert grep(copy, "--each", "-n", "return").stdout == plain      # builds the index
    covered = GrepIndex(Repository(copy).store).covered()
    assert len(covered) >= 5
    assert grep(copy, "--each", "-n", "return").stdout == plain      # uses it
    assert grep(copy, "--each", "-n", "nothing at all").returncode == 1


# --- the pager ---------------------------------------------------------------------------


def test_paged_on_a_terminal(history, tmp_path):
    repo, _ = history
    env = verfs_env(VERFS_PAGER="sed s/^/PAGED:/", PAGER="false")
    out = on_a_terminal(["grep", "return"], repo, env)[0]
    assert b"PAGED:" in out and b"return x" in out
    assert b"\x1b[35m" in out                       # colours on a terminal
    out = on_a_terminal(["grep", "--no-pager", "return"], repo, env)[0]
    assert b"PAGED:" not in out and b"return x" in out
    piped = grep(repo, "return", env=env).stdout    # not a terminal: no pager, no colour
    assert b"PAGED:" not in piped and b"\x1b[" not in piped


def test_a_pager_that_quits_early_is_quiet(history):
    repo, _ = history
    env = verfs_env(VERFS_PAGER="head -c 1")
    out = on_a_terminal(["grep", "--each", "-n", "."], repo, env)[0]
    assert len(out) <= 2


def test_over_a_remote_store(history, tmp_path):
    """``--store URL``: the history pushed there, searched without a working tree."""
    repo, _ = history
    url = f"file://{tmp_path / 'remote'}"
    run_verfs("push", url, cwd=repo)
    local = grep(repo, "--each", "-n", "echo").stdout
    remote = grep(tmp_path, "--each", "-n", "echo", "--store", url,
                  "--cache", tmp_path / "cache")
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == local


def test_a_closed_pipe_is_quiet(tmp_path):
    """``verfs grep ... | head -c 10``: the rest (far more than a pipe holds) meets a
    closed pipe, and that is said nowhere."""
    repo = tmp_path / "big"
    run_verfs("init", repo)
    record(repo, {"many.txt": b"".join(b"line %d\n" % i for i in range(40000))}, "big")
    proc = subprocess.Popen([sys.executable, "-m", "verfs", "grep", "--each", "-n", "line"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=verfs_env())
    first = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert first and err == b"", err
    assert proc.returncode == 0
