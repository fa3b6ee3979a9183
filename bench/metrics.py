"""Ranking and decision metrics for labelled scores (plain Python: deterministic everywhere).

- :func:`roc_auc`: the Mann-Whitney form of the ROC AUC, the probability that a random positive
  (``derived``) pair scores above a random negative (``independent``) one, ties counting one half.
- :func:`bootstrap_auc_ci`: a percentile bootstrap interval, resampling positives and negatives
  separately (stratified, so every resample has both classes) with a fixed seed.
- :func:`precision_recall`: at a fixed threshold (score >= threshold means "flagged").

Scores that are ``None`` (the tool could not handle the pair) count as 0: the tool gave no evidence
of similarity. Callers report how many such pairs there were.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence


def _clean(scores: Sequence[float | None]) -> list[float]:
    return [0.0 if s is None else float(s) for s in scores]


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks of ``values``, ties getting the average of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        rank = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = rank
        i = j + 1
    return ranks


def roc_auc(positives: Sequence[float | None], negatives: Sequence[float | None]) -> float | None:
    """ROC AUC by the Mann-Whitney U statistic; None if either class is empty."""
    pos, neg = _clean(positives), _clean(negatives)
    if not pos or not neg:
        return None
    ranks = average_ranks(pos + neg)
    rank_sum = sum(ranks[: len(pos)])
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0..1) of already sorted values, linearly interpolated."""
    if not sorted_values:
        raise ValueError("no values")
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def bootstrap_auc_ci(positives: Sequence[float | None], negatives: Sequence[float | None], *,
                     resamples: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the AUC (stratified resampling, fixed ``seed``)."""
    pos, neg = _clean(positives), _clean(negatives)
    if not pos or not neg:
        return None
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        p = [pos[rng.randrange(len(pos))] for _ in pos]
        n = [neg[rng.randrange(len(neg))] for _ in neg]
        values.append(roc_auc(p, n))
    values.sort()
    alpha = (1 - level) / 2
    return percentile(values, alpha), percentile(values, 1 - alpha)


@dataclass(frozen=True)
class Confusion:
    """Counts at one threshold and the rates derived from them."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def false_positive_rate(self) -> float | None:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None


def precision_recall(positives: Sequence[float | None], negatives: Sequence[float | None],
                     threshold: float) -> Confusion:
    """Confusion counts when ``score >= threshold`` flags a pair as derived."""
    pos, neg = _clean(positives), _clean(negatives)
    tp = sum(s >= threshold for s in pos)
    fp = sum(s >= threshold for s in neg)
    return Confusion(tp=tp, fp=fp, fn=len(pos) - tp, tn=len(neg) - fp)
