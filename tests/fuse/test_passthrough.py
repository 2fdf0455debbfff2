"""``verfs mount --passthrough``: large files are read by the kernel from the store's
plain blob files, small ones as before; the daemon's debug log shows which reads
still reach it."""

import os
import random
import subprocess

import pytest

from store.disk import PLAIN, RAW_ABOVE
from tests.conftest import REQUIRE_REAL, run_verfs, verfs_env
from verfs.mount import binding

pytestmark = pytest.mark.timeout(120)

BIG = "assets/big.bin"


def need_passthrough() -> None:
    why = None
    if os.geteuid() != 0:
        why = "needs root"
    elif binding.bundled_libfuse3() is None:
        why = "needs the libfuse 3 scripts/bootstrap builds"
    elif tuple(int(n) for n in os.uname().release.split(".")[:2]) < (6, 9):
        why = "needs Linux 6.9"
    if why:
        if REQUIRE_REAL:
            pytest.fail(why + " (VERFS_REQUIRE_REAL=1: skipping is not allowed)")
        pytest.skip(why)


@pytest.fixture
def assets(repo_dir):
    """Two versions: a large file (stored plain) and a small one, then the large
    file changed."""
    rng = random.Random(5)
    big = rng.randbytes(3 * RAW_ABOVE + 77)
    (repo_dir / "assets").mkdir()
    (repo_dir / BIG).write_bytes(big)
    (repo_dir / "small.txt").write_text("small\n")
    run_verfs("record", "-m", "first", "--repo", repo_dir)
    big2 = big[:RAW_ABOVE] + b"changed" + big[RAW_ABOVE + 7:]
    (repo_dir / BIG).write_bytes(big2)
    run_verfs("record", "-m", "second", "--repo", repo_dir)
    return repo_dir, big, big2


def daemon_reads(log: str, name: str) -> int:
    """READs of ``name`` the daemon served, by its debug log."""
    with open(log, errors="replace") as f:
        return sum(1 for line in f if " read (" in line and name in line)


def test_large_files_are_read_by_the_kernel(assets, mount):
    need_passthrough()
    repo, big, big2 = assets
    m = mount("--repo", repo, "--passthrough", "--debug")
    first, second = sorted(os.listdir(m / "history"))
    assert (m / "history" / first / BIG).read_bytes() == big
    assert subprocess.run(["cmp", m / "head" / BIG, repo / BIG]).returncode == 0
    assert (m / "head" / BIG).read_bytes() == big2
    assert (m / "head" / "small.txt").read_text() == "small\n"
    assert daemon_reads(m.log, "big.bin") == 0
    assert daemon_reads(m.log, "small.txt") == 1
    assert "passthrough: on" in m.log.read_text()


def test_without_passthrough_the_daemon_reads_them(assets, mount):
    """The same reads without the flag do reach the daemon: the count above can fail."""
    need_passthrough()
    repo, big, _ = assets
    m = mount("--repo", repo, "--debug")
    first = sorted(os.listdir(m / "history"))[0]
    assert (m / "history" / first / BIG).read_bytes() == big
    assert daemon_reads(m.log, "big.bin") > 0


def test_small_files_keep_their_cached_pages(assets, mount):
    need_passthrough()
    repo, _, _ = assets
    m = mount("--repo", repo, "--passthrough", "--debug")
    for _ in range(3):
        assert (m / "head" / "small.txt").read_text() == "small\n"
    assert daemon_reads(m.log, "small.txt") == 1


def test_writing_is_refused(assets, mount):
    need_passthrough()
    repo, _, _ = assets
    m = mount("--repo", repo, "--passthrough")
    for name in (BIG, "small.txt"):
        with pytest.raises(OSError) as info:
            os.close(os.open(m / "head" / name, os.O_RDWR))
        assert info.value.errno == 30       # EROFS


def test_a_corrupt_large_file_fails_to_open(assets, mount):
    """The blob is checked before the kernel gets it: damage is EIO, never bytes."""
    need_passthrough()
    repo, big, _ = assets
    plain = [os.path.join(d, f) for d, _, fs in os.walk(repo / ".verfs" / "store")
             for f in fs if f.endswith(PLAIN)]
    assert plain
    for path in plain:
        with open(path, "r+b") as f:
            f.seek(RAW_ABOVE // 2)
            f.write(b"?")
    m = mount("--repo", repo, "--passthrough")
    first = sorted(os.listdir(m / "history"))[0]
    with pytest.raises(OSError) as info:
        (m / "history" / first / BIG).read_bytes()
    assert info.value.errno == 5            # EIO


def test_passthrough_with_fusepy_is_a_one_line_error(assets, tmp_path):
    repo, _, _ = assets
    (tmp_path / "mp").mkdir()
    proc = run_verfs("mount", "--repo", repo, "--passthrough", tmp_path / "mp", check=False,
                     env=verfs_env(VERFS_FUSE="fusepy"))
    assert proc.returncode == 1
    assert proc.stderr == b"verfs: --passthrough needs mfusepy, not VERFS_FUSE=fusepy\n"
