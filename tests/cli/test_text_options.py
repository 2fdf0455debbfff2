"""Every text a user can type gets an answer, never a traceback.

The commands, their options and their arguments are read from the click group itself
(``verfs.cli.main.cli``, recursively), so a new command or option is driven without
anyone adding it here.  Each value-taking one gets a newline, a NUL, bytes that are not
UTF-8 and 100 KB, inside a repository with two versions and an unrecorded change (so
commands get past "not a repository" and "no changes").  Either the command succeeds,
or it exits non-zero with one line ``verfs: ...`` on stderr.

How the values travel: in-process (click's CliRunner), because argv cannot carry a NUL
at all, and a run per value in a subprocess would take minutes.  Bytes that are not
UTF-8 are given as Python gives them from a real argv, surrogate escapes
(``os.fsdecode``).  A real subprocess per command checks the same for invalid UTF-8
and newlines in true argv bytes (``os.fsencode``), output encoding included.
"""

import os
import shutil
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tests.conftest import run_verfs, verfs_env
from verfs.cli.main import cli

VALUES = {
    "newline": "two\nlines",
    "nul": "a\0b",
    "not-utf8": os.fsdecode(b"\xff\xfe-x\x80"),
    "long": "x" * 100_000,
}

# A benign value for each parameter a command needs before it reaches the one under
# test.  A new required parameter without one here fails test_every_required_param...
FILL = {
    "name": "x", "spec": "head:", "version": "head", "version1": "head~1",
    "version2": "head", "src": ".", "dest": "clone-out", "mountpoint": "no-such-mountpoint",
    "url": "file:///nonexistent-verfs-remote",
}
# Flags that let a command go further with the value under test.
FLAGS = {("restore",): ["--yes-i-know"]}


def _leaves(group: click.Group, path=()):
    ctx = click.Context(group)          # commands' modules are imported when asked for
    for name in sorted(group.list_commands(ctx)):
        cmd = group.get_command(ctx, name)
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, (*path, name))
        else:
            yield (*path, name), cmd


def _takes_text(param: click.Parameter) -> bool:
    return not (isinstance(param, click.Option) and (param.is_flag or param.count))


COMMANDS = list(_leaves(cli))
PARAMS = [(path, cmd, p) for path, cmd in COMMANDS for p in cmd.params if _takes_text(p)]


def _argv(path, cmd: click.Command, param: click.Parameter, value: str) -> list[str]:
    """``path`` with ``value`` for ``param`` and benign values for whatever else must be
    there (the positional arguments before it, the required ones after)."""
    args = [*path, *FLAGS.get(path, [])]
    arguments = [p for p in cmd.params if isinstance(p, click.Argument)]
    if isinstance(param, click.Option):
        args += [param.opts[0], value]
    seen = False
    for p in arguments:
        if p is param:
            args.append(value)
            seen = True
        elif not seen or p.required:
            default = p.default if isinstance(p.default, str) else None
            args.append(FILL[p.name] if p.required or p.name in FILL else default)
    for p in cmd.params:
        if isinstance(p, click.Option) and p.required and p is not param:
            args += [p.opts[0], FILL[p.name]]
    return [a for a in args if a is not None]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Two versions, and an unrecorded change so that record gets as far as it can."""
    repo = tmp_path_factory.mktemp("text") / "repo"
    run_verfs("init", repo)
    (repo / "a.txt").write_text("a\n")
    run_verfs("record", "-m", "one", cwd=repo)
    (repo / "a.txt").write_text("a\nb\n")
    run_verfs("record", "-m", "two", cwd=repo)
    (repo / "a.txt").write_text("a\nb\nc\n")
    return repo


@pytest.fixture
def repo(template, tmp_path, monkeypatch):
    dest = tmp_path / "work" / "repo"
    shutil.copytree(template, dest, symlinks=True)
    monkeypatch.chdir(dest)
    for key, value in verfs_env().items():
        monkeypatch.setenv(key, value)
    return dest


def _check(args, code: int, err: str) -> None:
    if code == 0:
        return
    if code == 1 and err == "" and args[0] in ("diff", "grep"):
        return                          # diff's "they differ", grep's "nothing matched"
    assert err.count("\n") == 1 and err.startswith("verfs: "), (args[:4], code, err[:500])


def test_every_command_is_driven():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"record", "tag", "diff", "import git", "import darcs", "mount"} <= names
    assert len(PARAMS) > 30


def test_every_required_param_has_a_benign_value():
    for path, cmd in COMMANDS:
        for p in cmd.params:
            if p.required:
                assert p.name in FILL, f"add a benign value for {' '.join(path)} {p.name}"


@pytest.mark.parametrize("kind", list(VALUES))
@pytest.mark.parametrize("path,cmd,param", PARAMS,
                         ids=[f"{' '.join(path)}:{p.name}" for path, _, p in PARAMS])
def test_text_in_process(repo, path, cmd, param, kind):
    args = _argv(path, cmd, param, VALUES[kind])
    result = CliRunner().invoke(cli, args, prog_name="verfs", catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback
        pytest.fail("".join(traceback.format_exception(result.exception)))
    _check(args, result.exit_code, result.stderr)


def _one_per_command():
    firsts = {}
    for path, cmd, p in PARAMS:
        if p.name != "repo_dir":
            firsts.setdefault(path, (path, cmd, p))
    return list(firsts.values())


@pytest.mark.parametrize("kind", ["newline", "not-utf8"])
@pytest.mark.parametrize("path,cmd,param", _one_per_command(),
                         ids=[f"{' '.join(path)}:{p.name}" for path, _, p in _one_per_command()])
def test_text_in_real_argv(repo, path, cmd, param, kind):
    args = [os.fsencode(a) for a in _argv(path, cmd, param, VALUES[kind])]
    proc = subprocess.run([sys.executable, "-m", "verfs", *args], capture_output=True,
                          env=verfs_env(), timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    _check([a.decode("utf-8", "replace") for a in args], proc.returncode, err)


@pytest.mark.parametrize("option", ["-m", "-A", "-c", "--date"])
def test_record_texts_of_the_issue(repo, option):
    """'verfs record -m $'two\\nlines'' and -A ended in a traceback (ValueError)."""
    args = ["record", "-m", "x", option, "two\nlines"]
    proc = run_verfs(*args, cwd=repo, check=False)
    if option == "-c":
        assert proc.returncode == 0, proc.stderr    # a comment may span lines
        return
    _check(args, proc.returncode, proc.stderr.decode())
    assert proc.returncode == 2


@pytest.mark.parametrize("args", [[], ["import"]])
def test_a_group_alone_still_shows_its_help(args):
    """Only errors become one line: the help a bare group prints stays the help."""
    result = CliRunner().invoke(cli, args, prog_name="verfs")
    assert result.output.startswith("Usage: verfs") and "Commands:" in result.output
