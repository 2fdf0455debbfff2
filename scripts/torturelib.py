"""The pieces of ``scripts/torture``: running verfs, sample histories, snapshots of trees
and repositories, damage, mounts, and the table of trials.

Every check here compares outcomes, never times: a trial fails on a wrong answer (wrong
bytes, a traceback, a lost version, a repository a re-run cannot finish), not on a slow
one.  Times only size the work (how many trials fit, when to send SIGKILL).
"""

import hashlib
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from benchlib import _alive, is_mounted  # scripts/ is on the path of scripts/torture

AUTHOR = "Torture Tester <torture@example.com>"
DATE = "20240102030405"
HEX64 = re.compile(r"^[0-9a-f]{64}$")


# --- running verfs ---------------------------------------------------------------------

@dataclass
class Done:
    argv: list[str]
    rc: int
    out: bytes
    err: bytes

    def said(self, limit: int = 400) -> str:
        text = (self.err or self.out).decode(errors="replace").strip()
        return text[-limit:].replace("\n", " | ")

    @property
    def traceback(self) -> bool:
        return b"Traceback (most recent call last)" in self.err + self.out

    def one_line_error(self) -> bool:
        """A failure the way verfs promises one: a single ``verfs: ...`` line on
        stderr, nothing like a traceback."""
        lines = [x for x in self.err.decode(errors="replace").splitlines() if x.strip()]
        return self.rc != 0 and not self.traceback and len(lines) == 1 \
            and lines[0].startswith("verfs: ")


