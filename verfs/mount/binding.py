"""Loading the FUSE binding, and saying what to install when it cannot be loaded.

fusepy and mfusepy share one API; ``VERFS_FUSE=fusepy|mfusepy`` picks one (for
comparisons), otherwise ``DEFAULT``.  Both find libfuse when imported, and fail then
if it is missing: that failure becomes a one-line MountError naming the package.

File names reach the operations as ``str`` decoded with ``surrogateescape``, so a
name that is not UTF-8 round-trips byte for byte, as it does in the store.  fusepy
has no ``errors`` argument, so the codec ``verfs-fsname`` (UTF-8 with
surrogateescape both ways) is registered and passed to either binding as encoding.

mfusepy speaks libfuse 2 and 3.  Mounts use libfuse 3 when it can be had — the one
``scripts/bootstrap`` builds into the environment (3.17, also what ``--passthrough``
needs: ≥ 3.16, and Debian 12 ships 3.14), else the system's — and the system's
libfuse 2 otherwise, which costs the kernel-cached listings and READDIRPLUS of
``fuse_class``.  ``VERFS_LIBFUSE=2|3|PATH`` chooses instead.
"""

import codecs
import ctypes
import errno
import glob
import importlib
import os
import shutil
import stat
import sys
from ctypes.util import find_library

from ..errors import MountError

DEFAULT = "mfusepy"
PASSTHROUGH_SINCE = (3, 16)     # libfuse's first release with backing ids
CACHE_READDIR_SINCE = (3, 5)    # libfuse's first release passing opendir's cache_readdir on
FUSE_READDIR_PLUS = 1 << 0      # libfuse 3's readdir flag: the kernel asked for READDIRPLUS
FUSE_FILL_DIR_PLUS = 1 << 1     # libfuse 3's filler flag: this entry's stat is whole
MODULES = {"fusepy": "fuse", "mfusepy": "mfusepy"}
ENCODING = "verfs-fsname"
INSTALL = "install the Debian packages 'fuse' and 'libfuse2' (apt-get install fuse libfuse2)"


def _codec(name: str):
    if name != "verfs_fsname":
        return None
    return codecs.CodecInfo(
        name="verfs-fsname",
        encode=lambda text, errors="strict": codecs.utf_8_encode(text, "surrogateescape"),
        decode=lambda data, errors="strict": codecs.utf_8_decode(data, "surrogateescape", True),
    )


codecs.register(_codec)


def name() -> str:
    chosen = os.environ.get("VERFS_FUSE") or DEFAULT
    if chosen not in MODULES:
        raise MountError(f"VERFS_FUSE={chosen}: expected one of {', '.join(MODULES)}")
    return chosen


def bundled_libfuse3() -> str | None:
    """libfuse 3 as ``scripts/bootstrap`` builds it into the environment, if it did."""
    found = sorted(glob.glob(os.path.join(sys.prefix, "opt", "libfuse-3.*", "lib",
                                          "libfuse3.so.[0-9]")))
    return found[-1] if found else None


def _may_mount_with(fusermount: str | None) -> bool:
    """Whether libfuse 3 can mount through ``fusermount``, which it runs for
    ``auto_unmount``: root can with any, anyone else only if it is setuid root."""
    if fusermount is None or not os.access(fusermount, os.X_OK):
        return False
    if os.geteuid() == 0:
        return True
    st = os.stat(fusermount)
    return st.st_uid == 0 and bool(st.st_mode & stat.S_ISUID)


def libfuse3() -> str | None:
    """The libfuse 3 to mount with: the bundled one (it runs the fusermount3 built
    beside it), else the system's (with the system's fusermount3); None when neither
    can mount here."""
    bundled = bundled_libfuse3()
    if bundled and _may_mount_with(os.path.join(os.path.dirname(os.path.dirname(bundled)),
                                                "bin", "fusermount3")):
        return bundled
    system = find_library("fuse3")
    if system and _may_mount_with(shutil.which("fusermount3")):
        return system
    return None


