"""``verfs log``, ``show`` and ``diff --store URL``: the history pushed to a remote
store read without a repository, answering as the repository it came from does."""

import pytest

from tests.conftest import one_line_error, run_verfs, verfs_env

SPECS = ["head", "head~2", "v1.0", "v1.0~1"]


@pytest.fixture(params=["file", "s3"])
def pushed(request, sample, tmp_path):
    """The sample pushed to a fresh remote; the URL, and an environment whose default
    cache is this test's own."""
    url = f"file://{tmp_path / 'remote'}" if request.param == "file" else \
        request.getfixturevalue("s3_url")
    env = verfs_env(XDG_CACHE_HOME=str(tmp_path / "xdg"))
    run_verfs("push", url, "--repo", sample.root, env=env)
    return url, env


def _both(sample, pushed, *args, code=0):
    url, env = pushed
    here = run_verfs(*args, "--repo", sample.root, check=False)
    there = run_verfs(*args, "--store", url, check=False, env=env, cwd="/")
    assert here.returncode == code, here.stderr
    assert (there.returncode, there.stdout, there.stderr) == \
        (here.returncode, here.stdout, here.stderr)
    return there.stdout.decode(errors="replace")


def test_log(sample, pushed):
    for spec in SPECS:
        assert "version " in _both(sample, pushed, "log", spec)
    _both(sample, pushed, "log", "-v", "--json", "head~1")
    prefix = sample.named["start"][:6]
    assert "start the project" in _both(sample, pushed, "log", prefix)


def test_show(sample, pushed):
    assert _both(sample, pushed, "show", "head:README") == "A sample project.\n"
    _both(sample, pushed, "show", "v1.0:")
    _both(sample, pushed, "show", "head~3:src/lib/util.c")
    _both(sample, pushed, "show", f"{sample.named['start'][:8]}:readme-link")


def test_diff(sample, pushed):
    assert "util.c" in _both(sample, pushed, "diff", "head~6", "head", code=1)
    _both(sample, pushed, "diff", "v1.0", "head", "src", code=1)
    _both(sample, pushed, "diff", "head", "head")


def test_what_is_refused(sample, pushed, tmp_path):
    url, env = pushed
    err = one_line_error(run_verfs("log", "nosuchtag", "--store", url, check=False, env=env))
    assert "unknown version, tag or hash prefix: nosuchtag" in err
    err = one_line_error(run_verfs("show", "--store", str(tmp_path), "head:README",
                                   check=False), 2)
    assert "not a URL" in err
    err = one_line_error(run_verfs("log", "--store", url, "--repo", sample.root,
                                   check=False, env=env), 2)
    assert "not both" in err
    err = one_line_error(run_verfs("log", "--store", f"file://{tmp_path / 'none'}",
                                   check=False, env=env))
    assert "holds no verfs store" in err
