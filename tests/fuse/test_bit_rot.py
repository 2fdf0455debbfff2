"""Bit rot in a large file: a byte flipped on disk after the blob was verified,
its file's size, inode and mtime unchanged, is EIO through a mount — never the
rotten bytes — while the blocks around it still read."""

import os
import random

import pytest

from store.disk import PLAIN, RAW_ABOVE
from tests.conftest import run_verfs
from tests.fuse.test_passthrough import need_passthrough

pytestmark = pytest.mark.timeout(120)
DAMAGE = 2 * RAW_ABOVE + 5


@pytest.fixture
def rotten(repo_dir):
    """A repository whose one large file was recorded (and so verified whole), then
    had a byte flipped in its plain blob file, mtime kept."""
    data = random.Random(9).randbytes(3 * RAW_ABOVE + 11)
    (repo_dir / "big.bin").write_bytes(data)
    run_verfs("record", "-m", "big", "--repo", repo_dir)
    plain = [os.path.join(d, f) for d, _, fs in os.walk(repo_dir / ".verfs" / "store")
             for f in fs if f.endswith(PLAIN)]
    assert plain
    inodes = {}
    for path in plain:          # the durable store's and the derived store's names
        inodes.setdefault(os.stat(path).st_ino, []).append(path)
    for first, *_ in inodes.values():
        st = os.stat(first)
        with open(first, "r+b") as f:
            f.seek(DAMAGE)
            f.write(bytes([data[DAMAGE] ^ 0x40]))
        os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns))
    return repo_dir, data


def test_bit_rot_is_eio_through_the_mount(rotten, mount):
    repo, data = rotten
    m = mount("--repo", repo)
    fd = os.open(m / "head" / "big.bin", os.O_RDONLY)
    try:
        assert os.pread(fd, 4096, 0) == data[:4096]         # an intact block
        with pytest.raises(OSError) as info:
            os.pread(fd, 4096, DAMAGE - 5)      # in the damaged page
        assert info.value.errno == 5                        # EIO
        with pytest.raises(OSError):
            (m / "head" / "big.bin").read_bytes()
    finally:
        os.close(fd)
    assert "corrupt blob" in m.log.read_text()


def test_bit_rot_is_eio_with_passthrough(rotten, mount):
    """With --passthrough the daemon hashes the whole file before the kernel gets it;
    the damage is found there."""
    need_passthrough()
    repo, _ = rotten
    m = mount("--repo", repo, "--passthrough")
    with pytest.raises(OSError) as info:
        (m / "head" / "big.bin").read_bytes()
    assert info.value.errno == 5


def test_bit_rot_is_exit_3_at_the_command_line(rotten):
    repo, _ = rotten
    proc = run_verfs("show", "head:big.bin", "--repo", repo, check=False)
    assert proc.returncode == 3 and proc.stderr.count(b"\n") == 1
