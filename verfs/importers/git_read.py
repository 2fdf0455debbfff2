"""Reading a git repository through the git program: a few long-lived streams, parsed
as they come, with git's failures turned into one-line ImportFailed.

Nothing here knows verfs's model; ``verfs.importers.git`` maps what this reads.
"""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

from ..errors import ImportFailed

REQUEST_CHUNK = 500     # cat-file requests written at once: under 64 KiB, a pipe's worth

# Variables that would make git read another repository than the one named.
_SCRUB = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
          "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
          "GIT_PREFIX", "GIT_DISCOVERY_ACROSS_FILESYSTEM")

# One commit of `git log`: its id, the author's name, email and date one a line (git
# allows no newline in them), then the raw message; -z ends the record with a NUL,
# and the commit's raw changes follow it.
LOG_FORMAT = "commit %H%n%an%n%ae%n%ad%n%B"     # %ad: with --date=raw, "SECONDS ZONE"
_REF_FIELDS = ("refname:strip=2", "objecttype", "objectname", "taggername", "taggeremail",
               "taggerdate:unix", "committername", "committeremail", "committerdate:unix",
               "contents", "contents:signature")
LOG_ARGS = ("log", "--first-parent", "-m", "--root", "--reverse", "--raw", "-z",
            "--no-abbrev", "-M", "--date=raw", "--no-color", "--no-show-signature",
            "--encoding=UTF-8",
            f"--format={LOG_FORMAT}")


_ZONE = re.compile(r"[+-][0-9]{4}")


def dec(data: bytes) -> str:
    """git's bytes as text; bytes that are not UTF-8 survive (surrogateescape)."""
    return data.decode("utf-8", "surrogateescape")


@dataclass
class Change:
    """One line of ``--raw`` output: modes as ints (0: absent), the new blob id."""

    old_mode: int
    new_mode: int
    new_sha: str
    status: str
    path: str
    src: str | None = None      # renames and copies: the old path


@dataclass
class TagRef:
    """A tag as git lists it: the commit it finally points at (through annotated
    tags, even tags of tags; None if it is no commit), the tagger and message of an
    annotated tag (message without its signature), or the committer of a tagged
    commit.  People are (name, email) and times are unix seconds, as text."""

    name: str
    commit: str | None
    annotated: bool
    person: tuple[str, str] | None
    time: str
    message: str


@dataclass
class LogCommit:
    sha: str
    author_name: str
    author_email: str
    author_time: str
    message: str
    changes: list[Change] = field(default_factory=list)
    zone: str = ""              # the author's zone, git's own "+HHMM" / "-HHMM"


