"""Building git histories with the real ``git`` program, and git's own view of them.

``GitRepo`` drives the git command line in a directory with fixed identities and
dates, so histories (and commit ids) are reproducible.  ``archive_state`` is what
``git archive`` says a commit holds, in the dict form of ``tests.treestate``;
``fast_import_stream`` writes a long synthetic history for ``git fast-import``.
"""

import io
import os
import random
import shutil
import subprocess
import tarfile
from pathlib import Path

from verfs.history import History
from verfs.repo import Repository

AUTHOR = ("Ada Lovelace", "ada@example.com")
COMMITTER = ("Charles Babbage", "charles@example.com")
EPOCH = 1_700_000_000           # 2023-11-14T22:13:20Z


def git_env(when: int = EPOCH, tz: str = "+0200") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    stamp = f"@{when} {tz}"
    env.update({
        "GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": COMMITTER[0], "GIT_COMMITTER_EMAIL": COMMITTER[1],
        "GIT_COMMITTER_DATE": stamp,
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/nonexistent/verfs-tests/gitconfig",
        "LC_ALL": "C",
    })
    return env


class GitRepo:
    """A work tree with a git repository; every commit one second after the last."""

    def __init__(self, top: Path, branch: str = "main"):
        self.top = Path(top)
        self.top.mkdir(parents=True, exist_ok=True)
        self.when = EPOCH
        self.git("init", "-q", "-b", branch)

    def git(self, *args, input: bytes | None = None, tz: str = "+0200") -> bytes:
        proc = subprocess.run(["git", *args], cwd=self.top, input=input, capture_output=True,
                              env=git_env(self.when, tz))
        if proc.returncode:
            raise AssertionError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    # --- the work tree --------------------------------------------------------------
    def path(self, rel: str) -> Path:
        return self.top / rel

    def write(self, rel: str, data: bytes | str, exe: bool = False) -> None:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink():
            p.unlink()
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        p.chmod(0o755 if exe else 0o644)

    def link(self, rel: str, target: str) -> None:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink() or p.exists():
            self.remove(rel)
        os.symlink(target, p)

    def remove(self, rel: str) -> None:
        p = self.path(rel)
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()

    def commit(self, message: str, tz: str = "+0200", allow_empty: bool = False) -> str:
        """Commit everything in the work tree; the new commit's id."""
        self.when += 1
        self.git("add", "-A", tz=tz)
        self.git("commit", "-q", "--allow-empty-message", "--cleanup=verbatim",
                 *(["--allow-empty"] if allow_empty else []), "-m", message, tz=tz)
        return self.rev("HEAD")

    def raw_commit(self, message: bytes) -> str:
        """An empty commit on the current branch with ``message`` stored byte for
        byte (``git commit`` would re-encode a message that is not UTF-8)."""
        self.when += 1
        head = self.rev("HEAD")
        tree = self.git("rev-parse", "HEAD^{tree}").decode().strip()
        obj = (b"tree %s\nparent %s\nauthor %s <%s> %d +0000\ncommitter %s <%s> %d +0000\n\n"
               % (tree.encode(), head.encode(), AUTHOR[0].encode(), AUTHOR[1].encode(),
                  self.when, COMMITTER[0].encode(), COMMITTER[1].encode(), self.when))
        sha = self.git("hash-object", "-t", "commit", "-w", "--stdin",
                       input=obj + message).decode().strip()
        self.git("update-ref", "HEAD", sha, head)
        return sha

    def rev(self, spec: str) -> str:
        return self.git("rev-parse", "--verify", f"{spec}^{{commit}}").decode().strip()

    @staticmethod
    def line(top: Path, spec: str = "HEAD") -> list[str]:
        """The first-parent line of ``spec`` in the repository at ``top``, oldest first."""
        return subprocess.run(["git", "rev-list", "--first-parent", "--reverse", spec],
                              cwd=top, capture_output=True, check=True,
                              env=git_env()).stdout.decode().split()


# --- git's view -------------------------------------------------------------------------

def archive_state(repo_dir: Path, commit: str) -> dict:
    """What ``git archive`` says ``commit`` holds: ``{path: ("file", bytes, exec) |
    ("link", target) | ("dir",)}``, with submodules (which the archive shows as empty
    directories) and the directories left empty without them taken out."""
    out = subprocess.run(["git", "archive", "--format=tar", commit], cwd=repo_dir,
                         capture_output=True, check=True, env=git_env()).stdout
    listed = subprocess.run(["git", "ls-tree", "-r", "-z", "--full-tree", commit],
                            cwd=repo_dir, capture_output=True, check=True, env=git_env()).stdout
    gitlinks = {os.fsdecode(item.partition(b"\t")[2]) for item in listed.split(b"\0")
                if item.startswith(b"160000 ")}
    state: dict = {}
    with tarfile.open(fileobj=io.BytesIO(out), encoding="utf-8",
                      errors="surrogateescape") as tar:
        for m in tar.getmembers():
            name = m.name.rstrip("/")
            if name in gitlinks:
                continue
            if m.isdir():
                state[name] = ("dir",)
            elif m.issym():
                state[name] = ("link", os.fsencode(m.linkname))
            else:
                state[name] = ("file", tar.extractfile(m).read(), bool(m.mode & 0o100))
    nonempty = {p.rpartition("/")[0] for p, v in state.items() if v[0] != "dir"}
    for p in list(nonempty):
        while p:
            p = p.rpartition("/")[0]
            nonempty.add(p)
    return {p: v for p, v in state.items() if v[0] != "dir" or p in nonempty}


