"""``verfs import darcs`` against the real darcs: histories made with the ``darcs``
program, imported through the command line, and every imported version compared
with darcs's own view of that state (``darcs clone --to-match 'hash H'``, and
``darcs show contents --match`` where a conflict leaves markers in a clone).

The main history has every kind of darcs change: adds, edits, deletes, renames of
files and directories, binary files, empty files, files without a final newline, CRLF
lines, names with spaces, tabs, backslashes, non-breaking spaces and non-ASCII, nested
and emptied directories (darcs keeps empty ones), token replaces, a preference, tags,
and a pull with a conflict (a conflictor), a duplicate, and the resolution.
"""

import gzip
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import need, run_verfs
from darcs_util import Darcs
from treestate import disk_state, tree_state

from verfs import heads
from verfs.repo import Repository

pytestmark = pytest.mark.compat


def write(repo: Path, rel: str, data) -> None:
    p = repo / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data if isinstance(data, bytes) else data.encode())


GREETING = ["line 0", "line 1", "line 3", "line FOUR", "line 5", "line 6", "line 7"]


def greeting(first: str, sixth: str = "line 6", extra: tuple = ()) -> str:
    lines = [first, *GREETING[1:5], sixth, GREETING[6], *extra]
    return "".join(line + "\n" for line in lines)


def build_main(d: Darcs, base: Path) -> Path:
    """The main history (22 patches, two tags); ``base/side`` is the clone whose
    conflicting patches it pulls."""
    main = d.init(base / "main")
    write(main, "hello.txt", "".join(f"line {i}\n" for i in range(1, 6)))
    write(main, "nonl.txt", "alpha\nbeta")
    write(main, "empty.txt", "")
    write(main, "dir one/file two.txt", "spaces inside\n")
    write(main, "naïve café.txt", "non-ascii\n")
    write(main, "odd\tname\\x.txt", "tab and backslash\n")
    write(main, "nb\xa0sp.txt", "no-break space\n")
    write(main, "crlf.txt", "crlf line\r\nsecond\r\n")
    write(main, "a/b/c/deep.txt", "deep\n")
    write(main, "blob.bin", bytes(range(256)) * 2)
    write(main, "small.bin", b"BIN\x00\x01\n")
    write(main, "repl.txt", "old foo old_bar old\nkeep old-x\n")
    (main / "emptydir").mkdir()
    d.record(main, "add initial files", "First line of the description.\n\n"
             "  indented line, after a blank line\n[bracket] line\n")
    write(main, "hello.txt", "line 0\nline 1\nline 3\nline FOUR\nline 5\nline 6\n")
    d.record(main, "edit hello")
    write(main, "blob.bin", bytes(range(255, -1, -1)) * 3)
    write(main, "small.bin", b"")
    d.record(main, "change binaries")
    d("mv", "hello.txt", "greeting.txt", cwd=main)
    d("mv", "dir one", "dir two", cwd=main)
    d.record(main, "renames")
    d("replace", "old", "new", "repl.txt", cwd=main)
    d.record(main, "token replace")
    d("replace", "--token-chars", "[A-Za-z-]", "new-x", "newer-y", "repl.txt", cwd=main)
    d.record(main, "token replace with chars")
    d("setpref", "test", "true", cwd=main)
    d.record(main, "set test pref")
    os.unlink(main / "a/b/c/deep.txt")
    d.record(main, "empty a nested dir")
    shutil.rmtree(main / "a")
    d.record(main, "remove the nested dirs")
    d("tag", "-q", "-m", "v1.0", "-A", "Tagger <t@example.com>", cwd=main)
    write(main, "nonl.txt", "alpha\nbeta\n")
    d.record(main, "add the final newline")
    write(main, "nonl.txt", "alpha\nbeta\ngamma")
    d.record(main, "no final newline again")
    write(main, "greeting.txt", greeting("line 0"))
    d.record(main, "non-ASCII ✓", "by a non-ASCII author", author="Pípe Äuthor <p@example.com>")
    os.unlink(main / "empty.txt")
    d.record(main, "remove an empty file")

    side = base / "side"
    d("clone", "-q", main, side, cwd=base)
    write(main, "greeting.txt", greeting("line 0 (main)"))
    d.record(main, "main: edit line 1")
    write(side, "greeting.txt", greeting("line 0 (side)"))
    d.record(side, "side: edit line 1")
    for repo in (main, side):
        write(repo, "same.txt", "same\n")             # the same change twice: a duplicate
        d.record(repo, f"{repo.name}: add same.txt")
    write(side, "side-only.txt", "only on the side\n")
    write(side, "greeting.txt", greeting("line 0 (side)", "line six"))
    d.record(side, "side: line six")
    pulled = d("pull", "-a", side, cwd=main)
    assert b"conflicts" in pulled.stderr + pulled.stdout
    write(main, "greeting.txt", greeting("line 0 (resolved)", "line six"))
    d.record(main, "resolve conflict")
    d("tag", "-q", "-m", "v2.0", cwd=main)
    write(main, "greeting.txt", greeting("line 0 (resolved)", "line six", ("after tag",)))
    d.record(main, "after tag")
    return main


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """(darcs, the main repository): built once for the module, never modified."""
    need("darcs")
    base = tmp_path_factory.mktemp("darcs")
    d = Darcs(base)
    return d, build_main(d, base)


