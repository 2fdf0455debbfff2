"""The daemon's plumbing without a real mount: a failure in the forked daemon comes
back as one MountError naming libfuse's own complaint; sources and options."""

import os
import types

import pytest

from verfs.errors import MountError
from verfs.mount import binding, daemon


def fake_binding(monkeypatch, fuse_class):
    module = types.SimpleNamespace(FUSE=fuse_class, __version__="0")
    monkeypatch.setattr(binding, "load", lambda passthrough=False: module)
    return module


def test_a_failing_daemon_is_one_error_with_libfuses_reason(sample, tmp_path, monkeypatch):
    class Failing:
        def __init__(self, ops, mountpoint, **kw):
            os.write(2, b"fuse: device not found, try 'modprobe fuse' first\n")
            raise RuntimeError(1)
    fake_binding(monkeypatch, Failing)
    (tmp_path / "mp").mkdir()
    source = daemon.open_source(repo_root=str(sample.root), log_file=str(tmp_path / "l.log"))
    with pytest.raises(MountError) as info:
        daemon.mount(source, str(tmp_path / "mp"))
    message = str(info.value)
    assert "libfuse could not mount" in message and "device not found" in message
    assert "\n" not in message


def test_options_with_passthrough_leave_caching_to_open(monkeypatch):
    """``kernel_cache`` would mark files handed to the kernel cached too, which it
    refuses (EIO on every read): with passthrough, ``open`` decides per file."""
    opts = daemon._options(debug=False, passthrough=True)
    assert "kernel_cache" not in opts and opts["raw_fi"]
    assert not daemon._options(debug=False).get("raw_fi")


def test_options_keep_content_cached_and_names_fresh(monkeypatch):
    opts = daemon._options(debug=False)
    assert opts["ro"] and opts["kernel_cache"] and opts["use_ino"] and opts["auto_unmount"]
    assert opts["entry_timeout"] == opts["attr_timeout"] == daemon.TIMEOUT
    assert opts["negative_timeout"] == 0 and opts["nothreads"] is False
    monkeypatch.setenv("VERFS_MOUNT_TIMEOUT", "nonsense")
    assert daemon._options(debug=True)["attr_timeout"] == daemon.TIMEOUT


def test_an_unwritable_store_is_mounted_over_memory(sample, monkeypatch, tmp_path):
    monkeypatch.setattr(daemon, "_writable", lambda path: False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    source = daemon.open_source(repo_root=str(sample.root))
    assert type(source.store).__name__ == "OverlayStore"
    assert source.log_file == str(tmp_path / "state" / "verfs" / "mount.log")


def test_default_log_is_in_the_store(sample):
    source = daemon.open_source(store_dir=str(sample.root / ".verfs" / "store"))
    assert source.head_file is None
    assert source.log_file == os.path.join(sample.repo.store.root, "logs", "mount.log")


def test_proc_mounts_escapes(tmp_path, monkeypatch):
    table = tmp_path / "mounts"
    table.write_text("verfs /tmp/with\\040space fuse.verfs ro 0 0\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: real_open(
        table if p == "/proc/mounts" else p, *a, **k))
    assert daemon.mounts() == {"/tmp/with space": ("verfs", "fuse.verfs")}


def test_the_filename_codec_round_trips_any_bytes():
    raw = b"latin1-\xe9.txt"
    text = raw.decode(binding.ENCODING)
    assert text == raw.decode("utf-8", "surrogateescape")
    assert text.encode(binding.ENCODING) == raw
