"""Random changes to a working directory, from a seed: what a user does between
records.  Names with spaces and non-ASCII, empty files, files without a final
newline, binary files, exec bits, symlinks, nested directories, moves of files and
of whole directories."""

import os
import random
import shutil

NAMES = ["a.txt", "b", "notes.md", "with space.txt", "naïve café", "tab\there", "x",
         "ünï", "[x]", "back\\slash", "dir one", "sub", "deep", "new file", "z.bin"]
WORDS = [b"alpha", b"beta", b"gamma", b"", b"delta", b"  indented", b"crlf\r", b"\xc3\xa9t\xc3\xa9"]


class WorkGen:
    def __init__(self, top, seed: int):
        self.top = str(top)
        self.rng = random.Random(seed)

    # --- looking ------------------------------------------------------------------------
    def _all(self):
        files, dirs = [], [""]
        for d, subdirs, names in os.walk(self.top):
            rel = os.path.relpath(d, self.top)
            rel = "" if rel == "." else rel
            if rel.split(os.sep)[0] == ".verfs":
                continue
            for s in list(subdirs):
                p = os.path.join(rel, s)
                if p == ".verfs":
                    continue
                if os.path.islink(os.path.join(self.top, p)):
                    files.append(p)
                else:
                    dirs.append(p)
            files += [os.path.join(rel, n) for n in names]
        return sorted(files), sorted(dirs)

    def _abs(self, rel: str) -> str:
        return os.path.join(self.top, rel)

    def _text(self) -> bytes:
        lines = [self.rng.choice(WORDS) for _ in range(self.rng.randint(0, 6))]
        data = b"\n".join(lines)
        if lines and self.rng.random() < 0.7:
            data += b"\n"
        return data

    def _free_name(self, d: str) -> str | None:
        for _ in range(10):
            p = os.path.join(d, self.rng.choice(NAMES))
            if not os.path.lexists(self._abs(p)):
                return p
        return None

    # --- changing -----------------------------------------------------------------------
    def change(self) -> str:
        files, dirs = self._all()
        regular = [f for f in files if not os.path.islink(self._abs(f))]
        ops = ["add", "add", "mkdir"]
        if regular:
            ops += ["edit", "edit", "edit", "rm", "mv", "binary", "chmod", "empty"]
        if files:
            ops += ["link"] if self.rng.random() < 0.3 else []
        if len(dirs) > 1:
            ops += ["mvdir", "rmdir"]
        op = self.rng.choice(ops)
        getattr(self, "_" + op)(files, regular, dirs)
        return op

    def _add(self, files, regular, dirs):
        p = self._free_name(self.rng.choice(dirs))
        if p:
            with open(self._abs(p), "wb") as f:
                f.write(self._text() if self.rng.random() < 0.85 else b"")

    def _mkdir(self, files, regular, dirs):
        p = self._free_name(self.rng.choice(dirs))
        if p:
            os.mkdir(self._abs(p))
            if self.rng.random() < 0.6:
                with open(os.path.join(self._abs(p), "inner.txt"), "wb") as f:
                    f.write(self._text())

    def _edit(self, files, regular, dirs):
        p = self._abs(self.rng.choice(regular))
        with open(p, "rb") as f:
            lines = f.read().split(b"\n")
        for _ in range(self.rng.randint(1, 3)):
            i = self.rng.randint(0, len(lines))
            what = self.rng.random()
            if what < 0.4:
                lines.insert(i, self.rng.choice(WORDS))
            elif what < 0.7 and i < len(lines):
                del lines[i]
            elif i < len(lines):
                lines[i] = self.rng.choice(WORDS)
        with open(p, "wb") as f:
            f.write(b"\n".join(lines))

    def _empty(self, files, regular, dirs):
        with open(self._abs(self.rng.choice(regular)), "wb"):
            pass

    def _binary(self, files, regular, dirs):
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 64))) + b"\0"
        with open(self._abs(self.rng.choice(regular)), "wb") as f:
            f.write(data)

    def _chmod(self, files, regular, dirs):
        p = self._abs(self.rng.choice(regular))
        os.chmod(p, os.stat(p).st_mode ^ 0o100)

    def _rm(self, files, regular, dirs):
        os.unlink(self._abs(self.rng.choice(files)))

    def _mv(self, files, regular, dirs):
        src = self.rng.choice(files)
        dst = self._free_name(self.rng.choice(dirs))
        if dst and not (dst + "/").startswith(src + "/"):
            os.rename(self._abs(src), self._abs(dst))

    def _link(self, files, regular, dirs):
        p = self._free_name(self.rng.choice(dirs))
        if p:
            os.symlink(self.rng.choice(files + ["nowhere"]), self._abs(p))

    def _mvdir(self, files, regular, dirs):
        src = self.rng.choice(dirs[1:])
        dst = self._free_name(self.rng.choice(dirs))
        if dst and not (dst + "/").startswith(src + "/"):
            os.rename(self._abs(src), self._abs(dst))

    def _rmdir(self, files, regular, dirs):
        shutil.rmtree(self._abs(self.rng.choice(dirs[1:])))
