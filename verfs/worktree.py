"""The working directory: snapshotting it into trees, and writing trees back to it.

Names are handled as bytes at the OS boundary and decoded with ``surrogateescape``,
so any file name round-trips.  Only regular files, directories and symbolic links are
kept; other kinds (FIFOs, sockets, devices) are skipped.  A ``.verfs`` at any level
is never part of a tree: at the top it is the repository's own, deeper it is a
repository of its own (as git leaves a nested ``.git`` out), and a tree holding one
would let whoever made the tree plant a repository (store, head) in a checkout;
``.git`` and ``_darcs`` likewise (verfs/ignore.py, which also says how
``.verfsignore`` files leave paths out of a snapshot).  A checkout removes of a
directory only what the tree it leaves has, so ignored files stay where they are.
"""

import errno
import os
import stat

from store import DIR, EMPTY_TREE_ID, FILE, LINK, ObjectStore, Tree, TreeEntry
from store.names import check_name, split_path

from .dotfiles import NotAFile, read_small_file
from .errors import DirtyWorkingTree
from .ignore import ALWAYS, BORING_FILES, IGNORE_FILE, BadIgnoreFile, Rules, boring
from .repo import DOTDIR
from .testhook import pause
from .trees import entry_at

_ALWAYS = frozenset(n.encode() for n in ALWAYS)
_IGNORE = IGNORE_FILE.encode()


def _dec(name: bytes) -> str:
    return name.decode("utf-8", "surrogateescape")


