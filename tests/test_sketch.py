"""MinHash sketches of fingerprint sets (memaudit.sketch), checked against exact Jaccard values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memaudit.sketch import SketchParams, TreeSketch, sketch

M64 = (1 << 64) - 1


def fingerprints(start: int, stop: int) -> np.ndarray:
    """Distinct well-mixed uint64 values standing in for k-gram hashes (splitmix64 of start..stop-1)."""
    out = []
    for i in range(start, stop):
        z = (i * 0x9E3779B97F4A7C15) & M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return np.array(out, dtype=np.uint64)


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = set(a.tolist()), set(b.tolist())
    return len(sa & sb) / len(sa | sb)


@pytest.mark.parametrize("overlap", [100, 500, 900])
def test_estimate_is_close_to_the_exact_jaccard(overlap):
    # A = [0, 1000), B = [1000 - overlap, 2000 - overlap): J = overlap / (2000 - overlap).
    a, b = fingerprints(0, 1000), fingerprints(1000 - overlap, 2000 - overlap)
    exact = exact_jaccard(a, b)
    assert exact == pytest.approx(overlap / (2000 - overlap))
    # Averaged over 8 independent seeds, the estimate is a mean of 8 * num_perm Bernoulli(J) trials.
    p = SketchParams()
    trials = 8
    estimates = [
        sketch(a, SketchParams(p.num_perm, seed)).jaccard(sketch(b, SketchParams(p.num_perm, seed)))
        for seed in range(1, trials + 1)
    ]
    sigma = math.sqrt(exact * (1 - exact) / (p.num_perm * trials))
    assert abs(np.mean(estimates) - exact) <= 4 * sigma
    # Each single estimate is within 5 standard deviations of one sketch.
    assert max(abs(e - exact) for e in estimates) <= 5 * math.sqrt(exact * (1 - exact) / p.num_perm)


def test_identical_sets_give_one_whatever_the_order_or_duplicates():
    a = fingerprints(0, 500)
    shuffled = np.random.default_rng(0).permutation(np.concatenate([a, a[:100]]))
    sa, sb = sketch(a), sketch(shuffled)
    assert sa.n_items == sb.n_items == 500
    assert sa.jaccard(sb) == 1.0
    assert sa.hashvalues.tobytes() == sb.hashvalues.tobytes()


def test_disjoint_sets_give_zero():
    # The affine64 permutations are bijections of 64-bit values, so two different fingerprints
    # never produce the same minimum: disjoint sets estimate exactly 0.
    assert sketch(fingerprints(0, 500)).jaccard(sketch(fingerprints(500, 1000))) == 0.0


def test_sketches_are_deterministic_and_depend_on_the_seed():
    a = fingerprints(0, 300)
    s1, s2 = sketch(a), sketch(a.copy())
    assert s1.hashvalues.shape == (SketchParams().num_perm,)
    assert s1.hashvalues.dtype == np.uint64
    assert s1.hashvalues.tobytes() == s2.hashvalues.tobytes()
    assert sketch(a, SketchParams(seed=2)).hashvalues.tobytes() != s1.hashvalues.tobytes()
    # The sketch does not keep a reference to datasketch's buffer.
    s1.hashvalues[0] = 0
    assert sketch(a).hashvalues.tobytes() == s2.hashvalues.tobytes()


def test_empty_sets_estimate_zero():
    empty = sketch(np.zeros(0, dtype=np.uint64))
    assert empty.n_items == 0
    assert empty.jaccard(sketch(fingerprints(0, 10))) == 0.0
    assert empty.jaccard(empty) == 0.0


@pytest.mark.parametrize(
    "other",
    [SketchParams(num_perm=64), SketchParams(seed=2), SketchParams(scheme="legacy")],
)
def test_sketches_with_different_parameters_refuse_to_compare(other):
    a = fingerprints(0, 100)
    base = sketch(a)
    with pytest.raises(ValueError, match="different parameters"):
        base.jaccard(sketch(a, other))
    with pytest.raises(ValueError, match="different parameters"):
        sketch(a, other).jaccard(base)


def test_parameters_are_checked_even_when_hash_values_agree():
    # Same num_perm and identical hash values but a different recorded seed or scheme: refused.
    # (affine32 cannot sketch 64-bit fingerprints at all, so it is only relabelled here.)
    s = sketch(fingerprints(0, 50))
    for params in (SketchParams(seed=99), SketchParams(scheme="affine32")):
        relabelled = TreeSketch(params, s.hashvalues.copy(), s.n_items)
        with pytest.raises(ValueError, match="different parameters"):
            s.jaccard(relabelled)
    assert s.jaccard(TreeSketch(SketchParams(), s.hashvalues.copy(), s.n_items)) == 1.0
