"""'verfs diff V1 V2 PATH': PATH may be a file, is taken as git takes it (relative to
the current directory inside the repository, to its top from outside; ./a is a), and a
change of the executable bit alone is a difference, shown as git's mode lines."""

import os

import pytest


@pytest.fixture
def two(verfs, repo_dir):
    (repo_dir / "src").mkdir()
    (repo_dir / "src" / "main.c").write_text("int main;\n")
    (repo_dir / "README").write_text("hello\n")
    verfs("record", "-m", "one", cwd=repo_dir)
    (repo_dir / "src" / "main.c").write_text("int main(void);\n")
    (repo_dir / "README").write_text("hello\nworld\n")
    verfs("record", "-m", "two", cwd=repo_dir)
    return repo_dir


def _diff(verfs, cwd, *args):
    proc = verfs("diff", "head~1", "head", *args, cwd=cwd, check=False)
    return proc.returncode, proc.stdout.decode()


def test_a_file_as_path(verfs, two):
    code, out = _diff(verfs, two, "src/main.c")
    assert code == 1
    assert "+int main(void);" in out and "README" not in out
    code, out = _diff(verfs, two, "README")
    assert code == 1 and "+world" in out and "main.c" not in out


@pytest.mark.parametrize("spelling", ["./src/main.c", "src//main.c", "src/../src/main.c",
                                      "src/main.c/"])
def test_spellings_of_one_path(verfs, two, spelling):
    code, out = _diff(verfs, two, spelling)
    assert code == 1 and "+int main(void);" in out and "README" not in out


def test_relative_to_the_current_directory_inside_the_repository(verfs, two):
    code, out = _diff(verfs, two / "src", "main.c")
    assert code == 1 and "+int main(void);" in out and "README" not in out
    code, out = _diff(verfs, two / "src", "../README")
    assert code == 1 and "+world" in out and "main.c" not in out
    code, out = _diff(verfs, two / "src", ".")
    assert code == 1 and "main.c" in out and "README" not in out
    proc = verfs("diff", "head~1", "head", "../..", cwd=two / "src", check=False)
    assert proc.returncode == 2 and b"outside the repository" in proc.stderr


def test_relative_to_the_top_from_outside(verfs, two, tmp_path):
    proc = verfs("diff", "--repo", two, "head~1", "head", "src/main.c", cwd=tmp_path,
                 check=False)
    assert proc.returncode == 1 and b"+int main(void);" in proc.stdout


def test_a_path_in_neither_version_is_not_found(verfs, two):
    """As ``log PATH`` of a path that never was: said, exit 1 (not an empty diff,
    which would hide a mistyped path)."""
    proc = verfs("diff", "head~1", "head", "nothing/here", cwd=two, check=False)
    assert proc.returncode == 1 and proc.stdout == b"" and b"in neither version" in proc.stderr


def test_a_mode_only_change_is_a_difference(verfs, two):
    os.chmod(two / "README", 0o755)
    verfs("record", "-m", "exec", cwd=two)
    for args in ((), ("README",)):
        code, out = _diff(verfs, two, *args)
        assert code == 1
        lines = out.splitlines()
        assert lines == ["diff --git a/README b/README", "old mode 100644",
                         "new mode 100755"], out
    os.chmod(two / "README", 0o644)
    (two / "README").write_text("bye\n")
    verfs("record", "-m", "both", cwd=two)
    code, out = _diff(verfs, two, "README")
    assert code == 1
    assert out.splitlines()[1:3] == ["old mode 100755", "new mode 100644"]
    assert "-hello" in out and "+bye" in out
