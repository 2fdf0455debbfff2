"""Every command's help examples, pasted into a shell as a user would paste them.

Each command's ``--help`` "Example(s)" section is read from the real command line;
its lines run one after another in ``bash`` (so ``&&``, pipes, ``~`` and comments
work as they would in a terminal) in a scratch repository that holds what a typical
project holds and the examples name: a dozen versions, a tag ``v1.0``, a branch
``fix-1``, ``README.md``, ``src/`` and ``docs/``.  What an example needs from the
outside is real: a git repository made with ``git`` and a darcs one made with
``darcs`` under ``~/src/``, FUSE mounts (always unmounted afterwards), a
``file://`` remote, SeaweedFS for ``s3://`` and nginx for ``https://``.

Only what an example cannot name as-is is replaced: ``/tmp/`` by this test's own
directory, ``~`` by its own ``HOME``, and the example servers' addresses by the
real servers'.  Every line must exit 0, or the status it documents (``EXITS``: a
diff that differs, whatsnew with nothing new), and print no ``verfs:`` error.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.conftest import need, run_verfs, verfs_env
from tests.fuse.mounting import force_unmount
from verfs.cli.main import cli


def _commands(group=cli, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield [*prefix, name]
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


COMMANDS = [" ".join(c) for c in _commands()]

# The lines (as the help prints them) whose documented exit status is not 0.
EXITS = {
    "verfs whatsnew": 1,                                   # nothing unrecorded
    "verfs whatsnew --summary": 1,
    "verfs diff head~1 head": 1,                           # they differ
    "verfs diff v1.0 head src/": 1,
    "verfs diff -M head~1 head": 1,
    "verfs diff head~2 head ./README.md": 1,
    "verfs diff --store s3://team/proj head~1 head": 1,
    "verfs diff @{1} head": 1,
    "diff -r /tmp/m/history/0001-* /tmp/m/head": 1,        # GNU diff: they differ
}


def example_lines(help_text: str) -> list[str]:
    """The command lines of the "Example" section: the lines indented under it (a
    heading inside it, such as diff's "The round trip", is indented less)."""
    lines, inside = [], False
    for line in help_text.splitlines():
        stripped = line.strip()
        if stripped in ("Example:", "Examples:"):
            inside = True
        elif inside and stripped in ("Options:", "Commands:"):
            break
        elif inside and line.startswith("    ") and stripped:
            lines.append(stripped)
    return lines


# --- the scratch repository ---------------------------------------------------------

def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


# Each step: a patch's name and the files it writes (the last five touch a file each,
# so any of them commutes past the others: commute's examples).
HISTORY = [
    ("add readme", {"README.md": "# demo\n\nLicense: MIT\n"}),
    ("add main", {"src/main.c": "/* TODO: parse the arguments */\nint main(void)\n"
                                "{\n    return 0;\n}\n"}),
    ("add core", {"src/core.py": "import sys\n\n\ndef echo(text):\n    print(text)\n"}),
    ("add docs", {"docs/usage.md": "Push with --force only to replace what is there.\n"}),
    ("add config", {"src/config.py": "api_key = None    # set from the environment\n"}),
    ("name the argument", {"src/main.c": "/* TODO: parse the arguments */\n"
                                         "int main(int argc)\n{\n    return 0;\n}\n"}),
    ("tag", None),
    ("echo to stderr", {"src/core.py": "import sys\n\n\ndef echo(text):\n"
                                       "    print(text, file=sys.stderr)  # FIXME: a flag\n"}),
    ("say how to build", {"README.md": "# demo\n\nLicense: MIT\n\nBuild: make\n"}),
    ("explain --force", {"docs/usage.md": "Push with --force only to replace what is "
                                          "there.\nPull first.\n"}),
    ("add greeting", {"greeting.txt": "hello\n"}),
    ("add notes", {"docs/notes.md": "notes\n"}),
    ("add util", {"src/util.c": "int util(void) { return 1; }\n"}),
    ("return argc", {"src/main.c": "/* TODO: parse the arguments */\n"
                                   "int main(int argc)\n{\n    return argc;\n}\n"}),
    ("say how to test", {"README.md": "# demo\n\nLicense: MIT\n\nBuild: make\nTest: make check\n"}),
]


@pytest.fixture(scope="session")
def scratch_template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("examples") / "repo"
    run_verfs("init", root)
    for i, (name, files) in enumerate(HISTORY):
        if files is None:
            run_verfs("tag", "v1.0", cwd=root)
            continue
        for rel, text in files.items():
            _write(root, rel, text)
        run_verfs("record", "-m", name, "--date", f"2026-01-{i + 1:02d}T10:00:00+01:00",
                  cwd=root)
    run_verfs("branch", "fix-1", "head~1", cwd=root)
    return root


def _git_project(top: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com",
               GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.com",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")

    def git(*args):
        subprocess.run(["git", *args], cwd=top, env=env, check=True, capture_output=True)
    top.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    for i, text in enumerate(["one\n", "one\ntwo\n"]):
        _write(top, "README.md", text)
        git("add", "-A")
        git("commit", "-q", "-m", f"commit {i}")
    git("tag", "v0.1")
    git("checkout", "-q", "-b", "next")
    _write(top, "next.txt", "next\n")
    git("add", "-A")
    git("commit", "-q", "-m", "on next")
    git("checkout", "-q", "main")


def _darcs_project(top: Path, home: Path) -> None:
    need("darcs")
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               DARCS_EMAIL="Ada <ada@example.com>")

    def darcs(*args):
        subprocess.run(["darcs", *args], cwd=top, env=env, check=True, capture_output=True)
    top.mkdir(parents=True)
    darcs("init", "-q")
    for i, text in enumerate(["one\n", "one\ntwo\n"]):
        _write(top, "README", text)
        darcs("record", "-q", "-a", "-l", "-m", f"patch {i}")
    darcs("tag", "-q", "-m", "0.1")