class Git:
    """git, run in one repository and nowhere else: no discovery upwards (a directory
    inside some work tree is not that repository), none of the caller's GIT_DIR and
    friends, no colour."""

    def __init__(self, src: str):
        self.src = os.path.realpath(src)
        if shutil.which("git") is None:
            raise ImportFailed("git is not installed (it is needed to read git repositories)")
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(self.src)
        env["LC_ALL"] = "C"
        self.env = env

    def argv(self, args) -> list[str]:
        return ["git", "-C", self.src, "-c", "color.ui=never", *args]

    def run(self, *args, ok=(0,), input: bytes | None = None) -> subprocess.CompletedProcess:
        try:
            proc = subprocess.run(self.argv(args), input=input, capture_output=True,
                                  env=self.env)
        except OSError as exc:
            raise ImportFailed(f"cannot run git: {exc.strerror or exc}") from None
        if proc.returncode not in ok:
            raise ImportFailed(self.failure(args, proc.stderr))
        return proc

    def out(self, *args) -> bytes:
        return self.run(*args).stdout

    def popen(self, args, stack: ExitStack, stdin: bool = False) -> subprocess.Popen:
        """A streaming git whose stderr goes to a file (read on failure); it is ended
        when ``stack`` closes, however the import ends."""
        err = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (it is)
        try:
            proc = subprocess.Popen(self.argv(args), stdout=subprocess.PIPE, stderr=err,
                                    stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                    env=self.env)
        except OSError as exc:
            raise ImportFailed(f"cannot run git: {exc.strerror or exc}") from None
        proc.errfile = err
        stack.callback(reap, proc)
        return proc

    def failure(self, args, stderr: bytes) -> str:
        """git's complaint, on one line."""
        lines = [ln.strip() for ln in dec(stderr).splitlines() if ln.strip()]
        what = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))),
                    lines[0] if lines else "failed")
        what = what.removeprefix("fatal: ").removeprefix("error: ")
        return f"git {args[0]} in {self.src}: {what}"

    def stream_failure(self, proc: subprocess.Popen, args, what: str) -> ImportFailed:
        """Why a stream went wrong: git's own words if it failed, else ``what``."""
        reap(proc)
        proc.errfile.seek(0)
        stderr = proc.errfile.read()
        if proc.returncode > 0 and stderr.strip():
            return ImportFailed(self.failure(args, stderr))
        return ImportFailed(f"git {args[0]} in {self.src}: {what}")

    @staticmethod
    def warnings(proc: subprocess.Popen) -> list[str]:
        """What a successful git said on stderr (say, that a commit had too many
        files for rename detection), each line once."""
        proc.errfile.seek(0)
        text = dec(proc.errfile.read())
        return list(dict.fromkeys(ln.strip().removeprefix("warning: ")
                                  for ln in text.splitlines() if ln.strip()))

    def ls_tree(self, rev: str) -> list[Change]:
        """Every blob, link and gitlink of a commit's tree, as additions."""
        return parse_ls_tree(self.out("ls-tree", "-r", "-z", "--full-tree", rev))

    def tags(self) -> list[TagRef]:
        fmt = "".join(f"%({f})%00" for f in _REF_FIELDS)
        refs = parse_refs(self.out("for-each-ref", f"--format={fmt}", "refs/tags"))
        peel = [r[2] for r in refs if r[1] == "tag"]
        peeled: dict[str, str] = {}
        if peel:
            out = self.run("cat-file", "--batch-check=%(objectname) %(objecttype)",
                           input="".join(f"{s}^{{}}\n" for s in peel).encode()).stdout
            peeled = parse_peeled(peel, out)
        return tag_refs(refs, peeled)

    def branches(self) -> dict[str, str]:
        """Every local branch (refs/heads/*): name -> commit."""
        out = dec(self.out("for-each-ref", "--format=%(refname:strip=2)%00%(objectname)%00"
                           "%(objecttype)", "refs/heads"))
        found = {}
        for line in out.splitlines():
            name, _, rest = line.partition("\0")
            oid, _, kind = rest.partition("\0")
            if kind == "commit":
                found[name] = oid
        return found

    def reachable(self, rev: str) -> set[str]:
        """Every commit reachable from ``rev`` (through merges too)."""
        return set(dec(self.out("rev-list", rev)).split())

    def topo_order(self, shas: list[str]) -> dict[str, int]:
        """Each of ``shas``'s place in git's topological order of all they reach,
        oldest first."""
        if not shas:
            return {}
        out = dec(self.run("rev-list", "--topo-order", "--reverse", "--stdin",
                           input="".join(f"{s}\n" for s in shas).encode()).stdout).split()
        wanted = set(shas)
        return {sha: i for i, sha in enumerate(out) if sha in wanted}

    def first_parents(self, rev: str) -> Iterator[str]:
        """The first-parent line of ``rev``, newest first, read as it comes: the
        caller stops where it knows the rest."""
        with ExitStack() as stack:
            proc = self.popen(("rev-list", "--first-parent", rev), stack)
            for line in proc.stdout:
                yield line.decode().strip()

    def committer(self, sha: str) -> tuple[tuple[str, str], str]:
        """A commit's committer and commit time."""
        out = dec(self.out("log", "-1", "--format=%cn%x00%ce%x00%ct", sha)).strip()
        name, email, stamp = (out.split("\0") + ["", "", "0"])[:3]
        return (name, email), stamp

    def log(self, revs: str, stack: ExitStack, warnings: list[str]) -> Iterator[LogCommit]:
        """``git log`` of ``revs`` along first parents, oldest first, each commit with
        its changes against its first parent (``-m``: a merge's too; ``--root``: the
        first commit's too, whatever log.showRoot says).  git's warnings go to
        ``warnings`` when it is done."""
        args = (*LOG_ARGS, revs)
        proc = self.popen(args, stack)
        try:
            yield from parse_log(tokens(proc.stdout))
        except ImportFailed as exc:
            raise self.stream_failure(proc, args, str(exc)) from None
        if proc.wait():
            raise self.stream_failure(proc, args, "failed")
        warnings += self.warnings(proc)


