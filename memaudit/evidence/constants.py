"""Ordered internal constants per aligned function, against a size-matched background.

For every function the sequence of its non-trivial numeric constants (the literal channel's
:func:`~memaudit.evidence.literals.number_key`) and string literals with constant text, in source
order, is kept. For each aligned function pair (the function channel's alignment, similarity >=
0.5) whose original function holds at least ``MIN_CONSTANTS`` constants that are not
observable (spec material) or base code, the statistic is the length of the longest common
subsequence of the two sequences: constants shared *in the same order*.

Some constants every implementation shares (``0x7f``, a format string the behaviour forces, a
table from an RFC). The background measures that: the same original function against the
``BACKGROUND`` submission functions closest to its counterpart in size (token count), which are
unaligned pairs. Under the null "the counterpart is no more like the original than a function of
the same size", the counterpart's LCS is exchangeable with the background's, so the test draws,
for every function, one of its ``BACKGROUND + 1`` values uniformly and compares the total LCS
with the observed one (``PERMUTATIONS`` draws, fixed seed; p-value with the +1 correction). The
score is ``1 - p``: one function at most reaches about 0.95, and pairs with no function to test
score 0.

The null's limit: the background functions are unaligned, so they do different jobs; an aligned
counterpart of an independent implementation does the same job and may share the constants that
job forces (pass ``--spec`` so the forced output strings are observable and not counted).
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

import numpy as np

from ..core import ParsedFile, SourceTree
from .channel import Channel, PairInput
from .functions import CHANNEL as FUNCTIONS
from .functions import Alignment, FunctionSignature
from .literals import number_key
from .model import ChannelResult, EvidenceItem, Location
from .observable import ObservableText, literal_pieces
from .text import normalize_string_literal

__all__ = ["ConstantsChannel", "CHANNEL", "Constant", "function_constants"]

#: Aligned pairs below this similarity are not counterparts (the function channel's lower band).
MIN_SIMILARITY = 0.5
#: A function with fewer constants says nothing about their order.
MIN_CONSTANTS = 2
#: Background functions per aligned function (19: beating all of them is p = 0.05).
BACKGROUND = 19
PERMUTATIONS = 999
SEED = 20260611
MAX_ITEMS = 50
MAX_SHOWN = 8


class Constant(NamedTuple):
    key: str  # "n:<value>" or "s:<content>"
    text: str  # as written
    line: int


def _string_key(text: str) -> str | None:
    content = normalize_string_literal(text)
    return "s:" + content if literal_pieces(content) else None


def _file_constants(parsed: ParsedFile, exclude: frozenset[str]) -> tuple[list[int], list[Constant]]:
    """The file's constants in source order (by line; numbers before strings on one line) and
    their lines, for bisecting."""
    docs = {(c.start_line, c.text) for c in parsed.comments}
    found: list[tuple[int, int, int, Constant]] = []
    for rank, occ in enumerate(parsed.numbers):
        k = number_key(occ.text)
        if k and "n:" + k not in exclude:
            found.append((occ.start_line, 0, rank, Constant("n:" + k, occ.text, occ.start_line)))
    for rank, occ in enumerate(parsed.strings):
        # A docstring is a string literal that is also a comment: not a constant.
        if (occ.start_line, occ.text) in docs:
            continue
        s = _string_key(occ.text)
        if s and s not in exclude:
            found.append((occ.start_line, 1, rank, Constant(s, occ.text, occ.start_line)))
    found.sort(key=lambda f: f[:3])
    return [f[0] for f in found], [f[3] for f in found]


def function_constants(
    tree: SourceTree, functions: list[FunctionSignature], exclude: frozenset[str] = frozenset()
) -> list[tuple[Constant, ...]]:
    """For each of ``functions``, the constants written inside its lines, in order (a nested
    function's constants are also its enclosing function's, as its tokens are)."""
    per_file: dict[int, tuple[list[int], list[Constant]]] = {}
    out: list[tuple[Constant, ...]] = []
    for f in functions:
        if f.file_index not in per_file:
            per_file[f.file_index] = _file_constants(tree.files[f.file_index], exclude)
        lines, constants = per_file[f.file_index]
        lo, hi = bisect.bisect_left(lines, f.start_line), bisect.bisect_right(lines, f.end_line)
        out.append(tuple(constants[lo:hi]))
    return out


class _Observable:
    """Which keys the submitter could observe (cached per key)."""

    def __init__(self, spec: ObservableText) -> None:
        self.spec = spec
        self.known: dict[str, bool] = {}

    def __call__(self, key: str) -> bool:
        if not self.spec:
            return False
        hit = self.known.get(key)
        if hit is None:
            if key.startswith("s:"):
                hit = self.spec.has_literal(key[2:])
            else:
                hit = re.search(r"(?<![\w.])" + re.escape(key[2:]) + r"(?![\w.])", self.spec.text) is not None
            self.known[key] = hit
        return hit


class _BySize:
    """Nearest functions by size (log token count), for the background."""

    def __init__(self, functions: list[FunctionSignature]) -> None:
        sizes = np.log(np.array([f.tokens for f in functions], dtype=float))
        self.order = np.argsort(sizes, kind="stable")
        self.sorted = sizes[self.order]
        self.rank = np.empty_like(self.order)
        self.rank[self.order] = np.arange(self.order.shape[0])

    def nearest(self, j: int, k: int) -> list[int]:
        """The ``k`` functions other than ``j`` closest to it in size (ties: the smaller first)."""
        r = int(self.rank[j])
        lo, hi = r - 1, r + 1
        out: list[int] = []
        n = self.order.shape[0]
        while len(out) < k and (lo >= 0 or hi < n):
            left = self.sorted[r] - self.sorted[lo] if lo >= 0 else np.inf
            right = self.sorted[hi] - self.sorted[r] if hi < n else np.inf
            if left <= right:
                out.append(int(self.order[lo]))
                lo -= 1
            else:
                out.append(int(self.order[hi]))
                hi += 1
        return out


def _shared(a: list[str], b: list[str], texts: tuple[Constant, ...]) -> list[str]:
    """The constants of one longest common subsequence, as written on the original's side."""
    from rapidfuzz.distance import LCSseq

    out: list[str] = []
    for op in LCSseq.opcodes(a, b):
        if op.tag == "equal":
            out.extend(texts[x].text for x in range(op.src_start, op.src_end))
    return out


