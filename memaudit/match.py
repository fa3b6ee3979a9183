"""Fragments: maximal runs of consecutive shared k-grams, mapped back to lines on both sides.

Winnowed fingerprints only *seed* a match; each seed is then extended over the full k-gram hash
arrays of both files, so a fragment's extent does not depend on which positions winnowing happened
to select (the fragments Dolos reports are unions of selected k-grams, whose ends vary with it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import SourceTree
from .index import SeedMatches, TreeFingerprints

__all__ = ["Fragment", "find_fragments", "coverage_masks"]

_CHUNK = 256


@dataclass(frozen=True)
class Fragment:
    """A run of tokens that is the same in both trees, with its position on each side."""

    #: File index in the original tree's ``files`` and its relative path.
    a_file: int
    a_path: str
    #: Token range ``[start, end)`` in that file.
    a_tokens: tuple[int, int]
    #: Line range (1-based, inclusive) those tokens were written on.
    a_lines: tuple[int, int]
    b_file: int
    b_path: str
    b_tokens: tuple[int, int]
    b_lines: tuple[int, int]

    @property
    def n_tokens(self) -> int:
        return self.a_tokens[1] - self.a_tokens[0]


def _equal_prefix(x: np.ndarray, y: np.ndarray) -> int:
    """Length of the longest common prefix of two equal-length arrays."""
    neq = x != y
    return int(np.argmax(neq)) if neq.any() else int(x.shape[0])


def _extend_forward(ha: np.ndarray, hb: np.ndarray, i: int, j: int) -> int:
    """Number of equal k-grams starting at (i, j)."""
    run = 0
    while True:
        n = min(_CHUNK, ha.shape[0] - i - run, hb.shape[0] - j - run)
        if n <= 0:
            return run
        step = _equal_prefix(ha[i + run : i + run + n], hb[j + run : j + run + n])
        run += step
        if step < n:
            return run


def _extend_backward(ha: np.ndarray, hb: np.ndarray, i: int, j: int) -> int:
    """Number of equal k-grams ending just before (i, j)."""
    run = 0
    while True:
        n = min(_CHUNK, i - run, j - run)
        if n <= 0:
            return run
        step = _equal_prefix(ha[i - run - n : i - run][::-1], hb[j - run - n : j - run][::-1])
        run += step
        if step < n:
            return run


def find_fragments(
    a: TreeFingerprints, b: TreeFingerprints, seeds: SeedMatches, min_tokens: int
) -> list[Fragment]:
    """Extend seeds into fragments of at least ``min_tokens`` tokens, longest first."""
    k = a.params.k
    if len(seeds) == 0:
        return []
    diag = seeds.b_pos - seeds.a_pos
    order = np.lexsort((seeds.a_pos, diag, seeds.b_file, seeds.a_file))
    a_file, a_pos = seeds.a_file[order], seeds.a_pos[order]
    b_file, b_pos, diag = seeds.b_file[order], seeds.b_pos[order], diag[order]

    fragments: list[Fragment] = []
    group: tuple[int, int, int] | None = None
    covered_until = -1  # k-gram position (on A) up to which the current diagonal is extended
    for fa, pa, fb, pb, d in zip(a_file.tolist(), a_pos.tolist(), b_file.tolist(), b_pos.tolist(), diag.tolist()):
        key = (fa, fb, d)
        if key == group and pa < covered_until:
            continue
        group = key
        ha, hb = a.files[fa].hashes, b.files[fb].hashes
        back = _extend_backward(ha, hb, pa, pb)
        fwd = _extend_forward(ha, hb, pa, pb)
        start_a, start_b, n_kgrams = pa - back, pb - back, back + fwd
        covered_until = start_a + n_kgrams
        n_tokens = n_kgrams + k - 1
        if n_tokens < min_tokens:
            continue
        pa_file, pb_file = a.tree.files[fa], b.tree.files[fb]
        ta, tb = (start_a, start_a + n_tokens), (start_b, start_b + n_tokens)
        fragments.append(
            Fragment(
                a_file=fa,
                a_path=pa_file.file.relpath,
                a_tokens=ta,
                a_lines=(int(pa_file.start_lines[ta[0]]), int(pa_file.end_lines[ta[0] : ta[1]].max())),
                b_file=fb,
                b_path=pb_file.file.relpath,
                b_tokens=tb,
                b_lines=(int(pb_file.start_lines[tb[0]]), int(pb_file.end_lines[tb[0] : tb[1]].max())),
            )
        )
    fragments.sort(key=lambda f: (-f.n_tokens, f.a_path, f.a_tokens, f.b_path, f.b_tokens))
    return fragments


def coverage_masks(tree: SourceTree, fragments: list[Fragment], side: str) -> list[np.ndarray]:
    """Per file, which tokens lie in at least one fragment (``side`` is ``"a"`` or ``"b"``)."""
    masks = [np.zeros(f.n_tokens, dtype=bool) for f in tree.files]
    for frag in fragments:
        index, (start, end) = (frag.a_file, frag.a_tokens) if side == "a" else (frag.b_file, frag.b_tokens)
        masks[index][start:end] = True
    return masks
