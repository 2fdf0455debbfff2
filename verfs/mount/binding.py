"""Loading the FUSE binding, and saying what to install when it cannot be loaded.

fusepy and mfusepy share one API; ``VERFS_FUSE=fusepy|mfusepy`` picks one (for
comparisons), otherwise ``DEFAULT``.  Both find libfuse when imported, and fail then
if it is missing: that failure becomes a one-line MountError naming the package.

File names reach the operations as ``str`` decoded with ``surrogateescape``, so a
name that is not UTF-8 round-trips byte for byte, as it does in the store.  fusepy
has no ``errors`` argument, so the codec ``verfs-fsname`` (UTF-8 with
surrogateescape both ways) is registered and passed to either binding as encoding.
"""

import codecs
import importlib
import os

from ..errors import MountError

DEFAULT = "mfusepy"
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


def load():
    """The binding's module (``fuse`` or ``mfusepy``); MountError if FUSE is missing."""
    if not os.path.exists("/dev/fuse"):
        raise MountError("FUSE is not available: /dev/fuse is missing (load the 'fuse' "
                         "kernel module; in a container, pass --device /dev/fuse)")
    chosen = name()
    try:
        return importlib.import_module(MODULES[chosen])
    except ImportError:
        raise MountError(f"the Python package {chosen} is not installed: reinstall verfs "
                         f"(scripts/bootstrap, or pip install -e .)") from None
    except OSError as exc:
        raise MountError(f"FUSE is not available ({exc}): {INSTALL}") from None


def describe(module) -> str:
    """``mfusepy 3.1.1, libfuse 2.9`` for the log."""
    version = getattr(module, "__version__", "")
    major = getattr(module, "fuse_version_major", None)
    lib = f", libfuse {major}.{module.fuse_version_minor}" if major else ""
    return f"{name()} {version}".strip() + lib