class Tool:
    """The programs a trial runs, all with one sandboxed environment: a fixed author,
    UTC, no user configuration of git, darcs or XDG directories leaking in."""

    def __init__(self, work: str, python: str):
        self.work = work
        self.verfs = [python, "-m", "verfs"]
        home = os.path.join(work, "home")
        os.makedirs(home, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "VERFS_"))}
        env.update({"HOME": home, "XDG_CACHE_HOME": os.path.join(home, "cache"),
                    "XDG_STATE_HOME": os.path.join(home, "state"),
                    "XDG_CONFIG_HOME": os.path.join(home, "config"),
                    "VERFS_AUTHOR": AUTHOR, "DARCS_EMAIL": AUTHOR, "EMAIL": AUTHOR,
                    "TZ": "UTC", "LC_ALL": "C.UTF-8", "DARCS_DONT_ESCAPE_8BIT": "1",
                    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
                    "PYTHONDONTWRITEBYTECODE": "1"})
        self.env = env

    def run(self, argv: Sequence, cwd: str | None = None, timeout: float = 600,
            input_bytes: bytes | None = None) -> Done:
        argv = [os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv]
        try:
            p = subprocess.run(argv, cwd=cwd, env=self.env, input=input_bytes,
                               capture_output=True, timeout=timeout,
                               stdin=None if input_bytes is not None else subprocess.DEVNULL)
            return Done(argv, p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired as exc:
            return Done(argv, -999, exc.stdout or b"", (exc.stderr or b"") +
                        f"\n(timed out after {timeout:.0f} s)".encode())

    def v(self, *args, cwd: str | None = None, timeout: float = 600) -> Done:
        return self.run([*self.verfs, *args], cwd=cwd, timeout=timeout)

    def must(self, argv: Sequence, cwd: str | None = None, timeout: float = 1800,
             input_bytes: bytes | None = None) -> Done:
        """Run a step of building fixtures; any failure there stops the whole run."""
        d = self.run(argv, cwd=cwd, timeout=timeout, input_bytes=input_bytes)
        if d.rc != 0:
            raise RuntimeError(f"{' '.join(d.argv)}: exit {d.rc}: {d.said(2000)}")
        return d

    def vmust(self, *args, cwd: str | None = None) -> Done:
        return self.must([*self.verfs, *args], cwd=cwd)

    def popen(self, argv: Sequence, cwd: str) -> subprocess.Popen:
        """A command in its own process group, so that SIGKILL reaches its children
        (git, darcs) too and nothing is left running."""
        return subprocess.Popen([str(a) for a in argv], cwd=cwd, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def cp(src: str, dst: str) -> None:
    """A copy keeping hard links, modes and times (a store hard-links large blobs)."""
    subprocess.run(["cp", "-a", src, dst], check=True)


def rmtree(path: str) -> None:
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)


# --- what a directory holds ------------------------------------------------------------

def tree_state(top: str, skip_top: Iterable[str] = (".verfs",)) -> dict[bytes, tuple]:
    """Every entry under ``top``: path → ("d",) | ("l", target) | ("f", exec, sha256)."""
    skip = {os.fsencode(s) for s in skip_top}
    root = os.fsencode(top)
    found: dict[bytes, tuple] = {}
    for cur, dirs, files in os.walk(root):
        rel = os.path.relpath(cur, root)
        if cur == root:
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        for d in list(dirs):
            p = os.path.join(cur, d)
            key = os.path.normpath(os.path.join(rel, d))
            if os.path.islink(p):
                found[key] = ("l", os.readlink(p))
                dirs.remove(d)
            else:
                found[key] = ("d",)
        for f in files:
            p = os.path.join(cur, f)
            key = os.path.normpath(os.path.join(rel, f))
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                found[key] = ("l", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as fh:
                    found[key] = ("f", bool(st.st_mode & stat.S_IXUSR),
                                  hashlib.sha256(fh.read()).hexdigest())
            else:
                found[key] = ("?", st.st_mode)
    return found


def state_diff(want: dict, got: dict, limit: int = 3) -> str:
    wrong = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
    shown = ", ".join(os.fsdecode(k) for k in wrong[:limit])
    return f"{len(wrong)} paths differ ({shown}{', ...' if len(wrong) > limit else ''})"


LEFTOVER = (".verfs-import-", ".staging-", ".tmp-pack-")     # issue 9: must not stay
STRAY = ".tmp-"     # a loose object's temporary file: docs/FORMAT.md lets readers ignore it


def leftovers(top: str, prefixes: tuple[str, ...] = LEFTOVER) -> list[str]:
    """Temporary names that a finished command should have removed (or a later one)."""
    found = []
    for cur, dirs, files in os.walk(top):
        for n in dirs + files:
            if n.startswith(prefixes):
                found.append(os.path.relpath(os.path.join(cur, n), top))
    return sorted(found)


@dataclass
class RepoView:
    """What a repository answers: fsck, head and the log (what must be the same after a
    killed command is re-run as after one run through)."""

    fsck: Done
    head: Done
    log: Done

    @property
    def head_id(self) -> str | None:
        text = self.head.out.decode(errors="replace").strip()
        return text if self.head.rc == 0 and HEX64.match(text) else None

    @property
    def log_json(self):
        try:
            return json.loads(self.log.out) if self.log.rc == 0 else None
        except ValueError:
            return None


def view(tool: Tool, repo: str) -> RepoView:
    return RepoView(tool.v("fsck", cwd=repo), tool.v("head", cwd=repo),
                    tool.v("log", "--json", cwd=repo))


def log_ids(log_json) -> list[str]:
    return [e.get("version") for e in log_json or []]


# --- sample histories ------------------------------------------------------------------

def fast_import(tool: Tool, path: str, stream: bytes) -> None:
    """A bare git repository holding a ``git fast-import`` stream."""
    tool.must(["git", "init", "-q", "--bare", "-b", "master", path])
    tool.must(["git", "-C", path, "fast-import", "--quiet"], input_bytes=stream)


def _commit(n: int, msg: str, files: dict[bytes, bytes | None], when: int) -> bytes:
    out = [b"commit refs/heads/master\nmark :%d\n" % n,
           b"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\n"
           % (when, when), b"data %d\n%s\n" % (len(msg.encode()), msg.encode())]
    for path, data in files.items():
        quoted = b'"' + path.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(
            b"\n", b"\\n") + b'"'
        if data is None:
            out.append(b"D %s\n" % quoted)
        else:
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (quoted, len(data), data))
    out.append(b"\n")
    return b"".join(out)


def commute_stream(n: int, seed: int) -> bytes:
    """A history whose second patch (adding ``lonely.txt``) no later patch touches: it
    commutes past all of them, so ``verfs commute "add lonely.txt"`` has work to do."""
    rng = random.Random(seed)
    files = {b"f%02d.txt" % i: [f"line {j} of {i}" for j in range(40)] for i in range(20)}
    when = 1_700_000_000
    parts = [_commit(1, "start", {k: "\n".join(v).encode() + b"\n" for k, v in files.items()},
                     when)]
    parts.append(_commit(2, "add lonely.txt", {b"lonely.txt": b"alone\n" * 50}, when + 60))
    for i in range(3, n + 1):
        k = rng.choice(sorted(files))
        lines = files[k]
        lines[rng.randrange(len(lines))] = f"edit {i} {rng.random():.6f}"
        parts.append(_commit(i, f"edit {k.decode()} #{i}",
                             {k: "\n".join(lines).encode() + b"\n"}, when + 60 * i))
    return b"".join(parts)


def darcs_from_git(tool: Tool, git_dir: str, darcs_dir: str) -> None:
    tool.must(["bash", "-c", "set -o pipefail; git -C \"$1\" fast-export master | "
               "darcs convert import --quiet \"$2\"", "-", git_dir, darcs_dir])


def darcs_hashes_oldest_first(tool: Tool, darcs_dir: str) -> list[str]:
    import xml.etree.ElementTree as ET
    text = tool.must(["darcs", "log", "--xml-output", "--reverse", "--repodir",
                      darcs_dir]).out
    return [p.get("hash") for p in ET.fromstring(text).iter("patch")]


def big_change(top: str, seed: int, big_mb: int, new_files: int = 100) -> None:
    """Change a working tree a lot: edit half the files, remove a tenth, add
    ``new_files`` and one large binary file."""
    rng = random.Random(seed)
    files = sorted(p for p, s in tree_state(top).items() if s[0] == "f")
    for rel in files:
        p = os.path.join(os.fsencode(top), rel)
        r = rng.random()
        if r < .1:
            os.unlink(p)
        elif r < .6:
            with open(p, "ab") as f:
                f.write(b"".join(b"appended %d %f\n" % (i, rng.random()) for i in range(20)))
    os.makedirs(os.path.join(top, "bulk"), exist_ok=True)
    for i in range(new_files):
        with open(os.path.join(top, "bulk", f"new{i:04d}.txt"), "w") as f:
            f.write("".join(f"new {i} line {j} {rng.random()}\n" for j in range(50)))
    with open(os.path.join(top, "bulk", "big.bin"), "wb") as f:
        f.write(rng.randbytes(big_mb << 20))


# --- the table -------------------------------------------------------------------------

@dataclass
class Row:
    kind: str
    checked: str
    trials: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, problems: list[str]) -> bool:
        self.trials += 1
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            self.failures.append(f"{label}: " + "; ".join(problems[:3]) + more)
        return not problems


