"""Shell completion through click's own protocol, driven as bash drives it
(``_VERFS_COMPLETE=bash_complete COMP_WORDS=... COMP_CWORD=...``): commands,
options, and VERSION arguments completing to head, branches and tags."""

import subprocess
import sys

from tests.conftest import run_verfs, verfs_env


def _complete_typed(words: str, cwd) -> list[str]:
    """What bash would be offered for the last of ``words``: "TYPE,VALUE" lines, the
    type "plain", or "file" (the shell's own completion of paths)."""
    parts = words.split(" ")
    env = verfs_env(_VERFS_COMPLETE="bash_complete", COMP_WORDS=words,
                    COMP_CWORD=str(len(parts) - 1))
    # the console script's name is what click derives the variable from: run it so
    proc = subprocess.run([sys.executable, "-c",
                           "from verfs.cli.main import cli; cli(prog_name='verfs')"],
                          cwd=cwd, env=env, capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    return [line for line in proc.stdout.decode().splitlines() if line]


def _complete(words: str, cwd) -> list[str]:
    return [line.split(",", 1)[1] for line in _complete_typed(words, cwd)
            if line.startswith("plain,")]


def test_commands_options_and_versions(repo_dir, tmp_path):
    d = repo_dir
    (d / "f").write_text("1\n")
    run_verfs("record", "-m", "one", cwd=d)
    run_verfs("tag", "v1.0", cwd=d)
    run_verfs("branch", "dev", cwd=d)
    run_verfs("branch", "feature", cwd=d)
    assert {"switch", "show"} <= set(_complete("verfs s", d))
    assert "--force" in _complete("verfs switch --", d)
    assert _complete("verfs switch ", d) == ["dev", "feature", "main"]
    assert _complete("verfs restore ", d) == ["dev", "feature", "head", "main", "v1.0"]
    assert _complete("verfs restore v", d) == ["v1.0"]
    assert _complete("verfs show f", d) == ["feature"]
    assert _complete("verfs diff head~1 d", d) == ["dev"]
    assert _complete("verfs branch -d f", d) == ["feature"]
    assert _complete("verfs restore head~", d) == []
    # the repository named by --repo, from anywhere; nothing at all outside one
    assert _complete(f"verfs restore --repo {d} d", tmp_path) == ["dev"]
    assert _complete("verfs restore ", tmp_path) == []


def test_log_and_grep_complete_versions_then_paths(repo_dir):
    d = repo_dir
    (d / "f").write_text("1\n")
    run_verfs("record", "-m", "one", cwd=d)
    run_verfs("tag", "v1.0", cwd=d)
    run_verfs("branch", "dev", cwd=d)
    every = ["plain,dev", "plain,head", "plain,main", "plain,v1.0"]
    assert _complete_typed("verfs log ", d) == [*every, "file,"]
    assert _complete_typed("verfs log d", d) == ["plain,dev", "file,d"]
    assert _complete_typed("verfs log v1.0 ", d) == ["file,"]         # then paths only
    assert _complete_typed("verfs log -- d", d) == ["file,d"]
    assert _complete_typed("verfs log src/", d) == ["file,src/"]
    assert _complete_typed("verfs grep ", d) == []                    # the PATTERN
    assert _complete_typed("verfs grep x ", d) == [*every, "file,"]
    assert _complete_typed("verfs grep x v1.0 d", d) == ["plain,dev", "file,d"]
    assert _complete_typed("verfs grep x v1.0..d", d) == ["plain,v1.0..dev"]
    assert _complete_typed("verfs grep -e x ", d) == [*every, "file,"]
    assert _complete_typed("verfs grep x -- d", d) == ["file,d"]


def test_completion_says_nothing_of_a_damaged_repository(repo_dir):
    (repo_dir / ".verfs" / "branch").write_text("no good/\n")
    assert _complete("verfs switch ", repo_dir) == []
