"""The pieces of ``scripts/bench``: synthetic histories, timing, mounts, sizes, the table.

Nothing here asserts a time: it measures and reports.  Every figure is taken inside one
run, against native baselines (git, darcs, plain files on disk) taken in the same run on
the same machine, so ratios stay meaningful when the machine is busy or slow.
"""

import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

MiB = 1 << 20


# --- running things --------------------------------------------------------------------

def run(argv: Sequence, *, cwd=None, ok=(0,), stdin=None, stdout=subprocess.DEVNULL,
        stderr=None, timeout=None, env=None, input_bytes=None) -> subprocess.CompletedProcess:
    """Run a command; a return code outside ``ok`` is an error that shows its stderr."""
    argv = [str(a) for a in argv]
    proc = subprocess.run(argv, cwd=cwd, stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE if stderr is None else stderr,
                          timeout=timeout, env=env, input=input_bytes)
    if proc.returncode not in ok:
        said = proc.stderr.decode(errors="replace")[-2000:] if isinstance(
            proc.stderr, bytes) else ""
        raise RuntimeError(f"{' '.join(argv)}: exit {proc.returncode}\n{said}")
    return proc


def sh(script: str, **kw) -> subprocess.CompletedProcess:
    """A bash pipeline, failing when any part fails."""
    return run(["bash", "-c", "set -o pipefail; " + script], **kw)


def timed(fn: Callable[[], object]) -> float:
    """Seconds of wall time one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def out(argv: Sequence, **kw) -> str:
    return run(argv, stdout=subprocess.PIPE, **kw).stdout.decode()


# --- the machine -----------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = 0
    try:
        with open("/proc/meminfo") as f:
            ram = int(f.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass

    def version(argv):
        try:
            return out(argv).strip().splitlines()[0]
        except (OSError, RuntimeError, IndexError):
            return "missing"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": " ".join(platform.uname()[:3] + (platform.uname().machine,)),
        "cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(ram / (1 << 30), 1),
        "python": platform.python_version(),
        "git": version(["git", "--version"]),
        "darcs": version(["darcs", "--version"]),
        "fusermount": version(["fusermount", "-V"]),
    }


def drop_caches() -> str | None:
    """Empty the page cache; None when done, else why it could not be."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return None
    except OSError as exc:
        return f"cannot drop the page cache ({exc.strerror}; needs root)"


# --- synthetic histories ---------------------------------------------------------------

WORDS = ("alpha", "beta", "gamma", "delta", "store", "tree", "patch", "version", "record",
         "parse", "index", "cache", "buffer", "reader", "writer", "value", "token", "count",
         "limit", "chunk", "frame", "table", "entry", "node", "graph", "queue", "lock",
         "event", "signal", "handler", "config", "option", "result", "error", "state",
         "commit", "branch", "merge", "apply", "invert", "commute", "hunk", "block",
         "stream", "codec")
TOPS = ("src", "lib", "docs", "tests", "tools", "web", "data", "include")
AUTHORS = ("Ada Lovelace <ada@example.com>", "Alan Turing <alan@example.com>",
           "Grace Hopper <grace@example.com>", "Edsger Dijkstra <ewd@example.com>",
           "Barbara Liskov <barbara@example.com>")


@dataclass
class SynthSpec:
    commits: int
    files: int
    seed: int = 1
    tags: int = 5

    @property
    def name(self) -> str:
        return f"synth-c{self.commits}-f{self.files}-s{self.seed}"