def libfuse_path(passthrough: bool = False) -> str | None:
    """Which libfuse mfusepy is to load: ``VERFS_LIBFUSE`` (``2``, ``3`` or a path) when
    set, else ``FUSE_LIBRARY_PATH`` when set, otherwise ``libfuse3()``; None means
    mfusepy's own choice, the system's libfuse 2 (which cannot pass files through)."""
    wanted = os.environ.get("VERFS_LIBFUSE", "")
    if not wanted and os.environ.get("FUSE_LIBRARY_PATH"):
        return os.environ["FUSE_LIBRARY_PATH"]       # mfusepy's own variable, as set
    if wanted == "2":
        path = find_library("fuse")
        if path is None:
            raise MountError(f"VERFS_LIBFUSE=2: libfuse 2 is missing: {INSTALL}")
        return path
    if wanted and wanted != "3":
        if not os.path.exists(wanted):
            raise MountError(f"VERFS_LIBFUSE={wanted}: no such file")
        return wanted
    path = libfuse3()
    if path is None and (wanted == "3" or passthrough):
        raise MountError("libfuse 3 is missing: run scripts/bootstrap as root (it builds "
                         "libfuse 3.17 into the environment)")
    return path


def load(passthrough: bool = False):
    """The binding's module (``fuse`` or ``mfusepy``); MountError if FUSE is missing,
    or (``passthrough``) cannot hand files to the kernel."""
    if not os.path.exists("/dev/fuse"):
        raise MountError("FUSE is not available: /dev/fuse is missing (load the 'fuse' "
                         "kernel module; in a container, pass --device /dev/fuse)")
    chosen = name()
    if passthrough and chosen != "mfusepy":
        raise MountError(f"--passthrough needs mfusepy, not VERFS_FUSE={chosen}")
    if passthrough and os.geteuid() != 0:
        raise MountError("--passthrough needs root: only CAP_SYS_ADMIN may hand files "
                         "to the kernel")
    if chosen == "mfusepy":
        path = libfuse_path(passthrough)
        loaded = sys.modules.get("mfusepy")
        if loaded is None and path:         # mfusepy reads it when imported
            os.environ["FUSE_LIBRARY_PATH"] = path
        elif loaded is not None and path and \
                os.path.realpath(path) != os.path.realpath(loaded._libfuse_path):
            raise MountError(f"this process already loaded {loaded._libfuse_path}")
    try:
        module = importlib.import_module(MODULES[chosen])
    except ImportError:
        raise MountError(f"the Python package {chosen} is not installed: reinstall verfs "
                         f"(scripts/bootstrap, or pip install -e .)") from None
    except OSError as exc:
        raise MountError(f"FUSE is not available ({exc}): {INSTALL}") from None
    if passthrough and _version(module) < PASSTHROUGH_SINCE:
        raise MountError(f"--passthrough needs libfuse 3.16 or newer, not "
                         f"{'.'.join(map(str, _version(module)))}: run scripts/bootstrap as "
                         f"root (it builds libfuse 3.17 into the environment)")
    return module


def major(module) -> int:
    return _version(module)[0]


def _version(module) -> tuple[int, int]:
    return (getattr(module, "fuse_version_major", 2), getattr(module, "fuse_version_minor", 0))


def shortfall(module) -> str | None:
    """What a mount over this libfuse lacks, for the log; None when nothing."""
    if keeps_listings(module):
        return None
    return ("libfuse 2: the kernel asks the daemon again for every directory listing and "
            "looks up each entry of a listing one by one (scripts/bootstrap as root builds "
            "libfuse 3.17; or install the Debian packages 'libfuse3-3' and 'fuse3')")


def keeps_listings(module) -> bool:
    """Whether an OPENDIR reply can ask the kernel to keep the listing (mfusepy over
    libfuse ≥ 3.5: its file info has ``cache_readdir``)."""
    return getattr(module, "__name__", "") == "mfusepy" and \
        _version(module) >= CACHE_READDIR_SINCE


