"""``verfs import git``: the first-parent history of a git branch, read through git.

git itself does all the reading (``git_read``), in a few long-lived streams rather
than a process per commit: ``git rev-list`` names the commits (``keys``), one ``git
log --raw -z -M`` gives every commit's metadata and its changes against its first
parent (modes, blob ids, the renames git detects), one ``git cat-file --batch``
serves each blob's bytes the first time it is seen, and ``git for-each-ref`` lists
the tags.

The changes update an in-memory copy of the previous commit's tree, which writes back
only the blobs and directories that changed; ``verfs.diff.tree_prims`` then turns the
old and new roots into prims, with git's renames as moves.

How git maps onto verfs (docs/FORMAT.md repeats this):

- a commit on the first-parent line is one patch: name = the message's first line,
  comment = the rest (without the blank line after the subject), author = the
  author's ``Name <email>``, date = the author date in UTC; metadata ``git-commit``
  = the commit id.  A merge is its change against its first parent.
- mode 100644 is a file, 100755 a file with the exec bit, 120000 a symbolic link
  (its blob is the target); a gitlink (160000, a submodule) has nothing to map to
  and is left out, with a warning.  A ``.verfs`` at any level is left out too, with
  a warning: at the top it would be the repository's own directory, deeper a
  repository planted in the working tree.
- git keeps no empty directories, so a directory that loses its last file goes.
- a tag pointing (directly or through annotated tags) at a first-parent commit
  becomes a ``TAG <name>`` patch right after that commit's (several: by name),
  with the annotated tag's tagger, date and message, or else the commit's committer
  and commit date.
- a tag off that line but reachable from the branch (through a merge), and with
  ``--all`` every tag and branch, gets a side chain: the first-parent line of its
  commit back to an imported commit, whose version is shared (``extras``).  Tags of
  trees or blobs have no version to be; they are left out and counted.
- every patch keeps the author's zone as metadata ``zone`` (``-0700``).
"""

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from store import DIR, EMPTY_TREE_ID, FILE, LINK, ObjectStore, Tree, TreeEntry
from store.errors import Error, FormatError
from store.names import check_name

from ..diff import tree_prims
from ..errors import ImportFailed, PatchApplyError
from ..patch.apply import apply_to_tree
from ..patch.named import TAG_PREFIX, Patch, PatchInfo
from ..patch.prims import Move, Prim
from ..progress import progress
from ..repo import DOTDIR
from .common import Imported, Refs, ref_names
from .git_read import CatFile, Change, Git, LogCommit, TagRef, dec

META_KEY = "git-commit"
ZONE_KEY = "zone"       # the author's zone, git's "+HHMM" / "-HHMM" (the date is UTC)
GITLINK = 0o160000
SYMLINK = 0o120000
NO_MESSAGE = "(no message)"
FEW = 3                 # names shown of what was left out
PREFETCH = 64           # commits whose new blobs are asked of cat-file together


def _utc(stamp: str) -> str:
    try:
        return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y%m%d%H%M%S")
    except (ValueError, OverflowError, OSError):
        return "19700101000000"     # no usable date: the epoch, as git shows it


def _lines(text: str) -> list[str]:
    text = text.strip("\n")
    return text.split("\n") if text else []


def commit_info(sha: str, author: str, date: str, message: str, zone: str = "") -> PatchInfo:
    """The patch info of one commit.  A subject starting with ``TAG `` would make the
    patch a verfs tag; such a commit is named ``(commit) TAG ...`` instead."""
    lines = _lines(message)
    name = lines[0] if lines and lines[0].strip() else NO_MESSAGE
    if name.startswith(TAG_PREFIX):
        name = "(commit) " + name
    comment = lines[1:]
    if comment and not comment[0].strip():
        comment = comment[1:]
    meta = ((META_KEY, sha), (ZONE_KEY, zone)) if zone else ((META_KEY, sha),)
    return PatchInfo(name, author, date, tuple(comment), meta)