class _Synth:
    """A realistic-looking history as a ``git fast-import`` stream: nested directories,
    text files of a few KB, most commits editing a few lines of 1-3 (mostly hot) files,
    occasional adds, removes and renames, a few tags (annotated and lightweight)."""

    def __init__(self, spec: SynthSpec):
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.files: dict[str, list[str]] = {}
        self.modes: dict[str, str] = {}
        self.order: list[str] = []           # edit popularity: hot files first
        self.dirs: list[str] = []
        self._grow_dirs(max(8, spec.files // 12))
        self.serial = 0

    def _grow_dirs(self, n: int) -> None:
        rng = self.rng
        self.dirs.extend(TOPS)
        while len(self.dirs) < n:
            parent = rng.choice(self.dirs)
            if parent.count("/") >= 3:
                continue
            d = f"{parent}/{rng.choice(WORDS)}{rng.randrange(10) if rng.random() < .3 else ''}"
            if d not in self.dirs:
                self.dirs.append(d)

    def _line(self) -> str:
        r, w = self.rng, self.rng.choice
        indent = " " * (4 * r.randrange(3))
        return (f"{indent}{w(WORDS)}_{w(WORDS)} = {w(WORDS)}({w(WORDS)}, {r.randrange(1000)})"
                f"  # {w(WORDS)} {w(WORDS)}")

    def _new_path(self) -> str:
        while True:
            d = self.rng.choice(self.dirs)
            ext = ".sh" if d.startswith("tools") and self.rng.random() < .3 else \
                self.rng.choice((".py", ".c", ".h", ".md", ".txt"))
            self.serial += 1
            p = f"{d}/{self.rng.choice(WORDS)}_{self.serial}{ext}"
            if p not in self.files:     # files have an extension, directories none
                return p

    def _add(self) -> str:
        p = self._new_path()
        self.files[p] = [self._line() for _ in range(self.rng.randrange(30, 120))]
        self.modes[p] = "100755" if p.endswith(".sh") else "100644"
        self.order.insert(self.rng.randrange(len(self.order) + 1), p)
        return p

    def _pick(self) -> str:
        return self.order[int(len(self.order) * self.rng.random() ** 2)]

    def _edit(self, p: str) -> None:
        lines, r = self.files[p], self.rng
        for _ in range(r.choice((1, 1, 2, 3))):
            at = r.randrange(len(lines))
            kind = r.random()
            if kind < .6:
                for i in range(at, min(len(lines), at + r.randrange(1, 4))):
                    lines[i] = self._line()
            elif kind < .85:
                lines[at:at] = [self._line() for _ in range(r.randrange(1, 3))]
            elif len(lines) > 5:
                del lines[at]

    def _data(self, text: bytes) -> bytes:
        return b"data %d\n%s\n" % (len(text), text)

    def stream(self, write: Callable[[bytes], object]) -> None:
        spec, rng = self.spec, self.rng
        n = spec.commits
        when = 1_672_531_200          # 2023-01-01: three years of history, the same bytes
        step = (3 * 365 * 86400) // max(n, 1)
        first = max(1, int(spec.files * .6))
        rm_p, mv_p = .005, .01
        add_p = min(.5, (spec.files - first + rm_p * n) / max(n - 1, 1))
        tag_every = max(1, n // (spec.tags + 1)) if spec.tags else 0
        for i in range(1, n + 1):
            author = rng.choice(AUTHORS)
            when += max(60, int(step * rng.uniform(.2, 1.8)))
            cmds: list[bytes] = []
            if i == 1:
                for _ in range(first):
                    self._add()
                touched = list(self.files)
                what = f"import {len(touched)} files"
            else:
                touched, r = [], rng.random()
                if r < add_p:
                    touched.append(self._add())
                    what = f"add {touched[0]}"
                elif r < add_p + rm_p and len(self.files) > 10:
                    p = self._pick()
                    del self.files[p], self.modes[p]
                    self.order.remove(p)
                    cmds.append(b"D %s\n" % p.encode())
                    what = f"remove {p}"
                elif r < add_p + rm_p + mv_p:
                    old = self._pick()
                    new = self._new_path()
                    if rng.random() < .5:       # same name, other directory
                        new = new.rsplit("/", 1)[0] + "/" + old.rsplit("/", 1)[1]
                        if new in self.files:
                            new = self._new_path()
                    self.files[new] = self.files.pop(old)
                    self.modes[new] = self.modes.pop(old)
                    self.order[self.order.index(old)] = new
                    cmds.append(b"R %s %s\n" % (old.encode(), new.encode()))
                    what = f"move {old} to {new}"
                    if rng.random() < .5:
                        self._edit(new)
                        touched.append(new)
                else:
                    for p in sorted({self._pick() for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))}):
                        self._edit(p)
                        touched.append(p)
                    what = f"edit {', '.join(sorted(touched))}"
            for p in touched:
                body = ("\n".join(self.files[p]) + "\n").encode()
                cmds.append(b"M %s inline %s\n" % (self.modes[p].encode(), p.encode()))
                cmds.append(self._data(body))
            name, email = author[:-1].split(" <")
            stamp = f"{name} <{email}> {when} +0000".encode()
            msg = f"c{i:05d}: {what}"[:200].encode()
            write(b"commit refs/heads/master\nmark :%d\nauthor %s\ncommitter %s\n%s"
                  % (i, stamp, stamp, self._data(msg)))
            write(b"".join(cmds))
            write(b"\n")
            if tag_every and i % tag_every == 0 and i // tag_every <= spec.tags:
                t = i // tag_every
                if t % 2:
                    write(b"tag v0.%d\nfrom :%d\ntagger %s\n%s"
                          % (t, i, stamp, self._data(b"release 0.%d" % t)))
                else:
                    write(b"reset refs/tags/v0.%d\nfrom :%d\n\n" % (t, i))


def _wide_stream(spec: SynthSpec, changed: int) -> Callable[[Callable[[bytes], object]], None]:
    """The stream of a wide, short history: a first commit of ``spec.files`` files in
    nested directories (the synthetic history's shapes and sizes), then ``spec.commits
    - 1`` commits editing ``changed`` files each (mostly hot ones, as there)."""
    def stream(write) -> None:
        s = _Synth(SynthSpec(spec.commits, spec.files, spec.seed, tags=0))
        when = 1_672_531_200
        for i in range(1, spec.commits + 1):
            if i == 1:
                for _ in range(spec.files):
                    s._add()
                touched = list(s.files)
            else:
                touched = set()
                while len(touched) < min(changed, len(s.files)):
                    touched.add(s._pick())
                touched = sorted(touched)
                for p in touched:
                    s._edit(p)
            when += 86400
            stamp = f"Ada Lovelace <ada@example.com> {when} +0000".encode()
            write(b"commit refs/heads/master\nmark :%d\nauthor %s\ncommitter %s\n%s"
                  % (i, stamp, stamp, s._data(f"w{i:05d}: {len(touched)} files".encode())))
            for p in touched:
                body = ("\n".join(s.files[p]) + "\n").encode()
                write(b"M %s inline %s\n" % (s.modes[p].encode(), p.encode()))
                write(s._data(body))
            write(b"\n")
    return stream


def _fast_import(path: str, stream: Callable[[Callable[[bytes], object]], None]) -> None:
    """A bare git repository at ``path`` holding what ``stream(write)`` feeds to
    ``git fast-import``; built beside it and renamed into place."""
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    run(["git", "init", "-q", "--bare", "-b", "master", tmp])
    proc = subprocess.Popen(["git", "-C", tmp, "fast-import", "--quiet"],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stream(proc.stdin.write)
        proc.stdin.close()
    finally:
        err = proc.stderr.read()
        if proc.wait():
            raise RuntimeError(f"git fast-import failed: {err.decode(errors='replace')}")
    os.rename(tmp, path)


def make_synthetic(path: str, spec: SynthSpec) -> None:
    """A bare git repository holding the synthetic history of ``spec``."""
    _fast_import(path, _Synth(spec).stream)


def make_wide(path: str, spec: SynthSpec, changed: int = 3) -> None:
    """A bare git repository of a wide tree (``spec.files`` files) and ``spec.commits
    - 1`` small changes to it: the neighbours whose ``diff -r`` should cost only what
    changed, however wide the tree (``_wide_stream``)."""
    _fast_import(path, _wide_stream(spec, changed))


def make_big(path: str, mb: int, seed: int = 1) -> None:
    """A bare git repository with one commit: a README and ``big.bin`` (``mb`` MiB of
    incompressible bytes, so neither git nor verfs can cheat by compressing)."""
    rng = random.Random(seed)

    def stream(w) -> None:
        w(b"commit refs/heads/master\nauthor A <a@example.com> 1700000000 +0000\n"
          b"committer A <a@example.com> 1700000000 +0000\ndata 8\nbig file\n")
        w(b"M 100644 inline README\ndata 12\na big file.\n\n")
        w(b"M 100644 inline big.bin\ndata %d\n" % (mb * MiB))
        for _ in range(mb):
            w(rng.randbytes(MiB))
        w(b"\n\n")
    _fast_import(path, stream)


def first_parent(git_dir: str, rev: str = "HEAD") -> list[str]:
    """The first-parent line, oldest first."""
    return out(["git", "-C", git_dir, "rev-list", "--first-parent", "--reverse",
                rev]).split()


def checkout(git_dir: str, commit: str, dest: str) -> None:
    """A plain copy of ``commit`` on disk (``git archive | tar -x``)."""
    os.makedirs(dest, exist_ok=True)
    sh(f"git -C '{git_dir}' archive '{commit}' | tar -x -C '{dest}'")


def pick_file(git_dir: str, commit: str, rng: random.Random) -> str:
    """A file of ``commit`` among its most deeply nested ones (the longest walk)."""
    paths = out(["git", "-C", git_dir, "ls-tree", "-r", "--name-only", commit]).split("\n")
    paths = [p for p in paths if p]
    deepest = max(p.count("/") for p in paths)
    return rng.choice(sorted(p for p in paths if p.count("/") == deepest))


# --- verfs versions and darcs patches of each commit -------------------------------------

def verfs_versions(repo_dir: str) -> dict[str, str]:
    """git commit id → verfs version id, along the imported repository's head chain."""
    from verfs.repo import Repository
    repo = Repository(repo_dir)
    found = {}
    for s in repo.history.chain(repo.head()):
        sha = s.patch.info.get_meta("git-commit")
        if sha and not sha.startswith("tag:"):
            found[sha] = s.vid
    return found


def version_commits(repo_dir: str) -> dict[str, str]:
    """verfs version id → the git commit whose tree it shows, along the imported
    repository's head chain; a tag's version shows the tree of the commit it tags."""
    from verfs.repo import Repository
    repo = Repository(repo_dir)
    found = {}
    for s in repo.history.chain(repo.head()):
        sha = s.patch.info.get_meta("git-commit")
        if sha:
            found[s.vid] = sha.rsplit(":", 1)[-1]       # "tag:NAME:COMMIT" for a tag
    return found


def version_of(path: str) -> str:
    """The version a version root of the mount shows: its ``user.verfs.version``
    attribute, or where it links to (before ``head``, ``history/*`` and ``tags/*``
    were directories)."""
    try:
        return os.getxattr(path, "user.verfs.version").decode().strip()
    except OSError:
        return os.path.basename(os.readlink(path))


def changed_files(git_dir: str, a: str, b: str) -> list[str]:
    """The paths that differ between commits ``a`` and ``b`` (renames as a removal and
    an addition)."""
    return [p for p in out(["git", "-C", git_dir, "diff", "--name-only", "--no-renames",
                            a, b]).split("\n") if p]


def opens_bound(changed: Sequence[str]) -> int:
    """How many paths ``diff -r`` of two versions needs to open when it skips whatever
    is the same: both sides of each changed file and of each directory above one,
    the two roots included (an added or removed file is not even opened)."""
    dirs = {""}
    for p in changed:
        parts = p.split("/")[:-1]
        dirs.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return 2 * (len(changed) + len(dirs))


def opened_paths(argv: Sequence, under: str, log: str, **kw) -> set[str] | None:
    """The distinct paths below ``under`` that ``argv`` and its children open
    (``strace -f -e trace=open,openat,openat2``, failed opens too); None without a
    working strace."""
    if not shutil.which("strace"):
        return None
    try:
        run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", log, *argv],
            **kw)
    except RuntimeError as exc:
        if "ptrace" in str(exc) or "strace:" in str(exc):
            return None
        raise
    prefix = under.rstrip("/") + "/"
    found, traced = set(), False
    with open(log, errors="replace") as f:
        for line in f:
            m = _OPEN.search(line)
            traced = traced or m is not None
            if m and (m.group(1) + "/").startswith(prefix):
                found.add(m.group(1))
    return found if traced else None        # nothing at all: strace could not trace


_OPEN = re.compile(r'\bopen(?:at2?)?\((?:[^,"]*, )?"((?:[^"\\]|\\.)*)"')


def walk_read(top: str) -> int:
    """``os.walk`` of ``top`` reading every file with ``os.open``/``os.read``: bytes
    read.  (Python's buffered ``open()`` asks every file isatty, an ioctl, which on
    FUSE is one more round trip to the daemon per file that the kernel never caches;
    ``cat``, ``grep`` and ``diff`` ask no such thing.)"""
    total = 0
    for d, _, names in os.walk(top):
        for n in names:
            fd = os.open(os.path.join(d, n), os.O_RDONLY)
            try:
                while chunk := os.read(fd, 1 << 20):
                    total += len(chunk)
            finally:
                os.close(fd)
    return total


def darcs_list(darcs_dir: str) -> list[tuple[str, str]]:
    """(patch name, darcs hash) of every patch, newest first."""
    import xml.etree.ElementTree as ET
    text = out(["darcs", "log", "--xml-output", "--repodir", darcs_dir], timeout=3600)
    return [((p.findtext("name") or "").strip(), p.get("hash"))
            for p in ET.fromstring(text).iter("patch")]


def darcs_hashes(darcs_dir: str) -> dict[str, str]:
    """Patch name → darcs hash (names of the synthetic commits are unique)."""
    return dict(darcs_list(darcs_dir))


# --- mounts ------------------------------------------------------------------------------

def is_mounted(path: str) -> bool:
    path = os.path.abspath(path)
    with open("/proc/mounts") as f:
        return any(line.split()[1].replace("\\040", " ") == path for line in f)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[-1][:1] != "Z"
    except OSError:
        return False


@dataclass
class Mount:
    path: str
    pid: int
    repo: str


class Mounts:
    """Every mount the benchmark makes, so that all are gone at the end whatever
    happens: ``verfs umount``, then ``fusermount -u -z``, then the daemon's own pid."""

    def __init__(self, verfs: str, log_dir: str, env: dict | None = None):
        self.verfs = verfs
        self.log_dir = log_dir
        self.env = env
        self.active: dict[str, Mount] = {}
        self.problems: list[str] = []

    def mount(self, repo: str, mp: str, flags: Sequence[str] = (),
              env: dict | None = None) -> Mount:
        """``env``: variables for this daemon (say ``VERFS_FUSE=fusepy``); ``repo`` a
        directory, or a remote store's URL (``--store URL``)."""
        os.makedirs(mp, exist_ok=True)
        where = "--store" if "://" in repo else "--repo"
        log = os.path.join(self.log_dir, os.path.basename(mp) + ".mount.log")
        if os.path.exists(log):         # each mount's log tells of that mount only
            os.unlink(log)
        proc = run([self.verfs, "mount", *flags, where, repo, "--log", log, mp],
                   stdout=subprocess.PIPE, timeout=120,
                   env={**(self.env or os.environ), **env} if env else self.env)
        m = re.search(rb"daemon pid (\d+)", proc.stdout)
        if not m:
            self.problems.append(f"verfs mount printed no daemon pid: {proc.stdout!r}")
            raise RuntimeError("verfs mount: no daemon pid")
        mount = Mount(os.path.abspath(mp), int(m.group(1)), repo)
        self.active[mount.path] = mount
        if not is_mounted(mp):
            self.problems.append(f"verfs mount returned but {mp} is not in /proc/mounts")
        return mount

    def umount(self, mount: Mount) -> None:
        self.active.pop(mount.path, None)
        if is_mounted(mount.path):
            proc = run([self.verfs, "umount", mount.path], ok=(0, 1, 2, 3), timeout=60)
            if proc.returncode:
                self.problems.append(f"verfs umount {mount.path} failed: "
                                     f"{proc.stderr.decode(errors='replace').strip()}")
        if is_mounted(mount.path):
            run(["fusermount", "-u", "-z", mount.path], ok=(0, 1), timeout=60)
        end = time.monotonic() + 10
        while _alive(mount.pid) and time.monotonic() < end:
            time.sleep(0.05)
        if _alive(mount.pid):
            self.problems.append(f"daemon {mount.pid} still alive 10 s after unmounting "
                                 f"{mount.path}; killed")
            try:
                os.kill(mount.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        for mount in list(self.active.values()):
            try:
                self.umount(mount)
            except Exception as exc:    # noqa: BLE001 - keep unmounting the others
                self.problems.append(f"unmounting {mount.path}: {exc}")


def memory(pid: int) -> dict[str, int]:
    """VmHWM (peak resident), VmRSS and its parts RssAnon (the process's own memory)
    and RssFile (mapped files) of a process, in bytes."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                found[key] = int(rest.split()[0]) * 1024
    return found


# --- sizes -------------------------------------------------------------------------------

def tree_size(path: str, skip: Sequence[str] = ()) -> tuple[int, int, int]:
    """(apparent bytes: sum of st_size, allocated bytes: st_blocks, files) under
    ``path``, leaving out the top-level entries named in ``skip``."""
    apparent = allocated = files = 0
    for top, dirs, names in os.walk(path):
        if top == path:
            dirs[:] = [d for d in dirs if d not in skip]
            names = [n for n in names if n not in skip]
        for n in names:
            st = os.lstat(os.path.join(top, n))
            apparent += st.st_size
            allocated += st.st_blocks * 512
            files += 1
        for d in dirs:
            allocated += os.lstat(os.path.join(top, d)).st_blocks * 512
    return apparent, allocated, files


def version_bytes(store: str) -> tuple[int, int, int]:
    """(versions, their encoded bytes, the same plus the index records of the packed
    ones): a loose version is its file, a packed one its bytes in the pack and its
    record in the pack's index."""
    from store.pack import RECORD, Pack, is_pack_name
    n = total = index = 0
    for top, _, names in os.walk(os.path.join(store, "versions")):
        for name in names:
            if not name.startswith("."):
                n += 1
                total += os.lstat(os.path.join(top, name)).st_size
    packs = os.path.join(store, "packs")
    for name in sorted(os.listdir(packs)) if os.path.isdir(packs) else []:
        if is_pack_name(name):
            pack = Pack(os.path.join(packs, name))
            for kind, _, raw in pack.entries():
                if kind == "version":
                    n += 1
                    total += len(raw)
                    index += RECORD.size
    return n, total, total + index


# --- figures and the table ---------------------------------------------------------------

COLUMNS = ("verfs", "git", "darcs", "disk")


@dataclass
class Figure:
    """One row: samples per column, and how verfs's median compares with a baseline's.

    ``better`` is "lower" for times and sizes, "higher" for rates.  ``limit`` is the
    target on the ratio verfs/baseline (``≤ limit`` for lower-is-better figures,
    ``≥ limit`` for higher-is-better ones); None when there is only something to
    report."""

    name: str
    unit: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    against: str | None = None
    limit: float | None = None
    better: str = "lower"
    target: str = ""
    note: str = ""
    ratio_override: float | None = None
    met_override: bool | None = None

    def stat(self, col: str) -> tuple[float, float] | None:
        xs = self.samples.get(col)
        if not xs:
            return None
        return (min(xs) if self.better == "lower" else max(xs)), statistics.median(xs)

    def ratios(self) -> tuple[float, float] | None:
        if self.ratio_override is not None:
            return self.ratio_override, self.ratio_override
        a, b = self.stat("verfs"), self.stat(self.against) if self.against else None
        if a is None or b is None or not b[0] or not b[1]:
            return None
        return a[0] / b[0], a[1] / b[1]

    def met(self) -> bool | None:
        if self.met_override is not None:
            return self.met_override
        r = self.ratios()
        if r is None or self.limit is None:
            return None
        return r[1] <= self.limit if self.better == "lower" else r[1] >= self.limit

    def as_json(self) -> dict:
        return {"name": self.name, "unit": self.unit, "samples": self.samples,
                "against": self.against, "ratio_best_median": self.ratios(),
                "target": self.target, "met": self.met(), "note": self.note}


def _num(x: float) -> str:
    if isinstance(x, int):          # a count
        return f"{x:,}"
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _cell(fig: Figure, col: str) -> str:
    s = fig.stat(col)
    if s is None:
        return "-"
    if len(fig.samples[col]) == 1:
        return f"{_num(s[1])} {fig.unit}"
    return f"{_num(s[0])} / {_num(s[1])} {fig.unit}"


def table(figs: list[Figure]) -> str:
    head = ["figure", *COLUMNS, "ratio", "target", "met?"]
    rows = [head]
    for f in figs:
        r = f.ratios()
        ratio = "-" if r is None else (f"{r[1]:.2f}×" if abs(r[0] - r[1]) < 5e-3
                                       else f"{r[0]:.2f}× / {r[1]:.2f}×")
        met = {True: "yes", False: "NO", None: "-"}[f.met()]
        rows.append([f.name, *(_cell(f, c) for c in COLUMNS), ratio, f.target, met])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for n, r in enumerate(rows):
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: str, info: dict, figs: list[Figure], extra: dict) -> None:
    with open(path, "w") as f:
        json.dump({"machine": info, "figures": [g.as_json() for g in figs], **extra}, f,
                  indent=1)


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- remote stores: a real SeaweedFS, and a proxy that counts what reaches it ------------

def load_servers(root: str):
    """tests/servers.py (SeaweedFS and nginx started and stopped), imported by path:
    the benchmark runs the same servers the tests do."""
    import importlib.util
    path = os.path.join(root, "tests", "servers.py")
    spec = importlib.util.spec_from_file_location("verfs_test_servers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@dataclass
class Traffic:
    requests: int = 0
    bytes_in: int = 0           # response bodies: what the clients fetched
    bytes_out: int = 0          # request bodies: what they uploaded
    kinds: dict[str, int] = field(default_factory=dict)    # requests by key_kind

    def __sub__(self, other: "Traffic") -> "Traffic":
        kinds = {k: n - other.kinds.get(k, 0) for k, n in self.kinds.items()}
        return Traffic(self.requests - other.requests, self.bytes_in - other.bytes_in,
                       self.bytes_out - other.bytes_out, {k: n for k, n in kinds.items() if n})

    def breakdown(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items(),
                                                        key=lambda kv: (-kv[1], kv[0])))


def key_kind(method: str, path: str) -> str:
    """What an S3 request of a remote store was for: its key's kind (the layout of
    docs/FORMAT.md, "Remote stores"), for the benchmark's notes."""
    import urllib.parse
    parts = urllib.parse.urlsplit(path)
    if "list-type" in parts.query:
        return "list"
    key = urllib.parse.unquote(parts.path).rstrip("/")
    name = key.rsplit("/", 1)[-1]
    for suffix in (".fan", ".pack", ".tab"):
        if name.endswith(suffix):
            return f"{method} {suffix[1:]}"
    if "/objects/" in key:
        return f"{method} objects/{key.split('/objects/', 1)[1].split('/', 1)[0]}"
    return f"{method} {name}"


class CountingProxy:
    """A plain HTTP proxy on a loopback port in front of an S3 endpoint, counting
    requests and body bytes: what a mount daemon (another process, whose own counters
    the benchmark cannot read) asks of the server.  Headers pass unchanged, ``Host``
    included, so the clients' signatures still hold."""

    def __init__(self, upstream: str):
        import urllib.parse
        parts = urllib.parse.urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.traffic = Traffic()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._server = None
        self.url = ""

    def snapshot(self) -> Traffic:
        with self._lock:
            return Traffic(self.traffic.requests, self.traffic.bytes_in,
                           self.traffic.bytes_out, dict(self.traffic.kinds))

    def _count(self, bytes_in: int, bytes_out: int, kind: str) -> None:
        with self._lock:
            self.traffic.requests += 1
            self.traffic.bytes_in += bytes_in
            self.traffic.bytes_out += bytes_out
            self.traffic.kinds[kind] = self.traffic.kinds.get(kind, 0) + 1

    def _forward(self, method, path, headers, body):
        import http.client
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            fresh = conn is None
            if fresh:
                conn = http.client.HTTPConnection(*self.upstream, timeout=120)
                self._local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                return resp, resp.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    def __enter__(self) -> "CountingProxy":
        import http.server
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def relay(self):
                if "chunked" in (self.headers.get("Transfer-Encoding") or ""):
                    self.send_error(501, "chunked request bodies are not relayed")
                    return
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("expect", "connection", "keep-alive")}
                try:
                    resp, data = proxy._forward(self.command, self.path, headers, body)
                except (OSError, Exception) as exc:   # noqa: BLE001 - a 502, as a proxy says
                    self.send_error(502, f"upstream: {exc}")
                    return
                proxy._count(len(data), n, key_kind(self.command, self.path))
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "keep-alive",
                                         "content-length"):
                        self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", resp.getheader("Content-Length", "0"))
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def read_tree(top: str) -> dict[str, str]:
    """Every regular file below ``top``: relative path → SHA-256 of its bytes, read
    with os.read (as walk_read)."""
    import hashlib
    out = {}
    for d, _dirs, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            if os.path.islink(p):
                continue
            h = hashlib.sha256()
            fd = os.open(p, os.O_RDONLY)
            try:
                while chunk := os.read(fd, 1 << 20):
                    h.update(chunk)
            finally:
                os.close(fd)
            out[os.path.relpath(p, top)] = h.hexdigest()
    return out


