"""The two sides of an evidence comparison, with what is excluded from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..core import Occurrence, ParsedFile, SourceTree
from .model import EvidenceItem, Location
from .observable import ObservableText

__all__ = ["EvidenceInput", "first_occurrences", "weighted_overlap"]


@dataclass(frozen=True, eq=False)
class EvidenceInput:
    original: SourceTree
    submission: SourceTree
    spec: ObservableText = field(default_factory=ObservableText.empty)
    #: Keys (per channel: normalized identifiers, literal contents, comment keys) found in the
    #: base/template code; excluded from both sides and from the denominators.
    base_keys: frozenset[str] = frozenset()


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