def import_darcs(src: Path, dst: Path, check: bool = True):
    return run_verfs("import", "darcs", src, "--into", dst, check=check)


def imported_log(dst: Path) -> list[dict]:
    """The imported versions, oldest first."""
    return list(reversed(json.loads(run_verfs("log", "--json", cwd=dst).stdout)))


def check_versions(d: Darcs, src: Path, dst: Path, work: Path, first: int = 0) -> None:
    """Every imported version from the ``first`` on equals darcs's tree at that patch."""
    repo = Repository(dst)
    log, theirs = imported_log(dst), d.log(src)
    assert [e["meta"]["darcs-hash"] for e in log] == [p["hash"] for p in theirs]
    for i, (mine, patch) in enumerate(zip(log, theirs, strict=True)):
        if i < first:
            continue
        want = d.state(src, patch["hash"], work / f"clone-{i}")
        got = tree_state(repo.store, repo.history.root_tree(mine["version"]))
        assert got == want, f"version {i} ({patch['name']}) differs from darcs"


def test_every_imported_version_matches_darcs(sample, tmp_path):
    d, main = sample
    dst = tmp_path / "imported"
    proc = import_darcs(main, dst)
    assert b"imported 22 of 22 patches" in proc.stdout
    assert b"warning" not in proc.stderr          # the head tree matched pristine.hashed
    check_versions(d, main, dst, tmp_path)
    # the working tree of the new repository is the head state
    repo = Repository(dst)
    assert disk_state(dst) == tree_state(repo.store, repo.history.root_tree(repo.head()))


def test_conflicted_versions_match_show_contents(sample, tmp_path):
    """The versions where a clone would hold conflict markers: the recorded tree
    keeps neither side, as ``darcs show contents`` says."""
    d, main = sample
    dst = tmp_path / "imported"
    import_darcs(main, dst)
    repo = Repository(dst)
    by_name = {e["name"]: e for e in imported_log(dst)}
    for name in ("side: edit line 1", "side: add same.txt", "side: line six"):
        entry = by_name[name]
        root = repo.history.root_tree(entry["version"])
        for path in ("greeting.txt", "same.txt"):
            want = d.show_contents(main, entry["meta"]["darcs-hash"], path)
            assert tree_state(repo.store, root)[path][1] == want
    conflicted = by_name["side: edit line 1"]
    text = run_verfs("show", f"{conflicted['version']}:greeting.txt", cwd=dst).stdout
    assert text.startswith(b"line 0\n")


