"""'verfs show VERSION:PATH' takes PATH as git does — from the top of the tree, or from
the current directory when it starts with ./ or ../ — normalised either way; and a
--repo DIR that does not exist is a one-line error, never the repository of a parent."""

import pytest

from tests.cli.test_diff_paths import two  # noqa: F401 - the fixture


def _show(verfs, cwd, spec, *args):
    proc = verfs("show", *args, spec, cwd=cwd, check=False)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("spelling", ["src/main.c", "./src/main.c", "src/../src/main.c",
                                      "src//main.c", "/src/main.c", "src/./main.c"])
def test_spellings_of_one_path(verfs, two, spelling):  # noqa: F811
    assert _show(verfs, two, f"head:{spelling}")[:2] == (0, b"int main(void);\n")


def test_dot_paths_are_from_the_current_directory(verfs, two):  # noqa: F811
    src = two / "src"
    assert _show(verfs, src, "head:./main.c")[:2] == (0, b"int main(void);\n")
    assert _show(verfs, src, "head:../README")[:2] == (0, b"hello\nworld\n")
    assert _show(verfs, src, "head~1:.")[:2] == (0, b"main.c\n")
    assert _show(verfs, src, "head:README")[:2] == (0, b"hello\nworld\n")   # from the top


def test_a_path_out_of_the_tree_is_refused(verfs, two):  # noqa: F811
    for cwd, spec in ((two, "head:../x"), (two, "head:src/../../x"), (two / "src", "head:../../x")):
        code, out, err = _show(verfs, cwd, spec)
        assert code == 2 and out == b"" and err.count(b"\n") == 1
        assert b"outside the repository" in err


def test_a_repo_dir_that_does_not_exist(verfs, two):  # noqa: F811
    for args in (("show", "--repo", two / "nosuch", "head:README"),
                 ("log", "--repo", two / "src" / "nosuch"),
                 ("mount", "--repo", two / "nosuch", two.parent),
                 ("show", "--repo", two / "README", "head:README")):
        proc = verfs(*args, check=False)
        assert proc.returncode == 1 and proc.stdout == b"", args      # not found
        assert proc.stderr.count(b"\n") == 1 and proc.stderr.startswith(b"verfs: ")
        assert b"no such directory" in proc.stderr or b"not a directory" in proc.stderr
