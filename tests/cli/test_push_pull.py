"""push, pull and clone through a remote store, driven through the command line:
round trips over a directory (file://) and S3, a clone from a remote equal to a local
clone, refusals, a push killed with -9 and resumed.  Every command gets its own
remote cache (``XDG_CACHE_HOME``), as another machine would have."""

import json
import re

import pytest

from tests.conftest import one_line_error, run_verfs, verfs_env
from tests.pausing import Paused
from tests.treestate import disk_state

SUMMARY = re.compile(r"(\d+) bytes sent and (\d+) received in (\d+) requests?")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Commands not run through a Machine (a paused one) keep their cache here too."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-default"))



class Machine:
    """Commands run as on a machine of their own: one cache directory."""

    def __init__(self, cache):
        self.cache = str(cache)

    def __call__(self, *args, cwd=None, check=True):
        return run_verfs(*args, cwd=cwd, check=check,
                         env=verfs_env(XDG_CACHE_HOME=self.cache))


@pytest.fixture
def machines(tmp_path):
    return [Machine(tmp_path / f"cache-{i}") for i in range(3)]


def head(run, d) -> str:
    return run("head", cwd=d).stdout.decode().strip()


def record(run, d, name: str, path: str = "f", text: str | None = None) -> str:
    p = d / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text if text is not None else (p.read_text() if p.exists() else "") + name
                 + "\n")
    return run("record", "-m", name, cwd=d).stdout.decode().strip()


def traffic(proc) -> tuple[int, int, int]:
    """(bytes sent, received, requests) from a summary line."""
    m = SUMMARY.search(proc.stdout.decode())
    assert m, proc.stdout
    return int(m[1]), int(m[2]), int(m[3])


def test_push_then_clone_is_a_local_clone(sample, url, machines, tmp_path):
    a, b, _ = machines
    out = a("push", url, cwd=sample.root).stdout.decode()
    assert f"the remote's head is now {sample.repo.head()[:12]}" in out
    for spec in ("head", "head~2", "v1.0"):
        remote, local = tmp_path / f"remote-{spec}", tmp_path / f"local-{spec}"
        b("clone", "--version", spec, url, remote)
        b("clone", "--version", spec, sample.root, local)
        assert head(b, remote) == head(b, local)
        assert disk_state(remote) == disk_state(local)
        b("fsck", cwd=remote)
        assert b("whatsnew", cwd=remote, check=False).stdout == b"No changes!\n"
    log = json.loads(b("log", "--json", cwd=tmp_path / "remote-head").stdout)
    assert [e["version"] for e in log] == sample.chain[::-1]


def shared(a, b, repo_dir, url, tmp_path):
    """``repo_dir`` at a first patch, pushed by ``a``; its clone by ``b`` from the
    remote (returned)."""
    record(a, repo_dir, "one")
    a("push", url, cwd=repo_dir)
    copy = tmp_path / "copy"
    b("clone", url, copy)
    return copy


def test_pull_brings_new_patches(repo_dir, url, machines, tmp_path):
    a, b, _ = machines
    copy = shared(a, b, repo_dir, url, tmp_path)
    two = record(a, repo_dir, "two", "d/g")
    three = record(a, repo_dir, "three")
    a("push", url, cwd=repo_dir)
    out = b("pull", url, cwd=copy).stdout.decode()
    assert out.startswith("pulled 2 versions") and three[:12] in out
    assert head(b, copy) == three
    assert disk_state(copy) == disk_state(repo_dir)
    assert b("log", "--json", "head~1", cwd=copy).stdout.decode().count(two) >= 1
    again = b("pull", url, cwd=copy).stdout.decode()
    assert again.startswith(f"already at the remote's head {three[:12]}")
    b("fsck", cwd=copy)


def test_pull_into_an_empty_repository_and_push_of_nothing(repo_dir, url, machines,
                                                           tmp_path):
    a, b, _ = machines
    one = record(a, repo_dir, "one")
    a("push", url, cwd=repo_dir)
    assert "nothing to push" in a("push", url, cwd=repo_dir).stdout.decode()
    empty = tmp_path / "empty"
    b("init", empty)
    b("pull", url, cwd=empty)
    assert head(b, empty) == one and (empty / "f").read_text() == "one\n"


