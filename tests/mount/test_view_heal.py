"""Many readers of a view whose derived objects were deleted: each gets the right
bytes, and the states are rebuilt once, not once per reader."""

import os
import shutil
import threading

from tests.mount.conftest import fresh_view
from tests.mount.histories import clone_at

READERS = 8


def _files(top) -> dict[str, bytes]:
    out = {}
    for d, _, names in os.walk(top):
        for n in names:
            p = os.path.join(d, n)
            if not os.path.islink(p):
                with open(p, "rb") as f:
                    out[os.path.relpath(p, top)] = f.read()
    return out


def test_concurrent_readers_rebuild_once(sample, tmp_path):
    vid = sample.named["notes"]
    want = _files(clone_at(sample, vid, tmp_path / "want"))
    view = fresh_view(sample)
    view.root_tree(vid)                     # the root is known (cached) ...
    shutil.rmtree(os.path.join(sample.repo.store.cache.base, "objects", "blobs"))
    gate = threading.Barrier(READERS)       # ... and every blob is gone
    got, errors = [], []

    def read() -> None:
        try:
            gate.wait()
            seen = {}
            for rel in sorted(want):
                node = view.open(f"/versions/{vid}/{rel}")
                seen[rel] = view.read(node, 0, node.size + 1)
            got.append(seen)
        except Exception as exc:    # noqa: BLE001 — reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert got == [want] * READERS
    assert view.history.replayed == view.history.depth(vid)     # one rebuild for all