def reap(proc: subprocess.Popen) -> None:
    """End a streaming git: with its pipes closed it exits (cat-file at the end of
    its input, log on a broken pipe), having said why if it failed; kill it only if
    it does not."""
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _mode(text: bytes) -> int:
    """An octal file mode as git prints it."""
    if not text or len(text) > 6 or not all(c in b"01234567" for c in text):
        raise ImportFailed(f"unexpected mode {text[:20]!r}")
    return int(text, 8)


def _sha(text: bytes) -> str:
    """An object id as git prints it (SHA-1 or SHA-256, lowercase hex)."""
    if len(text) not in (40, 64) or not all(c in b"0123456789abcdef" for c in text):
        raise ImportFailed(f"unexpected object id {text[:80]!r}")
    return text.decode()


def parse_ls_tree(data: bytes) -> list[Change]:
    """``git ls-tree -r -z`` output: ``MODE TYPE SHA\tPATH`` records, NUL-ended."""
    out = []
    for item in data.split(b"\0"):
        if item:
            meta, tab, path = item.partition(b"\t")
            fields = meta.split(b" ")
            if not tab or len(fields) != 3:
                raise ImportFailed(f"git ls-tree: unexpected output {item[:80]!r}")
            out.append(Change(0, _mode(fields[0]), _sha(fields[2]), "A", dec(path)))
    return out


def parse_refs(data: bytes) -> list[list[str]]:
    """``git for-each-ref`` with every field of ``_REF_FIELDS`` NUL-ended: one list
    of fields per ref (a trailing partial record, which git never prints, is
    dropped)."""
    toks = data.split(b"\0")
    n = len(_REF_FIELDS)
    refs = [[dec(t) for t in toks[i:i + n]] for i in range(0, len(toks) - n + 1, n)]
    # Each record but the first starts with the newline that ended the one before.
    return [[r[0].lstrip("\n"), *r[1:]] for r in refs]


def parse_peeled(asked: list[str], data: bytes) -> dict[str, str]:
    """``git cat-file --batch-check`` answers for ``SHA^{}`` of each of ``asked``:
    the commit each one peels to, where it is one."""
    lines = dec(data).splitlines()
    if len(lines) != len(asked):
        raise ImportFailed(f"git cat-file: {len(lines)} answers for {len(asked)} tags")
    peeled = {}
    for sha, line in zip(asked, lines, strict=True):
        oid, _, kind = line.partition(" ")
        if kind == "commit":
            peeled[sha] = oid
    return peeled


def tag_refs(refs: list[list[str]], peeled: dict[str, str]) -> list[TagRef]:
    out = []
    for (name, kind, oid, tname, temail, tdate, cname, cemail, cdate, contents,
         signature) in refs:
        if kind == "tag":
            if signature and contents.endswith(signature):
                contents = contents[:-len(signature)]
            person = (tname, temail.strip("<>")) if tname or temail else None
            out.append(TagRef(name, peeled.get(oid), True, person, tdate, contents))
        else:
            out.append(TagRef(name, oid if kind == "commit" else None, False,
                              (cname, cemail.strip("<>")), cdate, ""))
    return out


