"""Channel 3: shared identifiers, weighted by rarity, matched across naming conventions
(``ungron_tokens`` == ``ungronTokens``) and fuzzily (``bipartitions`` ~ ``bipartition``)."""

from __future__ import annotations

import functools

from ..core import SourceTree
from .model import ChannelResult, EvidenceItem, Location
from .rarity import RarityTable
from .sides import EvidenceInput, first_occurrences, weighted_overlap
from .text import normalize_identifier

__all__ = ["identifier_channel"]

#: Only names at least this rare take part in fuzzy matching (common names match by accident).
FUZZY_MIN_RARITY = 0.5
#: rapidfuzz ratio (0-100) above which two rare names count as the same, scaled to similarity.
FUZZY_CUTOFF = 85.0


@functools.lru_cache(maxsize=8)
def _index(tree: SourceTree, exclude: frozenset[str]) -> dict[str, tuple[str, Location, int]]:
    # Cached per tree: in a batch the original's index is built once, not once per submission.
    return first_occurrences(tree, lambda f: f.identifiers, normalize_identifier, exclude)


def identifier_channel(inp: EvidenceInput, rarity: RarityTable) -> ChannelResult:
    from rapidfuzz import fuzz, process

    a = _index(inp.original, inp.base_keys)
    b = _index(inp.submission, inp.base_keys)
    r = {k: rarity.rarity(k) for k in a.keys() | b.keys()}

    def observable(raw: str) -> bool:
        return inp.spec.has_identifier(raw)

    obs = {k: observable(v[0]) for k, v in a.items()} | {k: observable(v[0]) for k, v in b.items()}
    items: list[EvidenceItem] = []
    for k in sorted(a.keys() & b.keys()):
        items.append(
            EvidenceItem("identifiers", a[k][0], b[k][0], a[k][1], b[k][1], r[k], 1.0, obs[k], "in spec" if obs[k] else "")
        )

    rest_a = sorted(k for k in a.keys() - b.keys() if r[k] >= FUZZY_MIN_RARITY and len(k) >= 5)
    rest_b = sorted(k for k in b.keys() - a.keys() if r[k] >= FUZZY_MIN_RARITY and len(k) >= 5)
    if rest_a and rest_b:
        used: set[str] = set()
        for k in rest_a:
            # The best candidate not already matched to another name.
            candidates = process.extract(k, rest_b, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=8)
            match = next((m for m in candidates if m[0] not in used), None)
            if match is None:
                continue
            other = match[0]
            used.add(other)
            is_obs = obs[k] or obs[other]
            items.append(
                EvidenceItem(
                    "identifiers", a[k][0], b[other][0], a[k][1], b[other][1], min(r[k], r[other]),
                    round(match[1] / 100.0, 4), is_obs, "in spec" if is_obs else "fuzzy",
                )
            )  # fmt: skip

    mass_a = sum(r[k] for k in a if not obs[k])
    mass_b = sum(r[k] for k in b if not obs[k])
    items.sort(key=lambda i: (i.observable, -i.weight * i.similarity, i.original_text))
    counted = [i for i in items if not i.observable]
    return ChannelResult(
        name="identifiers",
        score=weighted_overlap(items, mass_a, mass_b),
        description="rarity-weighted share of identifiers both sides use (naming conventions folded)",
        items=tuple(items),
        stats={
            "original_identifiers": len(a),
            "submission_identifiers": len(b),
            "shared": len(counted),
            "shared_rare": sum(1 for i in counted if i.weight >= 0.7),
            "observable": sum(1 for i in items if i.observable),
        },
    )
