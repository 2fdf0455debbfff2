"""Repositories with a real little history, built through ``verfs.ops`` (in process,
for speed), for the view tests and the real mounts alike."""

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tests.repo.workgen import WorkGen
from verfs import ops
from verfs.repo import Repository

AUTHOR = "Ada <ada@example.com>"
BINARY = bytes(range(256)) * 3 + b"\0tail"
ODD_NAME = b"latin1-\xe9.txt"           # not UTF-8: must round-trip through the mount


@dataclass
class Sample:
    repo: Repository
    chain: list[str]                                   # head's chain, oldest first
    named: dict[str, str] = field(default_factory=dict)  # label → version
    dates: dict[str, str] = field(default_factory=dict)  # version → 14-digit date

    @property
    def root(self) -> Path:
        return Path(self.repo.root)


def put(top, rel: str | bytes, data: bytes, exe: bool = False) -> None:
    path = os.path.join(os.fsencode(str(top)), os.fsencode(rel))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755 if exe else 0o644)


def _record(s: Sample, label: str, name: str, day: int) -> str:
    date = f"202401{day:02d}120000"
    vid = ops.record(s.repo, name, AUTHOR, date)
    s.named[label], s.dates[vid] = vid, date
    return vid


def build_sample(top) -> Sample:
    """Several files in nested directories, an edit, a rename, a binary file, an exec
    bit, a symlink, a name that is not UTF-8, a tag, and a commute."""
    repo = Repository.init(str(top))
    s = Sample(repo, [])
    w = repo.root
    put(w, "README", b"A sample project.\n")
    put(w, "src/main.c", b"int main(void)\n{\n    return util();\n}\n")
    put(w, "src/lib/util.c", b"".join(b"line %d\n" % i for i in range(1, 31)))
    put(w, "src/lib/util.h", b"int util(void);\n")
    put(w, "docs/guide.txt", b"How to use it.\nNo final newline")
    put(w, "run.sh", b"#!/bin/sh\necho run\n", exe=True)
    put(w, "logo.bin", BINARY)
    put(w, "with space.txt", b"spaced\n")
    put(w, ODD_NAME, b"odd name\n")
    os.symlink("README", os.path.join(w, "readme-link"))
    _record(s, "start", "start the project", 1)
    util = os.path.join(w, "src/lib/util.c")
    with open(util, "rb") as f:
        lines = f.read().split(b"\n")
    lines[4], lines[20] = b"line five, edited", b"line twenty-one, edited"
    with open(util, "wb") as f:
        f.write(b"\n".join(lines))
    _record(s, "edit", "edit util", 2)
    os.rename(os.path.join(w, "docs/guide.txt"), os.path.join(w, "docs/manual.txt"))
    _record(s, "rename", "rename the guide", 3)
    put(w, "logo.bin", BINARY[::-1])
    _record(s, "binary", "a new logo", 4)
    s.named["tag"] = ops.tag(repo, "v1.0", AUTHOR, "20240105120000")
    s.dates[s.named["tag"]] = "20240105120000"
    put(w, "notes/todo.txt", b"write more\n")
    _record(s, "notes", "add notes", 6)
    os.unlink(os.path.join(w, "readme-link"))
    os.chmod(os.path.join(w, "src/main.c"), 0o755)
    _record(s, "unlink", "drop the link, main executable", 7)
    s.named["commuted"] = ops.commute_last(repo)
    for step in repo.history.chain(s.named["commuted"]):
        s.dates.setdefault(step.vid, step.patch.info.date)
    s.chain = [step.vid for step in repo.history.chain(repo.head())][::-1]
    return s


def build_random(top, seed: int, records: int = 10) -> Sample:
    """A random history (tests/repo's WorkGen), a commute and a tag in it."""
    repo = Repository.init(str(top))
    s = Sample(repo, [])
    gen = WorkGen(repo.root, seed)
    day = 1
    for i in range(records):
        for _ in range(3):
            gen.change()
        try:
            _record(s, f"r{i}", f"random change {i}", day)
        except Exception as exc:       # nothing changed: fine, change more next time
            if type(exc).__name__ != "NothingToRecord":
                raise
        day += 1
        if i == records // 2 and repo.head():
            s.named["tag"] = ops.tag(repo, f"t{i}", AUTHOR, f"202401{day:02d}000000")
            day += 1
    try:
        ops.commute_last(repo)
    except Exception as exc:
        if type(exc).__name__ != "CommuteError":
            raise
    s.chain = [step.vid for step in repo.history.chain(repo.head())][::-1]
    return s


def clone_at(sample: Sample, vid: str, dest) -> Path:
    """A working tree at ``vid`` (what the mount's versions/<vid> must equal)."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    ops.clone(sample.repo, str(dest), vid)
    shutil.rmtree(dest / ".verfs")
    return dest


def copy_sample(template: Sample, dest) -> Sample:
    """A copy of a built sample (building one fsyncs a lot; copying does not)."""
    from dataclasses import replace
    shutil.copytree(template.root, dest, symlinks=True)
    return replace(template, repo=Repository(str(dest)), chain=list(template.chain),
                   named=dict(template.named), dates=dict(template.dates))


def add_dotverfs_version(repo: Repository) -> str:
    """A version as an import before the ``.verfs`` refusal could make one: its patch
    adds ``.verfs/head`` and ``src/.verfs/x`` beside an ordinary file; head moves to
    it.  (Made through the history directly: every importer refuses it now.)"""
    from verfs.patch.named import Patch, PatchInfo
    from verfs.patch.prims import AddDir, AddFile, Hunk
    prims = (AddDir(".verfs"), AddFile(".verfs/head"), Hunk(".verfs/head", 1, (), (b"x",)),
             AddDir("src/.verfs"), AddFile("src/.verfs/x"), AddFile("kept.txt"),
             Hunk("kept.txt", 1, (), (b"kept",)))
    head = repo.head()
    info = PatchInfo("old import with .verfs", AUTHOR, "20240301120000")
    vid = repo.history.add_version(head, Patch(info, prims))
    repo.set_head(vid, "test: a version holding .verfs")
    return vid
