"""``verfs mount --store URL``: a remote store mounted as a repository is — head,
history/, tags/ from the remote's head, every version fetched when looked at — that
follows a push made elsewhere, answers EIO (never wrong bytes) for a damaged remote
object or while the remote cannot be reached, and recovers when it is back."""

import errno
import os
import subprocess
from dataclasses import dataclass

import pytest

from store.place import encode
from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.fuse.mounting import version_at, wait_for
from tests.fuse.remotes import publish
from tests.mount.histories import AUTHOR, BINARY, clone_at, put
from verfs import ops
from verfs.trees import entry_at

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(180)]


@pytest.fixture
def remote(tmp_path):
    """A directory remote (file://), empty."""
    return f"file://{tmp_path / 'remote'}"


@dataclass
class Remote:
    write: str          # where a pusher writes
    read: str           # what is mounted: the same store


@pytest.fixture(params=["file", "s3", "http"])
def anywhere(request, tmp_path) -> Remote:
    """An empty remote of each kind: a directory, SeaweedFS, and a directory that
    nginx serves (written through file://, read over HTTP)."""
    if request.param == "file":
        url = f"file://{tmp_path / 'remote'}"
        return Remote(url, url)
    if request.param == "s3":
        url = request.getfixturevalue("s3_url")
        return Remote(url, url)
    root = request.getfixturevalue("http_root")
    return Remote(f"file://{root}", request.getfixturevalue("http_url"))


@pytest.fixture
def rmount(mount, tmp_path):
    """``rmount(URL, NAME, *options)``: ``mount --store URL`` with its own cache
    (``tmp_path/NAME``) and log."""
    def do(url: str, name: str, *more):
        return mount("--store", url, "--cache", tmp_path / name, "--log",
                     tmp_path / f"{name}.log", *more)
    return do


def _listing(path) -> list[str]:
    return sorted(os.listdir(path))


def _same_tree(a, b) -> bool:
    return subprocess.run(["diff", "-r", "--no-dereference", str(a), str(b)],
                          capture_output=True).returncode == 0


def test_a_remote_mount_shows_the_pushed_history(sample, mount, rmount, anywhere, tmp_path):
    head = publish(sample.repo, anywhere.write, tmp_path / "pusher")
    local = mount("--repo", sample.root)
    m = rmount(anywhere.read, "cache")
    assert version_at(m / "head") == head
    assert _same_tree(clone_at(sample, head, tmp_path / "co"), m / "head")
    assert _listing(m / "history") == _listing(local / "history")
    assert _listing(m / "tags") == ["v1.0"]
    for name in _listing(local / "history"):
        assert version_at(m / "history" / name) == version_at(local / "history" / name)
    tag = sample.named["tag"]
    assert _same_tree(clone_at(sample, tag, tmp_path / "tag"), m / "tags" / "v1.0")
    assert _same_tree(m / "versions" / tag[:6], local / "versions" / tag)
    assert (m / "info" / "head").read_bytes() == (local / "info" / "head").read_bytes()
    assert _listing(m / "versions") == _listing(local / "versions")
    assert os.statvfs(m.path).f_files == len(_listing(local / "versions"))


def test_a_push_made_elsewhere_shows_up(sample, rmount, anywhere, tmp_path):
    """``verfs push`` from a repository, while the remote is mounted: head, history/
    and what a process holds open follow, after a poll."""
    # its own cache: a default one is named by the URL, which a new session's server
    # reuses for another store
    pusher = verfs_env(XDG_CACHE_HOME=str(tmp_path / "pusher"))
    run_verfs("push", anywhere.write, "--repo", sample.root, env=pusher)
    m = rmount(anywhere.read, "cache", "--poll", "0.2")
    before = _listing(m / "history")
    src = os.open(m / "head" / "src", os.O_RDONLY | os.O_DIRECTORY)   # held across it
    try:
        assert (m / "head" / "README").read_bytes() == b"A sample project.\n"
        put(sample.root, "README", b"pushed from elsewhere\n")
        put(sample.root, "src/new.c", b"int new;\n")
        vid = ops.record(sample.repo, "elsewhere", AUTHOR, "20240201120000")
        run_verfs("push", anywhere.write, "--repo", sample.root, env=pusher)
        assert wait_for(lambda: version_at(m / "head") == vid, 30)
        assert wait_for(lambda: len(_listing(m / "history")) == len(before) + 1)
        newest = _listing(m / "history")[-1]
        assert newest.endswith("-elsewhere") and version_at(m / "history" / newest) == vid
        assert wait_for(lambda: (m / "head" / "README").read_bytes()
                        == b"pushed from elsewhere\n")
        assert wait_for(lambda: "new.c" in os.listdir(src))
    finally:
        os.close(src)
    assert "the remote's head is" in m.log.read_text()


def _blob_at(sample, vid, path) -> str:
    h = sample.repo.history
    return entry_at(h.states, h.root_tree(vid), path).oid


