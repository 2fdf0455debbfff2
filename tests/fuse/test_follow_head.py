"""A real mount under a moving head, with the kernel caching everything it may: a
directory a process holds (its cwd, an open descriptor) while head moves shows the new
head's listing, never the one the kernel kept; a file read before shows its new
content; and a name that went away is gone."""

import os

import pytest

from tests.conftest import run_verfs, verfs_env
from tests.fuse.mounting import version_at, wait_for
from tests.mount.histories import put

pytestmark = [pytest.mark.fuse, pytest.mark.timeout(120)]


@pytest.fixture(params=["2", "3"])
def libfuse(request):
    return verfs_env(VERFS_LIBFUSE=request.param)


def test_a_held_directory_follows_head(sample, mount, libfuse):
    mounted = mount("--repo", sample.root, env=libfuse)
    fd = os.open(mounted / "head" / "src", os.O_RDONLY | os.O_DIRECTORY)
    try:
        before = sorted(os.listdir(fd))          # the kernel caches this listing
        readme = (mounted / "head" / "README").read_bytes()
        put(sample.root, "src/added.c", b"int added;\n")
        put(sample.root, "README", b"short\n")
        vid = run_verfs("record", "-m", "add a file", "--repo", sample.root)
        vid = vid.stdout.decode().strip()
        assert wait_for(lambda: version_at(mounted / "head") == vid)
        assert wait_for(lambda: sorted(os.listdir(fd)) == sorted(before + ["added.c"]))
        assert wait_for(lambda: (mounted / "head" / "README").read_bytes() == b"short\n")
        run_verfs("unrecord", "--repo", sample.root)
        assert wait_for(lambda: sorted(os.listdir(fd)) == before)
        assert wait_for(lambda: not (mounted / "head" / "src" / "added.c").exists())
        assert wait_for(lambda: (mounted / "head" / "README").read_bytes() == readme)
    finally:
        os.close(fd)
