"""Mounting and unmounting: the checks, the daemon, its log, the clean exit.

``mount`` checks everything it can before forking (mount point, FUSE, the source), so
most failures are a one-line error in the user's terminal.  The daemon is a forked
child that serves in the foreground of its own session; the parent waits until the
child's ``init`` says the mount answers (a pipe), checks it is in /proc/mounts, and
exits 0 — or reports the child's failure in one line.

libfuse installs its own SIGTERM/SIGINT/SIGHUP handlers (fusepy resets SIGINT for
it): they end the loop, and libfuse unmounts before ``FUSE()`` returns.  The mount
also carries ``auto_unmount``, so even a daemon killed with SIGKILL leaves no
"Transport endpoint is not connected" behind: fusermount, which holds the other end,
unmounts when the daemon's end closes.
"""

import ctypes
import fcntl
import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

from store import DiskStore, ObjectStore
from store.overlay import OverlayStore

from ..errors import MountError
from ..history import History
from . import binding, table
from .follow import Follower
from .fuse_ops import Operations
from .passthrough import Passthrough
from .remote import POLL_EVERY, RemoteHead
from .view import View

log = logging.getLogger("verfs.mount")

TIMEOUT = 3600          # seconds the kernel keeps entries and attributes (see _options)
READY_WAIT = 60         # seconds `verfs mount` waits for the daemon's mount to answer
LOOP_ENDED = 8          # libfuse 3's fuse_main: the loop ended with an error — as a
                        # signal ends it (libfuse 2 returns 0 then); it unmounted still


@dataclass(frozen=True)
class Remote:
    """A remote store to mount (``--store URL``), with its options."""

    url: str
    cache_dir: str | None = None
    cache_size: int | None = None
    poll: float = POLL_EVERY


@dataclass
class Source:
    """What to mount: a store, and the head file of its repository if there is one;
    or a remote store, which the daemon opens itself (a client of the network is not
    shared across ``fork``).  ``kind`` and ``label`` say which in the mount table
    (table.py); ``version``: mount that version's tree alone, following nothing."""

    store: ObjectStore | None
    head_file: str | None
    label: str
    log_file: str
    work_tree: str | None = None
    remote: Remote | None = None
    kind: str = "store"
    version: str | None = None

    @property
    def fsname(self) -> str:
        return table.fsname(self.kind, self.label, self.version)

    @property
    def described(self) -> str:
        """What the mount shows, for a person: ``/repo`` or ``/repo at version X``."""
        return f"{self.label} at version {self.version}" if self.version else self.label

    def opened(self):
        """The store to serve, and its head source (None for a bare store)."""
        if self.remote is None:
            return self.store, self.head_file
        r = self.remote
        store = _open_remote(r)
        return store, RemoteHead(store, store.read_head(), r.poll)


def _open_remote(r: Remote):
    from store.remote.store import open_remote
    return open_remote(r.url, cache_dir=r.cache_dir, cache_size=r.cache_size)


