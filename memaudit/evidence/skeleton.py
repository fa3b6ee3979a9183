"""Control-flow skeletons of aligned functions, compared by tree edit distance against a
background of unrelated functions.

A function's *skeleton* is its control-flow tree: the tokens of the language-neutral control
categories (branch, else, switch, case, loop, break, continue, jump, return, raise, try, catch,
yield, call, nested function and lambda), nested as in the source. The nesting comes from
:attr:`memaudit.core.ParsedFile.depths` (each token's depth in the token tree): in pre-order, a
kept token's parent is its nearest kept ancestor, i.e. the nearest preceding kept token that no
token in between climbs above (see :func:`skeleton`). A translation keeps the skeleton where it
rewrites the tokens; renaming never touches it.

Two skeletons are compared by their tree edit distance (APTED, Pawlik & Augsten, unit costs, from
the ``apted`` package) normalized as ``s = 1 - TED / (size_a + size_b)``. A high ``s`` means
little on its own: small skeletons of one size look alike. So for every pair the function channel
aligns (similarity >= 0.5), the original function is also compared with ``BACKGROUND`` other
submission functions of similar skeleton size (drawn with a fixed seed), and the pair counts as
*beyond its background* when its ``s`` is strictly above all of theirs. Were the counterpart no
closer than an unrelated function of its size, that happens with probability at most
``1 / (k + 1)`` (exchangeability; ties count against). The score is the excess of the
size-weighted share beyond background over that chance rate, taken at the one-sided 95% Wilson
lower bound (with Kish's effective number of functions), so a handful of functions gives a weak
score rather than an extreme one.

Cost is bounded (APTED is pure Python: about 10 us per pair of nodes): skeletons keep their first
``MAX_NODES`` nodes in pre-order; at most ``MAX_PAIRS`` aligned pairs are compared, drawn in a
seeded random order until a work budget (``MAX_WORK``, estimated from tree sizes, so the result
never depends on the clock) is spent; and distances are only computed as far as the answer needs:
cheap lower and upper bounds first (string edit distance of the pre- and post-order label
sequences; top-down distance), then the constrained distance (a tighter upper bound), then APTED.
Whether a pair is beyond its background is always decided exactly; a similarity shown as a range
was decided on bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..categories import CATEGORIES, CATEGORY_CODES
from ..core import ParsedFile, SourceTree
from .channel import Channel, PairInput
from .functions import CHANNEL as FUNCTIONS
from .functions import MIN_TOKENS, Alignment, FunctionSignature
from .model import ChannelResult, EvidenceItem, Location

__all__ = [
    "SkeletonChannel", "Skeleton", "skeleton", "skeletons", "ted_similarity", "top_down_distance",
    "constrained_distance", "wilson_lower",
]  # fmt: skip

#: The categories a skeleton keeps: control flow, calls and nested functions.
SKELETON_CATEGORIES = (
    "branch", "else", "switch", "case", "loop", "break", "continue", "jump", "return", "raise",
    "try", "catch", "yield", "call", "function", "lambda",
)  # fmt: skip
#: Nodes kept per skeleton (the first, in pre-order; a function's median skeleton has 7-13):
#: APTED in pure Python costs about 6 ms for two 25-node trees, 30 ms for two 41-node ones.
MAX_NODES = 24
#: Skeletons with fewer nodes are not compared: every program has such small shapes.
MIN_NODES = 4
#: Aligned pairs compared at most.
MAX_PAIRS = 24
#: The work budget of one comparison, in estimated microseconds: an APTED run costs about
#: ``APTED_COST`` and a constrained distance ``CONSTRAINED_COST`` per pair of nodes (|a| x |b|,
#: measured on skeletons of 5-41 nodes). Pairs are compared until it is spent, so the channel
#: stays within about a tenth of a second whatever the input (a pair under way is finished).
MAX_WORK = 100_000
APTED_COST = 10
CONSTRAINED_COST = 3
#: Background functions per aligned pair, and the fewest that make the pair comparable.
BACKGROUND = 5
MIN_BACKGROUND = 3
#: Background functions are drawn among the submission's functions whose skeleton size is within
#: this factor of the counterpart's (the nearest in size fill up when there are too few).
SIZE_FACTOR = 1.5
#: Aligned pairs (function channel similarity) that count.
ALIGNED = 0.5
SEED = 20261201
#: z for the one-sided 95% Wilson lower bound.
Z = 1.6448536269514722

_KEEP = np.zeros(256, dtype=bool)
_KEEP[[CATEGORY_CODES[c] for c in SKELETON_CATEGORIES]] = True
_FUNCTION_CODES = (CATEGORY_CODES["function"], CATEGORY_CODES["lambda"])


@dataclass(frozen=True)
class Skeleton:
    """A function's control-flow tree in pre-order: node ``i`` has category code ``labels[i]``
    and parent ``parents[i]`` (``-1``: the function itself, the implicit root)."""

    labels: tuple[int, ...]
    parents: tuple[int, ...]
    #: Control tokens in the function before the ``MAX_NODES`` cap.
    full_size: int

    @property
    def size(self) -> int:
        """Nodes compared, the root included."""
        return len(self.labels) + 1

    @cached_property
    def children(self) -> dict[int, tuple[int, ...]]:
        """Node -> its children in order (``-1``: the root)."""
        out: dict[int, list[int]] = {}
        for i, p in enumerate(self.parents):
            out.setdefault(p, []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def subtree_sizes(self) -> tuple[int, ...]:
        sizes = [1] * len(self.labels)
        for i in range(len(self.labels) - 1, -1, -1):
            if self.parents[i] >= 0:
                sizes[self.parents[i]] += sizes[i]
        return tuple(sizes)

    @cached_property
    def key(self) -> str:
        """Bracket notation: equal keys, equal trees."""
        children = self.children
        out: list[str] = []
        stack: list[int | str] = [-1]
        while stack:
            top = stack.pop()
            if isinstance(top, str):
                out.append(top)
                continue
            out.append("{" + (CATEGORIES[self.labels[top] - 1] if top >= 0 else "fn"))
            stack.append("}")
            stack.extend(reversed(children.get(top, ())))
        return "".join(out)

    @cached_property
    def preorder(self) -> str:
        return "".join(chr(c) for c in self.labels)

    @cached_property
    def postorder(self) -> str:
        children = self.children
        out: list[int] = []
        stack: list[tuple[int, bool]] = [(-1, False)]
        while stack:
            node, done = stack.pop()
            if done:
                if node >= 0:
                    out.append(self.labels[node])
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children.get(node, ())))
        return "".join(chr(c) for c in out)

    def apted_tree(self) -> Any:
        from apted.helpers import Tree

        children: list[list[Any]] = [[] for _ in self.labels]
        roots: list[Any] = []
        # Parents precede their children in pre-order: build bottom-up.
        for i in range(len(self.labels) - 1, -1, -1):
            node = Tree(CATEGORIES[self.labels[i] - 1], *reversed(children[i]))
            p = self.parents[i]
            (children[p] if p >= 0 else roots).append(node)
        return Tree("fn", *reversed(roots))


def skeleton(
    parsed: ParsedFile, first: int, end: int, max_nodes: int = MAX_NODES, keep: np.ndarray = _KEEP
) -> Skeleton:
    """The skeleton of the tokens ``first..end`` of ``parsed`` (a function's range; its own
    function token, when it starts the range, is the root).

    A kept token's parent is its nearest kept ancestor. With tokens in pre-order and depths in the
    token tree, a kept token ``s`` is an ancestor of a later token ``j`` exactly when every token
    in ``s+1..j`` is deeper than ``s``; for the kept tokens still open on the stack that reduces to
    the minimum depth between the previous kept token and ``j``, so one ``reduceat`` and a loop
    over the kept tokens rebuild the tree.
    """
    if parsed.depths.shape[0] != parsed.n_tokens or end <= first:
        return Skeleton((), (), 0)
    cats = parsed.categories[first:end]
    kept = np.flatnonzero(keep[cats])
    if kept.shape[0] and kept[0] == 0 and int(cats[0]) in _FUNCTION_CODES:
        kept = kept[1:]
    full = int(kept.shape[0])
    kept = kept[:max_nodes]
    if not kept.shape[0]:
        return Skeleton((), (), full)
    depths = parsed.depths[first:end].astype(np.int32)
    starts = np.concatenate([[0], kept[:-1] + 1])
    lows = np.minimum.reduceat(depths[: int(kept[-1]) + 1], starts).tolist()
    parents: list[int] = []
    stack: list[tuple[int, int]] = []  # (depth, node) of the open kept ancestors
    for node, (t, low) in enumerate(zip(kept.tolist(), lows)):
        while stack and stack[-1][0] >= low:
            stack.pop()
        parents.append(stack[-1][1] if stack else -1)
        stack.append((int(depths[t]), node))
    return Skeleton(tuple(int(c) for c in cats[kept]), tuple(parents), full)


def skeletons(
    tree: SourceTree, functions: list[FunctionSignature], max_nodes: int = MAX_NODES, keep: np.ndarray = _KEEP
) -> list[Skeleton]:
    """The skeletons of ``functions`` (the function channel's signatures of ``tree``, in order)."""
    out: list[Skeleton] = []
    for parsed in tree.files:
        for fn in parsed.functions:
            if fn.end_token - fn.first_token >= MIN_TOKENS:
                out.append(skeleton(parsed, fn.first_token, fn.end_token, max_nodes, keep))
    if len(out) != len(functions):
        raise ValueError("skeletons: the function list does not match the tree")
    return out


def ted_similarity(a: Skeleton, b: Skeleton, distance: int) -> float:
    return 1.0 - distance / (a.size + b.size)


def wilson_lower(share: float, n: float, z: float = Z) -> float:
    """One-sided Wilson lower bound of a proportion observed as ``share`` over ``n`` trials."""
    if n <= 0:
        return 0.0
    denom = 1 + z * z / n
    centre = share + z * z / (2 * n)
    margin = z * math.sqrt(max(share * (1 - share) / n + z * z / (4 * n * n), 0.0))
    return max(0.0, (centre - margin) / denom)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    return float(min(1.0, sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))))


