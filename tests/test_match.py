"""Fragments on tiny synthetic token streams, where the right answer is known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from memaudit.core import ParsedFile, SourceFile, SourceTree
from memaudit.fingerprint import FingerprintParams
from memaudit.index import FingerprintIndex, TreeFingerprints
from memaudit.match import Fragment, coverage_masks, find_fragments


def make_file(name: str, codes: list[int], tokens_per_line: int = 3) -> ParsedFile:
    n = len(codes)
    lines = (np.arange(n) // tokens_per_line + 1).astype(np.int32)
    return ParsedFile(
        file=SourceFile(name, name, "c", n),
        n_bytes=n,
        n_lines=int(lines[-1]) if n else 0,
        categories=np.asarray(codes, dtype=np.uint8),
        kinds=np.zeros(n, dtype=np.uint16),
        start_bytes=np.arange(n, dtype=np.int64),
        end_bytes=np.arange(n, dtype=np.int64),
        start_lines=lines,
        end_lines=lines,
        n_errors=0,
        invalid_utf8=False,
    )


def fragments_of(a_files, b_files, k=5, window=4, min_tokens=8):
    params = FingerprintParams(k, window)
    ta, tb = SourceTree("a", tuple(a_files)), SourceTree("b", tuple(b_files))
    index = FingerprintIndex(TreeFingerprints.build(ta, params))
    fb = TreeFingerprints.build(tb, params)
    return ta, tb, find_fragments(index.fingerprints, fb, index.seeds(fb), min_tokens)


rng = np.random.default_rng(7)
SHARED = rng.integers(1, 36, 60).tolist()
NOISE_A = rng.integers(1, 36, 30).tolist()
NOISE_B = rng.integers(1, 36, 45).tolist()


def test_shared_run_is_found_with_exact_token_and_line_ranges():
    a = make_file("a.c", NOISE_A + SHARED)  # shared tokens 30..89 -> lines 11..30
    b = make_file("b.c", SHARED + NOISE_B)  # shared tokens 0..59 -> lines 1..20
    _, _, frags = fragments_of([a], [b])
    # The run cannot extend: it starts b and ends a.
    assert frags == [Fragment(0, "a.c", (30, 90), (11, 30), 0, "b.c", (0, 60), (1, 20))]
    assert frags[0].n_tokens == 60


def test_extension_runs_over_chunk_boundaries_and_stops_at_the_first_difference():
    rng = np.random.default_rng(11)
    shared = rng.integers(1, 36, 700).tolist()  # longer than two extension chunks (256 k-grams)
    a = make_file("a.c", [40] + shared + [41] + shared[:20])
    b = make_file("b.c", [42, 43] + shared + [44])
    _, _, frags = fragments_of([a], [b], k=5, window=4, min_tokens=30)
    assert [(f.a_tokens, f.b_tokens) for f in frags] == [((1, 701), (2, 702))]


def test_unrelated_streams_share_nothing():
    rng = np.random.default_rng(8)
    a = make_file("a.c", rng.integers(1, 36, 300).tolist())
    b = make_file("b.c", rng.integers(1, 36, 300).tolist())
    assert fragments_of([a], [b])[2] == []


def test_fragments_never_span_files_and_coverage_counts_each_token_once():
    a1 = make_file("a1.c", SHARED[:30])
    a2 = make_file("a2.c", SHARED[30:])
    b = make_file("b.c", SHARED + SHARED)  # the original's content twice
    ta, tb, frags = fragments_of([a1, a2], [b])
    # Each half of the original matches both copies, never across the a1/a2 boundary.
    assert sorted((f.a_path, f.a_tokens, f.b_tokens, f.b_lines) for f in frags) == [
        ("a1.c", (0, 30), (0, 30), (1, 10)),
        ("a1.c", (0, 30), (60, 90), (21, 30)),
        ("a2.c", (0, 30), (30, 60), (11, 20)),
        ("a2.c", (0, 30), (90, 120), (31, 40)),
    ]
    masks = coverage_masks(ta, frags, "a")
    assert [m.tolist() for m in masks] == [[True] * 30, [True] * 30]
    mb = coverage_masks(tb, frags, "b")[0]
    assert mb.all() and mb.shape == (120,)
    # Overlapping fragments mark tokens once: a mask, not a count.
    doubled = coverage_masks(tb, frags + frags, "b")[0]
    assert doubled.sum() == 120


def test_min_tokens_filters_short_fragments():
    # A 10-token shared run; on both sides its neighbours are NOISE_A[-1] != NOISE_B[-1], so it
    # cannot extend.
    a = make_file("a.c", NOISE_A + SHARED[:10] + NOISE_A[::-1])
    b = make_file("b.c", NOISE_B + SHARED[:10] + NOISE_B[::-1])
    assert NOISE_A[-1] != NOISE_B[-1]
    _, _, frags = fragments_of([a], [b], k=5, window=1, min_tokens=10)
    assert [(f.a_tokens, f.b_tokens) for f in frags] == [((30, 40), (45, 55))]
    assert fragments_of([a], [b], k=5, window=1, min_tokens=11)[2] == []
    assert fragments_of([a], [b], k=5, window=1, min_tokens=20)[2] == []


def test_seeds_refuse_other_parameters():
    a = make_file("a.c", SHARED)
    index = FingerprintIndex(TreeFingerprints.build(SourceTree("a", (a,)), FingerprintParams(5, 4)))
    other = TreeFingerprints.build(SourceTree("b", (a,)), FingerprintParams(5, 3))
    with pytest.raises(ValueError, match="fingerprint parameters differ"):
        index.seeds(other)