def _writable(path: str) -> bool:
    """Whether new files can be made in ``path`` (root passes os.access even on a
    read-only filesystem, so try)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".tmp-mount-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(tmp)
    return True


def open_source(store_dir: str | None = None, repo_root: str | None = None,
                log_file: str | None = None) -> Source:
    """The store to mount; over an unwritable store, reconstruction writes its trees
    to memory (OverlayStore) instead."""
    if repo_root is not None:
        dotdir = os.path.join(repo_root, ".verfs")
        store_dir, head_file, label = os.path.join(dotdir, "store"), \
            os.path.join(dotdir, "head"), repo_root
    else:
        head_file, label = None, os.path.abspath(store_dir)
    disk = DiskStore(store_dir)
    store: ObjectStore = disk
    default_log = os.path.join(disk.root, "logs", "mount.log")
    if not _writable(disk.root):
        store = OverlayStore(disk)
        state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
        default_log = os.path.join(state, "verfs", "mount.log")
    return Source(store, head_file, label, os.path.abspath(log_file or default_log),
                  repo_root, kind="repo" if repo_root is not None else "store")


def open_remote_source(remote: Remote, log_file: str | None = None) -> Source:
    """A remote store to mount, checked here — it answers, holds a store, has a head
    — so that a mistyped URL is a one-line error in the user's terminal.  Nothing
    else is fetched: every version is read when looked at."""
    store = _open_remote(remote)
    try:
        store.read_head()
    finally:
        store.close()
    state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    default_log = os.path.join(state, "verfs", "mount.log")
    return Source(None, None, remote.url, os.path.abspath(log_file or default_log),
                  remote=remote, kind="remote")


# --- the mount point ---------------------------------------------------------------------
def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def mounts() -> dict[str, tuple[str, str]]:
    """Mount point → (source, type), from /proc/mounts."""
    out = {}
    with open("/proc/mounts", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 3:
                out[_unescape(fields[1])] = (_unescape(fields[0]), fields[2])
    return out


def is_mounted(path: str) -> bool:
    return os.path.abspath(path) in mounts()


def check_mountpoint(path: str) -> str:
    mp = os.path.realpath(path)
    if is_mounted(mp):
        raise MountError(f"{path} is already mounted (unmount it with: verfs umount {path})")
    try:
        st = os.stat(mp)
    except FileNotFoundError:
        raise MountError(f"mount point {path} does not exist") from None
    except OSError as exc:
        raise MountError(f"mount point {path}: {exc.strerror}") from None
    if not os.path.isdir(mp) or not (st.st_mode & 0o040000):
        raise MountError(f"mount point {path} is not a directory")
    if os.listdir(mp):
        raise MountError(f"mount point {path} is not empty")
    return mp


# --- mounting ------------------------------------------------------------------------------
def _timeout() -> float:
    """``TIMEOUT``, or ``VERFS_MOUNT_TIMEOUT`` (for measuring what caching buys)."""
    try:
        return float(os.environ.get("VERFS_MOUNT_TIMEOUT", TIMEOUT))
    except ValueError:
        return TIMEOUT


def _options(debug: bool, passthrough: bool = False, fsname: str = "verfs") -> dict:
    """Content under versions/ never changes, so the kernel may keep pages, entries and
    attributes for long, and over libfuse 3 listings too (``binding.fuse_class``); what
    follows the repository (head, history/, tags/, files/) is invalidated by the daemon when
    head moves, and new names are found at once (no negative caching).  These options
    mean the same to libfuse 2 and 3 (mfusepy moves ``use_ino`` into libfuse 3's
    config).  With passthrough, ``open`` says per file whether its pages stay cached
    (``kernel_cache`` would also say it of files handed to the kernel, which it
    refuses), with file infos to set it in.  ``fsname`` says what is mounted, for
    ``verfs mounts`` (table.py), and the subtype that it is verfs."""
    options = {
        "foreground": True, "nothreads": os.environ.get("VERFS_NOTHREADS") == "1", "debug": debug,
        "fsname": table.option_value(fsname), "subtype": "verfs", "ro": True,
        "default_permissions": True,
        "use_ino": True, "auto_unmount": True,
        "entry_timeout": _timeout(), "attr_timeout": _timeout(), "negative_timeout": 0,
    }
    if passthrough:
        options["raw_fi"] = True
    else:
        options["kernel_cache"] = True
    return options


def _setup_logging(log_file: str, debug: bool, to_stderr: bool) -> None:
    os.makedirs(os.path.dirname(log_file), exist_ok=True)
    handlers: list[logging.Handler] = [logging.FileHandler(log_file)]
    if to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    fmt = logging.Formatter("%(asctime)s verfs-mount[%(process)d] %(levelname)s %(message)s")
    root = logging.getLogger()
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def serve(source: Source, mountpoint: str, debug: bool = False, on_init=None,
          passthrough: bool = False) -> None:
    """Mount and serve until unmounted (or SIGTERM/SIGINT); the calling process is
    the daemon.  ``passthrough``: hand large files to the kernel (``passthrough.py``)."""
    fuse = binding.load(passthrough)
    store, head = source.opened()
    history = History(store)
    if source.version is not None:
        view = View(store, history, version=source.version)
    else:
        view = View(store, history, head)
    log.info("mounting %s at %s (%s)", source.described, mountpoint, binding.describe(fuse))
    lacking = binding.shortfall(fuse)
    if lacking:
        log.info("%s", lacking)
    backing = Passthrough() if passthrough else None
    answered = []

    def mounted():
        answered.append(True)
        _auto_unmount_last(fuse)
        if on_init is not None:
            on_init()
    cache_listings = binding.keeps_listings(fuse)
    ops = Operations(view, mounted, backing, lambda: binding.session_fd(fuse),
                     cache_listings=cache_listings,
                     follower=Follower(view) if view.refs is not None else None,
                     module=fuse)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # mfusepy on __call__
        try:
            binding.fuse_class(fuse, cache_listings)(ops, mountpoint,
                                                     encoding=binding.ENCODING,
                                                     **_options(debug, passthrough,
                                                                source.fsname))
        except RuntimeError as exc:  # libfuse said why on stderr (the log, for a daemon)
            if not answered or exc.args != (LOOP_ENDED,):
                raise MountError("libfuse could not mount") from None
            log.info("libfuse's loop ended on a signal")
    log.info("unmounted %s", mountpoint)


def _auto_unmount_last(fuse) -> None:
    """Have the kernel release the FUSE device before the socket libfuse 3 keeps to
    its ``fusermount3 --auto-unmount``, when the daemon dies (call from a FUSE
    operation).

    fusermount3 wakes when that socket closes, and unmounts only if opening the mount
    point then fails with ENOTCONN.  A dying process's last references to its files
    are dropped newest descriptor first, and libfuse (mounting as root) opens the
    socket after the device: fusermount3 could open the mount point while the device
    was still there, the open then failed with ECONNABORTED, and a daemon killed with SIGKILL
    left its mount behind about one time in three.  A duplicate of the device above
    the socket, kept until exit, makes the device go first."""
    getenv = ctypes.CDLL(None).getenv
    getenv.restype = ctypes.c_char_p
    sock = getenv(b"_FUSE_COMMFD2")      # libfuse 3 names it so (lib/mount.c)
    if binding.major(fuse) >= 3 and sock:
        fcntl.fcntl(binding.session_fd(fuse), fcntl.F_DUPFD_CLOEXEC, int(sock) + 1)


def mount(source: Source, mountpoint: str, foreground: bool = False,
          debug: bool = False, passthrough: bool = False) -> int | None:
    """Mount ``source`` at ``mountpoint``.  In the foreground, serve until unmounted;
    otherwise return the daemon's pid once the mount answers."""
    mp = check_mountpoint(mountpoint)
    if source.work_tree and (mp + "/").startswith(os.path.realpath(source.work_tree) + "/"):
        raise MountError(f"mount point {mountpoint} is inside the repository's working tree "
                         f"(recording would read the whole mount): choose one outside it")
    fuse = binding.load(passthrough)         # (libfuse 3 checked its fusermount3)
    if os.geteuid() != 0 and binding.major(fuse) == 2 and shutil.which("fusermount") is None:
        raise MountError(f"fusermount is missing: {binding.INSTALL}")
    if foreground:
        _setup_logging(source.log_file, debug, to_stderr=True)
        serve(source, mp, debug, passthrough=passthrough)
        return None
    try:
        log_start = os.path.getsize(source.log_file)
    except OSError:
        log_start = 0
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the daemon
        os.close(read_end)
        _daemon(source, mp, debug, write_end, passthrough)     # never returns
    os.close(write_end)
    return _wait_ready(pid, read_end, mp, source.log_file, log_start)


