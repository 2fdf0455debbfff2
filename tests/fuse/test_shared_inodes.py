"""What the mount shows of an entry is what the entry *is*: equal content in two
versions (or at two paths) has equal st_dev, st_ino, st_mode, st_nlink, st_size,
st_mtime and st_ctime; different content a different st_ino; directories count their
subdirectories; every version's root names its version in ``user.verfs.version``; and
mtimes are stamps (docs/FORMAT.md): a file shows the date of the patch that first
gave its content that form, a directory the date its content last took that form."""

import datetime
import os
import stat
import subprocess

import pytest

from tests.conftest import need

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(180)]

ATTRS = ("st_dev", "st_ino", "st_mode", "st_nlink", "st_size", "st_mtime_ns", "st_ctime_ns")


def entries(store, root: str, rel: bytes = b"") -> dict[bytes, tuple]:
    """Every entry below tree ``root`` by path: (kind, exec bit, object id)."""
    out = {}
    for e in store.get_tree(root).entries:
        path = os.path.join(rel, os.fsencode(e.name)) if rel else os.fsencode(e.name)
        out[path] = (e.kind, e.exec, e.oid)
        if e.kind == "dir":
            out |= entries(store, e.oid, path)
    return out


def attrs(path) -> tuple:
    st = os.lstat(path)
    return tuple(getattr(st, a) for a in ATTRS)


