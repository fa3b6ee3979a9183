"""MinHash sketches (Broder 1997) of a tree's fingerprint set, via datasketch.

The permutation scheme is pinned: datasketch 2.0 changed its default from ``legacy`` to the affine
schemes, and sketches made under different schemes, permutation counts or seeds are not comparable.
:class:`TreeSketch` records all three and refuses to compare across them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SketchParams", "TreeSketch", "sketch"]


@dataclass(frozen=True)
class SketchParams:
    """How a sketch was made."""

    num_perm: int = 128
    seed: int = 1
    #: datasketch's permutation scheme (``affine64`` avoids the legacy scheme's bias on large sets).
    scheme: str = "affine64"


def _identity(value: int) -> int:
    # Inputs are already well-mixed 64-bit k-gram hashes; re-hashing them with SHA-1 would only
    # cost time.
    return value


@dataclass(frozen=True, eq=False)
class TreeSketch:
    params: SketchParams
    hashvalues: np.ndarray
    #: Number of distinct fingerprints sketched (0 makes the estimate undefined).
    n_items: int

    def jaccard(self, other: "TreeSketch") -> float:
        """Estimated Jaccard similarity of the two fingerprint sets."""
        if self.params != other.params:
            raise ValueError(f"sketches made with different parameters: {self.params} vs {other.params}")
        if self.n_items == 0 or other.n_items == 0:
            return 0.0
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / self.params.num_perm


def sketch(fingerprints: np.ndarray, params: SketchParams = SketchParams()) -> TreeSketch:
    """Sketch a set of uint64 fingerprint hashes."""
    from datasketch import MinHash  # heavy import, only when a comparison runs

    values = np.unique(fingerprints)
    minhash = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme, hashfunc=_identity)
    if values.shape[0]:
        minhash.update_batch(values.tolist())
    return TreeSketch(params, np.array(minhash.hashvalues, copy=True), int(values.shape[0]))