def tokens(stream, chunk: int = 1 << 16) -> Iterator[bytes]:
    """The NUL-terminated pieces of a stream, read as they come."""
    pending: list[bytes] = []
    while data := stream.read1(chunk):
        parts = data.split(b"\0")
        if len(parts) == 1:
            pending.append(data)
            continue
        pending.append(parts[0])
        yield b"".join(pending)
        yield from parts[1:-1]
        pending = [parts[-1]]
    tail = b"".join(pending)
    if tail:
        yield tail


def parse_log(toks: Iterator[bytes]) -> Iterator[LogCommit]:
    """Commits from ``git log --format=LOG_FORMAT --raw -z``: each record is one
    token, then its changes, each a ``:modes ids status`` token followed by one path,
    or two for a rename or copy.  (A record cannot look like a change: it starts
    with ``commit``; paths are taken by position, so any name is safe.)"""
    tok = next(toks, None)
    while tok is not None:
        if not tok.startswith(b"commit "):
            raise ImportFailed(f"unexpected output {tok[:60]!r}")
        head = tok.split(b"\n", 4)
        if len(head) < 5:
            raise ImportFailed(f"truncated record {tok[:60]!r}")
        c = LogCommit(_sha(head[0][len(b"commit "):]), *(dec(x) for x in head[1:]))
        c.author_time, _, zone = c.author_time.partition(" ")
        c.zone = zone.strip() if _ZONE.fullmatch(zone.strip()) else ""
        tok = next(toks, None)
        while tok is not None and tok.lstrip(b"\n").startswith(b":"):
            fields = tok.lstrip(b"\n")[1:].split(b" ")
            if len(fields) != 5:
                raise ImportFailed(f"unexpected change {tok[:80]!r}")
            status = dec(fields[4])[:1]
            path = next(toks, None)
            src = None
            if status in ("R", "C"):
                src, path = path, next(toks, None)
            if path is None:
                raise ImportFailed("the output ends inside a change")
            c.changes.append(Change(_mode(fields[0]), _mode(fields[1]), _sha(fields[3]),
                                    status, dec(path), src and dec(src)))
            tok = next(toks, None)
        yield c


class CatFile:
    """One ``git cat-file --batch`` for every blob.  Requests go in chunks small
    enough to fit the pipe, and every answer is read before the next chunk, so
    neither side can block the other."""

    ARGS = ("cat-file", "--batch")

    def __init__(self, git: Git, stack: ExitStack):
        self.git = git
        self.proc = git.popen(self.ARGS, stack, stdin=True)

    def blobs(self, shas: list[str]) -> Iterator[tuple[str, bytes]]:
        out = self.proc.stdout
        for i in range(0, len(shas), REQUEST_CHUNK):
            chunk = shas[i:i + REQUEST_CHUNK]
            try:
                self.proc.stdin.write(b"".join(s.encode() + b"\n" for s in chunk))
                self.proc.stdin.flush()
            except OSError:
                raise self.git.stream_failure(self.proc, self.ARGS, "ended early") from None
            for sha in chunk:
                try:
                    yield sha, read_blob(out, sha)
                except StreamEnded as exc:
                    raise self.git.stream_failure(self.proc, self.ARGS, str(exc)) from None
                except ImportFailed as exc:
                    raise ImportFailed(f"git cat-file in {self.git.src}: {exc}") from None


class StreamEnded(ImportFailed):
    """git's answers stopped making sense (it may have failed: ask it why)."""


def read_blob(out, sha: str) -> bytes:
    """One answer of ``git cat-file --batch``, which must be blob ``sha``:
    ``SHA blob SIZE``, the bytes, a newline."""
    header = out.readline().split()
    if len(header) == 2 and header[1] == b"missing":
        raise ImportFailed(f"object {sha} is missing (is the repository corrupt?)")
    if len(header) != 3 or header[0] != sha.encode() or header[1] != b"blob" \
            or not header[2].isdigit() or len(header[2]) > 20:
        raise StreamEnded(f"unexpected answer for blob {sha}")
    size = int(header[2])
    data = out.read(size + 1)
    if len(data) != size + 1:
        raise StreamEnded("ended early")
    return data[:size]
