"""Helpers the text channels share: first occurrences of keyed items, and the weighted overlap
score."""

from __future__ import annotations

import math
from typing import Callable, Iterable

from ..core import Occurrence, ParsedFile, SourceTree
from .model import EvidenceItem, Location

__all__ = ["first_occurrences", "weighted_overlap"]

def first_occurrences(
    tree: SourceTree,
    occurrences: Callable[[ParsedFile], Iterable[Occurrence]],
    key: Callable[[str], str | None],
    exclude: frozenset[str] = frozenset(),
) -> dict[str, tuple[str, Location, int]]:
    """key -> (raw text, first location, count) over the tree, skipping keys that are ``None``
    or excluded. Files are visited in path order, so "first" is deterministic."""
    out: dict[str, tuple[str, Location, int]] = {}
    for parsed in tree.files:
        for occ in occurrences(parsed):
            k = key(occ.text)
            if not k or k in exclude:
                continue
            if k in out:
                raw, loc, n = out[k]
                out[k] = (raw, loc, n + 1)
            else:
                out[k] = (occ.text, Location(parsed.file.relpath, occ.start_line, occ.end_line), 1)
    return out


def weighted_overlap(items: list[EvidenceItem], mass_a: float, mass_b: float) -> float:
    """Sum of weight x similarity over the non-observable items, over the geometric mean of the
    two sides' total weight (so neither a small nor a large side alone decides), in [0, 1]."""
    if mass_a <= 0 or mass_b <= 0:
        return 0.0
    shared = sum(i.weight * i.similarity for i in items if not i.observable)
    return min(1.0, shared / math.sqrt(mass_a * mass_b))