def _enc(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def snapshot(store: ObjectStore, top: str, keep: tuple[str | None, ...] = (),
             instead: dict[str, bytes | None] | None = None) -> str:
    """Write the tree under ``top`` into ``store``; return its root tree id.

    Paths the ``.verfsignore`` files ignore are left out (verfs/ignore.py) unless a
    tree of ``keep`` (head's, say) has them: a file the repository has stays in.  A
    directory that holds only what is left out is left out too, unless the first tree
    of ``keep`` (head's) has it: a build directory is no change, whatever a command is
    about to check out there.  ``instead``: boring files' texts to use in place of
    what the disk has (an import's, before it writes them; None: none)."""
    roots = tuple(t for t in keep if t)
    home = keep[0] if keep and keep[0] else None
    rules = top_rules(top, instead or {})
    return _snapshot(store, os.fsencode(top), b"", rules, roots, None, home)[0]


def top_rules(top: str, instead: dict[str, bytes | None]) -> Rules:
    """The rules that hold before any ``.verfsignore`` is read: darcs's boring files
    (``.verfs/boring``, ``_darcs/prefs/boring``), if the working tree has them."""
    files = []
    for rel in BORING_FILES:
        if rel in instead:
            if instead[rel] is not None:
                files.append((rel, instead[rel]))
            continue
        try:
            files.append((rel, read_small_file(os.path.join(top, rel), None,
                                               follow=not rel.startswith(DOTDIR))))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except NotAFile as exc:
            raise BadIgnoreFile(f"{rel}: {exc}") from None
    return Rules(boring=boring(files)) if files else Rules()


def _snapshot(store: ObjectStore, top: bytes, sub: bytes, rules: Rules,
              roots: tuple[str, ...], inside: list | None,
              home: str | None) -> tuple[str, bool]:
    """The tree id, and whether anything here was left out as ignored.  ``inside``:
    not None in an ignored directory that ``roots`` have — the entries they have
    here (only those are kept)."""
    path = top + (b"/" + sub if sub else b"")
    where = _dec(sub)
    with os.scandir(path) as it:
        found = sorted(it, key=lambda de: de.name)
    if inside is None:
        for de in found:
            if de.name == _IGNORE and de.is_file(follow_symlinks=False):
                with open(de.path, "rb") as f:
                    rules = rules.below(where, f.read())
    entries = []
    left_out = False
    for de in found:
        if de.name in _ALWAYS:
            continue
        st = de.stat(follow_symlinks=False)
        name = _dec(de.name)
        rel = sub + b"/" + de.name if sub else de.name
        is_dir = stat.S_ISDIR(st.st_mode)
        kept = None
        if inside is not None:
            kept = [t.get(name) for t in inside]
        elif rules and rules.ignored(f"{where}/{name}" if where else name, is_dir):
            kept = [entry_at(store, r, _dec(rel)) for r in roots]
        if kept is not None:
            kept = [e for e in kept if e is not None and (e.kind == DIR) == is_dir]
            if not kept:
                left_out = True     # ignored, and not the repository's: left out
                continue
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(de.path)
            entries.append(TreeEntry(name, LINK, store.put_blob(target), len(target)))
        elif is_dir:
            oid, emptied = _snapshot(store, top, rel, rules, roots, None if kept is None
                                     else [store.get_tree(e.oid) for e in kept], home)
            if emptied and oid == EMPTY_TREE_ID and not (
                    home and entry_at(store, home, _dec(rel))):
                left_out = True     # holds only ignored things (build output, say)
                continue
            entries.append(TreeEntry(name, DIR, oid, len(store.get_tree(oid))))
        elif stat.S_ISREG(st.st_mode):
            with open(de.path, "rb") as f:
                data = f.read()
            entries.append(TreeEntry(name, FILE, store.put_blob(data), len(data),
                                     bool(st.st_mode & stat.S_IXUSR)))
    return store.put_tree(Tree.build(entries)), left_out


def select(store: ObjectStore, old: str, new: str, paths: list[str]) -> str:
    """The tree ``old`` with only the given paths (files or whole directories) taken
    from ``new``: what ``record PATH...`` records."""
    chosen: dict = {}
    for p in paths:
        node = chosen
        parts = split_path(p)
        if not parts:
            return new
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:
                break
        else:
            node[parts[-1]] = True
    return _select(store, old, new, chosen)


def _select(store, old: str, new: str, chosen: dict) -> str:
    a = dict(store.get_tree(old).by_name) if old else {}
    b = store.get_tree(new).by_name if new else {}
    for name, sub in chosen.items():
        if sub is True:
            if name in b:
                a[name] = b[name]
            else:
                a.pop(name, None)
            continue
        ea, eb = a.get(name), b.get(name)
        if eb is None or eb.kind != DIR or (ea is not None and ea.kind != DIR):
            continue        # no directory on both sides to pick paths inside
        oid = _select(store, ea.oid if ea is not None else EMPTY_TREE_ID, eb.oid, sub)
        a[name] = TreeEntry(name, DIR, oid, len(store.get_tree(oid)))
    return store.put_tree(Tree.build(a.values()))


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _open_dir(name: bytes, dfd: int) -> int:
    """A subdirectory, never through a symbolic link: a link where a tree has a
    directory fails (ELOOP/ENOTDIR) instead of leading the checkout elsewhere."""
    return os.open(name, _DIR_FLAGS, dir_fd=dfd)


def _unlink_unless_dir(name: bytes, dfd: int) -> bool:
    """Whether ``name`` is gone: absent, or not a directory and so unlinked (a
    symbolic link itself, never what it points to).  False: a directory, left."""
    try:
        st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
    except FileNotFoundError:
        return True
    if stat.S_ISDIR(st.st_mode):
        return False
    os.unlink(name, dir_fd=dfd)
    return True


def _remove(store: ObjectStore, entry: TreeEntry, name: bytes, dfd: int) -> bool:
    """Remove ``name``, which holds ``entry`` of the old tree, from the directory
    ``dfd``: of a directory only what the old tree has, so what is not the
    repository's — ignored files, a ``.verfs``, ``.git`` or ``_darcs`` (a nested
    repository) — stays, and so does the directory around it.  False when something
    kept the directory (or a part of it) in place."""
    if _unlink_unless_dir(name, dfd):
        return True
    children = store.get_tree(entry.oid).entries if entry.kind == DIR else ()
    sub = _open_dir(name, dfd)
    try:
        gone = True
        for child in children:
            if child.name in ALWAYS:
                continue
            check_name(child.name)
            gone = _remove(store, child, _enc(child.name), sub) and gone
    finally:
        os.close(sub)
    try:
        os.rmdir(name, dir_fd=dfd)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        return False
    return gone


def _is_real_dir(name: bytes, dfd: int) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dfd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return False


def _clear(name: bytes, dfd: int) -> bool:
    """Remove whatever is at ``name``, where the old tree has nothing (an ignored file
    in the way of the new tree's: the callers that mind, restore and obliterate,
    refused before, as it was in their snapshot), except any ``.verfs``, ``.git`` or
    ``_darcs`` inside it.  False when one of those kept it in place."""
    if _unlink_unless_dir(name, dfd):
        return True
    sub = _open_dir(name, dfd)
    try:
        gone = True
        for child in os.listdir(sub):
            child_b = os.fsencode(child)
            if child_b in _ALWAYS:
                gone = False
            else:
                gone = _clear(child_b, sub) and gone
    finally:
        os.close(sub)
    if gone:
        os.rmdir(name, dir_fd=dfd)
    return gone


def _write_file(store: ObjectStore, e: TreeEntry, name: bytes, dfd: int) -> None:
    """A new file or link (``name`` was just removed): created exclusively and never
    through a link, so nothing outside the directory can be written."""
    if e.kind == LINK:
        os.symlink(store.get_blob(e.oid), name, dir_fd=dfd)
        return
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                 0o777 if e.exec else 0o666, dir_fd=dfd)
    with os.fdopen(fd, "wb") as f:
        f.write(store.get_blob(e.oid))


