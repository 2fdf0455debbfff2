"""Which libfuse a mount loads: libfuse 3 where it can mount, libfuse 2 otherwise,
``VERFS_LIBFUSE`` over both; and what the log says a libfuse 2 mount lacks."""

import os
import types

import pytest

from verfs.errors import MountError
from verfs.mount import binding


@pytest.fixture
def no_libfuse3(monkeypatch):
    """A machine with neither the bundled libfuse 3 nor the system's."""
    monkeypatch.delenv("VERFS_LIBFUSE", raising=False)
    monkeypatch.setattr(binding, "bundled_libfuse3", lambda: None)
    real = binding.find_library
    monkeypatch.setattr(binding, "find_library", lambda name: None if name == "fuse3"
                        else real(name))


def test_the_default_is_libfuse_3_when_one_can_mount(monkeypatch):
    monkeypatch.delenv("VERFS_LIBFUSE", raising=False)
    found = binding.libfuse3()
    if found is None:
        pytest.skip("no libfuse 3 here (scripts/bootstrap as root builds one)")
    assert binding.libfuse_path() == found
    assert "libfuse3.so" in os.path.basename(found)


def test_the_bundled_libfuse_3_comes_first(monkeypatch):
    bundled = binding.bundled_libfuse3()
    if bundled is None or os.geteuid() != 0:
        pytest.skip("needs the libfuse 3 scripts/bootstrap builds as root")
    monkeypatch.setattr(binding, "find_library", lambda name: "/usr/lib/libfuse3.so.3")
    assert binding.libfuse3() == bundled


def test_without_libfuse_3_the_default_is_libfuse_2(no_libfuse3):
    assert binding.libfuse3() is None
    assert binding.libfuse_path() is None        # mfusepy's own choice: libfuse 2


def test_passthrough_or_asking_for_3_without_it_is_an_error(no_libfuse3, monkeypatch):
    with pytest.raises(MountError, match="libfuse 3 is missing"):
        binding.libfuse_path(passthrough=True)
    monkeypatch.setenv("VERFS_LIBFUSE", "3")
    with pytest.raises(MountError, match="libfuse 3 is missing"):
        binding.libfuse_path()


def test_verfs_libfuse_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("VERFS_LIBFUSE", str(tmp_path / "nowhere.so"))
    with pytest.raises(MountError, match="no such file"):
        binding.libfuse_path()
    lib = tmp_path / "libfuse-other.so"
    lib.write_bytes(b"")
    monkeypatch.setenv("VERFS_LIBFUSE", str(lib))
    assert binding.libfuse_path(passthrough=True) == str(lib)
    monkeypatch.setenv("VERFS_LIBFUSE", "2")
    libfuse2 = binding.find_library("fuse")
    if libfuse2 is None:
        with pytest.raises(MountError, match="libfuse 2 is missing"):
            binding.libfuse_path()
    else:
        assert binding.libfuse_path() == libfuse2


def test_only_a_setuid_fusermount3_lets_others_than_root_mount(monkeypatch, tmp_path):
    tool = tmp_path / "fusermount3"
    tool.write_bytes(b"#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setattr(binding.os, "geteuid", lambda: 0)
    assert binding._may_mount_with(str(tool))
    monkeypatch.setattr(binding.os, "geteuid", lambda: 1000)
    assert not binding._may_mount_with(str(tool))           # not setuid root
    assert not binding._may_mount_with(None)
    assert not binding._may_mount_with(str(tmp_path / "missing"))


def test_a_libfuse_2_mount_says_what_it_lacks():
    old = types.SimpleNamespace(__name__="mfusepy", fuse_version_major=2, fuse_version_minor=9,
                                FUSE=object)
    new = types.SimpleNamespace(__name__="mfusepy", fuse_version_major=3, fuse_version_minor=17)
    assert "libfuse 2" in binding.shortfall(old) and "listing" in binding.shortfall(old)
    assert binding.shortfall(new) is None
    assert "readdir_fuse_3" not in vars(binding.fuse_class(old))    # mfusepy's, for 2
    assert not binding.keeps_listings(old) and binding.keeps_listings(new)
    assert binding.major(old) == 2 and binding.major(new) == 3