def tag_info(tag: TagRef, person: tuple[str, str], time: str) -> PatchInfo:
    """The patch info of a tag.  Its key is unique and tied to the commit (a ref name
    holds no ``:``)."""
    return PatchInfo(TAG_PREFIX + tag.name, f"{person[0]} <{person[1]}>", _utc(time),
                     tuple(_lines(tag.message)), ((META_KEY, f"tag:{tag.name}:{tag.commit}"),))


# --- the tree being imported -------------------------------------------------------

class _Dir:
    __slots__ = ("entries", "oid")

    def __init__(self):
        self.entries: dict[str, _Dir | TreeEntry] = {}
        self.oid: str | None = None     # None: changed since last written


class _Model:
    """The current commit's tree, in memory: directories as ``_Dir``, files and links
    as TreeEntry.  ``files`` maps each path to its git (mode, blob id), so the result
    can be checked against ``git ls-tree`` cheaply."""

    def __init__(self):
        self.root = _Dir()
        self.files: dict[str, tuple[int, str]] = {}

    def _chain(self, parts: list[str], create: bool) -> list[_Dir]:
        chain, d = [self.root], self.root
        for name in parts:
            sub = d.entries.get(name)
            if sub is None and create:
                sub = d.entries[name] = _Dir()
            if not isinstance(sub, _Dir):
                raise KeyError(name)
            chain.append(sub)
            d = sub
        return chain

    def remove(self, path: str) -> None:
        parts = path.split("/")
        chain = self._chain(parts[:-1], create=False)
        del chain[-1].entries[parts[-1]]
        del self.files[path]
        for d in chain:
            d.oid = None
        for i in range(len(chain) - 1, 0, -1):      # git keeps no empty directories
            if chain[i].entries:
                break
            del chain[i - 1].entries[parts[i - 1]]

    def put(self, path: str, entry: TreeEntry, mode: int, sha: str) -> None:
        parts = path.split("/")
        chain = self._chain(parts[:-1], create=True)
        chain[-1].entries[parts[-1]] = entry
        self.files[path] = (mode, sha)
        for d in chain:
            d.oid = None

    def write(self, store: ObjectStore, d: _Dir | None = None) -> str:
        """Store what changed; the root tree's id."""
        d = d or self.root
        if d.oid is None:
            entries = []
            for name, e in d.entries.items():
                if isinstance(e, _Dir):
                    entries.append(TreeEntry(name, DIR, self.write(store, e), len(e.entries)))
                else:
                    entries.append(e)
            d.oid = store.put_tree(Tree.build(entries)) if entries else EMPTY_TREE_ID
        return d.oid


def _key_of(history, vid: str) -> str | None:
    """The git commit (or tag key) a version's patch was imported from, if it can
    be read."""
    try:
        return history.step(vid).patch.info.get_meta(META_KEY)
    except Error:
        return None


def _key(e) -> str:
    """A line entry's key (the ``git-commit`` metadata of its patch)."""
    if isinstance(e, _Commit):
        return e.sha
    if isinstance(e, _Imported):
        return e.key
    return e.info.get_meta(META_KEY)


@dataclass
class _Selection:
    """What an import takes beside its line (``GitSource._selection``)."""

    wanted: list[TagRef]             # the tags imported
    unreached: list[str]             # tags left out: not reachable from the branch
    of_objects: list[str]            # tags left out: of a tree or a blob, not a commit
    branches: dict[str, str]         # --all: every branch's tip commit
    names: dict[str, str]            # git's tag name -> verfs's
    bnames: dict[str, str]           # git's branch name -> verfs's


@dataclass
class _Commit:
    sha: str


@dataclass
class _Imported:
    """A patch an earlier import put on the line that git no longer puts there (a
    tag deleted or moved since): history, kept; only its key is needed."""

    key: str


@dataclass
class _Tag:
    sha: str            # the commit it points to
    info: PatchInfo


# --- the source ---------------------------------------------------------------------

