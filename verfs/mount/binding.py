"""Loading the FUSE binding, and saying what to install when it cannot be loaded.

fusepy and mfusepy share one API; ``VERFS_FUSE=fusepy|mfusepy`` picks one (for
comparisons), otherwise ``DEFAULT``.  Both find libfuse when imported, and fail then
if it is missing: that failure becomes a one-line MountError naming the package.

File names reach the operations as ``str`` decoded with ``surrogateescape``, so a
name that is not UTF-8 round-trips byte for byte, as it does in the store.  fusepy
has no ``errors`` argument, so the codec ``verfs-fsname`` (UTF-8 with
surrogateescape both ways) is registered and passed to either binding as encoding.

mfusepy speaks libfuse 2 and 3.  Mounts use the system's libfuse 2, except with
``--passthrough`` (see ``passthrough.py``), which needs libfuse ≥ 3.16: the one
``scripts/bootstrap`` builds into the environment (Debian 12 ships 3.14).
"""

import codecs
import ctypes
import glob
import importlib
import os
import sys
from ctypes.util import find_library

from ..errors import MountError

DEFAULT = "mfusepy"
PASSTHROUGH_SINCE = (3, 16)     # libfuse's first release with backing ids
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


def libfuse_path(passthrough: bool = False) -> str | None:
    """Which libfuse mfusepy is to load: ``VERFS_LIBFUSE`` (``2``, ``3`` — the bundled
    libfuse 3 — or a path) when set; for passthrough the bundled libfuse 3, else the
    system's libfuse 3; otherwise None, mfusepy's own choice (the system's libfuse 2)."""
    wanted = os.environ.get("VERFS_LIBFUSE", "")
    if wanted == "2":
        return None
    if wanted == "3" or (passthrough and not wanted):
        path = bundled_libfuse3() or find_library("fuse3")
        if path is None:
            raise MountError("libfuse 3 is missing: run scripts/bootstrap as root (it builds "
                             "libfuse 3.17 into the environment)")
        return path
    if wanted:
        if not os.path.exists(wanted):
            raise MountError(f"VERFS_LIBFUSE={wanted}: no such file")
        return wanted
    return None


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


def _version(module) -> tuple[int, int]:
    return (getattr(module, "fuse_version_major", 2), getattr(module, "fuse_version_minor", 0))


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


def fuse_class(module, cache_listings: bool):
    """The binding's FUSE class; with ``cache_listings`` (libfuse 3 through mfusepy),
    one whose OPENDIR reply asks the kernel to cache the listing and keep it across
    opens (mfusepy's own opendir leaves the file info alone)."""
    if not cache_listings:
        return module.FUSE

    class CachingFUSE(module.FUSE):
        def opendir(self, path, fip):
            name = path.decode(self.encoding, self.errors)
            fip.contents.fh = self.operations.opendir(name)
            if self.operations.listing_cached(name):
                fip.contents.cache_readdir = 1
                fip.contents.keep_cache = 1
            return 0
    return CachingFUSE
