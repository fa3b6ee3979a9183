"""k-gram hashing and winnowing (Schleimer, Wilkerson, Aiken: "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003), vectorized with numpy.

Hashes are deterministic functions of the token codes (never Python's salted ``hash()``), so the
same inputs give the same fingerprints on every run and machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["FingerprintParams", "FileFingerprints", "kgram_hashes", "winnow", "fingerprint_codes"]

_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: odd, so the polynomial keeps every code's bits.


@dataclass(frozen=True)
class FingerprintParams:
    """How fingerprints were made; fingerprints made with different parameters never compare."""

    #: k-gram length in tokens.
    k: int
    #: Winnowing window in k-grams.
    window: int

    def __post_init__(self) -> None:
        if self.k < 1 or self.window < 1:
            raise ValueError("k and window must be positive")

    @property
    def guarantee(self) -> int:
        """Shared runs of at least this many tokens always share a selected fingerprint."""
        return self.k + self.window - 1


@dataclass(frozen=True, eq=False)
class FileFingerprints:
    """The k-gram hashes of one file and the positions winnowing selected."""

    #: uint64 hash of the k-gram starting at each token position (``n_tokens - k + 1`` entries).
    hashes: np.ndarray
    #: Sorted positions (indices into ``hashes``) chosen by winnowing.
    selected: np.ndarray


def _mix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: spreads the polynomial hash over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def kgram_hashes(codes: np.ndarray, k: int) -> np.ndarray:
    """Hash of every k-gram of ``codes`` (k vector operations, not n Python steps)."""
    n = codes.shape[0] - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    values = codes.astype(np.uint64) + np.uint64(1)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + values[j : j + n]
        return _mix64(h)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Positions of the minimum hash in every window of ``window`` consecutive hashes, taking the
    rightmost minimum on ties ("robust winnowing" in the paper, which avoids selecting many
    positions in runs of equal hashes)."""
    n = hashes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= window:
        return np.array([n - 1 - int(np.argmin(hashes[::-1]))], dtype=np.int64)
    windows = sliding_window_view(hashes, window)[:, ::-1]
    picks = (window - 1 - np.argmin(windows, axis=1)) + np.arange(n - window + 1)
    return np.unique(picks).astype(np.int64)


def fingerprint_codes(codes: np.ndarray, params: FingerprintParams) -> FileFingerprints:
    """k-gram hashes and winnowed selection for one token array."""
    hashes = kgram_hashes(codes, params.k)
    return FileFingerprints(hashes=hashes, selected=winnow(hashes, params.window))