def numbers_in(text: str, word: str) -> int | None:
    """The count before ``word`` in a summary line ("... 1,234 requests"), or None."""
    m = re.search(r"([\d,]+) " + re.escape(word), text)
    return int(m.group(1).replace(",", "")) if m else None


# --- searching every version: grep and each path's log (issue 12) -------------------------

@dataclass
class Counted:
    """What one command printed, counted as it went by and not kept: its wall time,
    exit code, output lines and bytes, its first line, its peak resident memory (the
    process itself, not a tree), and, when asked, lines and bytes per first field
    (``REV`` of ``REV:path:line:text``)."""

    seconds: float
    rc: int
    lines: int
    bytes: int
    first: bytes
    maxrss: int
    stderr: str
    per_prefix: dict[bytes, list[int]] | None = None

    def payload(self) -> int:
        """The bytes of its lines after their first field and its colon: what two
        ``REV:path:line:text`` outputs share when they name revisions differently
        (every line's first field as long as the first line's)."""
        width = self.first.find(b":") + 1 if b":" in self.first else 0
        return self.bytes - self.lines * width


TIME = "/usr/bin/time"


def run_counted(argv: Sequence, *, cwd=None, env=None, ok=(0, 1), timeout=None,
                per_prefix: bool = False) -> Counted:
    """Run ``argv`` with its output read through a pipe and counted (a printed line
    costs both tools the same pipe).  Its peak RSS is GNU time's ``%M``: what
    ``os.wait4`` says of a child Python spawned is at least this process's own peak
    (Linux keeps the larger of the old and new peaks across the vfork + exec), while
    time's child is forked from time, a small process.  ``per_prefix`` also counts
    each first field's lines and bytes (slower: for untimed check runs)."""
    argv = [str(a) for a in argv]
    rss_file = None
    if os.access(TIME, os.X_OK):
        fd, rss_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        argv = [TIME, "-f", "%M", "-o", rss_file, *argv]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    killer = threading.Timer(timeout, proc.kill) if timeout else None
    if killer:
        killer.start()
    lines = nbytes = 0
    first = b""
    prefixes: dict[bytes, list[int]] | None = {} if per_prefix else None
    try:
        if prefixes is None:
            fd = proc.stdout.fileno()
            while chunk := os.read(fd, 1 << 20):
                if len(first) < 4096 and b"\n" not in first:
                    first += chunk[:4096]
                lines += chunk.count(b"\n")
                nbytes += len(chunk)
        else:
            for line in proc.stdout:
                if not first:
                    first = line
                lines += 1
                nbytes += len(line)
                rec = prefixes.setdefault(line.split(b":", 1)[0], [0, 0])
                rec[0] += 1
                rec[1] += len(line)
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if killer:
            killer.cancel()
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    maxrss = usage.ru_maxrss * 1024
    if rss_file:
        try:
            with open(rss_file) as f:       # "Command exited with ..." may come first
                maxrss = int(f.read().split()[-1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(rss_file)
    said = b"".join(err).decode(errors="replace")
    if proc.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)[:300]}: exit {proc.returncode}\n{said[-2000:]}")
    return Counted(seconds, proc.returncode, lines, nbytes, first.split(b"\n", 1)[0] + b"\n"
                   if first else b"", maxrss, said, prefixes)


