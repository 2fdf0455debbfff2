"""The seed's scenario, the acceptance test of the model (DESIGN.md): commuting the
last two patches twice gives back the very same versions, byte for byte."""

from pathlib import Path


def _count(repo: Path, kind: str) -> int:
    return sum(1 for p in (repo / ".verfs" / "store" / kind).rglob("*") if p.is_file())


def test_commute_twice_gives_back_the_same_versions(verfs, repo_dir):
    (repo_dir / "a.txt").write_text("first line\n")
    verfs("record", "-m", "a", cwd=repo_dir)
    (repo_dir / "b.txt").write_text("second file\n")
    verfs("record", "-m", "b", cwd=repo_dir)
    original = verfs("head", cwd=repo_dir).stdout.strip()
    versions0, patches0 = _count(repo_dir, "versions"), _count(repo_dir, "patches")

    verfs("commute", cwd=repo_dir)
    swapped = verfs("head", cwd=repo_dir).stdout.strip()
    assert swapped != original
    assert _count(repo_dir, "versions") == versions0 + 2
    # a and b touch different files: their representations do not change
    assert _count(repo_dir, "patches") == patches0
    names = [e["name"] for e in __import__("json").loads(
        verfs("log", "--json", cwd=repo_dir).stdout)]
    assert names == ["a", "b"]

    verfs("commute", cwd=repo_dir)
    assert verfs("head", cwd=repo_dir).stdout.strip() == original
    assert _count(repo_dir, "versions") == versions0 + 2
    assert _count(repo_dir, "patches") == patches0


def test_commute_rewrites_both_patches_and_back_byte_for_byte(verfs, repo_dir):
    """Hunks on one file shift each other: both representations change, and
    commuting back restores the original bytes (no new files at all)."""
    f = repo_dir / "f.txt"
    lines = [f"line {i}" for i in range(1, 31)]
    f.write_text("\n".join(lines) + "\n")
    verfs("record", "-m", "base", cwd=repo_dir)
    lines[0:0] = ["top 1", "top 2"]          # a: two lines at the top ...
    lines[25] = "changed near the end"      # ... and an edit near the end
    f.write_text("\n".join(lines) + "\n")
    verfs("record", "-m", "a", cwd=repo_dir)
    lines[12:12] = ["middle insert"]         # b: between a's two hunks
    f.write_text("\n".join(lines) + "\n")
    verfs("record", "-m", "b", cwd=repo_dir)
    original = verfs("head", cwd=repo_dir).stdout.strip()
    versions0, patches0 = _count(repo_dir, "versions"), _count(repo_dir, "patches")

    verfs("commute", cwd=repo_dir)
    assert _count(repo_dir, "versions") == versions0 + 2
    assert _count(repo_dir, "patches") == patches0 + 2
    assert f.read_text() == "\n".join(lines) + "\n"

    verfs("commute", cwd=repo_dir)
    assert verfs("head", cwd=repo_dir).stdout.strip() == original
    assert _count(repo_dir, "versions") == versions0 + 2
    assert _count(repo_dir, "patches") == patches0 + 2


def test_commute_keeps_identities_and_shares_the_tail(verfs, repo_dir):
    import json
    for name in ("x", "y", "z"):
        (repo_dir / f"{name}.txt").write_text(name + "\n")
        verfs("record", "-m", name, cwd=repo_dir)
    before = json.loads(verfs("log", "--json", cwd=repo_dir).stdout)
    verfs("commute", cwd=repo_dir)
    after = json.loads(verfs("log", "--json", cwd=repo_dir).stdout)
    assert [e["identity"] for e in after] == [before[1]["identity"], before[0]["identity"],
                                              before[2]["identity"]]
    # the shared tail: the oldest version is the very same object
    assert after[2]["version"] == before[2]["version"]
    assert after[1]["parent"] == before[2]["version"]
    # and the tree at head is unchanged
    assert verfs("diff", before[0]["version"], after[0]["version"], cwd=repo_dir,
                 check=False).returncode == 0
