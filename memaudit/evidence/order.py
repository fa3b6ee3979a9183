"""Order preservation: aligned functions kept in the original's order, beyond chance.

Within each pair of files (an original file, a submission file) that hold aligned functions
(the function channel's alignment, pairs of similarity >= 0.5 as in the layout channel), the
aligned functions are ranked by position on both sides and their discordant pairs counted
(Kendall's S = concordant - discordant; Kendall 1938). A port written from the original source
tends to keep its declaration order; an independent implementation orders its functions by its
own plan, so under independence every ordering within a file pair is equally likely.

The null is exact: under independence the number of discordant pairs (inversions) of a file
pair with ``n`` aligned functions follows the Mahonian distribution (generating function
``prod_{k=1..n} (1 + q + ... + q^(k-1)) / k``), and file pairs are independent, so the pooled
count's distribution is the product of their generating functions. The score is
``1 - P(inversions <= observed)``, the one-sided p-value's complement: a file pair with two
aligned functions can at most reach 0.5, three at most 0.83, so few aligned functions give a
weak score by construction. Beyond ``EXACT_MAX_PAIRS`` function pairs the normal approximation
(with continuity correction) replaces the exact product.

What the null does not cover: the alignment itself partly uses names (a quarter of the
similarity), and functions named alike in two independent implementations (``parse``, ``run``)
can be aligned correctly and still sit in a natural order (helpers first, ``main`` last), so the
score says "the same order as the original", not "copied". On the laundered tier names are
meaningless, so the alignment, and the order measured on it, rests on structure alone.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from .channel import Channel, PairInput
from .functions import Alignment, FunctionSignature
from .model import ChannelResult, EvidenceItem, Location

__all__ = ["OrderChannel", "CHANNEL", "inversions", "longest_increasing_run", "inversion_pvalue"]

#: Aligned pairs below this similarity are not counterparts (the function channel's lower band).
MIN_SIMILARITY = 0.5
#: Up to this many testable function pairs (sum of n(n-1)/2 over file pairs) the null is exact.
EXACT_MAX_PAIRS = 20_000
#: Items: file pairs listed, names shown per item.
MAX_ITEMS = 50
MAX_NAMES = 8


def inversions(values: list[int]) -> int:
    """The number of pairs ``a < b`` with ``values[a] > values[b]`` (discordant pairs)."""
    seen: list[int] = []
    count = 0
    for v in values:
        count += len(seen) - bisect.bisect_right(seen, v)
        bisect.insort(seen, v)
    return count


def longest_increasing_run(values: list[int]) -> list[int]:
    """Indices of a longest strictly increasing subsequence of ``values`` (patience sorting; the
    leftmost-ending one, so the result is deterministic)."""
    tails: list[int] = []  # value of the smallest tail of each length
    tail_at: list[int] = []  # its index
    back = [-1] * len(values)
    for idx, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        back[idx] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(v)
            tail_at.append(idx)
        else:
            tails[k] = v
            tail_at[k] = idx
    out: list[int] = []
    idx = tail_at[-1] if tail_at else -1
    while idx >= 0:
        out.append(idx)
        idx = back[idx]
    return out[::-1]


def _mahonian(n: int) -> np.ndarray:
    """Probability of each inversion count of a uniformly random permutation of ``n`` items."""
    dist = np.ones(1)
    for k in range(2, n + 1):
        # Multiply by (1 + q + ... + q^(k-1)) / k: a window sum over the cumulative sums.
        cs = np.concatenate([np.zeros(k), np.cumsum(dist), np.full(k - 1, dist.sum())])
        dist = (cs[k:] - cs[:-k]) / k
    return dist


def _pooled_mahonian(sizes: list[int]) -> np.ndarray:
    """Probability of each total inversion count when every group of ``sizes`` is independently
    and uniformly permuted: the product of the groups' generating functions (in the Fourier
    domain; absolute error about 1e-15)."""
    length = 1 + sum(n * (n - 1) // 2 for n in sizes)
    if len(sizes) == 1:
        return _mahonian(sizes[0])
    spectrum = np.ones(length // 2 + 1, dtype=complex)
    for n in sorted(set(sizes)):
        spectrum *= np.fft.rfft(_mahonian(n), length) ** sizes.count(n)
    return np.clip(np.fft.irfft(spectrum, length), 0.0, None)


def inversion_pvalue(sizes: list[int], observed: int) -> tuple[float, str]:
    """P(total inversions <= observed) under independent uniform orderings of each group, and
    the method used ("exact" or "normal")."""
    sizes = [n for n in sizes if n >= 2]
    pairs = sum(n * (n - 1) // 2 for n in sizes)
    if not pairs:
        return 1.0, "exact"
    if pairs <= EXACT_MAX_PAIRS:
        dist = _pooled_mahonian(sizes)
        # Sum the smaller tail (rounding: a certain event must give exactly 1).
        lower, upper = float(dist[: observed + 1].sum()), float(dist[observed + 1 :].sum())
        return (lower / (lower + upper) if lower < upper else 1.0 - upper / (lower + upper)), "exact"
    mean = sum(n * (n - 1) / 4 for n in sizes)
    sd = math.sqrt(sum(n * (n - 1) * (2 * n + 5) / 72 for n in sizes))
    z = (observed + 0.5 - mean) / sd
    return 0.5 * math.erfc(-z / math.sqrt(2)), "normal"


def _span(functions: list[FunctionSignature]) -> Location:
    first, last = min(f.start_line for f in functions), max(f.end_line for f in functions)
    return Location(functions[0].path, first, last)


def _names(functions: list[FunctionSignature]) -> str:
    shown = ", ".join(f.name or "<anonymous>" for f in functions[:MAX_NAMES])
    return shown + (f", … ({len(functions)})" if len(functions) > MAX_NAMES else "")


class OrderChannel(Channel):
    name = "order"
    phrase = "aligned functions kept in the original's order"
    version = 1
    order = 66
    requires = ("functions",)
    description = "aligned functions in the same relative order within each file pair, beyond chance (Kendall, exact null)"
    items_have_spans = True

    def compare(self, pair: PairInput) -> ChannelResult:
        alignment: Alignment = pair.results["functions"].detail
        fa, fb = alignment.original, alignment.submission
        groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for i, j, s, _, _ in alignment.pairs:
            if s >= MIN_SIMILARITY:
                groups.setdefault((fa[i].file_index, fb[j].file_index), []).append((i, j))
        sizes: list[int] = []
        discordant = 0
        runs: list[tuple[int, float, EvidenceItem]] = []
        longest = 0
        for _, members in sorted(groups.items()):
            if len(members) < 2:
                continue
            # Positions on each side: (start line, index) orders nested functions by their start.
            members.sort(key=lambda m: (fa[m[0]].start_line, m[0]))
            ranks_b = [(fb[j].start_line, j) for _, j in members]
            order_b = sorted(range(len(members)), key=lambda k: ranks_b[k])
            position_b = [0] * len(members)
            for rank, k in enumerate(order_b):
                position_b[k] = rank
            n = len(members)
            d = inversions(position_b)
            sizes.append(n)
            discordant += d
            run = longest_increasing_run(position_b)
            longest = max(longest, len(run))
            run_a = [fa[members[k][0]] for k in run]
            run_b = [fb[members[k][1]] for k in sorted(run, key=lambda k: position_b[k])]
            tau = 1 - 4 * d / (n * (n - 1))
            if len(run) < 2:
                continue
            runs.append((len(run), tau,
                EvidenceItem(
                    "order", _names(run_a), _names(run_b), _span(run_a), _span(run_b),
                    round(len(run) / n, 6), round(max(0.0, tau), 6), False,
                    f"{len(run)} of {n} aligned functions in the same order, tau {tau:.2f}",
                ),
            ))  # fmt: skip
        runs.sort(key=lambda r: (-r[0], -r[1], str(r[2].original), str(r[2].submission)))
        items = [r[2] for r in runs[:MAX_ITEMS]]
        testable = sum(n * (n - 1) // 2 for n in sizes)
        p, method = inversion_pvalue(sizes, discordant)
        score = 1.0 - p if testable else 0.0
        stats: dict[str, float | int] = {
            "aligned": sum(1 for _, _, s, _, _ in alignment.pairs if s >= MIN_SIMILARITY),
            "file_pairs": len(sizes),
            "ordered_functions": sum(sizes),
            "function_pairs": testable,
            "concordant": testable - discordant,
            "discordant": discordant,
            "tau": round(1 - 2 * discordant / testable, 6) if testable else 0.0,
            "p_value": float(f"{p:.4g}"),
            "exact_null": int(method == "exact"),
            "longest_run": longest,
        }
        summary = (
            f"{stats['concordant']}/{testable} pairs in order over {len(sizes)} file pairs "
            f"(tau {stats['tau']:.2f}, p {p:.2g}); longest run {longest}"
        )
        return self.result(score, items, stats, summary)

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.note}: {item.original_text[:60]} ↔ {item.submission_text[:60]} {item.original} ↔ {item.submission}"


CHANNEL = OrderChannel()
