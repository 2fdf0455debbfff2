"""The pattern's query through the real trigram index: a blob with a matching line is
always a candidate, so a search with the index finds what a search without it finds."""

import hashlib
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.search.test_posix import patterns
from verfs.search.grep import search_blob
from verfs.search.index import GrepIndex
from verfs.search.posix import BASIC, EXTENDED, FIXED, PERL, PatternError, compile_pattern

blobs = st.lists(st.text(alphabet="abcAB xyz_-.*()[]|\n", max_size=40).map(str.encode),
                 min_size=1, max_size=8, unique=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns, st.sampled_from([BASIC, EXTENDED, FIXED, PERL]), st.booleans(),
       st.booleans(), blobs)
def test_index_never_drops_a_matching_blob(pattern, dialect, icase, word, datas):
    try:
        c = compile_pattern(pattern, dialect, ignore_case=icase, word=word)
    except PatternError:
        return
    oids = {hashlib.sha256(d).hexdigest(): d for d in datas}
    with tempfile.TemporaryDirectory() as d:
        index = GrepIndex(None, directory=d)
        with index.writer(budget=None) as w:
            for oid, data in oids.items():
                w.add(oid, data)
        assert index.covered() == set(oids)
        admitted = index.candidates(c.query, set(oids))
        index.close()
    matching = {oid for oid, data in oids.items() if search_blob(c, data) is not None}
    assert matching <= admitted, (pattern, c.regex.pattern, c.query)