def test_patch_info_identity_and_tags(sample, tmp_path):
    d, main = sample
    dst = tmp_path / "imported"
    import_darcs(main, dst)
    log, theirs = imported_log(dst), d.log(main)
    for mine, patch in zip(log, theirs, strict=True):
        assert mine["name"] == patch["name"]
        assert mine["author"] == patch["author"]
        assert mine["stored_date"] == patch["date"]
        assert mine["comment"][0].startswith("Ignore-this: ")
        assert "\n".join(mine["comment"]) == patch["comment"]
        # darcs's identity, recomputed from what verfs keeps
        raw = (mine["name"] + mine["author"] + mine["stored_date"] + "".join(mine["comment"])
               + "f").encode()
        assert hashlib.sha1(raw).hexdigest() == mine["meta"]["darcs-hash"] == patch["hash"]
        assert "darcs-inverted" not in mine["meta"]
    assert [e["tag"] for e in log if e["tag"]] == ["v1.0", "v2.0"]
    # each with a tag reference, naming its TAG patch's version
    refs = heads.tag_refs(os.path.join(dst, ".verfs"))
    assert sorted(refs) == ["v1.0", "v2.0"]
    history = Repository(dst).history
    assert all(history.step(v).patch.info.name == f"TAG {n}" for n, v in refs.items())
    comment = next(e["comment"] for e in log if e["name"] == "add initial files")
    assert comment[1:] == ["First line of the description.", "",
                           "  indented line, after a blank line", "[bracket] line"]
    text = run_verfs("log", cwd=dst).stdout.decode()
    for patch in theirs:
        assert f"darcs {patch['hash']}" in text
    assert "Pípe Äuthor" in text
    # tags work as version names
    shown = run_verfs("show", "v1.0:greeting.txt", cwd=dst).stdout
    assert shown == b"line 0\nline 1\nline 3\nline FOUR\nline 5\nline 6\n"


def test_imported_repository_behaves_like_any_other(sample, tmp_path):
    d, main = sample
    dst = tmp_path / "imported"
    import_darcs(main, dst)
    run_verfs("fsck", cwd=dst)
    # "after tag" depends on the tag, which depends on everything: commute the two
    # patches before the tag instead, in a clone that ends there
    clone = tmp_path / "clone"
    run_verfs("clone", "--version", "head~2", dst, clone)
    head = run_verfs("head", cwd=clone).stdout.decode().strip()
    names = [e["name"] for e in imported_log(clone)][-2:]
    assert names == ["side: line six", "resolve conflict"]
    run_verfs("commute", cwd=clone)
    assert [e["name"] for e in imported_log(clone)][-2:] == names[::-1]
    assert run_verfs("diff", head, "head", cwd=clone, check=False).returncode == 0
    run_verfs("commute", cwd=clone)
    assert run_verfs("head", cwd=clone).stdout.decode().strip() == head


def test_uncompressed_repository_gives_the_same_versions(sample, tmp_path):
    """``darcs optimize uncompress`` keeps file names and drops gzip: same import."""
    d, main = sample
    plain = tmp_path / "plain"
    shutil.copytree(main, plain, symlinks=True)
    d("optimize", "uncompress", cwd=plain)
    some = next((plain / "_darcs" / "patches").iterdir())
    assert some.read_bytes()[:2] != b"\x1f\x8b"
    import_darcs(main, tmp_path / "a")
    import_darcs(plain, tmp_path / "b")
    heads = [run_verfs("head", cwd=tmp_path / n).stdout for n in ("a", "b")]
    assert heads[0] == heads[1]


def test_incremental_import_takes_only_what_is_new(tmp_path):
    need("darcs")
    d = Darcs(tmp_path)
    src = d.init(tmp_path / "src")
    write(src, "f.txt", "one\n")
    d.record(src, "first")
    write(src, "f.txt", "one\ntwo\n")
    d.record(src, "second")
    dst = tmp_path / "imported"
    assert b"imported 2 of 2" in import_darcs(src, dst).stdout
    old_head = run_verfs("head", cwd=dst).stdout.decode().strip()

    write(src, "f.txt", "one\ntwo\nthree")
    write(src, "sub/g.bin", b"\x00\x01binary")
    d.record(src, "third")
    d("tag", "-q", "-m", "t1", cwd=src)
    d("mv", "sub", "moved", cwd=src)
    d.record(src, "fourth")
    proc = import_darcs(src, dst)
    assert b"imported 3 of 5" in proc.stdout
    assert imported_log(dst)[1]["version"] == old_head       # the old versions, kept
    check_versions(d, src, dst, tmp_path)
    assert (dst / "moved" / "g.bin").read_bytes() == b"\x00\x01binary"

    again = import_darcs(src, dst)
    assert b"already up to date (5 patches)" in again.stdout

    # history rewritten under the import: refused, and nothing changes
    d("obliterate", "-q", "-a", "--last", "1", cwd=src)
    write(src, "f.txt", "rewritten\n")
    d.record(src, "rewritten")
    before = files_of(dst)
    _one_line_error(import_darcs(src, dst, check=False), "not in darcs")
    assert files_of(dst) == before