class _Distances:
    """Tree edit distances of one comparison, known as ``(lower, upper)`` bounds that can be
    tightened step by step, cached by tree shape:

    0. the string edit distance of the pre-order and of the post-order label sequences never
       exceeds the tree edit distance (every tree edit is one string edit of both, Guha et al.
       2002); the top-down distance (Selkow 1977) never falls below it. Microseconds.
    1. the constrained distance (Zhang 1996: disjoint subtrees map to disjoint subtrees) is a
       tighter upper bound, often the distance itself. About a millisecond.
    2. the exact distance (APTED). Several milliseconds: the cost that is budgeted.
    """

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], tuple[int, int, int]] = {}  # (lower, upper, level)
        self.trees: dict[str, Any] = {}
        #: APTED runs, and the estimated work spent (see ``MAX_WORK``).
        self.computed = 0
        self.work = 0

    def bounds(self, a: Skeleton, b: Skeleton) -> tuple[int, int]:
        lo, hi, _ = self._get(a, b)
        return lo, hi

    def exact(self, a: Skeleton, b: Skeleton) -> int:
        while True:
            lo, hi, _ = self._get(a, b)
            if lo == hi:
                return lo
            self.refine(a, b)

    def _get(self, a: Skeleton, b: Skeleton) -> tuple[int, int, int]:
        key = (a.key, b.key)
        hit = self.known.get(key)
        if hit is None:
            if key[0] == key[1]:
                hit = (0, 0, 2)
            else:
                from rapidfuzz.distance import Levenshtein

                lo = max(
                    Levenshtein.distance(a.preorder, b.preorder),
                    Levenshtein.distance(a.postorder, b.postorder),
                )
                hi = top_down_distance(a, b)
                hit = (lo, hi, 2 if lo == hi else 0)
            self.known[key] = hit
        return hit

    def refine(self, a: Skeleton, b: Skeleton) -> None:
        """One step tighter (no-op once exact)."""
        key = (a.key, b.key)
        lo, hi, level = self._get(a, b)
        if lo == hi or level == 2:
            return
        if level == 0:
            self.work += CONSTRAINED_COST * a.size * b.size
            hi = min(hi, constrained_distance(a, b))
            self.known[key] = (lo, hi, 1 if lo < hi else 2)
            return
        from apted import APTED

        for k, side in zip(key, (a, b)):
            if k not in self.trees:
                self.trees[k] = side.apted_tree()
        d = int(APTED(self.trees[key[0]], self.trees[key[1]]).compute_edit_distance())
        self.computed += 1
        self.work += APTED_COST * a.size * b.size
        self.known[key] = (d, d, 2)

    def level(self, a: Skeleton, b: Skeleton) -> int:
        return self._get(a, b)[2]