@dataclass(frozen=True)
class GrepPattern:
    """One search of the grep group: what it is for, ``git grep``'s flags (the same
    for ``verfs grep``) and the pattern; ``selective``: the index should narrow it."""

    what: str
    flags: tuple[str, ...]
    pattern: str
    selective: bool
    note: str = ""


IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]{5,}"


def head_tokens(git_dir: str, rev: str) -> dict[str, int]:
    """Identifiers of 6+ characters in ``rev``'s text files → how often they occur."""
    text = out(["git", "-C", git_dir, "grep", "-h", "-o", "-I", "-E", IDENTIFIER, rev],
               ok=(0, 1), timeout=3600)
    counts: dict[str, int] = {}
    for tok in text.split():
        counts[tok] = counts.get(tok, 0) + 1
    return counts


def grep_patterns(git_dir: str, rev: str, n_revs: int, max_lines: int = 3_000_000
                  ) -> list[GrepPattern]:
    """The four searches, picked from the data of the newest revision ``rev`` so that
    they mean the same on any history: three of its rarest identifiers (a fixed
    string; an extended regex, its two halves joined by a repeated bracket expression
    — no alternation beside it, which glibc's regexec, git grep's, takes 5× as long
    over); one searched ``-i`` with its case swapped) and, as the common pattern, the
    most frequent one whose lines over ``n_revs`` revisions should stay under
    ``max_lines`` (the output of a search over every version is lines at head ×
    versions)."""
    counts = head_tokens(git_dir, rev)
    # Rare but present more than once (a name used once may be gone a version later),
    # and about as long as what people search for (a 40-letter name has so many
    # trigrams that any index finds it at once).
    rare = sorted((t for t, n in counts.items() if n >= 2 and t.lower() != t.upper()),
                  key=lambda t: (counts[t], abs(len(t) - 12), t))
    picked: list[str] = []
    for t in rare:          # distinct even ignoring case, none a part of another
        if all(t.lower() not in p.lower() and p.lower() not in t.lower() for p in picked):
            picked.append(t)
        if len(picked) == 3:
            break
    if len(picked) < 3:
        raise RuntimeError(f"{git_dir}: too few identifiers at {rev} to pick patterns from")
    fixed, regex_a, icase = picked
    cut = len(regex_a) // 2
    regex = f"{regex_a[:cut]}[[:alnum:]_]*{regex_a[cut + 1:]}"
    bound = max_lines // max(n_revs, 1)
    common = max((t for t, n in counts.items() if n <= bound and t not in picked),
                 key=lambda t: (counts[t], t))

    def at_head(*toks):
        return ", ".join(f"{t!r} {counts[t]}×" for t in toks) + " in the newest revision"
    return [
        GrepPattern("a selective fixed string", ("-F",), fixed, True, at_head(fixed)),
        GrepPattern("a selective regex", ("-E",), regex, True, at_head(regex_a)),
        GrepPattern("a selective -i search", ("-i",), icase.swapcase(), True,
                    at_head(icase)),
        GrepPattern("a common pattern", ("-F",), common, False,
                    at_head(common) + f" (the most frequent under {bound:,})"),
    ]


