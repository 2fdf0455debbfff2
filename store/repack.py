"""Repacking: loose objects and packs gathered into one new pack.

``verfs gc`` repacks everything; after each move of head ``pack_if_needed`` packs the
loose objects once there are many, and merges the packs once there are many (git's
``gc --auto``).  Every object is verified on the way.  The new pack is written in a
staging directory of its own, made durable and renamed into view *before* anything
it replaces is removed, so a crash at any point loses nothing, and a reader in
another process finds every object throughout (store/pack.py says why).
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from .base import KINDS
from .errors import CorruptObject
from .files import fsync_dir
from .ids import hash_bytes
from .pack import PackWriter
from .place import decode
from .staging import Staging, clean_abandoned

AUTO_LOOSE = 1024       # pack_if_needed: pack once about this many objects are loose
AUTO_PACKS = 16         # ... and merge every pack into one once there are this many


@dataclass
class Repacked:
    """What a ``repack`` did."""

    objects: int = 0                # objects in the new pack
    loose: int = 0                  # loose files it replaced
    packs: int = 0                  # older packs it replaced
    bytes: int = 0                  # size of the new pack
    dropped: list[str] = field(default_factory=list)    # corrupt derived objects left out
    abandoned: int = 0              # staging directories of dead processes removed


def repack(store, everything: bool = True, drop_corrupt: bool = False,
           progress: Callable[[int], None] | None = None) -> Repacked:
    """Move ``store``'s loose objects (plain blobs excepted) — and, with
    ``everything``, the objects of every pack — into one new pack, then remove what it
    replaced.  A corrupt object stops the repack with nothing changed, or with
    ``drop_corrupt`` (derived objects, which are rebuilt when absent) is left out, and
    removed with what it was in."""
    done = Repacked(abandoned=clean_abandoned(store.root))
    old = list(store.packs.refresh().packs) if everything else []
    loose = [(kind, oid, path) for kind in KINDS
             for oid, path, plain in store.loose.listing(kind) if not plain]
    if not loose and len(old) <= 1:
        return done
    os.makedirs(store.packs.directory, exist_ok=True)
    staging = Staging(store.root)
    try:
        writer = PackWriter(staging.path)
        try:
            for pack in old:
                for kind, oid, raw in pack.entries():
                    _take(writer, kind, oid, raw, pack.path, drop_corrupt, done, progress)
            for kind, oid, path in loose:
                try:
                    with open(path, "rb") as f:
                        raw = f.read()
                except FileNotFoundError:       # packed by another process meanwhile
                    continue
                _take(writer, kind, oid, raw, path, drop_corrupt, done, progress)
            final = writer.finish(store.packs.directory, store.durable) if len(writer) else None
        except BaseException:
            writer.abort()
            raise
    finally:
        staging.remove()
    if final is not None:
        done.objects, done.bytes = len(writer), os.path.getsize(final)
    for pack in old:
        if pack.path != final:
            try:
                os.unlink(pack.path)
                done.packs += 1
            except FileNotFoundError:       # another repack replaced it too
                pass
    _remove_loose(store, [path for _, _, path in loose], done)
    store.packs.refresh()
    return done


def _take(writer, kind, oid, raw, where, drop_corrupt, done, progress) -> None:
    """Add one object to the new pack, verified."""
    try:
        if kind not in KINDS or raw is None:
            raise CorruptObject(kind, oid, where, "a damaged pack index")
        if hash_bytes(decode(kind, oid, raw, where)) != oid:
            raise CorruptObject(kind, oid, where, "content does not match its hash")
    except CorruptObject:
        if not drop_corrupt:
            raise
        done.dropped.append(f"{kind} {oid}")
        return
    writer.add(kind, oid, raw)
    if progress:
        progress(1)


def _remove_loose(store, paths: list[str], done: Repacked) -> None:
    """Remove the loose files now packed, and the fan-out directories they leave
    empty (an empty directory takes a disk block too)."""
    fans = set()
    for path in paths:
        try:
            os.unlink(path)
            done.loose += 1
            fans.add(os.path.dirname(path))
        except FileNotFoundError:
            pass
    emptied = set()
    for fan in fans:
        try:
            os.rmdir(fan)
            emptied.add(os.path.dirname(fan))
        except OSError:     # not empty: a plain blob, or a new object meanwhile
            pass
    if store.durable:
        for d in fans | emptied | {store.packs.directory}:
            if os.path.isdir(d):
                fsync_dir(d)


def loose_estimate(store) -> int:
    """About how many loose objects there are (sampling 16 of 256 fan-outs, as git
    does one): cheap enough to ask after every command."""
    fans = [f"{i:02x}" for i in range(16)]
    return 16 * sum(1 for kind in KINDS for _, _, plain in store.loose.listing(kind, fans)
                    if not plain)


def pack_if_needed(store) -> Repacked | None:
    """Pack the loose objects when there are about ``AUTO_LOOSE`` of them, and merge
    the packs into one when there are ``AUTO_PACKS``; and remove what killed
    processes left in staging directories."""
    abandoned = clean_abandoned(store.root)
    many = len(store.packs.refresh().packs) >= AUTO_PACKS
    if not many and loose_estimate(store) < AUTO_LOOSE:
        return Repacked(abandoned=abandoned) if abandoned else None
    done = repack(store, everything=many, drop_corrupt=not store.durable)
    done.abandoned += abandoned
    return done
