"""Recursive tools on the mount's named versions — ``head``, ``history/NNNN-*``,
``tags/NAME`` — give what they give on checkouts of those versions on disk.

The checkouts (``verfs clone --version``, without their ``.verfs``) are laid out on
disk as the mount lays out its names, so each tool runs with the same relative
arguments in the mount and on disk, and the outputs are compared as they are: only
lines whose order follows ``readdir`` are sorted, and only what cannot be equal is
left out (permissions: the mount is read-only; times: a checkout's are when it was
made; a top-level directory's own size).
"""

import itertools
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_verfs
from tests.fuse.test_shared_inodes import entries
from tests.mount.histories import AUTHOR, Sample, copy_sample, put
from tests.treestate import disk_state
from verfs import ops

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(300)]
ENV = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}


def sh(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    args = [a if isinstance(a, bytes) else str(a) for a in args]
    return subprocess.run(args, capture_output=True, env=env or ENV, cwd=cwd, timeout=120)


def extend(s: Sample) -> None:
    """On top of the sample: an empty file, an empty directory, two equal
    directories (equal content has one inode number in the mount), a link to a
    directory; then a tag, so head is a tag and tags/ has two names."""
    w = s.repo.root
    put(w, "empty.txt", b"")
    put(w, "pkg/one/__init__.py", b"")
    put(w, "pkg/two/__init__.py", b"")
    os.makedirs(os.path.join(w, "emptydir"))
    os.symlink("src", os.path.join(w, "src-link"))
    s.named["tools"] = ops.record(s.repo, "odd entries for the tools", AUTHOR,
                                  "20240108120000")
    s.named["tag2"] = ops.tag(s.repo, "v2.0", AUTHOR, "20240109120000")
    s.chain = [step.vid for step in s.repo.history.chain(s.repo.head())][::-1]


@dataclass
class Layout:
    """The repository, a checkout of every version on head's chain, and — once a
    mount has told the history's names — ``disk``: those checkouts under the names
    the mount gives them."""

    sample: Sample
    top: Path
    clones: dict[str, Path]
    tags: dict[str, str]
    disk: Path | None = None
    names: dict[str, str] = field(default_factory=dict)     # root name → version

    def mirror(self, mnt: Path) -> Path:
        if self.disk is None:
            history = sorted(os.listdir(mnt / "history"))
            assert len(history) == len(self.sample.chain), history
            head = self.sample.repo.head()
            names = {"head": head, f"versions/{head}": head}
            names |= {f"history/{h}": v for h, v in zip(history, self.sample.chain, strict=True)}
            names |= {f"tags/{t}": v for t, v in self.tags.items()}
            disk = self.top / "disk"
            for name, vid in names.items():
                shutil.copytree(self.clones[vid], disk / name, symlinks=True)
            self.disk, self.names = disk, names
        assert sorted(os.listdir(mnt / "history")) == sorted(os.listdir(self.disk / "history"))
        assert sorted(os.listdir(mnt / "tags")) == sorted(os.listdir(self.disk / "tags"))
        return self.disk

    @property
    def roots(self) -> list[str]:
        return list(self.names)

    @property
    def history(self) -> list[str]:
        return [n for n in self.names if n.startswith("history/")]


@pytest.fixture(scope="module")
def layout(sample_template, tmp_path_factory) -> Layout:
    top = tmp_path_factory.mktemp("tools")
    s = copy_sample(sample_template, top / "repo")
    extend(s)
    clones = {}
    for i, vid in enumerate(s.chain):
        dest = top / "clones" / f"{i:02d}"
        run_verfs("clone", "--version", vid, s.root, dest)
        shutil.rmtree(dest / ".verfs")
        clones[vid] = dest
    tags = {"v1.0": s.named["tag"], "v2.0": s.named["tag2"]}
    return Layout(s, top, clones, tags)


@pytest.fixture
def tools(layout, mount):
    """(layout, mount point, disk mirror): the repository mounted for one test."""
    m = mount("--repo", layout.sample.root)
    return layout, m.path, layout.mirror(m.path)


def lines(out: bytes) -> list[bytes]:
    return sorted(out.splitlines())


def compare(commands, mnt: Path, disk: Path, norm=lines, env=None) -> list[str]:
    """Each command run in the mount and on disk: the differences, described."""
    bad = []
    for args in commands:
        a, b = sh(*args, cwd=mnt, env=env), sh(*args, cwd=disk, env=env)
        got = (a.returncode, norm(a.stdout), a.stderr)
        want = (b.returncode, norm(b.stdout), b.stderr)
        if got != want:
            bad.append(f"{' '.join(map(str, args))}:\n  mount {got!r:.1500}\n"
                       f"  disk  {want!r:.1500}")
    return bad


def same_tree(copy: Path, checkout: Path) -> list[str]:
    """How a copy made from the mount differs from the checkout it should equal:
    content, kinds, exec bits, link targets, link counts and sizes as the disk
    shows them (both are on it), and what ``diff -r`` says."""
    if not os.path.isdir(copy) or os.path.islink(copy):
        return [f"{copy}: no directory" + (f" (a link to {os.readlink(copy)})"
                                            if os.path.islink(copy) else "")]
    bad = []
    if disk_state(copy) != disk_state(checkout):
        a, b = disk_state(copy), disk_state(checkout)
        bad.append(f"{copy}: {sorted(set(a.items()) ^ set(b.items()))!r:.1500}")
    listing = ("find", ".", "-printf", "%y %n %s %p -> %l\n")
    if lines(sh(*listing, cwd=copy).stdout) != lines(sh(*listing, cwd=checkout).stdout):
        bad.append(f"{copy}: find -printf differs")
    r = sh("diff", "-r", "--no-dereference", copy, checkout)
    if (r.returncode, r.stdout, r.stderr) != (0, b"", b""):
        bad.append(f"{copy}: diff -r: {r.stdout[:500]!r} {r.stderr[:500]!r}")
    return bad


def test_the_layout_on_disk_is_what_the_mount_names(tools):
    layout, mnt, disk = tools
    assert len(layout.history) == 9 and sorted(os.listdir(mnt / "tags")) == ["v1.0", "v2.0"]
    for name, vid in layout.names.items():
        assert disk_state(mnt / "versions" / vid) == disk_state(disk / name), name


def test_grep_r(tools):
    layout, mnt, disk = tools
    commands = []
    for root in layout.roots + ["history", "tags"]:
        commands += [("grep", "-r", "line", root), ("grep", "-rc", "", root),
                     ("grep", "-rl", "util", root), ("grep", "-R", "util", root)]
    assert compare(commands, mnt, disk) == []


def test_find(tools):
    layout, mnt, disk = tools
    commands = []
    for root in layout.roots:
        commands += [("find", root, "-printf", "%y %p -> %l\n"),
                     ("find", root, "-mindepth", "1", "-printf", "%n %p\n"),
                     ("find", root, "!", "-type", "d", "-printf", "%y %s %p\n"),
                     ("find", root, "-type", "f", "-perm", "-u+x"),
                     ("find", root, "-empty"), ("find", root, "-name", "*.c"),
                     ("find", root, "-type", "l"),
                     ("find", root, "-mindepth", "1", "-links", "+2")]
    for top in ("history", "tags"):
        commands += [("find", top, "-mindepth", "1", "-printf", "%y %p -> %l\n"),
                     ("find", top, "-mindepth", "2", "-printf", "%n %p\n"),
                     ("find", top, "-name", "*.h")]
    assert compare(commands, mnt, disk) == []


def ext4_like(top: Path) -> bool:
    sizes = [st.st_size for d, dirs, _ in os.walk(top) for n in dirs
             if stat.S_ISDIR((st := os.lstat(os.path.join(d, n))).st_mode)]
    return all(size % 4096 == 0 for size in sizes)


def without(top: str):
    """du's lines, less the one of ``top`` itself (a top-level directory's own size
    is the mount's, not a version's)."""
    return lambda out: [line for line in lines(out) if line.split(b"\t", 1)[1] != top.encode()]


def test_du_apparent_sizes_of_each_version(tools):
    layout, mnt, disk = tools
    if not ext4_like(disk):
        pytest.skip("the disk here does not size directories as ext4 does")
    commands = []
    for root in layout.roots:
        commands += [("du", "-ab", root), ("du", "-sb", root)]
    bad = compare(commands, mnt, disk)
    for top in ("history", "tags"):
        bad += compare([("du", "-ab", top)], mnt, disk, norm=without(top))
    assert bad == []


def test_du_of_several_versions_counts_what_they_share_once(tools):
    """du given several arguments counts each (device, inode) once, as it does hard
    links: an entry equal to one counted before at the same path in an earlier
    argument adds nothing; each version's root is its own.  (One argument at a time, du
    counts as on a checkout: above.)"""
    layout, mnt, disk = tools
    if not ext4_like(disk):
        pytest.skip("the disk here does not size directories as ext4 does")
    history, repo = layout.history, layout.sample.repo
    args = ["head", *history[:3], "tags/v1.0"]
    seen, expected = set(), []
    for arg in args:
        total = os.lstat(disk / arg).st_size
        for path, what in entries(repo.history.states, repo.history.root_tree(
                layout.names[arg])).items():
            if (what, path) not in seen:
                seen.add((what, path))
                total += os.lstat(os.path.join(os.fsencode(disk / arg), path)).st_size
        expected.append(f"{total}\t{arg}".encode())
    r = sh("du", "-sb", *args, cwd=mnt)
    whole = [int(sh("du", "-sb", arg, cwd=disk).stdout.split(b"\t")[0]) for arg in args]
    assert (r.returncode, r.stdout.splitlines(), r.stderr) == (0, expected, b"")
    counted = [int(line.split(b"\t")[0]) for line in r.stdout.splitlines()]
    assert counted[0] == whole[0]                                   # the first in full
    assert all(c < w for c, w in zip(counted[1:], whole[1:], strict=True))


def test_cp_a(tools, tmp_path):
    layout, mnt, disk = tools
    bad = []
    for i, root in enumerate(layout.roots):
        r = sh("cp", "-a", mnt / root, tmp_path / f"c{i}")
        assert (r.returncode, r.stderr) == (0, b""), root
        bad += same_tree(tmp_path / f"c{i}", disk / root)
    (tmp_path / "all").mkdir()
    r = sh("cp", "-a", mnt / "history", mnt / "tags", tmp_path / "all")
    assert (r.returncode, r.stderr) == (0, b"")
    for top in ("history", "tags"):
        bad += same_tree(tmp_path / "all" / top, disk / top)
    assert sh("find", tmp_path, "-type", "f", "-links", "+1").stdout == b""
    assert bad == []


def test_cp_a_of_several_versions_at_once(tools, tmp_path):
    """``cp -a history/* DEST``: versions with equal trees are no hard-linked
    directories to cp."""
    layout, mnt, disk = tools
    dest = tmp_path / "several"
    dest.mkdir()
    r = sh("cp", "-a", *(mnt / h for h in layout.history), dest)
    assert (r.returncode, r.stderr) == (0, b"")
    bad = []
    for h in layout.history:
        bad += same_tree(dest / os.path.basename(h), disk / h)
    assert bad == []


def test_cp_a_of_two_equal_directories_at_once(tools, tmp_path):
    """``cp -a pkg/one pkg/two DEST`` where the two are equal: cp remembers the inode
    of every directory given and refuses a second one with the same ("will not create
    hard link ... to directory"); from checkouts both are copied."""
    layout, mnt, disk = tools
    made = {}
    for where, top in (("mount", mnt), ("disk", disk)):
        dest = tmp_path / where
        dest.mkdir()
        r = sh("cp", "-a", top / "head/pkg/one", top / "head/pkg/two", dest)
        made[where] = (r.returncode, r.stderr.replace(os.fsencode(dest), b"DEST"),
                       sorted(os.listdir(dest)))
    assert made["mount"] == made["disk"] == (0, b"", ["one", "two"])


def test_tar(tools, tmp_path):
    layout, mnt, disk = tools
    bad = []
    for i, args in enumerate([root] for root in layout.roots):
        made = {}
        for where, cwd in (("mount", mnt), ("disk", disk)):
            archive = tmp_path / f"{where}{i}.tar"
            r = sh("tar", "--sort=name", "-cf", archive, *args, cwd=cwd)
            assert (r.returncode, r.stderr) == (0, b""), (where, args)
            made[where] = archive
        names = {w: sh("tar", "-tf", a).stdout for w, a in made.items()}
        if names["mount"] != names["disk"]:
            bad.append(f"tar -tf of {args}: {names['mount'][:800]!r} != "
                       f"{names['disk'][:800]!r}")
        verbose = sh("tar", "-tvf", made["mount"]).stdout.splitlines()
        assert [v for v in verbose if v.startswith(b"h") or b" link to " in v] == []
        out = tmp_path / f"x{i}"
        out.mkdir()
        r = sh("tar", "-xf", made["mount"], "-C", out)
        assert (r.returncode, r.stderr) == (0, b""), args
        for root in args:
            bad += same_tree(out / root, disk / root)
    assert bad == []


def test_rsync_a(tools, tmp_path):
    layout, mnt, disk = tools
    bad = []
    for i, root in enumerate(layout.roots):
        r = sh("rsync", "-a", f"{root}/", tmp_path / f"r{i}", cwd=mnt)
        assert (r.returncode, r.stderr) == (0, b""), root
        bad += same_tree(tmp_path / f"r{i}", disk / root)
        # Nothing differs between the mount and the checkout (contents by checksum,
        # kinds, link targets), in either direction.
        for src, dst in ((mnt / root, disk / root), (disk / root, mnt / root)):
            r = sh("rsync", "-rlcni", "--delete", f"{src}/", f"{dst}/")
            if (r.returncode, r.stdout, r.stderr) != (0, b"", b""):
                bad.append(f"rsync -rlcni {src}/ {dst}/: {r.stdout[:500]!r} {r.stderr[:500]!r}")
    r = sh("rsync", "-a", "head", "history", "tags", tmp_path / "all", cwd=mnt)
    assert (r.returncode, r.stderr) == (0, b"")
    for top in ("head", "history", "tags"):
        bad += same_tree(tmp_path / "all" / top, disk / top)
    assert bad == []


def test_git_diff_no_index(tools, tmp_path):
    layout, mnt, disk = tools
    history = layout.history
    pairs = list(itertools.pairwise(history)) + [
        (history[0], "head"), ("tags/v1.0", "head"), ("tags/v1.0", "tags/v2.0"),
        (f"versions/{layout.sample.repo.head()}", "head")]
    git = ("git", "-c", "core.quotepath=on", "diff", "--no-index", "--no-color")
    commands = []
    for a, b in pairs:
        commands += [(*git, a, b), (*git, "--name-status", a, b), (*git, "--stat=200", a, b)]
    env = {**ENV, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull}
    assert compare(commands, mnt, disk, norm=lambda out: out, env=env) == []


def _inside(name: bytes) -> bytes:
    """A path of the mount without its version's root (head, history/X, tags/X)."""
    parts = name.split(b"/")
    return b"/".join(parts[1:] if parts[0] == b"head" else parts[2:])


def test_tar_of_several_versions_at_once(tools, tmp_path):
    """GNU tar given several arguments takes any two names of one inode for a hard
    link, whatever the link count.  Files of one version equal in content must not
    come out as hard links, as they do not from checkouts; files several versions
    share at one path may (docs/FORMAT.md), and everything extracts as on disk."""
    layout, mnt, disk = tools
    bad = []
    for i, (sub, args) in enumerate([("", ["head", "history", "tags"]),
                                     ("head", ["empty.txt", "pkg"])]):
        archive = tmp_path / f"several{i}.tar"
        r = sh("tar", "--sort=name", "-cf", archive, *args, cwd=mnt / sub)
        assert (r.returncode, r.stderr) == (0, b""), args
        for line in sh("tar", "-tvf", archive).stdout.splitlines():
            if b" link to " in line:
                name, target = line.split(b" ", 5)[-1].split(b" link to ")
                if sub or _inside(name) != _inside(target):
                    bad.append((sub, line))
        out = tmp_path / f"x{i}"
        out.mkdir()
        assert sh("tar", "-xf", archive, cwd=out).returncode == 0
        for arg in args:
            r = sh("diff", "-r", "--no-dereference", out / arg, disk / sub / arg)
            if r.returncode != 0:
                bad.append((sub, arg, r.stdout[:500]))
    assert bad == []