def test_a_corrupt_remote_object_is_eio_never_wrong_bytes(sample, rmount, anywhere, tmp_path):
    """The head's binary file is a blob of the history: published loose, with other
    bytes under its name, it reads as EIO, every time (so does the rest of every
    version whose tree needs it); a version before it reads right."""
    from store.remote.store import open_remote
    head = sample.repo.head()
    oid = _blob_at(sample, head, "logo.bin")
    publish(sample.repo, anywhere.write, tmp_path / "pusher", skip=frozenset({("blob", oid)}))
    pusher = open_remote(anywhere.write, cache_dir=str(tmp_path / "pusher"))
    pusher.transport.put(f"objects/blob/{oid}", encode("blob", b"not the logo\n" * 100))
    pusher.close()
    m = rmount(anywhere.read, "cache")
    for _ in range(2):          # a second read is no luckier (nothing wrong was kept)
        with pytest.raises(OSError) as exc:
            (m / "head" / "logo.bin").read_bytes()
        assert exc.value.errno == errno.EIO
    start = m / "versions" / sample.named["start"]
    assert (start / "logo.bin").read_bytes() == BINARY
    assert (start / "README").read_bytes() == b"A sample project.\n"
    assert f"corrupt blob {oid}" in m.log.read_text()


def test_an_unreachable_remote_is_eio_then_recovers(sample, rmount, remote, tmp_path):
    """The remote directory replaced by a file: every request fails (a RemoteError,
    as a refused connection or a timeout is) — EIO, said once in the log; back in
    place, the same reads succeed."""
    head = publish(sample.repo, remote, tmp_path / "pusher")
    m = rmount(remote, "cache", "--poll", "0.2")
    assert version_at(m / "head") == head   # its version and patch fetched, no more
    where = tmp_path / "remote"
    os.rename(where, tmp_path / "away")
    where.write_bytes(b"not a directory\n")
    try:
        for _ in range(3):
            with pytest.raises(OSError) as exc:
                (m / "head" / "src" / "main.c").read_bytes()
            assert exc.value.errno == errno.EIO
        log = m.log.read_text()
        assert log.count("the remote cannot be reached") == 1, log
    finally:
        where.unlink()
        os.rename(tmp_path / "away", where)
    assert wait_for(lambda: "the remote answers again" in m.log.read_text(), 30)
    assert (m / "head" / "src" / "main.c").read_bytes().startswith(b"int main(void)")


def test_the_cache_stays_within_its_size(sample, rmount, remote, tmp_path):
    """Walking every version's files through a small cache: every byte right, and the
    cache directory (its SQLite index aside) never above its bound afterwards."""
    publish(sample.repo, remote, tmp_path / "pusher")
    unbounded = rmount(remote, "big")
    for vid in sample.chain:
        assert _same_tree(unbounded / "versions" / vid, clone_at(sample, vid, tmp_path / "co"))
    full = _cache_bytes(tmp_path / "big")
    limit = full // 3
    m = rmount(remote, "small", "--cache-size", str(limit))
    for vid in sample.chain:
        assert _same_tree(m / "versions" / vid, clone_at(sample, vid, tmp_path / "co"))
    assert 0 < _cache_bytes(tmp_path / "small") <= limit


def _cache_bytes(top) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            if not name.startswith("index.sqlite"):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def test_mount_options_are_checked(sample, remote, tmp_path):
    mp = tmp_path / "mp"
    mp.mkdir()
    err = one_line_error(run_verfs("mount", "--store", remote, "--cache-size", "lots", mp,
                                   check=False), 2)
    assert "not a size" in err
    err = one_line_error(run_verfs("mount", "--repo", sample.root, "--poll", "1", mp,
                                   check=False), 2)
    assert "--store URL only" in err
    err = one_line_error(run_verfs("mount", "--store", remote, mp, check=False))
    assert "holds no verfs store" in err
    assert not os.listdir(mp)


def test_sizes_read_as_bytes():
    from verfs.cli.options import parse_size
    assert parse_size("1073741824") == 1 << 30
    assert parse_size("500M") == 500 << 20
    assert parse_size("2G") == parse_size("2GiB") == 2 << 30
    for bad in ("", "2X", "-1", "1.5G", "G"):
        with pytest.raises(ValueError):
            parse_size(bad)



def test_a_stopped_web_server_is_eio(sample, rmount, tmp_path):
    """A real refused connection: nginx stopped under a mount of it."""
    from tests.conftest import _server_or_skip
    from tests.servers import nginx
    served, workdir = tmp_path / "www", tmp_path / "nginx"
    served.mkdir()
    workdir.mkdir()
    head = publish(sample.repo, f"file://{served}", tmp_path / "pusher")
    with _server_or_skip(lambda: nginx(str(served), str(workdir))) as url:
        m = rmount(url, "cache")
        assert version_at(m / "head") == head
    with pytest.raises(OSError) as exc:
        (m / "head" / "src" / "main.c").read_bytes()
    assert exc.value.errno == errno.EIO
    assert "the remote cannot be reached" in m.log.read_text()