class ConstantsChannel(Channel):
    name = "constants"
    phrase = "aligned functions use the same constants in the same order"
    version = 1
    order = 67
    requires = ("functions",)
    description = "ordered constants shared by aligned functions, beyond size-matched unaligned functions"
    items_have_spans = True

    def index(self, tree: SourceTree, pair: PairInput) -> list[tuple[Constant, ...]]:
        return function_constants(tree, pair.cache.get(FUNCTIONS, tree, pair), pair.base_keys)

    def compare(self, pair: PairInput) -> ChannelResult:
        from rapidfuzz.distance import LCSseq

        alignment: Alignment = pair.results["functions"].detail
        fa, fb = alignment.original, alignment.submission
        ca, cb = pair.index(self, "original"), pair.index(self, "submission")
        observable = _Observable(pair.spec)
        codes: dict[str, int] = {}

        def keys(constants: tuple[Constant, ...]) -> list[int]:
            return [codes.setdefault(c.key, len(codes)) for c in constants if not observable(c.key)]

        seq_b: dict[int, list[int]] = {}

        def submission_keys(j: int) -> list[int]:
            if j not in seq_b:
                seq_b[j] = keys(cb[j])
            return seq_b[j]

        by_size = _BySize(fb) if fb else None
        tested: list[tuple[int, int, int, list[float]]] = []  # (i, j, lcs, background lcs)
        for i, j, s, _, _ in sorted(alignment.pairs):
            if s < MIN_SIMILARITY:
                continue
            a = keys(ca[i])
            if len(a) < MIN_CONSTANTS:
                continue
            lcs = int(LCSseq.similarity(a, submission_keys(j)))
            others = by_size.nearest(j, BACKGROUND) if by_size else []
            background = [float(LCSseq.similarity(a, submission_keys(x))) for x in others]
            tested.append((i, j, lcs, background))

        n = len(tested)
        stats: dict[str, float | int] = {"tested_functions": n, "background_per_function": BACKGROUND}
        if not n:
            stats.update(aligned_mean_lcs=0.0, background_mean_lcs=0.0, share_above_background_95=0.0, p_value=1.0)
            return self.result(0.0, [], stats, "no aligned function with 2+ constants")

        width = 1 + max(len(t[3]) for t in tested)
        values = np.zeros((n, width))
        counts = np.array([1 + len(t[3]) for t in tested])
        for row, (_, _, lcs, background) in enumerate(tested):
            values[row, 0] = lcs
            values[row, 1 : 1 + len(background)] = background
        observed = values[:, 0].sum()
        rng = np.random.default_rng(SEED)
        picks = (rng.random((PERMUTATIONS, n)) * counts).astype(np.int64)
        null = values[np.arange(n), picks].sum(axis=1)
        p = (1 + int((null >= observed - 1e-9).sum())) / (1 + PERMUTATIONS)
        above = sum(1 for _, _, lcs, bg in tested if bg and lcs > np.percentile(bg, 95))
        pooled = [x for t in tested for x in t[3]]
        background_mean = float(np.mean(pooled)) if pooled else 0.0
        stats.update({
            "aligned_mean_lcs": round(float(values[:, 0].mean()), 6),
            "background_mean_lcs": round(background_mean, 6),
            "share_above_background_95": round(above / n, 6),
            "p_value": round(p, 6),
        })  # fmt: skip

        items = []
        for i, j, lcs, background in sorted(tested, key=lambda t: (-t[2], t[0]))[:MAX_ITEMS]:
            if lcs < MIN_CONSTANTS:
                break
            a_all = [c for c in ca[i] if not observable(c.key)]
            b_keys = [c.key for c in cb[j] if not observable(c.key)]
            shared = _shared([c.key for c in a_all], b_keys, tuple(a_all))
            shown = ", ".join(shared[:MAX_SHOWN]) + (f", … ({len(shared)})" if len(shared) > MAX_SHOWN else "")
            f, g = fa[i], fb[j]
            items.append(
                EvidenceItem(
                    "constants", f.name, g.name, Location(f.path, f.start_line, f.end_line),
                    Location(g.path, g.start_line, g.end_line), round(lcs / len(a_all), 6),
                    round(lcs / max(len(a_all), len(submission_keys(j))), 6), False,
                    f"{lcs} constants in order (background 95th percentile "
                    f"{np.percentile(background, 95) if background else 0:.1f}): {shown}",
                )
            )  # fmt: skip
        summary = (
            f"{n} functions tested: mean ordered constants shared {stats['aligned_mean_lcs']:.2f} vs background "
            f"{background_mean:.2f}; {100 * above / n:.0f}% above background (p {p:.3g})"
        )
        return self.result(1.0 - p, items, stats, summary)

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.original_text} ↔ {item.submission_text} {item.original} ↔ {item.submission}: {item.note[:90]}"


CHANNEL = ConstantsChannel()
