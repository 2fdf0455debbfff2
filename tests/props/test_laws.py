"""darcs's patch laws, for prims and for named patches, over valid sequences.

Named after darcs's own property tests (``invertInvolution``, ``effectPreserving``,
``recommute``, ``commuteInverses``, ``permutivity``).  Trees are canonical, so two
states are equal iff their root ids are; every pair and triple here is drawn to apply
(see ``verfs.patch.strategies``), and ``test_pairs_commute_often`` guards that the
commuting case is common — a law over pairs that never commute would prove nothing.
"""

from collections import Counter

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from verfs.patch import (
    apply_to_tree,
    commute,
    commute_patches,
    invert,
    invert_all,
    write_patch,
    write_prims,
)
from verfs.patch.prims import FILE_CHANGES, Hunk, Move, paths
from verfs.patch.strategies import (
    any_pairs,
    contexts,
    hunk_pairs,
    named,
    patch_pairs,
    prims_in,
    sequences_in,
    triples,
)

LAW = settings(max_examples=400, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
SOME = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kind_pair(p, q) -> str:
    same = "same path" if set(paths(p)) & set(paths(q)) else "other paths"
    return f"{type(p).__name__}/{type(q).__name__} {same}"


def commuted(p, q):
    r = commute(p, q)
    event(f"{kind_pair(p, q)}: {'commutes' if r else 'fails'}")
    return r


# --- inverses -----------------------------------------------------------------------
@LAW
@given(any_pairs())
def test_invert_involution(case):
    _, _, p, q = case
    assert invert(invert(p)) == p
    assert invert(invert(q)) == q
    assert invert_all(invert_all([p, q])) == [p, q]


@LAW
@given(any_pairs())
def test_inverse_composition(case):
    """apply(p; p⁻¹) is the identity, for each prim and for the pair."""
    store, root, p, q = case
    assert apply_to_tree(store, root, [p, invert(p)]) == root
    mid = apply_to_tree(store, root, [p])
    assert apply_to_tree(store, mid, [q, invert(q)]) == mid
    assert apply_to_tree(store, root, [p, q, *invert_all([p, q])]) == root


@SOME
@given(st.data())
def test_inverse_composition_of_sequences(data):
    store, root = data.draw(contexts())
    prims, end = data.draw(sequences_in(store, root, 1, 8))
    assert apply_to_tree(store, end, invert_all(prims)) == root


# --- commuting ----------------------------------------------------------------------
@LAW
@given(any_pairs())
def test_commute_effect_preserving(case):
    """commute(p, q) = (q', p')  ⇒  apply(p; q) == apply(q'; p'), and q' applies."""
    store, root, p, q = case
    r = commuted(p, q)
    if r is not None:
        assert apply_to_tree(store, root, r) == apply_to_tree(store, root, [p, q])


@LAW
@given(any_pairs())
def test_recommute(case):
    """Commuting is exactly self-inverse: the very same prims, the very same bytes."""
    _, _, p, q = case
    r = commuted(p, q)
    if r is not None:
        q1, p1 = r
        back = commute(q1, p1)
        assert back == (p, q)
        assert write_prims(back) == write_prims([p, q])


@LAW
@given(any_pairs())
def test_commute_inverses(case):
    """commute(p, q) = (q', p')  ⇒  commute(q⁻¹, p⁻¹) = (p'⁻¹, q'⁻¹)."""
    _, _, p, q = case
    r = commuted(p, q)
    if r is not None:
        q1, p1 = r
        assert commute(invert(q), invert(p)) == (invert(p1), invert(q1))


@LAW
@given(triples())
def test_permutivity(case):
    """Reordering p; q; r to r; q; p by either route gives the same prims.

    Route one swaps (p, q), then (p, r), then (q, r); route two swaps (q, r), then
    (p, r), then (q, r).  Where both routes get through, they must agree; and if the
    first gets through the second must too."""
    store, root, p, q, r = case

    def swap(seq, i):
        got = commute(seq[i], seq[i + 1])
        return None if got is None else [*seq[:i], *got, *seq[i + 2:]]

    def route(seq, order):
        for i in order:
            seq = swap(seq, i)
            if seq is None:
                return None
        return seq

    one = route([p, q, r], (0, 1, 0))
    two = route([p, q, r], (1, 0, 1))
    event(f"permutivity: {'one' if one else '-'} {'two' if two else '-'}")
    if one is not None:
        assert two == one
        assert apply_to_tree(store, root, one) == apply_to_tree(store, root, [p, q, r])
    if two is not None:
        assert one == two


# --- hunk arithmetic, densely -------------------------------------------------------
@LAW
@given(hunk_pairs())
def test_hunk_pairs_obey_the_laws(case):
    store, root, p, q = case
    r = commuted(p, q)
    if r is None:
        return
    q1, p1 = r
    assert apply_to_tree(store, root, r) == apply_to_tree(store, root, [p, q])
    assert commute(q1, p1) == (p, q)
    assert commute(invert(q), invert(p)) == (invert(p1), invert(q1))


@LAW
@given(hunk_pairs())
def test_hunks_commute_exactly_when_darcs_says(case):
    """§10: apart, they commute; touching, only with no side empty; overlapping,
    never (an empty hunk commutes with anything)."""
    _, _, p, q = case
    a, oa, na = p.line, len(p.old), len(p.new)
    b, ob, nb = q.line, len(q.old), len(q.new)
    apart = a + na < b or b + ob < a
    touching = (a + na == b or b + ob == a) and all((oa, na, ob, nb))
    assert (commute(p, q) is not None) == (apart or touching or p.empty or q.empty)


# --- named patches ------------------------------------------------------------------
def all_prims(*patches):
    return [prim for patch in patches for prim in patch.prims]


@SOME
@given(patch_pairs())
def test_patches_commute_effect_preserving(case):
    store, root, p, q = case
    r = commute_patches(p, q)
    event(f"patches {'commute' if r else 'fail'}")
    if r is not None:
        q1, p1 = r
        assert (q1.identity, p1.identity) == (q.identity, p.identity)
        assert apply_to_tree(store, root, all_prims(q1, p1)) == \
            apply_to_tree(store, root, all_prims(p, q))


@SOME
@given(patch_pairs())
def test_patches_recommute_byte_identical(case):
    """What makes commuting back reuse the very same version files."""
    _, _, p, q = case
    r = commute_patches(p, q)
    if r is not None:
        back = commute_patches(*r)
        assert back == (p, q)
        assert [write_patch(x) for x in back] == [write_patch(p), write_patch(q)]


@SOME
@given(patch_pairs())
def test_patches_inverse_composition(case):
    store, root, p, q = case
    prims = all_prims(p, q)
    assert apply_to_tree(store, root, prims + invert_all(prims)) == root


@SOME
@given(patch_pairs(), st.booleans())
def test_tags_never_commute(case, tag_first):
    _, _, p, q = case
    tag = named("TAG v1", ())
    assert commute_patches(tag, q if tag_first else p) is None
    assert commute_patches(p, tag) is None


# --- the generator itself -----------------------------------------------------------
def test_pairs_commute_often():
    """The laws above are only as good as the pairs they see: check that commuting
    pairs, same-file hunk pairs both ways, and renames through moves all occur."""
    counts: Counter = Counter()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(any_pairs())
    def sample(case):
        _, _, p, q = case
        r = commute(p, q)
        counts["pairs"] += 1
        if not isinstance(p, Hunk) and isinstance(p, FILE_CHANGES) \
                and isinstance(q, FILE_CHANGES) and p.path == q.path:
            counts["same-file other pairs"] += 1
        counts["commute" if r else "fail"] += 1
        if isinstance(p, Hunk) and isinstance(q, Hunk) and p.path == q.path:
            counts["same-file hunks " + ("commute" if r else "fail")] += 1
            if r and (r[0].line, r[1].line) != (q.line, p.line):
                counts["hunk line shifted"] += 1
        if r and (isinstance(p, Move) or isinstance(q, Move)) and (r[0], r[1]) != (q, p):
            counts["renamed through a move"] += 1
        if r and set(paths(p)) & set(paths(q)):
            counts["same path commute"] += 1

    sample()
    n = counts["pairs"]
    assert counts["commute"] >= n // 4, counts
    assert counts["fail"] >= n // 10, counts
    assert counts["same-file hunks commute"] >= 10, counts
    assert counts["same-file hunks fail"] >= 10, counts
    assert counts["hunk line shifted"] >= 5, counts
    assert counts["renamed through a move"] >= 20, counts
    assert counts["same path commute"] >= 40, counts
    assert counts["same-file other pairs"] >= 20, counts


def test_hunk_pairs_cover_every_case():
    counts: Counter = Counter()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(hunk_pairs())
    def sample(case):
        _, _, p, q = case
        r = commute(p, q)
        if r is None:
            counts["fail"] += 1
        elif p.empty or q.empty:
            counts["empty"] += 1
        elif r[0].line != q.line:
            counts["after"] += 1
        elif r[1].line != p.line:
            counts["before"] += 1
        else:
            counts["touching or unshifted"] += 1

    sample()
    for case in ("fail", "after", "before"):
        assert counts[case] >= 20, counts


@SOME
@given(st.data())
def test_drawn_prims_apply(data):
    """The generator's promise: every prim it draws fits its state."""
    store, root = data.draw(contexts())
    p = data.draw(prims_in(store, root))
    apply_to_tree(store, root, [p])
