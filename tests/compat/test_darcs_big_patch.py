"""Big darcs patches import in memory proportional to what they mean, not to several
copies of their text.

A darcs patch is gzipped text: a binary file of zeros or a hunk adding a million
lines is a few hundred kilobytes on disk and a hundred megabytes of text.  The
importer reads it as it is decompressed (a window of the text, not the text) and
decodes a binary's hex a megabyte at a time.  Measured by hand on a 100 MB binary
patch made by darcs (49 MB of zeros): 458 MB peak before, 79 MB after.

The peak resident size of ``verfs import darcs`` is read from ``getrusage`` in a
parent made for the purpose (RUSAGE_CHILDREN is the largest child ever waited for,
so darcs itself must not be one of them).  The bound, three times the text plus the
interpreter's baseline, is far from both sides: the reader used to need four and a
half times the text, and now needs about half of it (the blob it decodes).
"""

import gzip
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import need, run_verfs, verfs_env
from darcs_util import Darcs

from verfs.patch.named import Patch, PatchInfo
from verfs.patch.prims import AddFile, Hunk
from verfs.patch.text import read_patch, write_patch

pytestmark = pytest.mark.compat

ZEROS = 10 << 20                 # a 10 MB file of zeros: a 20 MB binary patch

PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
"""


def peak_rss(*args) -> int:
    """The peak resident size in bytes of ``verfs ARGS``, run on its own."""
    out = subprocess.run([sys.executable, "-c", PEAK, sys.executable, "-m", "verfs",
                          *map(str, args)], check=True, capture_output=True, env=verfs_env())
    return int(out.stdout)


def test_a_big_binary_patch_imports_in_bounded_memory(tmp_path: Path):
    need("darcs")
    d = Darcs(tmp_path)
    repo = d.init(tmp_path / "big")
    (repo / "zeros.bin").write_bytes(bytes(ZEROS))
    d.record(repo, "zeros")
    (patch,) = (repo / "_darcs" / "patches").glob("0*")
    text = len(gzip.decompress(patch.read_bytes()))
    assert text > 2 * ZEROS                            # hex: two digits a byte, and lines
    baseline = peak_rss("--version")
    peak = peak_rss("import", "darcs", repo, "--into", tmp_path / "imported")
    assert peak < baseline + 3 * text, (peak, baseline, text)
    out = run_verfs("show", "head:zeros.bin", cwd=tmp_path / "imported").stdout
    assert out == bytes(ZEROS)


def _traced_peak(fn, *args):
    """The most memory Python allocated while ``fn(*args)`` ran (exact and
    repeatable, unlike a resident size), and its result."""
    tracemalloc.start()
    try:
        result = fn(*args)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_a_big_hunk_is_written_and_read_without_copies_of_each_line():
    """The store's text of a hunk of 200,000 lines (a darcs import of a big file
    writes one): ``bytes.join`` of every line needs an 80-byte buffer record per
    line, and copying every line with its prefix first doubled the text again —
    3.6 times the text before, about one now.  Reading it split the text into lines,
    sliced each again and wrote the whole patch back for the canonical check — 5.2
    times the text before; now the lines are sliced from the text in place and the
    check compares as it writes (1.6 times: the hunk's lines themselves)."""
    lines = tuple(b"line %07d " % i + b"x" * 60 for i in range(200_000))
    patch = Patch(PatchInfo("big", "A <a@example.com>", "20261201000000"),
                  (AddFile("f"), Hunk("f", 1, (), lines)))
    peak, data = _traced_peak(write_patch, patch)
    assert peak < 1.5 * len(data), (peak, len(data))
    peak, back = _traced_peak(read_patch, data)
    assert peak < 2.5 * len(data), (peak, len(data))
    assert back == patch
