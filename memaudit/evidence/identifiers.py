"""Channel 3: shared identifiers, weighted by rarity, matched across naming conventions
(``ungron_tokens`` == ``ungronTokens``) and fuzzily (``bipartitions`` ~ ``bipartition``)."""

from __future__ import annotations

from ..core import SourceTree
from .channel import Channel, PairInput
from .model import ChannelResult, EvidenceItem, Location
from .sides import first_occurrences, weighted_overlap
from .text import normalize_identifier

__all__ = ["IdentifierChannel", "CHANNEL"]

#: Only names at least this rare take part in fuzzy matching (common names match by accident).
FUZZY_MIN_RARITY = 0.5
#: rapidfuzz ratio (0-100) above which two rare names count as the same, scaled to similarity.
FUZZY_CUTOFF = 85.0


class IdentifierChannel(Channel):
    name = "identifiers"
    phrase = "rare internal names shared"
    version = 1
    order = 30
    description = "rarity-weighted share of identifiers both sides use (naming conventions folded)"

    def index(self, tree: SourceTree, pair: PairInput) -> dict[str, tuple[str, Location, int]]:
        return first_occurrences(tree, lambda f: f.identifiers, normalize_identifier, pair.base_keys)

    def compare(self, pair: PairInput) -> ChannelResult:
        from rapidfuzz import fuzz, process

        a = pair.index(self, "original")
        b = pair.index(self, "submission")
        rarity = pair.rarity
        r = {k: rarity.rarity(k) for k in a.keys() | b.keys()}

        def observable(raw: str) -> bool:
            return pair.spec.has_identifier(raw)

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
        stats = {
            "original_identifiers": len(a),
            "submission_identifiers": len(b),
            "shared": len(counted),
            "shared_rare": sum(1 for i in counted if i.weight >= 0.7),
            "observable": sum(1 for i in items if i.observable),
        }
        summary = f"{stats['shared']} shared ({stats['shared_rare']} rare), {stats['observable']} observable"
        return self.result(weighted_overlap(items, mass_a, mass_b), items, stats, summary)

    def item_text(self, item: EvidenceItem) -> str:
        a, b = " ".join(item.original_text.split())[:40], " ".join(item.submission_text.split())[:40]
        return f"{a} ↔ {b} (rarity {item.weight:.2f}{', fuzzy' if item.similarity < 1 else ''})"


CHANNEL = IdentifierChannel()