def imported_history(target: Path) -> tuple[History, list]:
    """A fresh History over an imported repository's store, with the derived cache
    deleted (so every tree is rebuilt from the patches and inventories, not read back
    from what the import cached), and head's chain of steps, oldest first."""
    repo = Repository(target)
    shutil.rmtree(os.path.join(repo.store.root, "cache"), ignore_errors=True)
    history = History(type(repo.store)(repo.store.root))
    steps = list(history.chain(repo.head()))
    steps.reverse()
    return history, steps


# --- a long synthetic history -----------------------------------------------------------

def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def fast_import_stream(commits: int, seed: int = 4) -> bytes:
    """A ``git fast-import`` stream of ``commits`` commits on refs/heads/main: edits,
    adds, deletes, renames, exec bits, symlinks and binary files spread over nested
    directories, and an annotated tag every 250 commits."""
    rnd = random.Random(seed)
    files: dict[str, list[bytes]] = {}
    out = []
    counter = 0

    def new_path() -> str:
        nonlocal counter
        counter += 1
        depth = rnd.randint(0, 3)
        dirs = [f"d{rnd.randint(0, 4)}" for _ in range(depth)]
        return "/".join([*dirs, f"f{counter}.txt"])

    def blob(lines: list[bytes]) -> bytes:
        return b"\n".join(lines) + b"\n"

    for n in range(1, commits + 1):
        when = EPOCH + n * 60
        ops = []
        action = rnd.random()
        if not files or action < 0.2:
            p = new_path()
            files[p] = [b"line %d of %s" % (i, p.encode()) for i in range(rnd.randint(1, 30))]
            ops.append(b"M 100644 inline %s\n%s" % (p.encode(), _data(blob(files[p]))))
        elif action < 0.3 and len(files) > 3:
            p = rnd.choice(sorted(files))
            del files[p]
            ops.append(b"D %s\n" % p.encode())
        elif action < 0.4:
            src = rnd.choice(sorted(files))
            dst = new_path()
            files[dst] = files.pop(src)
            ops.append(b"R %s %s\n" % (src.encode(), dst.encode()))
        elif action < 0.45:
            p = rnd.choice(sorted(files))
            ops.append(b"M 100755 inline %s\n%s" % (p.encode(), _data(blob(files[p]))))
        elif action < 0.48:
            ops.append(b"M 120000 inline link%d\n%s" % (n % 7, _data(b"d0/target%d" % n)))
        elif action < 0.52:
            payload = bytes(rnd.randrange(256) for _ in range(64)) + b"\0"
            ops.append(b"M 100644 inline bin/blob%d.bin\n%s" % (n % 5, _data(payload)))
        else:
            for p in rnd.sample(sorted(files), min(len(files), rnd.randint(1, 3))):
                lines = files[p]
                i = rnd.randrange(len(lines) + 1)
                if lines and rnd.random() < 0.3:
                    del lines[min(i, len(lines) - 1)]
                else:
                    lines.insert(i, b"edit %d" % n)
                if not lines:
                    lines.append(b"refilled")
                ops.append(b"M 100644 inline %s\n%s" % (p.encode(), _data(blob(lines))))
        msg = b"commit %d\n\nsynthetic change number %d\n" % (n, n)
        out.append(b"commit refs/heads/main\nmark :%d\n" % n)
        out.append(b"author %s <%s> %d +0000\n" % (AUTHOR[0].encode(), AUTHOR[1].encode(), when))
        out.append(b"committer %s <%s> %d +0000\n" % (COMMITTER[0].encode(),
                                                      COMMITTER[1].encode(), when))
        out.append(_data(msg))
        if n > 1:
            out.append(b"from :%d\n" % (n - 1))
        out.extend(ops)
        out.append(b"\n")
        if n % 250 == 0:
            out.append(b"tag v%d\nfrom :%d\ntagger %s <%s> %d +0000\n%s" % (
                n, n, COMMITTER[0].encode(), COMMITTER[1].encode(), when,
                _data(b"release %d" % n)))
    return b"".join(out)