def test_pull_does_not_move_head_over_unrecorded_changes(repo_dir, url, machines, tmp_path):
    a, b, _ = machines
    copy = shared(a, b, repo_dir, url, tmp_path)
    old = head(b, copy)
    two = record(a, repo_dir, "two")
    a("push", url, cwd=repo_dir)
    (copy / "f").write_text("mine\n")
    err = one_line_error(b("pull", url, cwd=copy, check=False), 1)
    assert "unrecorded changes" in err and "head not moved" in err
    assert head(b, copy) == old and (copy / "f").read_text() == "mine\n"
    b("show", f"{two}:f", cwd=copy)          # the history is fetched all the same
    (copy / "f").write_text("one\n")
    b("pull", url, cwd=copy)
    assert head(b, copy) == two and (copy / "f").read_text() == "one\ntwo\n"


def test_push_refused_when_the_remote_is_ahead_then_pull_and_push(repo_dir, url, machines,
                                                                  tmp_path):
    a, b, _ = machines
    copy = shared(a, b, repo_dir, url, tmp_path)
    record(a, repo_dir, "two")
    theirs = head(a, repo_dir)
    a("push", url, cwd=repo_dir)
    record(b, copy, "mine", "g")
    err = one_line_error(b("push", url, cwd=copy, check=False), 1)
    assert err == (f"verfs: the remote's head {theirs[:12]} is not in yours: pull first "
                   f"(or push --force)\n")
    # diverged: pull fetches, does not move head, and says so
    err = one_line_error(b("pull", url, cwd=copy, check=False), 1)
    assert "each have patches the other lacks" in err
    # a clone that only lagged behind pulls, records and pushes
    late = tmp_path / "late"
    b("clone", "--version", "head~1", url, late)
    b("pull", url, cwd=late)
    mine = record(b, late, "after pulling", "h")
    b("push", url, cwd=late)
    fresh = tmp_path / "fresh"
    b("clone", url, fresh)
    assert head(b, fresh) == mine


def test_push_force_overwrites_loudly(repo_dir, url, machines, tmp_path):
    a, b, _ = machines
    copy = shared(a, b, repo_dir, url, tmp_path)
    record(a, repo_dir, "two")
    a("push", url, cwd=repo_dir)
    mine = record(b, copy, "mine", "g")
    proc = b("push", "--force", url, cwd=copy)
    assert "WARNING: push --force" in proc.stderr.decode()
    fresh = tmp_path / "fresh"
    b("clone", url, fresh)
    assert head(b, fresh) == mine


def test_a_killed_push_leaves_the_old_head_and_resumes(sample, url, machines, tmp_path):
    a, b, c = machines
    ref = url.rstrip("/") + "-ref"          # the same push, not interrupted
    a("push", url, cwd=sample.root)
    a("push", ref, cwd=sample.root)
    old = head(a, sample.root)
    for i in range(8):
        record(a, sample.root, f"more {i}", f"more/{i}.txt", f"{i}\n" * 200 + "x" * 3000)
    new = head(a, sample.root)
    proc = a("push", "--pack-size", "4000", ref, cwd=sample.root)
    assert int(re.search(r"in (\d+) packs", proc.stdout.decode())[1]) >= 4
    uninterrupted = traffic(proc)
    Paused(tmp_path, "pushed-pack", "push", "--pack-size", "4000", url,
           cwd=sample.root).kill()
    between = tmp_path / "between"
    b("clone", url, between)
    assert head(b, between) == old
    b("fsck", cwd=between)
    resumed = traffic(a("push", "--pack-size", "4000", url, cwd=sample.root))
    assert resumed[0] < uninterrupted[0], (resumed, uninterrupted)
    after = tmp_path / "after"
    c("clone", url, after)
    assert head(c, after) == new
    assert disk_state(after) == disk_state(sample.root)
    c("fsck", cwd=after)


def test_bad_urls_and_no_store(repo_dir, machines, tmp_path):
    a = machines[0]
    for bad in ("bogus://x", "file://relative/path", "s3://", "http://"):
        one_line_error(a("push", bad, cwd=repo_dir, check=False), 2)
    one_line_error(a("pull", "bogus://x", cwd=repo_dir, check=False), 2)
    one_line_error(a("clone", "bogus://x", tmp_path / "d", check=False), 2)
    (tmp_path / "plain").mkdir()
    err = one_line_error(a("pull", f"file://{tmp_path}/plain", cwd=repo_dir, check=False), 1)
    assert "holds no verfs store" in err
    one_line_error(a("clone", f"file://{tmp_path}/plain", tmp_path / "d", check=False), 1)
    assert not (tmp_path / "d").exists()