def test_conflicting_adds_and_duplicate_directories(tmp_path):
    """Both sides add the same file with other contents (a duplicate addfile and a
    conflictor on its hunk) and the same directory (a duplicate adddir)."""
    need("darcs")
    d = Darcs(tmp_path)
    main = d.init(tmp_path / "main")
    write(main, "base.txt", "base\n")
    d.record(main, "base")
    side = tmp_path / "side"
    d("clone", "-q", main, side, cwd=tmp_path)
    write(main, "clash.txt", "main\n")
    d.record(main, "main: add clash.txt")
    write(side, "clash.txt", "side\nmore\n")
    d.record(side, "side: add clash.txt")
    write(side, "dd/f", "s\n")
    d.record(side, "side: add dd/f")
    write(main, "dd/g", "m\n")
    d.record(main, "main: add dd/g")
    d("pull", "-a", side, cwd=main)
    for backup in main.glob("*.~0~"):
        backup.unlink()
    write(main, "clash.txt", "resolved\n")
    d.record(main, "resolve")
    dst = tmp_path / "imported"
    assert b"warning" not in import_darcs(main, dst).stderr
    check_versions(d, main, dst, tmp_path)
    by_name = {e["name"]: e for e in imported_log(dst)}
    conflicted = by_name["side: add clash.txt"]["version"]
    assert run_verfs("show", f"{conflicted}:clash.txt", cwd=dst).stdout == b""
    assert run_verfs("show", f"{conflicted}:dd", cwd=dst).stdout == b"g\n"


def test_pristine_mismatch_is_a_warning(sample, tmp_path):
    d, main = sample
    src = tmp_path / "src"
    shutil.copytree(main, src, symlinks=True)
    inv = src / "_darcs" / "hashed_inventory"
    text = inv.read_bytes()
    inv.write_bytes(re.sub(rb"^pristine:[0-9a-f]+", b"pristine:" + b"0" * 64, text))
    proc = import_darcs(src, tmp_path / "imported")
    assert b"warning" in proc.stderr and b"differs" in proc.stderr


# --- bad input ------------------------------------------------------------------------

def files_of(top: Path) -> dict:
    """Everything under ``top``: directories and files with their bytes."""
    out = {}
    for dirpath, _, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        out[rel] = "dir"
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as f:
                out[os.path.join(rel, name)] = f.read()
    return out


def patch_names(repo: Path) -> list[str]:
    """The patch files the head inventory names, oldest first."""
    text = (repo / "_darcs" / "hashed_inventory").read_text("utf-8")
    return re.findall(r"^hash: (\S+)$", text, re.M)


def _not_a_repo(d, main, tmp):
    (tmp / "plain").mkdir()
    (tmp / "plain" / "f.txt").write_text("hi\n")
    return tmp / "plain", "not a darcs repository"


def _darcs_1(d, main, tmp):
    repo = d.init(tmp / "old", "--darcs-1")
    write(repo, "f.txt", "x\n")
    d.record(repo, "in darcs-1")
    return repo, "darcs-1"


def _darcs_3(d, main, tmp):
    return d.init(tmp / "new", "--darcs-3"), "darcs-3"


def _edited_format(d, main, tmp):
    repo = tmp / "edited"
    shutil.copytree(main, repo, symlinks=True)
    with open(repo / "_darcs" / "format", "a") as f:
        f.write("frobnicated\n")
    return repo, "frobnicated"