def ns(date: str) -> int:
    moment = datetime.datetime.strptime(date, "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)
    return int(moment.timestamp()) * 1_000_000_000


def creation_order(sample) -> list[str]:
    """The sample's versions as they were made (commute_last made the commuted head's
    parent, then the head)."""
    named = [sample.named[k] for k in ("start", "edit", "rename", "binary", "tag", "notes",
                                       "unlink")]
    commuted = sample.named["commuted"]
    parent = sample.repo.history.step(commuted).version.parent
    return named + [parent, commuted]


def in_mount(mounted, vid: str, path: bytes = b"") -> bytes:
    top = os.fsencode(str(mounted / "versions" / vid))
    return os.path.join(top, path) if path else top


def test_two_versions_share_what_did_not_change(sample, mounted):
    history = sample.repo.history
    a, b = sample.named["start"], sample.named["edit"]      # edit changes src/lib/util.c
    ea, eb = entries(history.states, history.root_tree(a)), entries(
        history.states, history.root_tree(b))
    assert set(ea) == set(eb)
    changed = {p for p in ea if ea[p] != eb[p]}
    assert changed == {b"src", b"src/lib", b"src/lib/util.c"}
    for path in ea:
        x, y = attrs(in_mount(mounted, a, path)), attrs(in_mount(mounted, b, path))
        if path in changed:
            assert x[1] != y[1], path
        else:
            assert x == y, path
    assert sorted(p for p in ea if ea[p][0] == "dir" and p not in changed) == [b"docs"]


def test_equal_content_is_one_inode_everywhere(sample, mounted):
    """Over every entry of every version: the same (kind, exec, object) at the same
    path ⇔ the same st_ino, and then the same attributes."""
    history = sample.repo.history
    by_what, by_ino = {}, {}
    for vid in sorted(sample.repo.store.iter_ids("version")):
        for path, what in entries(history.states, history.root_tree(vid)).items():
            got = attrs(in_mount(mounted, vid, path))
            assert by_what.setdefault((what, path), got) == got, (vid, path)
            assert by_ino.setdefault(got[1], (what, path)) == (what, path), (vid, path)
    assert len(by_what) == len(by_ino) > 20
    dev = {got[0] for got in by_what.values()}
    assert dev == {os.lstat(mounted.path).st_dev}


def test_kinds_links_and_sizes(sample, mounted):
    history = sample.repo.history
    for vid in sample.chain:
        top = in_mount(mounted, vid)
        for d, dirs, files in os.walk(top):
            st = os.lstat(d)
            subdirs = [n for n in dirs if stat.S_ISDIR(os.lstat(os.path.join(d, n)).st_mode)]
            if d != top:
                assert st.st_nlink == 2 + len(subdirs), d
            assert st.st_size > 0 and st.st_size % 4096 == 0, d
            assert st.st_blocks == st.st_size // 512, d
            for n in files + [n for n in dirs if n not in subdirs]:
                st = os.lstat(os.path.join(d, n))
                assert st.st_nlink == 1, (d, n)
                if stat.S_ISLNK(st.st_mode):
                    assert st.st_size == len(os.readlink(os.path.join(d, n)))
                else:
                    assert st.st_blocks == -(-st.st_size // 4096) * 8, (d, n)
        assert stat.S_IMODE(os.lstat(top).st_mode) == 0o555
        assert os.lstat(top).st_nlink in (1, 2 + sum(
            e.kind == "dir" for e in history.states.get_tree(history.root_tree(vid)).entries))


def test_every_version_root_names_its_version(sample, mounted):
    need("getfattr")
    history = sorted(os.listdir(mounted / "history"))
    roots = {mounted / "head": sample.repo.head(), mounted / "tags" / "v1.0": sample.named["tag"]}
    roots |= {mounted / "history" / h: v for h, v in zip(history, sample.chain, strict=True)}
    roots |= {mounted / "versions" / v: v for v in sample.repo.store.iter_ids("version")}
    for root, vid in roots.items():
        assert os.getxattr(root, "user.verfs.version") == vid.encode(), root
        assert "user.verfs.version" in os.listxattr(root), root
        r = subprocess.run(["getfattr", "--only-values", "-n", "user.verfs.version", root],
                           capture_output=True)
        assert (r.returncode, r.stdout) == (0, vid.encode()), (root, r.stderr)
        assert attrs(root) == attrs(mounted / "versions" / vid), root
        assert sorted(os.listdir(root)) == sorted(os.listdir(mounted / "versions" / vid))
    with pytest.raises(OSError):
        os.getxattr(mounted / "head" / "README", "user.verfs.version")
    head = sample.repo.head()
    assert (mounted / "info" / "head").read_text() == (mounted / "info" / head).read_text()


def test_mtimes_are_stamps(sample, mounted):
    """The model: walking the versions as they were made, an object takes the date
    of the first version whose tree holds it — the first patch that produced it.  A
    version's root shows its own patch's date (it is stat'ed from the version alone:
    docs/FORMAT.md).  The mount is asked newest first: what it shows must not depend
    on what it was asked first."""
    history = sample.repo.history
    order = creation_order(sample)
    stamp = {}
    for vid in order:
        for what in entries(history.states, history.root_tree(vid)).values():
            stamp.setdefault(what[2], ns(sample.dates[vid]))
    for vid in reversed(order):
        for path, what in entries(history.states, history.root_tree(vid)).items():
            st = os.lstat(in_mount(mounted, vid, path))
            assert (st.st_mtime_ns, st.st_ctime_ns) == (stamp[what[2]],) * 2, (vid, path)
        root = os.lstat(in_mount(mounted, vid))
        assert root.st_mtime_ns == ns(sample.dates[vid])
    # The same, said of a few entries.
    day = {d: ns(f"202401{d:02d}120000") for d in range(1, 8)}

    def mtime(label: str, path: str) -> int:
        return os.lstat(in_mount(mounted, sample.named[label], path.encode())).st_mtime_ns
    assert {mtime(v, "README") for v in ("start", "edit", "notes", "commuted")} == {day[1]}
    assert (mtime("start", "src/lib/util.c"), mtime("edit", "src/lib/util.c"),
            mtime("notes", "src/lib/util.c")) == (day[1], day[2], day[2])
    assert (mtime("start", "src/lib"), mtime("edit", "src/lib"), mtime("edit", "src"),
            mtime("edit", "docs")) == (day[1], day[2], day[2], day[1])
    assert (mtime("rename", "docs/manual.txt"), mtime("rename", "docs")) == (day[1], day[3])
    assert mtime("tag", "logo.bin") == mtime("binary", "logo.bin") == day[4]
    assert mtime("unlink", "src/main.c") == day[1]       # made executable: same blob
    assert mtime("unlink", "src") == day[7]
    # First writer wins: the commuted head's src/ took that form when the unlink
    # patch was first recorded (day 7); its notes/ on day 6.
    assert (mtime("commuted", "src"), mtime("commuted", "notes")) == (day[7], day[6])