def _daemon(source: Source, mp: str, debug: bool, ready_fd: int, passthrough: bool) -> None:
    code = 0
    try:
        os.setsid()
        os.chdir("/")
        _setup_logging(source.log_file, debug, to_stderr=False)
        null = os.open(os.devnull, os.O_RDWR)
        logfd = os.open(source.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        os.dup2(null, 0)
        os.dup2(logfd, 1)
        os.dup2(logfd, 2)           # libfuse's own messages, and any crash, go to the log

        def ready():
            os.write(ready_fd, b"ok\n")
            os.close(ready_fd)
        serve(source, mp, debug, ready, passthrough)
    except BaseException as exc:    # noqa: BLE001 - report anything, then exit
        code = 1
        log.exception("the mount failed")
        try:
            os.write(ready_fd, f"error {exc}\n".encode(errors="replace"))
        except OSError:
            pass
    finally:
        logging.shutdown()
        os._exit(code)


def _wait_ready(pid: int, fd: int, mp: str, log_file: str, log_start: int) -> int:
    deadline = time.monotonic() + READY_WAIT
    data = b""
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while not data.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                raise MountError(f"the mount at {mp} did not answer within {READY_WAIT} s "
                                 f"(daemon pid {pid}; see {log_file})")
            chunk = pipe.read(4096)
            if not chunk:
                break
            data += chunk
    if data.startswith(b"ok"):
        while not is_mounted(mp) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.stat(mp)
        return pid
    os.waitpid(pid, 0)
    why = data.decode(errors="replace").strip().removeprefix("error ").strip()
    said = _fuse_said(log_file, log_start)
    why = f"{why}: {said}" if said and said not in why else why
    raise MountError(f"mounting at {mp} failed: {why or 'the daemon exited'} (see {log_file})")


def _fuse_said(log_file: str, start: int) -> str | None:
    """libfuse's last own complaint in the log since ``start`` (``fuse: ...``)."""
    try:
        with open(log_file, "rb") as f:
            f.seek(max(start, os.fstat(f.fileno()).st_size - 8192))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    said = [line for line in lines if line.startswith(("fuse:", "fusermount:"))]
    return said[-1] if said else None


# --- unmounting ------------------------------------------------------------------------------
def umount(mountpoint: str, lazy: bool = False) -> None:
    mp = os.path.realpath(mountpoint)
    entry = mounts().get(mp)
    if entry is None:
        raise MountError(f"{mountpoint} is not mounted")
    if not entry[1].startswith("fuse"):
        raise MountError(f"{mountpoint} is not a verfs mount (it is {entry[1]})")
    tool = shutil.which("fusermount") or shutil.which("fusermount3")
    if tool:
        cmd = [tool, "-u", *(["-z"] if lazy else []), mp]
    elif os.geteuid() == 0 and shutil.which("umount"):
        cmd = ["umount", *(["-l"] if lazy else []), mp]
    else:
        raise MountError(f"fusermount is missing: {binding.INSTALL}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        why = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        hint = "" if lazy else " (close what uses it, or use --lazy)"
        raise MountError(f"cannot unmount {mountpoint}: {why}{hint}")
