"""The daemon's life: it returns once the mount answers, follows the repository as it
records, unmounts cleanly on umount, SIGTERM, SIGINT (and even SIGKILL), logs to the
store, and fails in one line when it cannot mount."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from store.diskcache import DiskCache
from tests.conftest import run_verfs, verfs_env
from tests.fuse.mounting import alive, force_unmount, is_mounted, version_at, wait_for
from tests.mount.histories import AUTHOR, BINARY, put
from verfs import ops

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


def test_mount_returns_once_the_mount_answers(sample, mounted):
    assert is_mounted(mounted.path)
    assert sorted(os.listdir(mounted.path)) == ["branches", "files", "head", "history",
                                                 "info", "tags", "versions"]
    assert alive(mounted.pid)


def test_umount(sample, mount):
    m = mount("--repo", sample.root)
    run_verfs("umount", m.path)
    assert not is_mounted(m.path) and os.listdir(m.path) == []
    assert wait_for(lambda: not alive(m.pid))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_signal_leaves_no_mount_behind(sample, mount, sig):
    m = mount("--repo", sample.root)
    os.kill(m.pid, sig)
    assert wait_for(lambda: not alive(m.pid))
    assert wait_for(lambda: not is_mounted(m.path))
    assert os.listdir(m.path) == []          # no "Transport endpoint is not connected"
    if sig != signal.SIGKILL:
        assert "unmounted" in m.log.read_text()


def test_recording_while_mounted_shows_up(sample, mounted):
    before = set(os.listdir(mounted / "versions"))
    history = sorted(os.listdir(mounted / "history"))
    coming = mounted / "history" / f"{len(history) + 1:04d}-fresh-file"
    assert not coming.exists()              # the kernel must not remember this miss
    readme = (mounted / "head" / "README").read_bytes()     # cached by the kernel now
    listed = sorted(os.listdir(mounted / "head"))
    put(sample.root, "fresh.txt", b"fresh\n")
    put(sample.root, "README", readme + b"more\n")
    vid = run_verfs("record", "-m", "fresh file", "--repo", sample.root).stdout.decode().strip()
    assert vid not in before and wait_for(lambda: vid in os.listdir(mounted / "versions"))
    assert wait_for(lambda: version_at(mounted / "head") == vid)
    assert wait_for(lambda: (mounted / "head" / "README").read_bytes() == readme + b"more\n")
    assert (mounted / "head" / "fresh.txt").read_bytes() == b"fresh\n"
    assert wait_for(lambda: sorted(os.listdir(mounted / "head")) == sorted(listed + ["fresh.txt"]))
    now = sorted(os.listdir(mounted / "history"))
    assert now[:-1] == history and now[-1] == coming.name and coming.exists()
    assert version_at(mounted / "history" / now[-1]) == vid
    run_verfs("tag", "v2", "--repo", sample.root)
    assert wait_for(lambda: sorted(os.listdir(mounted / "tags")) == ["v1.0", "v2"])
    run_verfs("unrecord", "-n", "2", "--repo", sample.root)
    assert wait_for(lambda: version_at(mounted / "head") == sample.chain[-1])
    assert wait_for(lambda: (mounted / "head" / "README").read_bytes() == readme)
    assert wait_for(lambda: not (mounted / "head" / "fresh.txt").exists())
    assert wait_for(lambda: sorted(os.listdir(mounted / "history")) == history)
    assert wait_for(lambda: not (mounted / "tags" / "v2").exists())   # (listed: known)
    assert vid in os.listdir(mounted / "versions")           # versions are never deleted


def test_mounting_reconstructs_nothing_until_looked_at(sample, mount):
    cache = sample.root / ".verfs/store/cache"
    import shutil
    shutil.rmtree(cache)
    m = mount("--repo", sample.root)
    os.listdir(m / "versions")
    os.listdir(m / "history")
    for vid in os.listdir(m / "versions"):
        os.stat(m / "versions" / vid)
    assert not cache.exists()
    vid = sample.named["edit"]
    assert (m / "versions" / vid / "README").read_bytes() == b"A sample project.\n"
    assert DiskCache(str(sample.root / ".verfs/store")).get("roots", vid) is not None


def test_a_corrupt_blob_is_eio_never_wrong_bytes(sample, mount):
    """A blob of the history corrupt in every copy (a derived copy alone would be
    rebuilt: tests/fuse/test_derived_heal.py)."""
    vid = sample.named["start"]
    h = sample.repo.history
    oid = h.states.get_tree(h.root_tree(vid)).get("logo.bin").oid
    for store in (sample.repo.store, sample.repo.store.derived):
        with open(store.where("blob", oid), "wb") as f:
            f.write(b"r" + BINARY[:-1] + b"?")
    m = mount("--repo", sample.root)
    with pytest.raises(OSError) as info:
        (m / "versions" / vid / "logo.bin").read_bytes()
    assert info.value.errno == 5                           # EIO
    assert f"corrupt blob {oid}" in m.log.read_text()


def test_a_bare_store(sample, mount):
    m = mount("--store", sample.root / ".verfs/store")
    assert sorted(os.listdir(m.path)) == ["info", "versions"]
    vid = sample.named["rename"]
    assert (m / "versions" / vid / "docs/manual.txt").exists()


def test_the_log_goes_where_asked(sample, mount, tmp_path):
    log = tmp_path / "logs" / "m.log"
    m = mount("--repo", sample.root, "--log", log)
    assert m.log == log and "mounted" in log.read_text()
    default = sample.root / ".verfs/store/logs/mount.log"
    assert not default.exists()


def test_the_other_binding_works_too(sample, mount):
    other = "fusepy" if os.environ.get("VERFS_FUSE", "mfusepy") == "mfusepy" else "mfusepy"
    m = mount("--repo", sample.root, env=verfs_env(VERFS_FUSE=other))
    vid = sample.named["start"]
    r = subprocess.run(["diff", "-r", m / "versions" / vid, m / "versions" / vid[:4]])
    assert r.returncode == 0
    assert (m / "versions" / vid / "latin1-\udce9.txt").read_bytes() == b"odd name\n"
    assert other in m.log.read_text()


def test_foreground_until_interrupted(sample, tmp_path):
    from tests.conftest import need
    need(fuse=True)
    mp = tmp_path / "fg"
    mp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "verfs", "mount", "-f", "--repo",
                             sample.root, mp], env=verfs_env(), stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: is_mounted(mp), 30)
        assert "head" in os.listdir(mp)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        err = proc.stderr.read().decode()
        assert "Traceback" not in err and "serving" in err
        assert not is_mounted(mp) and os.listdir(mp) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        force_unmount(mp, None)


# --- failures, each one line --------------------------------------------------------------
def one_line_error(proc) -> str:
    assert proc.returncode != 0
    err = proc.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and err.startswith("verfs: "), err
    return err


def test_mount_point_missing(sample, tmp_path):
    err = one_line_error(run_verfs("mount", "--repo", sample.root, tmp_path / "nope",
                                   check=False))
    assert "does not exist" in err


def test_mount_point_not_a_directory(sample, tmp_path):
    (tmp_path / "file").write_text("x")
    err = one_line_error(run_verfs("mount", "--repo", sample.root, tmp_path / "file",
                                   check=False))
    assert "not a directory" in err


def test_mount_point_not_empty(sample, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    err = one_line_error(run_verfs("mount", "--repo", sample.root, tmp_path / "full",
                                   check=False))
    assert "not empty" in err


def test_already_mounted(sample, mounted):
    err = one_line_error(run_verfs("mount", "--repo", sample.root, mounted.path, check=False))
    assert "already mounted" in err


def test_not_a_repository(tmp_path):
    (tmp_path / "mp").mkdir()
    (tmp_path / "plain").mkdir()
    err = one_line_error(run_verfs("mount", tmp_path / "mp", cwd=tmp_path / "plain",
                                   check=False))
    assert "not in a verfs repository" in err
    err = one_line_error(run_verfs("mount", "--store", tmp_path / "plain", tmp_path / "mp",
                                   check=False))
    assert "not a verfs store" in err


def test_fuse_not_available_names_the_package(sample, tmp_path):
    (tmp_path / "mp").mkdir()
    for binding in ("mfusepy", "fusepy"):
        env = verfs_env(FUSE_LIBRARY_PATH="/nonexistent/libfuse.so.2", VERFS_FUSE=binding)
        err = one_line_error(run_verfs("mount", "--repo", sample.root, tmp_path / "mp",
                                       env=env, check=False))
        assert "FUSE is not available" in err and "libfuse2" in err
    assert not is_mounted(tmp_path / "mp")


def test_mount_point_inside_the_working_tree(sample):
    (sample.root / "m").mkdir()
    err = one_line_error(run_verfs("mount", "m", cwd=sample.root, check=False))
    assert "inside the repository's working tree" in err


def test_umount_of_something_not_mounted(tmp_path):
    err = one_line_error(run_verfs("umount", tmp_path, check=False))
    assert "not mounted" in err


def test_recording_is_not_disturbed_by_the_mount(sample, mounted):
    put(sample.root, "more.txt", b"more\n")
    vid = ops.record(sample.repo, "more", AUTHOR, "20240201000000")
    assert (mounted / "versions" / vid / "more.txt").read_bytes() == b"more\n"


def test_gc_under_a_running_mount(sample, mount, tmp_path):
    """``verfs gc`` packs the objects a running daemon reads, removing their files: what
    the daemon had not looked at yet it then finds in the packs, and every version
    still equals a clone of it, by ``diff -r``."""
    from tests.mount.histories import clone_at
    refs = {vid: clone_at(sample, vid, tmp_path / "ref" / vid) for vid in sample.chain}
    shutil.rmtree(sample.root / ".verfs/store/cache")       # so the daemon must replay
    m = mount("--repo", sample.root)
    head = sample.chain[-1]
    assert subprocess.run(["diff", "-r", refs[head], m / "versions" / head]).returncode == 0
    run_verfs("gc", "--repo", sample.root)
    store = sample.root / ".verfs/store"
    assert [p for p in (store / "versions").rglob("*") if p.is_file()] == []
    for vid in sample.chain:
        assert subprocess.run(["diff", "-r", refs[vid], m / "versions" / vid]).returncode == 0
    put(sample.root, "after-gc.txt", b"after\n")
    vid = run_verfs("record", "-m", "after gc", "--repo", sample.root).stdout.decode().strip()
    assert (m / "versions" / vid / "after-gc.txt").read_bytes() == b"after\n"
    run_verfs("gc", "--repo", sample.root)          # packs replaced by a pack, mounted
    assert (m / "versions" / sample.chain[0] / "README").read_bytes() == b"A sample project.\n"
    assert " ERROR " not in m.log.read_text()