def test_a_damaged_remote_pack_is_never_installed(repo_dir, machines, tmp_path):
    a, b, _ = machines
    remote = tmp_path / "remote"
    url = f"file://{remote}"
    copy = shared(a, b, repo_dir, url, tmp_path)
    record(a, repo_dir, "two")
    a("push", url, cwd=repo_dir)
    packs = copy / ".verfs" / "store" / "packs"
    before = sorted(packs.iterdir()) if packs.exists() else []
    for pack in (remote / "packs").glob("*.pack"):
        data = bytearray(pack.read_bytes())
        data[len(data) // 3] ^= 0x55
        pack.write_bytes(bytes(data))
    one_line_error(b("pull", url, cwd=copy, check=False), 3)
    assert (sorted(packs.iterdir()) if packs.exists() else []) == before
    one_line_error(b("clone", url, tmp_path / "new", check=False), 3)
    assert not (tmp_path / "new").exists()


def test_a_blob_and_a_tree_with_one_id_are_both_pushed(repo_dir, machines, tmp_path):
    """A file holding exactly a tree's bytes has the tree's id: push sends both (what
    the remote has is known by kind and id, not by id alone)."""
    from store.remote.store import open_remote
    from verfs.repo import Repository
    a = machines[0]
    url = f"file://{tmp_path}/remote"
    record(a, repo_dir, "one", "d/x")
    repo = Repository(str(repo_dir))
    states = repo.history.states
    tree = next(e.oid for e in states.get_tree(repo.history.root_tree(repo.head())).entries
                if e.name == "d")
    (repo_dir / "copy").write_bytes(states.get("tree", tree))
    a("record", "-m", "copy", cwd=repo_dir)
    a("push", url, cwd=repo_dir)
    remote = open_remote(url, cache_dir=str(tmp_path / "check"))
    assert remote.contains("tree", tree) and remote.contains("blob", tree)


def test_a_clone_reads_the_pushed_roots_and_stamps(sample, url, machines, tmp_path):
    """The tables a push uploads are what a clone's derived cache starts with: its
    versions' roots and stamps are the pusher's, nothing replayed to find them."""
    from verfs.repo import Repository
    a, b, _ = machines
    a("push", url, cwd=sample.root)
    b("clone", url, tmp_path / "copy")
    copy = Repository(str(tmp_path / "copy"))
    origin = sample.repo.history
    for vid in sample.chain:
        root = copy.history.root_tree(vid)
        assert root == origin.root_tree(vid)
        ids = [root, *(e.oid for e in copy.history.states.get_tree(root).entries)]
        assert copy.history.stamps(vid, ids) == origin.stamps(vid, ids)
    assert copy.history.replayed == 0 and copy.history.restamped == 0


def test_a_pusher_pulls_back_only_what_others_pushed(repo_dir, url, machines, tmp_path):
    """What a push uploaded is known to be here: a later pull fetches only the packs
    and tables of the pushes made elsewhere since."""
    a, b, _ = machines
    copy = shared(a, b, repo_dir, url, tmp_path)
    record(b, copy, "two")
    theirs = b("push", url, cwd=copy).stdout.decode()
    ours = a("pull", url, cwd=repo_dir).stdout.decode()
    moved = re.compile(r"(\d+) objects? in (\d+) packs? and (\d+) tables?")
    assert moved.search(ours).groups() == moved.search(theirs).groups(), (ours, theirs)


def test_a_remote_emptied_and_made_again_is_read_as_it_is_now(sample, machines, tmp_path):
    """The same cache saw the old remote: a push to the new one at the same URL sends
    everything again (its manifest is asked at opening, and the marker by every
    writer), and a clone through that cache gets the new remote's head — the old
    manifest's packs, gone, are never asked for."""
    import shutil
    a, _, _ = machines
    url = f"file://{tmp_path}/remote"
    first = traffic(a("push", url, cwd=sample.root))
    shutil.rmtree(tmp_path / "remote")
    again = traffic(a("push", url, cwd=sample.root))
    assert again[0] >= first[0]                         # everything was sent again
    assert (tmp_path / "remote" / "verfs-remote").exists()
    a("clone", url, str(tmp_path / "copy"))
    assert head(a, tmp_path / "copy") == sample.repo.head()