def _no_format(d, main, tmp):
    repo = tmp / "ancient"
    (repo / "_darcs").mkdir(parents=True)
    (repo / "_darcs" / "inventory").write_text("")
    return repo, "old-fashioned"


def _corrupt_gzip(d, main, tmp):
    repo = tmp / "corrupt"
    shutil.copytree(main, repo, symlinks=True)
    victim = repo / "_darcs" / "patches" / patch_names(repo)[-1]
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    return repo, "is corrupt"


def _wrong_content(d, main, tmp):
    repo = tmp / "wrong"
    shutil.copytree(main, repo, symlinks=True)
    victim = repo / "_darcs" / "patches" / patch_names(repo)[-1]
    victim.write_bytes(gzip.compress(gzip.decompress(victim.read_bytes()) + b"\n+x"))
    return repo, "does not match its name"


def _replace_last_patch(repo: Path, body: bytes) -> None:
    """Give the last patch another body, under a correct name, as if darcs wrote it."""
    inv = repo / "_darcs" / "hashed_inventory"
    old = patch_names(repo)[-1]
    data = gzip.decompress((repo / "_darcs" / "patches" / old).read_bytes())
    info = data[:data.index(b"\n] ") + 3]
    new_data = info + body
    new = f"{len(new_data):010d}-{hashlib.sha256(new_data).hexdigest()}"
    (repo / "_darcs" / "patches" / new).write_bytes(gzip.compress(new_data))
    inv.write_bytes(inv.read_bytes().replace(old.encode(), new.encode()))


def _unparsable(d, main, tmp):
    repo = tmp / "unparsable"
    shutil.copytree(main, repo, symlinks=True)
    _replace_last_patch(repo, b"hunk ./greeting.txt 8\n+after tag\nfrobnicate ./x")
    return repo, "cannot read darcs patch 'after tag'"


def _does_not_apply(d, main, tmp):
    repo = tmp / "noapply"
    shutil.copytree(main, repo, symlinks=True)
    _replace_last_patch(repo, b"hunk ./greeting.txt 8\n-not there\n+after tag")
    return repo, "patch 'after tag' does not apply"


def _missing_patch(d, main, tmp):
    repo = tmp / "missing"
    shutil.copytree(main, repo, symlinks=True)
    (repo / "_darcs" / "patches" / patch_names(repo)[-1]).unlink()
    return repo, "1 of"


def _lazy_clone(d, main, tmp):
    repo = tmp / "lazy"
    d("clone", "-q", "--lazy", main, repo, cwd=tmp)
    return repo, "lazy clone"


BAD = [_not_a_repo, _darcs_1, _darcs_3, _edited_format, _no_format, _corrupt_gzip,
       _wrong_content, _unparsable, _does_not_apply, _missing_patch, _lazy_clone]


def _one_line_error(proc, expected: str) -> None:
    assert proc.returncode != 0
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("verfs: "), err
    assert expected in err, err


@pytest.mark.parametrize("make", BAD, ids=lambda f: f.__name__.strip("_"))
def test_bad_input_leaves_a_new_target_uncreated(sample, tmp_path, make):
    d, main = sample
    src, expected = make(d, main, tmp_path)
    dst = tmp_path / "out" / "imported"
    _one_line_error(import_darcs(src, dst, check=False), expected)
    assert not dst.exists()
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize("make", BAD, ids=lambda f: f.__name__.strip("_"))
def test_bad_input_leaves_an_existing_target_byte_identical(sample, tmp_path, make):
    """The target already holds the history up to the patch before the last (an
    earlier import of the same repository): the failed run changes nothing."""
    d, main = sample
    partial = tmp_path / "partial"
    d("clone", "-q", "--to-match", f"hash {d.log(main)[-2]['hash']}", main, partial,
      cwd=tmp_path)
    dst = tmp_path / "imported"
    import_darcs(partial, dst)
    before = files_of(dst)
    src, expected = make(d, main, tmp_path)
    _one_line_error(import_darcs(src, dst, check=False), expected)
    assert files_of(dst) == before