class Progress:
    """One status line, rewritten in place on a terminal; nothing at all when piped."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.on = stream.isatty()
        self.failures = 0

    def show(self, text: str) -> None:
        if self.on:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\033[K" + text[:width])
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            self.stream.write("\r\033[K")
            self.stream.flush()


def table(rows: list[Row]) -> str:
    head = ("trial kind", "trials", "failures", "checked")
    cells = [head] + [(r.kind, str(r.trials), str(len(r.failures)), r.checked) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = []
    for n, c in enumerate(cells):
        lines.append(" | ".join([c[0].ljust(widths[0]), c[1].rjust(widths[1]),
                                 c[2].rjust(widths[2]), c[3]]).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths) + "-+-" + "-" * 20)
    return "\n".join(lines)


# --- mounts ----------------------------------------------------------------------------

class Mount:
    """``verfs mount`` as a context: unmounted (``verfs umount``, then ``fusermount -u
    -z``) and its daemon gone at the end, whatever happened.  ``started`` is the mount
    command's outcome; ``ok`` whether it serves."""

    def __init__(self, tool: Tool, repo: str, mountpoint: str):
        self.tool, self.repo, self.mp = tool, repo, os.path.abspath(mountpoint)
        self.pid: int | None = None
        self.started: Done | None = None

    @property
    def ok(self) -> bool:
        return self.pid is not None

    def __enter__(self) -> "Mount":
        os.makedirs(self.mp, exist_ok=True)
        log = self.mp + ".log"
        self.started = self.tool.v("mount", "--repo", self.repo, "--log", log, self.mp,
                                   timeout=120)
        m = re.search(rb"daemon pid (\d+)", self.started.out)
        if self.started.rc == 0 and m:
            self.pid = int(m.group(1))
        return self

    def __exit__(self, *exc) -> None:
        if is_mounted(self.mp):
            self.tool.v("umount", self.mp, timeout=60)
        if is_mounted(self.mp):
            self.tool.run(["fusermount", "-u", "-z", self.mp], timeout=60)
        if self.pid is not None:
            end = time.monotonic() + 10
            while _alive(self.pid) and time.monotonic() < end:
                time.sleep(0.05)
            if _alive(self.pid):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


