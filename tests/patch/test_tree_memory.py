"""Committing a file of a million lines joins them without ``bytes.join``'s 80-byte
record per line: the peak stays near the file's own size (it was twice that)."""

import tracemalloc

from store import EMPTY_TREE_ID, MemoryStore
from store.ids import hash_bytes
from verfs.patch.apply import apply_prims
from verfs.patch.prims import AddFile, Hunk
from verfs.trees import TreeEditor, join_lines

LINES = 1_000_000


def _traced_peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_committing_a_huge_file_peaks_near_its_size():
    lines = tuple(b"line %07d " % i + b"x" * 60 for i in range(LINES))
    size = sum(map(len, lines)) + len(lines) - 1
    store = MemoryStore()
    ed = TreeEditor(store, EMPTY_TREE_ID)
    apply_prims(ed, (AddFile("f"), Hunk("f", 1, (), lines)))
    content_peak, oid = _traced_peak(lambda: ed.content_id("f"))
    assert content_peak < 0.1 * size, content_peak      # hashed piece by piece
    peak, root = _traced_peak(ed.commit)
    assert peak < 1.3 * size, (peak / size)
    data = store.get_blob(store.get_tree(root).get("f").oid)
    assert data == b"\n".join(lines) + b"\n" and hash_bytes(data) == oid


def test_join_lines_is_bytes_join():
    for n in (0, 1, 4095, 4096, 4097, 3 * 4096 + 5):
        lines = [b"%d" % i for i in range(n)]
        assert join_lines(lines) == b"\n".join(lines)
    assert join_lines([b""] * 9000) == b"\n" * 8999
