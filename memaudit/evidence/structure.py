"""Channel 1: language-neutral structure, from the fingerprint fragments of the comparison."""

from __future__ import annotations

from ..compare import Comparison
from .model import ChannelResult, EvidenceItem, Location

__all__ = ["structure_channel"]


def structure_channel(comparison: Comparison, top: int = 50) -> ChannelResult:
    items = tuple(
        EvidenceItem(
            "structure", f"{f.n_tokens} tokens", f"{f.n_tokens} tokens",
            Location(f.a_path, *f.a_lines), Location(f.b_path, *f.b_lines),
            min(1.0, f.n_tokens / 100), 1.0,
        )  # fmt: skip
        for f in comparison.fragments[:top]
    )
    return ChannelResult(
        name="structure",
        score=comparison.similarity,
        description="share of both sides' category tokens inside shared k-gram fragments",
        items=items,
        stats={
            "fragments": len(comparison.fragments),
            "longest_fragment_tokens": comparison.fragments[0].n_tokens if comparison.fragments else 0,
            "jaccard": round(comparison.jaccard, 6),
            "k": comparison.params.k,
        },
    )