# --- damage ----------------------------------------------------------------------------

PACK_HEADER = len(b"verfs-pack 1\n")
PACK_TRAILER = 24           # index offset (8), count (8), magic (8)
PACK_RECORD = 45            # kind (1), id (32), offset (8), length (4)


def pack_layout(path: str) -> tuple[int, int, list[str]]:
    """(index offset, file size, ids of the objects) of an undamaged pack
    (docs/FORMAT.md, "Packs")."""
    with open(path, "rb") as f:
        data = f.read()
    index = int.from_bytes(data[-PACK_TRAILER:-16], "big")
    count = int.from_bytes(data[-16:-8], "big")
    ids = [data[index + i * PACK_RECORD + 1:index + i * PACK_RECORD + 33].hex()
           for i in range(count)]
    return index, len(data), ids


def flip(path: str, lo: int, hi: int, rng: random.Random) -> int:
    """Flip one bit of one byte in [lo, hi): the smallest bit rot there is."""
    at = rng.randrange(lo, max(lo + 1, hi))
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ (1 << rng.randrange(8))]))
    return at


def truncate(path: str, lo: int, hi: int, rng: random.Random) -> int:
    at = rng.randrange(lo, max(lo + 1, hi))
    os.truncate(path, at)
    return at


def sqlite_rows(path: str, area: str) -> list[tuple[str, str]]:
    import sqlite3
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT key, value FROM entries WHERE area = ?", (area,)).fetchall()
    finally:
        db.close()


def sqlite_set(path: str, area: str, key: str, value: str) -> None:
    import sqlite3
    db = sqlite3.connect(path)
    try:
        db.execute("UPDATE entries SET value = ? WHERE area = ? AND key = ?", (value, area, key))
        db.commit()
    finally:
        db.close()


# --- small things ----------------------------------------------------------------------

def retry_rm(path: str) -> None:
    for _ in range(3):
        rmtree(path)
        if not os.path.lexists(path):
            return
        time.sleep(0.2)


def first_lines(text: bytes | str, n: int = 2) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [x for x in text.splitlines() if x.strip()]
    return " | ".join(lines[:n])[:300]


def deadline_passed(deadline: float) -> bool:
    return time.monotonic() >= deadline


def spread(total: float, shares: dict[str, float]) -> dict[str, float]:
    s = sum(shares.values())
    return {k: total * v / s for k, v in shares.items()}


def each_until(items: list, deadline: float, minimum: int, limit: int | None,
               stop: Callable[[], bool] = lambda: False):
    """Cycle through ``items`` until ``limit`` rounds (when given) or the deadline (but
    at least ``minimum`` rounds): how the trials are sized by time or by count."""
    rounds = 0
    while True:
        if limit is not None and rounds >= limit:
            return
        if limit is None and rounds >= minimum and deadline_passed(deadline):
            return
        for it in items:
            if limit is None and rounds >= minimum and deadline_passed(deadline):
                return
            if stop():
                return
            yield rounds, it
        rounds += 1
