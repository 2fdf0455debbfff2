"""Building darcs histories with the real ``darcs`` program, and asking it what each
state is: the reference the importer is checked against.

Every call runs with its own ``XDG_CACHE_HOME`` (so darcs never links into a global
cache) and a fixed author.  ``darcs_state`` is darcs's own view of the recorded tree
after a patch: ``darcs clone --to-match 'hash H'``, reverted (a clone that stops at an
unresolved conflict has markers in its working copy, which are not recorded).
"""

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from treestate import disk_state

AUTHOR = "Ada Darcs <ada@example.com>"


def darcs_env(cache: Path) -> dict:
    env = dict(os.environ)
    env.update({"XDG_CACHE_HOME": str(cache), "DARCS_EMAIL": AUTHOR, "LC_ALL": "C.UTF-8",
                "DARCS_DONT_ESCAPE_8BIT": "1", "HOME": str(cache)})
    return env


class Darcs:
    """The darcs program, run in a sandbox directory."""

    def __init__(self, sandbox: Path):
        self.cache = sandbox / "darcs-cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.env = darcs_env(self.cache)

    def __call__(self, *args, cwd, input: bytes | None = None, check: bool = True):
        proc = subprocess.run(["darcs", *map(str, args)], cwd=cwd, input=input,
                              capture_output=True, env=self.env, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"darcs {' '.join(map(str, args))} exited "
                                 f"{proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
        return proc

    def init(self, repo: Path, *flags) -> Path:
        self("init", "-q", *flags, repo, cwd=repo.parent)
        return repo

    def record(self, repo: Path, name: str, comment: str | None = None,
               author: str = AUTHOR) -> None:
        """Record every change (new files too) as one patch; a long ``comment`` goes
        through ``--logfile``, whose first line is the name."""
        args = ["record", "-q", "-a", "-l", "-A", author]
        if comment is None:
            args += ["-m", name]
        else:
            logfile = self.cache / "logfile"
            logfile.write_text(f"{name}\n{comment}", encoding="utf-8")
            args += ["--logfile", logfile]
        self(*args, cwd=repo)

    def log(self, repo: Path) -> list[dict]:
        """Every patch, oldest first: hash, name, author, date, comment (as darcs
        shows them with ``log --xml-output``)."""
        out = self("log", "--xml-output", "--reverse", cwd=repo).stdout
        patches = []
        for p in ET.fromstring(out).iter("patch"):
            comment = p.findtext("comment")
            patches.append({"hash": p.get("hash"), "name": p.findtext("name"),
                            "author": p.get("author"), "date": p.get("date"),
                            "inverted": p.get("inverted"), "comment": comment})
        return patches

    def state(self, repo: Path, patch_hash: str, where: Path) -> dict:
        """The recorded tree after ``patch_hash`` (and everything before it), as
        darcs itself builds it."""
        self("clone", "-q", "--to-match", f"hash {patch_hash}", repo, where, cwd=repo.parent)
        self("revert", "-q", "-a", cwd=where)
        return disk_state(where, skip=("_darcs",))

    def show_contents(self, repo: Path, patch_hash: str, path: str) -> bytes:
        return self("show", "contents", "--match", f"hash {patch_hash}", path,
                    cwd=repo).stdout