def fuse_class(module, cache_listings: bool = False):
    """The class to mount with: the binding's FUSE with ``opendir`` of its own
    (``_opendir``: kept listings with ``cache_listings``, which only a binding that
    ``keeps_listings`` may be given) and,
    over libfuse 3 through mfusepy, READDIRPLUS answered with whole stats
    (``_readdir_plus``)."""
    methods = {"opendir": _opendir(cache_listings)}
    if getattr(module, "__name__", "") == "mfusepy" and _version(module) >= (3, 0):
        methods["readdir_fuse_3"] = _readdir_plus(module)
    return type("FUSE", (module.FUSE,), methods)


def _opendir(cache_listings: bool):
    def opendir(self, path, fip):
        """The operations' ``opendir`` gives the handle, and (``cache_listings``) their
        ``listing_cached`` whether the reply asks the kernel to keep the listing
        (``cache_readdir``) and its pages (``keep_cache``): it then reads a listing
        once for as long as it keeps the directory's pages, and only OPENDIR and
        RELEASEDIR reach the daemon.  (mfusepy's own opendir leaves the file info
        alone.)

        ENOSYS from the operations' ``opendir`` counts as "keep it" and is not passed
        on: the kernel would stop sending OPENDIR and keep every listing, but libfuse's
        high-level API then crashes on the next READDIR, taking its file handle, 0,
        for its own directory handle."""
        name = path.decode(self.encoding, self.errors)
        fi = fip.contents
        try:
            fi.fh = self.operations.opendir(name) or 0
            listing_cached = getattr(self.operations, "listing_cached", None)
            keep = cache_listings and (listing_cached is None or listing_cached(name))
        except OSError as exc:
            if exc.errno != errno.ENOSYS:
                raise
            fi.fh, keep = 0, cache_listings
        if keep:
            fi.keep_cache, fi.cache_readdir = 1, 1
        return 0
    return opendir


def _readdir_plus(module):
    def readdir_fuse_3(self, path, buf, filler, offset, fip, flags):
        """mfusepy's readdir passes each entry's mode and inode only, even when the
        kernel asked for READDIRPLUS.  Given a whole stat (a dict with ``st_nlink``,
        as ``getattr`` answers), pass all of it (``FUSE_FILL_DIR_PLUS``): the kernel
        then knows every entry of the listing, and a cold ``find`` or ``ls -l`` costs
        no LOOKUP per entry."""
        if not flags & FUSE_READDIR_PLUS or hasattr(self.operations, "readdir_with_offset"):
            return module.FUSE.readdir_fuse_3(self, path, buf, filler, offset, fip, flags)
        decoded = None if path is None else path.decode(self.encoding, self.errors)
        st = module.c_stat()
        for item in self.operations.readdir(decoded, fip.contents.fh):
            name, attrs = (item, None) if isinstance(item, str) else item[:2]
            plus, stp = 0, None
            if attrs is not None:
                ctypes.memset(ctypes.byref(st), 0, ctypes.sizeof(st))
                if isinstance(attrs, int):
                    st.st_mode = attrs
                else:
                    module.set_st_attrs(st, attrs, use_ns=self.use_ns)
                    plus = FUSE_FILL_DIR_PLUS if "st_nlink" in attrs else 0
                stp = st
            if filler(buf, name.encode(self.encoding, self.errors), stp, 0, plus) != 0:
                break
        return 0
    return readdir_fuse_3


def session_fd(module) -> int:
    """The FUSE device descriptor of the mount being served (call from a FUSE
    operation, where libfuse's context names it)."""
    lib = module._libfuse
    lib.fuse_get_session.restype = ctypes.c_void_p
    lib.fuse_get_session.argtypes = [ctypes.c_void_p]
    lib.fuse_session_fd.argtypes = [ctypes.c_void_p]
    lib.fuse_session_fd.restype = ctypes.c_int
    return lib.fuse_session_fd(lib.fuse_get_session(lib.fuse_get_context().contents.fuse))


def describe(module) -> str:
    """``mfusepy 3.1.1, libfuse 2.9`` for the log."""
    version = getattr(module, "__version__", "")
    major = getattr(module, "fuse_version_major", None)
    lib = f", libfuse {major}.{module.fuse_version_minor}" if major else ""
    return f"{name()} {version}".strip() + lib