def path_changes(git_dir: str, rev: str = "HEAD") -> dict[str, int]:
    """Every path the first-parent line of ``rev`` ever touched → how many commits
    changed it."""
    text = out(["git", "-C", git_dir, "log", "--first-parent", "--format=", "--name-only",
                "--no-renames", rev], timeout=3600)
    counts: dict[str, int] = {}
    for p in text.splitlines():
        if p:
            counts[p] = counts.get(p, 0) + 1
    return counts


def log_paths(git_dir: str, rev: str, k: int) -> list[tuple[str, str]]:
    """Up to ``k`` paths to ask the log of, each with why: the file changed most
    often, one changed a median number of times, one changed once, one gone by
    ``rev``, and a top-level directory."""
    counts = path_changes(git_dir, rev)
    present = set(out(["git", "-C", git_dir, "ls-tree", "-r", "--name-only", rev]).split("\n"))
    files = sorted(counts, key=lambda p: (-counts[p], p))
    live = [p for p in files if p in present]
    picks: list[tuple[str, str]] = []

    def take(p, why):
        if p and all(p != q for q, _ in picks):
            picks.append((p, why))
    if live:
        take(live[0], f"the file changed most often ({counts[live[0]]} commits)")
        mid = live[len(live) // 2]
        take(mid, f"a median file ({counts[mid]} commits)")
        once = [p for p in live if counts[p] == 1]
        take(once[0] if once else live[-1], "a file changed once" if once else
             f"the file changed least ({counts[live[-1]]} commits)")
    gone = [p for p in files if p not in present]
    if gone:
        take(gone[0], f"a file gone at the tip ({counts[gone[0]]} commits)")
    tops: dict[str, int] = {}
    for p, n in counts.items():
        if "/" in p:
            tops[p.split("/", 1)[0]] = tops.get(p.split("/", 1)[0], 0) + n
    if tops:
        top = max(tops, key=lambda d: (tops[d], d))
        take(top, "the busiest top-level directory")
    return picks[:k]


def index_selectivity(repo_dir: str, patterns: Sequence[GrepPattern]) -> dict[str, str]:
    """For each pattern (by ``what``): how many of the distinct blobs of head's chain
    the trigram index admits as candidates, out of how many — what ``verfs grep``
    reads with the index (its own functions: verfs/search/grep.py, posix.py,
    index.py); a pattern it cannot say says why."""
    from verfs.repo import Repository
    from verfs.search import posix
    from verfs.search.grep import Chains, pieces
    from verfs.search.index import GrepIndex
    repo = Repository(repo_dir)
    history = repo.history
    chains = Chains(history, repo.head())
    blobs = {p.oid for p in pieces(chains.everything(), [])}
    index = GrepIndex(history.store)
    found = {}
    for p in patterns:
        dialect = {"-F": posix.FIXED, "-E": posix.EXTENDED}.get(p.flags[0], posix.BASIC)
        try:
            compiled = posix.compile_pattern(p.pattern.encode(), dialect, "-i" in p.flags)
            n = len(index.candidates(compiled.query, blobs))
            found[p.what] = f"the index admits {n:,} of {len(blobs):,} distinct blobs " \
                            f"({n / max(len(blobs), 1):.1%})"
        except Exception as exc:    # noqa: BLE001 - a note, not a figure
            found[p.what] = f"candidates unknown ({type(exc).__name__}: {exc})"
    index.close()
    return found
