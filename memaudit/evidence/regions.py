"""Recalled regions: places where the submission shares far more structure with the original than
unrelated implementations of the same behaviour ever do — a verbatim helper library inside an
otherwise original program, which whole-program averages dilute away.

A shared fragment's *effective length* is its length in tokens times its complexity: the share of
distinct 4-grams among its category tokens. Repetitive runs (a table of ``case X: return Y;``,
a block of assignments) are what unrelated programs share by chance; they have low complexity and
count little. Nearby fragments of one file pair, in the same order on both sides, form a region;
its effective length is the sum of theirs.

The null is reference data (fingerprints/region-null.json, built by ``python -m
bench.region_null`` from the benchmark's open independent pairs): the largest effective length
any region of an independent pair reached, separately for same-language and cross-language pairs
(cross-language comparisons use shorter k-grams). A region is **recalled** when it exceeds
``FACTOR`` times that bound — fixed a priori at 2: far beyond the most that chance and the
behaviour produced between independent implementations.
"""

from __future__ import annotations

import functools

import numpy as np

from ..core import SourceTree
from ..errors import GrammarError
from ..match import Fragment
from ..reference import REGION_NULL, load_reference
from .channel import Channel, PairInput
from .model import ChannelResult, EvidenceItem, Location

__all__ = ["RegionsChannel", "CHANNEL", "Region", "effective_length", "find_regions", "load_region_null", "FACTOR"]

#: A region is recalled beyond FACTOR x the largest region of an independent pair.
FACTOR = 2.0
#: Fragments of one file pair at most this many lines apart on both sides join one region.
GAP_LINES = 30
#: Regions listed as items (all are counted).
TOP = 50
NULL_FORMAT = "memaudit.region-null/1"


def effective_length(codes: np.ndarray, k: int = 4) -> float:
    """Length x complexity: tokens times the share of distinct k-grams among them."""
    n = int(codes.shape[0])
    if n <= k:
        return 0.0
    grams = np.lib.stride_tricks.sliding_window_view(codes.astype(np.int64), k)
    # One integer per k-gram (categories are below 256).
    keys = grams @ (256 ** np.arange(k, dtype=np.int64))
    distinct = int(np.unique(keys).shape[0])
    return n * distinct / (n - k + 1)


class Region:
    """Fragments of one file pair that lie together, in order, on both sides."""

    def __init__(self, first: Fragment, effective: float) -> None:
        self.fragments = [first]
        self.effective = effective

    def add(self, fragment: Fragment, effective: float) -> None:
        self.fragments.append(fragment)
        self.effective += effective

    @property
    def tokens(self) -> int:
        return sum(f.n_tokens for f in self.fragments)

    def lines(self, side: str) -> tuple[int, int]:
        spans = [f.a_lines if side == "a" else f.b_lines for f in self.fragments]
        return min(s[0] for s in spans), max(s[1] for s in spans)


def find_regions(fragments: tuple[Fragment, ...], original: SourceTree) -> list[Region]:
    """Group fragments into regions, strongest first."""
    ordered = sorted(fragments, key=lambda f: (f.a_file, f.b_file, f.a_tokens[0], f.b_tokens[0]))
    regions: list[Region] = []
    for f in ordered:
        codes = original.files[f.a_file].categories[f.a_tokens[0] : f.a_tokens[1]]
        e = effective_length(codes)
        last = regions[-1] if regions else None
        if last is not None:
            p = last.fragments[-1]
            if (
                p.a_file == f.a_file and p.b_file == f.b_file
                and 0 <= f.a_lines[0] - p.a_lines[1] <= GAP_LINES
                and 0 <= f.b_lines[0] - p.b_lines[1] <= GAP_LINES
            ):  # fmt: skip
                last.add(f, e)
                continue
        regions.append(Region(f, e))
    regions.sort(key=lambda r: (-r.effective, r.fragments[0].a_path, r.fragments[0].a_tokens[0]))
    return regions


@functools.cache
def load_region_null() -> dict[str, float]:
    """The largest effective region length of independent pairs, same- and cross-language."""
    path, doc = load_reference(REGION_NULL)
    if not isinstance(doc, dict) or doc.get("format") != NULL_FORMAT:
        raise GrammarError(f"{path}: not a region null ({NULL_FORMAT}): rebuild it ({REGION_NULL[3]})")
    try:
        return {kind: float(doc["bound"][kind]) for kind in ("same", "cross")}
    except (KeyError, TypeError, ValueError) as exc:
        raise GrammarError(f"{path}: malformed region null ({type(exc).__name__}: {exc})") from None


class RegionsChannel(Channel):
    name = "regions"
    phrase = "a region far beyond what independent implementations share"
    version = 1
    order = 15
    description = (
        "strongest region of shared structure (length x complexity) against the largest region "
        f"independent implementations share; 1 at {FACTOR:g}x that bound (recalled)"
    )
    extra_features = {"regions_share": "share of the submission inside recalled regions"}
    items_have_spans = True

    def compare(self, pair: PairInput) -> ChannelResult:
        same = pair.comparison.original.languages == pair.comparison.submission.languages
        bound = load_region_null()["same" if same else "cross"]
        threshold = FACTOR * bound
        regions = find_regions(pair.comparison.fragments, pair.original)
        recalled = [r for r in regions if r.effective > threshold]
        total = pair.comparison.submission.tokens
        share = sum(r.tokens for r in recalled) / total if total else 0.0
        strongest = regions[0].effective if regions else 0.0
        items = []
        for r in regions[:TOP]:
            f = r.fragments[0]
            items.append(
                EvidenceItem(
                    self.name, f"{r.tokens} tokens in {len(r.fragments)} fragments", f"effective {r.effective:.0f}",
                    Location(f.a_path, *r.lines("a")), Location(f.b_path, *r.lines("b")),
                    round(r.tokens / total, 6) if total else 0.0, round(min(1.0, r.effective / threshold), 4),
                    False, "recalled" if r in recalled else "within what independent implementations share",
                )
            )  # fmt: skip
        stats = {
            "regions": len(regions),
            "recalled": len(recalled),
            "strongest_effective": round(strongest, 3),
            "bound": bound,
            "factor": FACTOR,
            "recalled_share": round(share, 6),
        }
        summary = (
            f"{len(recalled)} recalled ({100 * share:.1f}% of the submission); strongest {strongest:.0f} "
            f"vs independent max {bound:.0f}"
        )
        return self.result(
            min(1.0, strongest / threshold), items, stats, summary, features={"regions_share": share},
            flags=("recalled",) if recalled else (),
        )

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.original_text}, {item.submission_text}: {item.original} ↔ {item.submission} ({item.note})"


CHANNEL = RegionsChannel()
