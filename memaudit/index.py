"""A fingerprint index over one source tree, built once and queried by many others.

Auditing one original against many submissions indexes the original once; each submission is then
one vectorized join (sorted array + ``searchsorted``), never an all-pairs comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core import SourceTree
from .fingerprint import FileFingerprints, FingerprintParams, fingerprint_codes

__all__ = ["TreeFingerprints", "FingerprintIndex", "SeedMatches"]


@dataclass(frozen=True, eq=False)
class TreeFingerprints:
    """The fingerprints of every file of a tree, in the tree's file order."""

    tree: SourceTree
    params: FingerprintParams
    files: tuple[FileFingerprints, ...]

    @classmethod
    def build(cls, tree: SourceTree, params: FingerprintParams) -> "TreeFingerprints":
        return cls(tree, params, tuple(fingerprint_codes(f.categories, params) for f in tree.files))

    def selected_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Selected fingerprints as parallel arrays (hash, file index, k-gram position)."""
        hashes, files, positions = [], [], []
        for i, fp in enumerate(self.files):
            hashes.append(fp.hashes[fp.selected])
            files.append(np.full(fp.selected.shape[0], i, dtype=np.int32))
            positions.append(fp.selected)
        if not hashes:
            return np.zeros(0, np.uint64), np.zeros(0, np.int32), np.zeros(0, np.int64)
        return np.concatenate(hashes), np.concatenate(files), np.concatenate(positions)

    def distinct_selected(self) -> np.ndarray:
        """The set of selected fingerprint hashes (sorted, unique)."""
        return np.unique(self.selected_table()[0])


@dataclass(frozen=True, eq=False)
class SeedMatches:
    """Pairs of k-gram positions whose selected fingerprints are equal."""

    a_file: np.ndarray
    a_pos: np.ndarray
    b_file: np.ndarray
    b_pos: np.ndarray

    def __len__(self) -> int:
        return int(self.a_file.shape[0])


class FingerprintIndex:
    """Selected fingerprints of one tree, sorted by hash for vectorized lookups."""

    def __init__(self, fingerprints: TreeFingerprints, max_occurrences: int = 64) -> None:
        #: A fingerprint occurring more often than this in either tree is boilerplate (getters,
        #: switch tables); matching it would join every occurrence with every other.
        self.max_occurrences = max_occurrences
        self.fingerprints = fingerprints
        hashes, files, positions = fingerprints.selected_table()
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._files = files[order]
        self._positions = positions[order]

    @property
    def params(self) -> FingerprintParams:
        return self.fingerprints.params

    def seeds(self, other: TreeFingerprints) -> SeedMatches:
        """Every (indexed position, other position) pair sharing a selected fingerprint."""
        if other.params != self.params:
            raise ValueError(f"fingerprint parameters differ: {self.params} vs {other.params}")
        hashes, files, positions = other.selected_table()
        left = np.searchsorted(self._hashes, hashes, side="left")
        right = np.searchsorted(self._hashes, hashes, side="right")
        counts = right - left
        _, inverse, other_counts = np.unique(hashes, return_inverse=True, return_counts=True)
        keep = (counts > 0) & (counts <= self.max_occurrences) & (other_counts[inverse] <= self.max_occurrences)
        left, counts = left[keep], counts[keep]
        b_file = np.repeat(files[keep], counts)
        b_pos = np.repeat(positions[keep], counts)
        # Index of every matching entry: left[i], left[i]+1, ..., right[i]-1.
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        entries = np.repeat(left, counts) + offsets
        return SeedMatches(self._files[entries], self._positions[entries], b_file, b_pos)