class Scene:
    """One command's scratch world: its repository, HOME, the directory standing for
    /tmp, and the real servers its examples need."""

    def __init__(self, tmp: Path, template: Path):
        self.tmp = tmp
        self.repo = tmp / "repo"
        shutil.copytree(template, self.repo, symlinks=True)
        self.home = tmp / "home"
        self.work = tmp / "work"        # where init and import run: outside any repository
        self.slash_tmp = tmp / "t"
        self.bin = tmp / "bin"
        for d in (self.home, self.work, self.slash_tmp, self.bin):
            d.mkdir()
        self.subst = {"/tmp/": f"{self.slash_tmp}/"}
        self.env = {k: v for k, v in verfs_env(HOME=str(self.home), PAGER="cat").items()
                    if not k.startswith("XDG_")}
        self.env["PATH"] = os.pathsep.join(
            [str(self.bin), os.path.dirname(sys.executable), self.env.get("PATH", "")])

    def verfs(self, *args):
        return run_verfs(*args, cwd=self.repo, env=self.env)

    def run(self, line: str) -> subprocess.CompletedProcess:
        for old, new in self.subst.items():
            line = line.replace(old, new)
        return subprocess.run(["bash", "-c", line], cwd=self.cwd, env=self.env,
                              capture_output=True, timeout=120)


def _s3(scene: Scene, request) -> None:
    env = request.getfixturevalue("s3_env")
    server = request.getfixturevalue("s3_server")
    for bucket in ("team", "my-bucket"):
        server.make_bucket(bucket)
    scene.env.update(env)
    scene.subst["http://127.0.0.1:8333"] = server.endpoint
    for url in ("s3://team/proj", "s3://my-bucket/project"):
        scene.verfs("push", url)


def _https(scene: Scene, request) -> None:
    root, url = request.getfixturevalue("http_root"), request.getfixturevalue("http_url")
    scene.verfs("push", f"file://{root}")
    for example in ("https://example.org/proj", "https://example.com/histories/project"):
        scene.subst[example] = url


def _sudo(scene: Scene) -> None:
    """The passthrough example runs as root; as root already, ``sudo`` (when it is not
    installed) is the command itself."""
    if shutil.which("sudo", path=scene.env["PATH"]) is None and os.geteuid() == 0:
        shim = scene.bin / "sudo"
        shim.write_text('#!/bin/sh\nexec "$@"\n')
        shim.chmod(0o755)


# What a command's examples expect to be there before they run.
def _record(s):
    _write(s.repo, "docs/usage.md", "Push with --force only to replace what is there.\n")
    _write(s.repo, "greeting.txt", "hello, world\n")


def _shared(s):
    s.verfs("push", f"file://{s.slash_tmp}/shared-history")


def _mounted(s):
    (s.slash_tmp / "m").mkdir()
    s.verfs("mount", s.slash_tmp / "m")


def _imports(s):
    _git_project(s.home / "src" / "project")
    _darcs_project(s.home / "src" / "tools", s.home)


SETUP = {
    "record": _record,
    "clone": _shared,
    "pull": _shared,
    "umount": _mounted,
    "import": _imports,
    "import git": lambda s: _git_project(s.home / "src" / "project"),
    "import darcs": lambda s: _darcs_project(s.home / "src" / "project", s.home),
}
# What a line says it needs (in its comment) that a healthy scratch repository lacks.
BEFORE = {
    "verfs head --repair          # when fsck says head is damaged":
        lambda s: (s.repo / ".verfs" / "head").write_text("damaged\n"),
}
OUTSIDE = {"init", "import", "import git", "import darcs"}      # run in an empty directory
MOUNTS = {"mount", "umount", "mounts"}


def _can_passthrough() -> bool:
    """As tests/fuse/test_passthrough.py decides (which fails, not skips, under
    VERFS_REQUIRE_REAL=1)."""
    from tests.fuse.test_passthrough import need_passthrough
    try:
        need_passthrough()
    except pytest.skip.Exception:
        return False
    return True


def _unmount_all_under(top: Path) -> None:
    with open("/proc/mounts") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    for mp in points:
        if mp.startswith(f"{top}/"):
            force_unmount(mp, None)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_examples_run(command, scratch_template, tmp_path, request):
    help_text = run_verfs(*command.split(), "--help").stdout.decode()
    lines = example_lines(help_text)
    assert lines, f"verfs {command} --help has no example"
    scene = Scene(tmp_path, scratch_template)
    scene.cwd = scene.work if command in OUTSIDE else scene.repo
    text = "\n".join(lines)
    if command in MOUNTS or "verfs mount" in text:
        need(fuse=True)
    if "s3://" in text:
        _s3(scene, request)
    if "https://example." in text:
        _https(scene, request)
    if "sudo " in text:
        _sudo(scene)
    try:
        SETUP.get(command, lambda s: None)(scene)
        for line in lines:
            if "--passthrough" in line and not _can_passthrough():
                continue                    # root, Linux 6.9, libfuse 3; the rest still runs
            BEFORE.get(line, lambda s: None)(scene)
            proc = scene.run(line)
            err = proc.stderr.decode(errors="replace")
            said = f"verfs {command}: {line!r} exited {proc.returncode}:\n{err}"
            assert proc.returncode == EXITS.get(line, 0), said
            assert "Traceback" not in err, said
            assert not [ln for ln in err.splitlines()
                        if ln.startswith("verfs: ") and not ln.startswith("verfs: warning:")], \
                said
    finally:
        _unmount_all_under(tmp_path)
