"""Channel 2: function alignment.

Every function of at least ``MIN_TOKENS`` tokens gets a signature: its category sequence (the
language-neutral structure) and its name's subwords. Similarity of two functions is
``STRUCTURE_WEIGHT`` x normalized Levenshtein similarity of the category sequences +
(1 - ``STRUCTURE_WEIGHT``) x name similarity. Functions are aligned one-to-one by maximum total
similarity (Hungarian algorithm, scipy's ``linear_sum_assignment``), and the report gives the
distribution: the share of the original's functions whose counterpart is above 0.5 and above
0.65, the bands MirrorCode's memorization screen reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import SourceTree
from .channel import Channel, PairInput
from .model import ChannelResult, EvidenceItem, Location
from .text import normalize_identifier

__all__ = [
    "FunctionSignature", "Alignment", "function_signatures", "align_functions", "bootstrap_intervals",
    "FunctionChannel", "CHANNEL",
]  # fmt: skip

#: Functions shorter than this (accessors, one-liners) look alike in every program.
MIN_TOKENS = 20
STRUCTURE_WEIGHT = 0.75
#: Structure similarities below this count as 0: such pairs never align meaningfully, and the
#: cut-off lets Levenshtein stop early (results are identical for every worker count).
STRUCTURE_CUTOFF = 0.3
BANDS = (0.5, 0.65)


@dataclass(frozen=True)
class FunctionSignature:
    file_index: int
    path: str
    name: str
    key: str  # normalized name
    start_line: int
    end_line: int
    tokens: int
    structure: str  # category codes as a string, for rapidfuzz


def function_signatures(tree: SourceTree, min_tokens: int = MIN_TOKENS) -> list[FunctionSignature]:
    """The functions of at least ``min_tokens`` tokens, in file and position order."""
    out = []
    for fi, parsed in enumerate(tree.files):
        for fn in parsed.functions:
            n = fn.end_token - fn.first_token
            if n < min_tokens:
                continue
            codes = parsed.categories[fn.first_token : fn.end_token]
            out.append(
                FunctionSignature(
                    fi, parsed.file.relpath, fn.name, normalize_identifier(fn.name), fn.start_line, fn.end_line,
                    n, codes.tobytes().decode("latin-1"),
                )
            )  # fmt: skip
    return out


@dataclass(frozen=True, eq=False)
class Alignment:
    original: list[FunctionSignature]
    submission: list[FunctionSignature]
    #: (original index, submission index, similarity, structure similarity, name similarity)
    pairs: list[tuple[int, int, float, float, float]]


def align_functions(a: list[FunctionSignature], b: list[FunctionSignature]) -> Alignment:
    if not a or not b:
        return Alignment(a, b, [])
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import Levenshtein
    from scipy.optimize import linear_sum_assignment

    structure = process.cdist(
        [f.structure for f in a], [f.structure for f in b], scorer=Levenshtein.normalized_similarity,
        dtype=np.float32, workers=-1, score_cutoff=STRUCTURE_CUTOFF,
    )  # fmt: skip
    names = process.cdist([f.key for f in a], [f.key for f in b], scorer=fuzz.ratio, dtype=np.float32, workers=-1) / 100.0
    # Anonymous functions and operators normalize to "": two empty names are not the same name.
    names[[i for i, f in enumerate(a) if not f.key], :] = 0.0
    names[:, [j for j, f in enumerate(b) if not f.key]] = 0.0
    similarity = STRUCTURE_WEIGHT * structure + (1 - STRUCTURE_WEIGHT) * names
    rows, cols = linear_sum_assignment(-similarity)
    pairs = [
        (int(i), int(j), float(similarity[i, j]), float(structure[i, j]), float(names[i, j]))
        for i, j in zip(rows.tolist(), cols.tolist())
    ]
    return Alignment(a, b, pairs)


def bootstrap_intervals(
    items: list[EvidenceItem], n: int, resamples: int = 500, seed: int = 20261124
) -> dict[str, tuple[float, float]]:
    """95% intervals for the channel's score and upper band, resampling the original's ``n``
    functions with replacement (fixed seed: deterministic)."""
    if n < 2:
        return {}
    sims = np.zeros(n)
    sizes = np.zeros(n)
    for idx, item in enumerate(sorted(items, key=lambda i: (str(i.original), i.original_text))):
        if idx < n:
            sims[idx] = item.similarity
            sizes[idx] = item.weight
    # Unaligned functions keep similarity 0; their weight is unknown here, so use the mean.
    sizes[sizes == 0] = sizes[sizes > 0].mean() if (sizes > 0).any() else 1.0
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(resamples, n))
    scores = (sims[picks] * sizes[picks]).sum(axis=1) / sizes[picks].sum(axis=1)
    share = (sims[picks] >= BANDS[1]).mean(axis=1)
    lo, hi = np.percentile(scores, [2.5, 97.5])
    slo, shi = np.percentile(share, [2.5, 97.5])
    return {"functions": (float(lo), float(hi)), "functions_share_above_0.65": (float(slo), float(shi))}


class FunctionChannel(Channel):
    name = "functions"
    phrase = "functions align with the original's"
    version = 1
    order = 20
    description = "size-weighted similarity of the original's functions to their aligned counterparts"
    #: The share of the original's functions with a counterpart of similarity >= 0.65
    #: (MirrorCode's upper band).
    extra_features = {"functions_share_above_0.65": "many functions closely similar"}
    items_have_spans = True

    def index(self, tree: SourceTree, pair: PairInput) -> list[FunctionSignature]:
        return function_signatures(tree)

    def compare(self, pair: PairInput) -> ChannelResult:
        alignment = align_functions(pair.index(self, "original"), pair.index(self, "submission"))
        a, b = alignment.original, alignment.submission
        total = sum(f.tokens for f in a)
        best = {i: s for i, _, s, _, _ in alignment.pairs}
        score = sum(a[i].tokens * s for i, s in best.items()) / total if total else 0.0
        items = []
        for i, j, s, st, nm in sorted(alignment.pairs, key=lambda p: (-p[2], p[0])):
            fa, fb = a[i], b[j]
            items.append(
                EvidenceItem(
                    "functions", fa.name, fb.name, Location(fa.path, fa.start_line, fa.end_line),
                    Location(fb.path, fb.start_line, fb.end_line), round(fa.tokens / total, 6) if total else 0.0,
                    round(s, 4), False, f"structure {st:.2f}, name {nm:.2f}",
                )
            )  # fmt: skip
        n = len(a)
        stats: dict[str, float | int] = {
            "original_functions": n,
            "submission_functions": len(b),
            # The assignment pairs every function it can; only pairs of similarity >= 0.5 count as
            # aligned (the lower band).
            "aligned": sum(1 for _, _, s, _, _ in alignment.pairs if s >= BANDS[0]),
            "min_tokens": MIN_TOKENS,
        }
        for band in BANDS:
            stats[f"share_above_{band}"] = round(sum(1 for s in best.values() if s >= band) / n, 6) if n else 0.0
        stats["mean_structure_similarity"] = (
            round(sum(st for _, _, _, st, _ in alignment.pairs) / len(alignment.pairs), 6) if alignment.pairs else 0.0
        )
        summary = (
            f"{stats['aligned']}/{n} aligned; ≥0.5: {100 * stats['share_above_0.5']:.0f}%, "
            f"≥0.65: {100 * stats['share_above_0.65']:.0f}%"
        )
        return self.result(
            score, items, stats, summary,
            features={"functions_share_above_0.65": float(stats["share_above_0.65"])},
            intervals=bootstrap_intervals(items, n), detail=alignment,
        )  # fmt: skip

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.original_text} ↔ {item.submission_text} ({item.similarity:.2f}) {item.original} ↔ {item.submission}"


CHANNEL = FunctionChannel()
