"""``versionspec.of_head``: the arguments that can only mean a version (log reads them
so, never as a path or a tag)."""

import pytest

from verfs.versionspec import of_head


@pytest.mark.parametrize("spec", ["head", "HEAD", "@", "head~3", "head^", "head^^",
                                  "@{0}", "@{12}~2", "head@{1}", "HEAD@{3}^", "@~",
                                  "head^2"])
def test_of_head(spec):
    assert of_head(spec)


@pytest.mark.parametrize("spec", ["headx", "v1~2", "src/head", "main@{1}", "@{x}",
                                  "@{}", "abcd1234", "head/x", "", "he ad", "head\n"])
def test_not_of_head(spec):
    assert not of_head(spec)