def _set_exec(name: bytes, dfd: int, on: bool) -> None:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
    try:
        mode = os.fstat(fd).st_mode
        os.fchmod(fd, (mode | 0o111) if on else (mode & ~0o111))
    finally:
        os.close(fd)


def checkout(store: ObjectStore, old: str, new: str, top: str) -> None:
    """Turn the directory ``top``, which holds tree ``old``, into tree ``new``,
    touching only what differs.

    Whatever the trees say, nothing outside ``top`` is written and no ``.verfs`` (at
    any level) is followed, written or removed: every name is checked, directories
    are entered by descriptor without following links, and files are created
    exclusively, never through a link."""
    if old == new:
        return
    dfd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _checkout(store, old, new, dfd, "")
    finally:
        os.close(dfd)


def _checkout_sub(store: ObjectStore, old: str, new: str, bname: bytes, dfd: int,
                  here: str) -> None:
    """``_checkout`` in the subdirectory ``bname`` of ``dfd`` (named ``here``)."""
    sub = _open_dir(bname, dfd)
    try:
        _checkout(store, old, new, sub, here + "/")
    finally:
        os.close(sub)


def _checkout(store: ObjectStore, old: str, new: str, dfd: int, where: str) -> None:
    if old == new:
        return
    a = store.get_tree(old).by_name
    b = store.get_tree(new).by_name
    for name in sorted(a.keys() | b.keys()):
        ea, eb = a.get(name), b.get(name)
        if ea == eb or name in ALWAYS:
            continue
        check_name(name)
        here = f"{where}{name}"
        bname = _enc(name)
        if ea is not None and eb is not None and ea.kind == eb.kind == DIR:
            _checkout_sub(store, ea.oid, eb.oid, bname, dfd, here)
            continue
        if ea is not None and eb is not None and ea.kind == eb.kind == FILE \
                and ea.oid == eb.oid:
            _set_exec(bname, dfd, eb.exec)
            continue
        if ea is None and eb.kind == DIR and _is_real_dir(bname, dfd):
            # A directory the old tree does not have (it holds only ignored files, a
            # build directory say): the new tree's entries go in beside them.
            _checkout_sub(store, EMPTY_TREE_ID, eb.oid, bname, dfd, here)
            continue
        gone = _remove(store, ea, bname, dfd) if ea is not None else _clear(bname, dfd)
        if not gone and eb is not None:
            raise DirtyWorkingTree(f"cannot replace {here!r}: it holds a {DOTDIR}, .git or "
                                   f"_darcs directory (a repository of its own) or ignored "
                                   f"files, which are not the repository's; move them away "
                                   f"first")
        if eb is not None:
            if eb.kind == DIR:
                os.mkdir(bname, dir_fd=dfd)
                _checkout_sub(store, EMPTY_TREE_ID, eb.oid, bname, dfd, here)
            else:
                _write_file(store, eb, bname, dfd)
        pause("checkout")