class GitSource:
    """A git branch's first-parent history as a verfs import source (see the module
    docstring for the mapping)."""

    meta_key = META_KEY

    def __init__(self, src: str, branch: str | None = None, everything: bool = False):
        self.git = Git(src)
        inside = self.git.run("rev-parse", "--git-dir", ok=(0, 128))
        if inside.returncode:
            if b"not a git repository" in inside.stderr:
                raise ImportFailed(f"{src}: not a git repository")
            raise ImportFailed(self.git.failure(["rev-parse"], inside.stderr))
        self.branch, self.head = self._resolve(src, branch)
        self.description = f"git {self.git.src} ({self.branch})"
        self._entries: list[_Commit | _Tag] | None = None
        self._model: _Model | None = None
        self._warnings: list[str] = []
        self._side: tuple[str, _Model] | None = None     # the last side chain's end
        # git blob id -> (verfs blob id, size): each blob is read from git once.
        self._blobs: dict[str, tuple[str, int]] = {}
        self.everything = everything        # --all: every branch and every tag

    def _commit_id(self, rev: str) -> str | None:
        proc = self.git.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}",
                            ok=(0, 1, 128))
        return dec(proc.stdout).strip() if proc.returncode == 0 else None

    def _resolve(self, src: str, branch: str | None) -> tuple[str, str]:
        """The branch's name and its commit, fixed now: a branch that moves during
        the import does not change what is imported."""
        if branch is None:
            ref = self.git.run("symbolic-ref", "--quiet", "HEAD", ok=(0, 1, 128))
            if ref.returncode:
                sha = self._commit_id("HEAD")
                if sha is None:
                    raise ImportFailed(f"{src}: HEAD names no commit")
                return "HEAD", sha
            full = dec(ref.stdout).strip()
            branch = full.removeprefix("refs/heads/")
            sha = self._commit_id(full)
            if sha is None:
                raise ImportFailed(f"{src}: branch {branch!r} has no commits yet")
            return branch, sha
        if not branch or branch.startswith("-"):
            raise ImportFailed(f"{src}: no branch {branch!r}")
        sha = self._commit_id(f"refs/heads/{branch}") or self._commit_id(branch)
        if sha is None:
            raise ImportFailed(f"{src}: no branch {branch!r}")
        return branch, sha

    # --- keys -----------------------------------------------------------------------
    def _line(self) -> list[_Commit | _Tag]:
        """The commits of the first-parent line, oldest first, each followed by its
        tags (by name)."""
        if self._entries is None:
            shas = dec(self.git.out("rev-list", "--first-parent", "--reverse",
                                    self.head)).split()
            tags: dict[str, list[_Tag]] = {}
            on_line = set(shas)
            self._line_shas = on_line
            self._all_tags = sorted(self.git.tags(), key=lambda t: t.name)
            for t in self._all_tags:
                if t.commit in on_line:
                    tags.setdefault(t.commit, []).append(_Tag(t.commit, self._tag_info(t)))
            self._entries = []
            for sha in shas:
                self._entries.append(_Commit(sha))
                self._entries.extend(tags.get(sha, ()))
        return self._entries

    def _tag_info(self, t: TagRef) -> PatchInfo:
        if t.person is not None:
            return tag_info(t, t.person, t.time)
        return tag_info(t, *self.git.committer(t.commit))   # an annotated tag, no tagger

    def keys(self) -> list[str]:
        return [_key(e) for e in self._line()]

    def settle(self, done: list[str]) -> list[str]:
        """The line's keys made to agree with ``done``, what an earlier import made of
        it (its patches' keys, oldest first), where only tags differ: a tag git now
        puts on a commit already imported (new there, or moved) leaves the line —
        ``extras`` gives it its TAG patch on that commit's version, as a tag off
        the line gets — and a tag patch git no longer has (deleted, moved) stays,
        history.  The commits must agree; if they do not, the caller refuses."""
        line = self._line()
        settled: list = []
        i = 0
        for e in line:
            key = _key(e)
            if i >= len(done):
                settled.append(e)
                continue
            if isinstance(e, _Tag) and key != done[i]:
                continue                       # new (or moved) on an imported commit
            while i < len(done) and done[i] != key and done[i].startswith("tag:"):
                settled.append(_Imported(done[i]))     # a tag git has no more
                i += 1
            settled.append(e)
            i += 1
        while i < len(done) and done[i].startswith("tag:"):
            settled.append(_Imported(done[i]))
            i += 1
        self._entries = settled
        return [_key(e) for e in settled]

    # --- patches --------------------------------------------------------------------
    def patches(self, start: int, store: ObjectStore) -> Iterator[Imported]:
        line = self._line()
        base = next((e.sha for e in reversed(line[:start]) if isinstance(e, _Commit)), None)
        todo = line[start:]
        self._warnings = []
        with ExitStack() as stack:
            cat = CatFile(self.git, stack)
            model = _Model()
            if base is not None:
                self._apply(model, self.git.ls_tree(base), base, cat, store)
            root = model.write(store)
            log: Iterator[LogCommit] = iter(())
            if any(isinstance(e, _Commit) for e in todo):
                revs = f"{base}..{self.head}" if base else self.head
                log = self._prefetch(self.git.log(revs, stack, self._warnings), cat, store)
            for e in todo:
                if isinstance(e, _Tag):
                    yield Imported(e.info, [], root)
                    continue
                c = next(log, None)
                if c is None or c.sha != e.sha:
                    raise ImportFailed(f"git log in {self.git.src}: expected commit {e.sha}, "
                                       f"got {c.sha if c else 'nothing'}")
                renames = self._apply(model, c.changes, c.sha, cat, store)
                new_root = model.write(store)
                prims = self._prims(store, root, new_root, renames, c.sha)
                root = new_root
                yield Imported(self._commit_info(c), prims, root)
            for c in log:
                raise ImportFailed(f"git log in {self.git.src}: commit {c.sha} is not one "
                                   f"git rev-list listed")
        self._model = model

    @staticmethod
    def _commit_info(c: LogCommit) -> PatchInfo:
        return commit_info(c.sha, f"{c.author_name} <{c.author_email}>",
                           _utc(c.author_time), c.message, c.zone)

    def _prims(self, store: ObjectStore, old: str, new: str, renames,
               sha: str) -> list[Prim]:
        """tree_prims, with a net under moves: ordering moves is the one subtle part
        of it, so prims with moves are tried before they are trusted, and should they
        not give the commit's tree the commit is recorded without moves (removals
        and additions) rather than fail the whole import."""
        prims = tree_prims(store, old, new, renames=renames)
        if any(isinstance(p, Move) for p in prims):
            try:
                ok = apply_to_tree(store, old, prims) == new
            except PatchApplyError:
                ok = False
            if not ok:
                self._warnings.append(f"commit {sha[:12]}: its renames could not be put "
                                      f"in order; recorded as removals and additions")
                prims = tree_prims(store, old, new, moves=False)
        return prims

    def _fetch(self, shas, cat: CatFile, store: ObjectStore) -> None:
        """Store the blobs not seen yet."""
        fresh = sorted(set(shas) - self._blobs.keys())
        for sha, data in cat.blobs(fresh):
            self._blobs[sha] = (store.put_blob(data), len(data))

    def _prefetch(self, commits: Iterator[LogCommit], cat: CatFile,
                  store: ObjectStore) -> Iterator[LogCommit]:
        """The commits, each after the blobs of up to PREFETCH commits from it on
        were fetched together: one round trip to cat-file for many commits."""
        ahead: list[LogCommit] = []
        done = False
        while not done:
            ahead.clear()
            for c in commits:
                ahead.append(c)
                if len(ahead) == PREFETCH:
                    break
            else:
                done = True
            self._fetch([ch.new_sha for c in ahead for ch in c.changes
                         if ch.new_mode and ch.new_mode != GITLINK], cat, store)
            yield from ahead

    def _apply(self, model: _Model, changes: list[Change], sha: str, cat: CatFile,
               store: ObjectStore) -> list[tuple[str, str]]:
        """Update ``model`` by one commit's changes; git's renames, for tree_prims.
        Removals go first, so that a file may become a directory and back."""
        gone: list[str] = []
        added: list[Change] = []
        renames: list[tuple[str, str]] = []
        for ch in changes:
            new_kept = bool(ch.new_mode) and self._kept(ch.path, ch.new_mode, sha)
            if new_kept:
                added.append(ch)
            if ch.src is not None:              # a rename (R) or a copy (C)
                if ch.status == "R" and ch.src in model.files:
                    gone.append(ch.src)
                    if new_kept:
                        renames.append((ch.src, ch.path))
            elif ch.path in model.files and not new_kept:
                gone.append(ch.path)
        for path in gone:
            model.remove(path)
        self._fetch([ch.new_sha for ch in added], cat, store)
        for ch in added:
            oid, size = self._blobs[ch.new_sha]
            name = ch.path.rpartition("/")[2]
            kind = LINK if ch.new_mode & 0o170000 == SYMLINK else FILE
            entry = TreeEntry(name, kind, oid, size, kind == FILE and bool(ch.new_mode & 0o100))
            try:
                for part in ch.path.split("/"):
                    check_name(part)
                model.put(ch.path, entry, ch.new_mode, ch.new_sha)
            except (FormatError, KeyError) as exc:
                raise ImportFailed(f"commit {sha}: cannot import {ch.path!r}: {exc}") from None
        return renames

    def _kept(self, path: str, mode: int, commit: str | None) -> bool:
        """Whether a path of this mode has a place in verfs; warns (once per path)
        when it has not and ``commit`` is given."""
        if mode == GITLINK:
            why = "a git submodule (gitlink), which verfs does not represent"
        elif DOTDIR in path.split("/"):
            why = f"inside a {DOTDIR} directory, where a repository keeps its own data"
        elif mode & 0o170000 not in (0o100000, SYMLINK):
            why = f"of unknown git mode {mode:o}"
        else:
            return True
        said = any(w.startswith(f"left out {path!r}:") for w in self._warnings)
        if commit is not None and not said:
            self._warnings.append(f"left out {path!r}: {why} (first in commit {commit[:12]})")
        return False

    # --- the final check ------------------------------------------------------------
    def check_final(self, store: ObjectStore, root: str) -> list[str]:
        """git's own listing of the branch head (``git ls-tree``) against the imported
        tree's paths, modes and blob ids; plus what was left out on the way."""
        warnings = list(self._warnings)
        model = self._model
        if model is None:
            return warnings
        if model.write(store) != root:
            return [*warnings, "the imported head tree differs from the one built from git"]
        listed = {ch.path: (ch.new_mode, ch.new_sha) for ch in self.git.ls_tree(self.head)
                  if self._kept(ch.path, ch.new_mode, None)}
        if listed != model.files:
            diff = sorted(listed.keys() ^ model.files.keys()) or sorted(
                p for p in listed if listed[p] != model.files[p])
            more = f" and {len(diff) - 1} more path(s)" if len(diff) > 1 else ""
            warnings.append(f"the imported head differs from git ls-tree {self.head[:12]} "
                            f"at {diff[0]!r}{more}")
        return warnings

    # --- beside the line: tags off it, other branches (extras) -----------------------
    def extras(self, history, store: ObjectStore, memo: dict[str, str],
               known: dict[str, dict[str, str | None]] | None = None) -> Refs:
        """Side chains for the tags off the first-parent line (and with ``--all``
        for every branch and tag), and the references naming them.

        A commit off the line is imported on a chain of its own: its first-parent
        line back to the first commit already imported (``memo``: commit -> version,
        the line's and the side chains' made so far), whose version is shared, then
        one patch per commit as on the line.  So tags on one maintenance branch share
        their chain, and importing again makes the very same versions (a version's
        id is its parent's and its patch's).  ``known``: the repository's references
        (``{"tags": ..., "branches": ...}``) — one that already names what git's tag
        or branch stands for is taken as it is, its chain walked only to know its
        commits (no git process): an import with nothing new costs no side chain."""
        known = known or {}
        self._line()
        refs = Refs()
        sel = self._selection()
        wanted, branches, names, bnames = sel.wanted, sel.branches, sel.names, sel.bnames
        with ExitStack() as stack:
            cat = CatFile(self.git, stack)
            by_commit: dict[str, list[TagRef]] = {}
            for t in wanted:
                by_commit.setdefault(t.commit, []).append(t)
            # oldest first (git's topological order), so that each side chain goes on
            # where the one before ended: one git log and no ls-tree per tag
            order = self.git.topo_order([*(c for c in by_commit if c not in self._line_shas),
                                         *branches.values()])
            by_commit = dict(sorted(by_commit.items(), key=lambda kv: order.get(kv[0], -1)))
            with progress(len(by_commit) + len(branches), "tags and branches") as bar:
                for sha, group in by_commit.items():
                    if sha in self._line_shas:
                        for t in group:   # on the line: its TAG patch is there, unless
                            key = f"tag:{t.name}:{t.commit}"    # new since (settle)
                            refs.tags[names[t.name]] = memo.get(key) or self._beside(
                                t, history, memo[t.commit])
                        bar.update(1)
                        continue
                    done = self._known_tags(group, names, known.get("tags", {}), history)
                    if done is not None:
                        refs.tags.update(done)
                        self._seed(history, memo, [history.version(v).parent
                                                   for v in done.values()])
                        bar.update(1)
                        continue
                    base, model = self._chain_to(sha, history, store, memo, stack, cat)
                    for t in group:     # each on the commit: adding a tag moves no other
                        vid = history.add_version(base, Patch(self._tag_info(t), ()),
                                                  root=model.write(store))
                        history.closed_inventory(vid)
                        refs.tags[names[t.name]] = vid
                    refs.warnings += self._compare(model, sha, f"tag {group[0].name}")
                    bar.update(1)
                for name, sha in sorted(branches.items(), key=lambda kv: order.get(kv[1], -1)):
                    vid = known.get("branches", {}).get(bnames[name])
                    if name != self.branch and vid and _key_of(history, vid) == sha:
                        refs.branches[bnames[name]] = vid         # as it was: taken
                        self._seed(history, memo, [vid])
                    elif name != self.branch:
                        vid, model = self._chain_to(sha, history, store, memo, stack, cat)
                        refs.branches[bnames[name]] = vid
                        refs.warnings += self._compare(model, sha, f"branch {name}")
                    bar.update(1)
        if self.everything and self.branch in bnames:
            refs.current = bnames[self.branch]
        refs.notes = self._notes(len(wanted), sel.unreached, sel.of_objects, names,
                                 sorted(set(self.git.branches()) - {self.branch})
                                 if not self.everything else [], branches, bnames)
        return refs

    def _selection(self) -> "_Selection":
        """Which tags and branches ``extras`` imports, what it leaves out, and the
        names they get (git's names verfs refuses, mapped)."""
        tags = self._all_tags
        reach = set() if self.everything else self.git.reachable(self.head)
        of_objects = [t.name for t in tags if t.commit is None]
        unreached = [t.name for t in tags if t.commit is not None and not self.everything
                     and t.commit not in reach]
        wanted = [t for t in tags if t.commit is not None and t.name not in unreached]
        branches = self.git.branches() if self.everything else {}
        detached = self.branch == "HEAD"      # no branch to check out: stay on main
        bnames = ref_names([*branches, *([self.branch] if self.everything and not detached
                                         else [])], "branch")
        return _Selection(wanted, unreached, of_objects, branches,
                          ref_names([t.name for t in wanted], "tag"), bnames)

    def _known_tags(self, group: list[TagRef], names: dict[str, str],
                    known: dict[str, str], history) -> dict[str, str] | None:
        """The references of ``group`` (the tags of one commit off the line) when
        each already names a version whose TAG patch is this very tag's (name,
        commit, tagger, date, message): nothing to make.  None otherwise."""
        found = {}
        for t in group:
            vid = known.get(names[t.name])
            if vid is None:
                return None
            try:
                if history.step(vid).patch.info != self._tag_info(t):
                    return None
            except Error:           # damaged or missing: made again, as if new
                return None
            found[names[t.name]] = vid
        return found

    @staticmethod
    def _seed(history, memo: dict[str, str], vids: list[str | None]) -> None:
        """Commit -> version for the chains of ``vids``, down to a version ``memo``
        knows: what a later side chain may go on from."""
        for vid in vids:
            for step in history.chain(vid):
                key = step.patch.info.get_meta(META_KEY)
                if key is None or key in memo:
                    break
                memo[key] = step.vid

    def _beside(self, t: TagRef, history, base: str) -> str:
        """Tag ``t``'s TAG patch directly on ``base`` (its commit's version), off the
        line: a tag git put on a commit the line imported before."""
        vid = history.add_version(base, Patch(self._tag_info(t), ()),
                                  root=history.root_tree(base))
        history.closed_inventory(vid)
        return vid

    def _chain_to(self, sha: str, history, store: ObjectStore, memo: dict[str, str],
                  stack: ExitStack, cat: CatFile) -> tuple[str | None, _Model]:
        """The version of commit ``sha`` (made, with the commits of its first-parent
        line down to an imported one, if need be), and its tree as a model."""
        todo: list[str] = []
        base = None
        for c in self.git.first_parents(sha):
            if c in memo:
                base = c
                break
            todo.append(c)
        last = self._side
        if last is not None and base is not None and last[0] == base:
            model = last[1]     # the chain goes on where the last one ended: no ls-tree
        else:
            model = _Model()
            if base is not None:
                self._apply(model, self.git.ls_tree(base), base, cat, store)
        vid = memo.get(base) if base else None
        root = model.write(store)
        if not todo:
            self._side = (sha, model)
            return vid, model
        revs = f"{base}..{sha}" if base else sha
        expected = todo[::-1]
        for i, c in enumerate(self._prefetch(self.git.log(revs, stack, self._warnings),
                                             cat, store)):
            if i >= len(expected) or c.sha != expected[i]:
                raise ImportFailed(f"git log in {self.git.src}: expected commit "
                                   f"{expected[i] if i < len(expected) else 'nothing'}, "
                                   f"got {c.sha}")
            renames = self._apply(model, c.changes, c.sha, cat, store)
            new_root = model.write(store)
            prims = self._prims(store, root, new_root, renames, c.sha)
            vid = history.add_version(vid, Patch(self._commit_info(c), tuple(prims)),
                                      root=new_root)
            memo[c.sha] = vid
            root = new_root
        self._side = (sha, model)
        return vid, model

    def _compare(self, model: _Model, sha: str, what: str) -> list[str]:
        """A side chain's tree against ``git ls-tree`` of the commit it stands for."""
        listed = {ch.path: (ch.new_mode, ch.new_sha) for ch in self.git.ls_tree(sha)
                  if self._kept(ch.path, ch.new_mode, None)}
        if listed == model.files:
            return []
        diff = sorted(listed.keys() ^ model.files.keys()) or sorted(
            p for p in listed if listed[p] != model.files[p])
        return [f"the imported {what} differs from git ls-tree {sha[:12]} at {diff[0]!r}"]

    def _notes(self, imported: int, unreached: list[str], of_objects: list[str],
               names: dict[str, str], other_branches: list[str],
               branches: dict[str, str], bnames: dict[str, str]) -> list[str]:
        """The lines that say what came in beside the line and what was left out."""
        def few(items: list[str]) -> str:
            return ", ".join(items[:FEW]) + (", ..." if len(items) > FEW else "")

        left = []
        if unreached:
            left.append(f"not reachable from {self.branch}: {few(unreached)}")
        if of_objects:
            left.append(f"not of a commit: {few(of_objects)}")
        n_left = len(unreached) + len(of_objects)
        line = f"import: {imported} tag(s) imported"
        if n_left:
            line += f"; {n_left} left out ({'; '.join(left)})"
            if unreached:
                line += "; use --all"
        notes = [line]
        mapped = [f"{n} -> {m}" for n, m in sorted(names.items()) if n != m]
        mapped += [f"{n} -> {m}" for n, m in sorted(bnames.items()) if n != m]
        if mapped:
            notes.append(f"import: {len(mapped)} name(s) mapped (refused by verfs): "
                         f"{few(mapped)}")
        if branches:
            notes.append(f"import: {len(branches)} branch(es) imported")
        elif other_branches:
            notes.append(f"import: {len(other_branches)} other branch(es) left out: "
                         f"{few(other_branches)}; use --all")
        return notes
