"""Fragments on tiny synthetic token streams, where the right answer is known exactly."""

from __future__ import annotations

import numpy as np

from memaudit.core import ParsedFile, SourceFile, SourceTree
from memaudit.fingerprint import FingerprintParams
from memaudit.index import FingerprintIndex, TreeFingerprints
from memaudit.match import coverage_masks, find_fragments


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
    assert frags, "the shared run must be found"
    top = frags[0]
    assert top.a_tokens[0] <= 30 and top.a_tokens[1] >= 90
    # The run can extend only by chance-equal neighbours; with random noise it stays tight.
    assert top.n_tokens - 60 <= 4
    assert top.a_lines[0] == int(a.start_lines[top.a_tokens[0]])
    assert top.b_lines == (1, int(b.end_lines[top.b_tokens[1] - 1]))


def test_unrelated_streams_share_nothing():
    a = make_file("a.c", rng.integers(1, 36, 300).tolist())
    b = make_file("b.c", rng.integers(1, 36, 300).tolist())
    assert fragments_of([a], [b])[2] == []


def test_fragments_never_span_files_and_coverage_counts_each_token_once():
    a1 = make_file("a1.c", SHARED[:30])
    a2 = make_file("a2.c", SHARED[30:])
    b = make_file("b.c", SHARED + SHARED)  # the original's content twice
    ta, tb, frags = fragments_of([a1, a2], [b])
    assert {f.a_path for f in frags} == {"a1.c", "a2.c"}
    for f in frags:
        assert f.a_tokens[1] <= ta.files[f.a_file].n_tokens
    masks = coverage_masks(ta, frags, "a")
    assert all(m.all() for m in masks)
    mb = coverage_masks(tb, frags, "b")[0]
    assert mb.sum() == 120


def test_min_tokens_filters_short_fragments():
    a = make_file("a.c", NOISE_A + SHARED[:10] + NOISE_A[::-1])
    b = make_file("b.c", NOISE_B + SHARED[:10] + NOISE_B[::-1])
    _, _, frags = fragments_of([a], [b], k=5, window=1, min_tokens=20)
    assert frags == []