def _align_children(
    xs: tuple[int, ...], ys: tuple[int, ...], wa: list[int], wb: list[int], match: dict[tuple[int, int], int]
) -> int:
    """Edit distance of two sequences of subtrees: deleting or inserting one costs its size,
    matching two costs ``match[(x, y)]``."""
    prev = [0]
    for y in ys:
        prev.append(prev[-1] + wb[y])
    for x in xs:
        cur = [prev[0] + wa[x]]
        for n, y in enumerate(ys):
            cur.append(min(prev[n + 1] + wa[x], cur[n] + wb[y], prev[n] + match[(x, y)]))
        prev = cur
    return prev[-1]


def _postorder(sk: Skeleton) -> list[int]:
    out: list[int] = []
    stack: list[tuple[int, bool]] = [(-1, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out.append(node)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(sk.children.get(node, ())))
    return out


def _weights(sk: Skeleton) -> list[int]:
    """Subtree sizes, indexable by node (``-1``, the root, is the last entry)."""
    return [*sk.subtree_sizes, sk.size]


def top_down_distance(a: Skeleton, b: Skeleton) -> int:
    """Selkow's top-down tree edit distance (unit costs): the roots are matched, and each node's
    children are aligned as a sequence where matching two children costs their own top-down
    distance and inserting or deleting one costs its whole subtree. An upper bound of the tree
    edit distance; only pairs of nodes at equal depth under matched parents are visited."""
    ca, cb = a.children, b.children
    wa, wb = _weights(a), _weights(b)
    la, lb = [*a.labels, -1], [*b.labels, -1]

    def dist(u: int, v: int) -> int:
        xs, ys = ca.get(u, ()), cb.get(v, ())
        match = {(x, y): dist(x, y) for x in xs for y in ys}
        return int(la[u] != lb[v]) + _align_children(xs, ys, wa, wb, match)

    return dist(-1, -1)


def constrained_distance(a: Skeleton, b: Skeleton) -> int:
    """Zhang's constrained tree edit distance (unit costs): the least cost of an edit mapping in
    which disjoint subtrees map to disjoint subtrees. An upper bound of the tree edit distance, and
    usually equal to it; O(|a| |b|) cells."""
    ca, cb = a.children, b.children
    wa, wb = _weights(a), _weights(b)
    la, lb = [*a.labels, -1], [*b.labels, -1]
    pa, pb = _postorder(a), _postorder(b)
    tree: dict[tuple[int, int], int] = {}
    forest: dict[tuple[int, int], int] = {}
    for u in pa:
        xs = ca.get(u, ())
        forest_u = wa[u] - 1
        for v in pb:
            ys = cb.get(v, ())
            forest_v = wb[v] - 1
            f = _align_children(xs, ys, wa, wb, tree)
            for y in ys:  # u's children all map into one child forest of v
                f = min(f, forest_v - (wb[y] - 1) + forest[(u, y)])
            for x in xs:
                f = min(f, forest_u - (wa[x] - 1) + forest[(x, v)])
            forest[(u, v)] = f
            t = f + int(la[u] != lb[v])
            for y in ys:  # u maps into one child subtree of v (v inserted)
                t = min(t, wb[v] - wb[y] + tree[(u, y)])
            for x in xs:
                t = min(t, wa[u] - wa[x] + tree[(x, v)])
            tree[(u, v)] = t
    return tree[(-1, -1)]


@dataclass(frozen=True)
class _Outcome:
    i: int
    j: int
    #: Bounds of the pair's normalized similarity (equal when it was computed exactly).
    low: float
    high: float
    #: The largest background similarity, or an upper bound of it where bounds decided.
    background_max: float
    background: int
    beyond: bool
    #: APTED runs this pair needed (0: decided on bounds).
    apted_runs: int = 0

    @property
    def similarity(self) -> float:
        return (self.low + self.high) / 2


def _similarities(a: Skeleton, b: Skeleton, bounds: tuple[int, int]) -> tuple[float, float]:
    return ted_similarity(a, b, bounds[1]), ted_similarity(a, b, bounds[0])


def _decide(
    distances: _Distances, a: Skeleton, i: int, j: int, b: Skeleton, background: list[tuple[int, Skeleton]]
) -> _Outcome:
    """Is the pair's similarity strictly above every background function's? Bounds are tightened
    only as far as the answer needs, which is exact either way: the pair's first, then the
    background functions still in the way, most similar first."""
    runs = distances.computed
    while True:
        low, high = _similarities(a, b, distances.bounds(a, b))
        others = {k: _similarities(a, c, distances.bounds(a, c)) for k, c in background}
        top = max(h for _, h in others.values())
        if any(lo >= high for lo, _ in others.values()):
            return _Outcome(i, j, low, high, top, len(background), False, distances.computed - runs)
        if top < low:
            return _Outcome(i, j, low, high, top, len(background), True, distances.computed - runs)
        # Background functions that may still reach the pair, most similar first.
        open_ = sorted((k for k, (_, h) in others.items() if h >= low), key=lambda k: (-others[k][1], k))
        c_of = dict(background)
        steps = [(distances.level(a, b), 0, -1)]
        steps += [(distances.level(a, c_of[k]), 1 + n, k) for n, k in enumerate(open_)]
        _, _, k = min(steps)
        distances.refine(a, b if k < 0 else c_of[k])


def _background(
    i: int, j: int, sizes: np.ndarray, usable: np.ndarray, rng_seed: tuple[int, ...]
) -> list[int]:
    """Up to ``BACKGROUND`` submission functions other than ``j`` of a skeleton size near ``j``'s,
    drawn with a fixed seed: those within ``SIZE_FACTOR`` first, the nearest in size after."""
    target = sizes[j]
    candidates = np.flatnonzero(usable)
    candidates = candidates[candidates != j]
    if not candidates.shape[0]:
        return []
    rng = np.random.default_rng(rng_seed)
    ratio = np.maximum(sizes[candidates], target) / np.minimum(sizes[candidates], target)
    near = candidates[ratio <= SIZE_FACTOR]
    picked = rng.permutation(near)[:BACKGROUND].tolist()
    if len(picked) < BACKGROUND:
        rest = candidates[ratio > SIZE_FACTOR]
        gap = np.abs(sizes[rest] - target)
        order = np.lexsort((rng.random(rest.shape[0]), gap))
        picked += rest[order][: BACKGROUND - len(picked)].tolist()
    return [int(k) for k in picked]


class SkeletonChannel(Channel):
    name = "skeleton"
    phrase = "aligned functions share their control-flow skeleton"
    version = 1
    order = 68
    requires = ("functions",)
    description = (
        "share of aligned functions whose control-flow tree is closer to its counterpart's than to "
        "unrelated functions of its size (tree edit distance), beyond chance"
    )
    items_have_spans = True

    #: The bounds (module constants; attributes so a variant can be measured without editing).
    max_nodes: int = MAX_NODES
    max_pairs: int = MAX_PAIRS
    max_work: int = MAX_WORK
    keep: np.ndarray = _KEEP

    def index(self, tree: SourceTree, pair: PairInput) -> list[Skeleton]:
        return skeletons(tree, pair.cache.get(FUNCTIONS, tree, pair), self.max_nodes, self.keep)

    def compare(self, pair: PairInput) -> ChannelResult:
        alignment: Alignment = pair.results["functions"].detail
        fa, fb = alignment.original, alignment.submission
        ska: list[Skeleton] = pair.index(self, "original")
        skb: list[Skeleton] = pair.index(self, "submission")
        sizes = np.array([s.size for s in skb], dtype=np.float64)
        usable = sizes > MIN_NODES
        aligned = [
            (i, j)
            for i, j, s, _, _ in alignment.pairs
            if s >= ALIGNED and ska[i].size > MIN_NODES and usable[j]
        ]
        # A sample in a seeded random order (the score weighs functions by size): the budget may
        # end it early, and an early end must not favour some functions over others.
        chosen = [aligned[n] for n in np.random.default_rng(SEED).permutation(len(aligned))[: self.max_pairs]]
        distances = _Distances()
        outcomes: list[_Outcome] = []
        for i, j in chosen:
            if distances.work >= self.max_work:
                break
            background = _background(i, j, sizes, usable, (SEED, i, j))
            if len(background) < MIN_BACKGROUND:
                continue
            outcomes.append(_decide(distances, ska[i], i, j, skb[j], [(k, skb[k]) for k in background]))

        weights = np.array([fa[o.i].tokens for o in outcomes], dtype=np.float64)
        hits = np.array([o.beyond for o in outcomes], dtype=np.float64)
        chance_each = np.array([1.0 / (o.background + 1) for o in outcomes])
        score, share, chance, lower, n_eff, p_value = 0.0, 0.0, 0.0, 0.0, 0.0, 1.0
        if outcomes:
            total = float(weights.sum())
            share = float((weights * hits).sum() / total)
            chance = float((weights * chance_each).sum() / total)
            n_eff = total * total / float((weights * weights).sum())
            lower = wilson_lower(share, n_eff)
            score = max(0.0, (lower - chance) / (1.0 - chance))
            p_value = binomial_tail(int(hits.sum()), len(outcomes), float(chance_each.mean()))

        items = []
        for o in sorted(outcomes, key=lambda o: (not o.beyond, o.background_max - o.low, o.i)):
            a_fn, b_fn = fa[o.i], fb[o.j]
            similarity = f"{o.low:.2f}" if o.low == o.high else f"{o.low:.2f}-{o.high:.2f}"
            items.append(
                EvidenceItem(
                    "skeleton", a_fn.name, b_fn.name, Location(a_fn.path, a_fn.start_line, a_fn.end_line),
                    Location(b_fn.path, b_fn.start_line, b_fn.end_line),
                    round(float(a_fn.tokens / weights.sum()), 6), round(o.similarity, 4), False,
                    f"skeleton {similarity} vs at most {o.background_max:.2f} for {o.background} unrelated"
                    f" ({ska[o.i].size}/{skb[o.j].size} nodes){'' if o.beyond else ', not beyond'}",
                )
            )  # fmt: skip
        n_beyond = int(hits.sum())
        stats: dict[str, float | int] = {
            "aligned": len(aligned),
            "compared": len(outcomes),
            "beyond_background": n_beyond,
            "weighted_share_beyond": round(share, 6),
            "chance": round(chance, 6),
            "wilson_lower": round(lower, 6),
            "effective_functions": round(n_eff, 3),
            "binomial_p": float(f"{p_value:.4g}"),
            "mean_similarity": round(float(np.mean([o.similarity for o in outcomes])), 6)
            if outcomes
            else 0.0,
            "decided_without_apted": sum(1 for o in outcomes if not o.apted_runs),
            "apted_runs": distances.computed,
            "estimated_work_ms": round(distances.work / 1000, 1),
            "max_nodes": self.max_nodes,
        }
        summary = (
            f"{n_beyond}/{len(outcomes)} aligned functions beyond their background "
            f"(weighted {100 * share:.0f}%, chance {100 * chance:.0f}%)"
            if outcomes
            else "no aligned function large enough to compare"
        )
        return self.result(score, items, stats, summary)

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.original_text} ↔ {item.submission_text} ({item.similarity:.2f}) {item.original} ↔ {item.submission}"
