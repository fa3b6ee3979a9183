"""k-gram hashing and winnowing, checked against plain-Python reimplementations of the definitions."""

from __future__ import annotations

import numpy as np
import pytest

from memaudit.fingerprint import FingerprintParams, fingerprint_codes, kgram_hashes, winnow

M64 = (1 << 64) - 1
FNV_PRIME = 0x100000001B3


def ref_kgram_hash(window: list[int]) -> int:
    """Polynomial hash of (code + 1) in base FNV_PRIME mod 2**64, then the splitmix64 finalizer."""
    h = 0
    for c in window:
        h = (h * FNV_PRIME + c + 1) & M64
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & M64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & M64
    return h ^ (h >> 31)


def ref_winnow(hashes: list[int], window: int) -> list[int]:
    """Rightmost minimum of every window of `window` hashes (one window when there are fewer)."""
    n = len(hashes)
    if n == 0:
        return []
    starts = range(max(1, n - window + 1))
    picks = set()
    for s in starts:
        w = hashes[s : s + window]
        m = min(w)
        picks.add(s + max(i for i, v in enumerate(w) if v == m))
    return sorted(picks)


def test_kgram_hashes_match_the_definition_computed_by_hand():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 40, 50).astype(np.uint8)
    for k in (1, 2, 5, 15):
        got = kgram_hashes(codes, k)
        assert got.dtype == np.uint64
        want = [ref_kgram_hash(codes[i : i + k].tolist()) for i in range(len(codes) - k + 1)]
        assert got.tolist() == want


def test_kgram_hashes_are_pinned_constants():
    # Literal values (from the formula above): a change of the hash function changes every stored
    # fingerprint and must be deliberate. They also hold on every run and machine (no salted hash()).
    assert ref_kgram_hash([1, 2, 3]) == 0xEA220D77290BC8A7
    assert kgram_hashes(np.array([1, 2, 3], dtype=np.uint8), 3).tolist() == [0xEA220D77290BC8A7]
    assert kgram_hashes(np.array([0, 0], dtype=np.uint8), 1).tolist() == [0x5692161D100B05E5] * 2


def test_kgram_hashes_depend_only_on_the_window_contents():
    codes = np.array([1, 2, 3, 4, 1, 2, 3, 4, 9], dtype=np.uint8)
    h = kgram_hashes(codes, 4)
    assert h.shape == (6,)
    assert h[0] == h[4]  # 1 2 3 4 twice
    assert len(set(h[:4].tolist())) == 4
    # Code 0 is a real token (codes are offset by one), and order matters.
    assert (
        kgram_hashes(np.array([0, 1], dtype=np.uint8), 2)[0]
        != kgram_hashes(np.array([1], dtype=np.uint8), 1)[0]
    )
    assert (
        kgram_hashes(np.array([1, 2], dtype=np.uint8), 2)[0]
        != kgram_hashes(np.array([2, 1], dtype=np.uint8), 2)[0]
    )


def test_short_inputs_have_no_kgrams():
    assert kgram_hashes(np.array([1, 2], dtype=np.uint8), 3).shape == (0,)
    assert kgram_hashes(np.array([1, 2, 3], dtype=np.uint8), 3).shape == (1,)
    assert winnow(np.zeros(0, dtype=np.uint64), 4).shape == (0,)


def test_winnow_picks_rightmost_minimum_of_each_window():
    h = np.array([5, 3, 3, 7, 1, 8, 9, 2], dtype=np.uint64)
    # windows of 3: [5 3 3]->2 [3 3 7]->2 [3 7 1]->4 [7 1 8]->4 [1 8 9]->4 [8 9 2]->7
    assert winnow(h, 3).tolist() == [2, 4, 7]
    # Fewer hashes than the window: one window, its rightmost minimum.
    assert winnow(np.array([4, 2, 9, 2], dtype=np.uint64), 10).tolist() == [3]
    # window 1 selects everything.
    assert winnow(h, 1).tolist() == list(range(8))


def test_winnow_matches_the_rule_on_sequences_with_many_ties():
    rng = np.random.default_rng(5)
    for trial in range(200):
        n = int(rng.integers(0, 40))
        window = int(rng.integers(1, 12))
        h = rng.integers(0, 4, n).astype(np.uint64)  # values 0..3: ties everywhere
        got = winnow(h, window)
        assert got.dtype == np.int64
        assert got.tolist() == ref_winnow(h.tolist(), window), (trial, h.tolist(), window)


@pytest.mark.xfail(
    strict=True,
    reason="winnow() takes the rightmost minimum on every tie, not the paper's "
    "robust rule (keep the previous window's pick while it is still a minimum)",
)
def test_winnow_runs_of_equal_hashes_select_few_positions():
    # Schleimer et al. 2003, robust winnowing: a run of equal hashes keeps one selection while the
    # selected position stays in the window. Rightmost-on-ties selects 2, 3, 4, ..., 9 here.
    assert winnow(np.full(10, 7, dtype=np.uint64), 3).tolist() == [2, 5, 8]


def test_winnow_guarantee_every_window_has_a_selection():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 2**63, 5000, dtype=np.uint64)
    sel = winnow(h, 10)
    gaps = np.diff(sel)
    assert sel[0] <= 9 and sel[-1] >= 5000 - 10
    assert gaps.max() <= 10
    # Density about 2 / (w + 1) for random hashes (the paper's bound).
    assert 0.15 < sel.shape[0] / 5000 < 0.22


def test_params_guarantee_and_validation():
    assert FingerprintParams(15, 10).guarantee == 24
    assert FingerprintParams(1, 1).guarantee == 1
    for k, w in ((0, 3), (3, 0), (-1, 5)):
        with pytest.raises(ValueError):
            FingerprintParams(k, w)


@pytest.mark.parametrize("k,window", [(8, 5), (3, 1), (15, 10)])
def test_a_shared_run_of_guarantee_tokens_always_shares_a_fingerprint(k, window):
    # Any shared run of k + window - 1 tokens spans one full window of k-grams, whose minimum is
    # selected in both files, wherever the run sits and whatever surrounds it.
    params = FingerprintParams(k, window)
    rng = np.random.default_rng(k * 100 + window)
    for _ in range(100):
        common = rng.integers(0, 6, params.guarantee).astype(np.uint8)  # small alphabet: many ties
        parts_a = [rng.integers(0, 6, int(rng.integers(0, 40))).astype(np.uint8) for _ in range(2)]
        parts_b = [rng.integers(0, 6, int(rng.integers(0, 40))).astype(np.uint8) for _ in range(2)]
        fa = fingerprint_codes(np.concatenate([parts_a[0], common, parts_a[1]]), params)
        fb = fingerprint_codes(np.concatenate([parts_b[0], common, parts_b[1]]), params)
        shared = set(fa.hashes[fa.selected].tolist()) & set(fb.hashes[fb.selected].tolist())
        assert shared


def test_fingerprint_codes_is_hashes_plus_winnow_and_deterministic():
    rng = np.random.default_rng(1)
    codes = rng.integers(1, 30, 300).astype(np.uint8)
    p = FingerprintParams(8, 5)
    f1, f2 = fingerprint_codes(codes, p), fingerprint_codes(codes.copy(), p)
    assert f1.hashes.tolist() == [ref_kgram_hash(codes[i : i + 8].tolist()) for i in range(293)]
    assert f1.selected.tolist() == ref_winnow(f1.hashes.tolist(), 5)
    assert f1.hashes.tobytes() == f2.hashes.tobytes() and f1.selected.tobytes() == f2.selected.tobytes()
