"""Call-graph consistency under a name-blind function alignment.

Renaming every identifier (laundering) or translating into another language's naming convention
defeats any alignment that uses names; it does not change *which function calls which*. This
channel aligns the two sides' functions without names and asks whether the alignment carries the
original's call edges onto the submission's call edges more often than chance.

1. **Local similarity.** Every function of at least ``MIN_TOKENS`` tokens (the function channel's
   signatures) is compared by its category sequence: ``LOCAL_WEIGHT`` x normalized Levenshtein
   similarity + (1 - ``LOCAL_WEIGHT``) x size ratio, no names. Only candidates are compared: for
   each function of either side, the ``TOP_K`` functions of the other side with the most similar
   category histogram (cosine) among those whose size is within a factor ``SIZE_RATIO``; at most
   ``MAX_CANDIDATES`` pairs in all.
2. **Propagation.** ``PROPAGATION_ROUNDS`` rounds of similarity flooding: a candidate pair gains
   when the callees (callers) of one side have similar candidates among the callees (callers) of
   the other (``s = s0 * (1 + support) / 2``, support in [0, 1]). Then a one-to-one alignment,
   greedy by similarity (ties by index).
3. **Score.** Of the original's call edges whose two ends are aligned (``mappable``), the share
   whose image is a call edge of the submission (``kept``), against a null that repeats the whole
   procedure when the submission's call graph carries no information: its functions are relabeled
   at random within strata of ``STRATUM`` functions of similar call degree and size (a hub stays
   a hub, a leaf a leaf), the alignment is recomputed (propagation optimizes for kept edges, so a
   fixed alignment under plain re-assignment would make unrelated programs look significant),
   and the kept share counted again (``REALIGNMENTS`` draws; ``PERMUTATIONS`` when there is no
   propagation and the alignment does not depend on the graph). The p-value is one-sided with the
   +1 correction. The score is the excess over chance with its uncertainty: the Wilson 95% lower
   bound of the kept share minus the null's mean share, over what chance leaves
   (``(lb - chance) / (1 - chance)``, clipped to [0, 1]); a handful of edges gives a moderate
   score at most (5 of 5 kept, 10% by chance: 0.61).

Call edges are :func:`memaudit.evidence.layout.call_edges` (the callee's name occurs among the
caller's identifiers; names stay consistent within one side after renaming), read from the
layout channel's per-tree index so they are computed once per tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..categories import CATEGORIES
from ..core import SourceTree
from .channel import Channel, PairInput
from .functions import CHANNEL as FUNCTIONS
from .functions import FunctionSignature
from .layout import CHANNEL as LAYOUT
from .model import ChannelResult, EvidenceItem, Location

__all__ = [
    "CallGraphChannel", "CallGraphIndex", "make_index", "LocalCandidates", "local_candidates", "EdgeLookup",
    "candidate_links", "propagate", "greedy_assignment", "Aligner", "align_graphs", "strata_permutations",
    "Measurement", "measure", "wilson_lower", "excess_score",
]  # fmt: skip

#: Weight of the category-sequence similarity in the local similarity (the rest: size ratio).
LOCAL_WEIGHT = 0.8
#: Candidates per function (each side's top-k by category-histogram cosine, united).
TOP_K = 8
#: Candidates differ in size (tokens) by at most this factor.
SIZE_RATIO = 3.0
#: Bound on the pairs whose Levenshtein similarity is computed.
MAX_CANDIDATES = 30000
#: Local similarities below this are not candidates (the function channel's structure cut-off).
LOCAL_CUTOFF = 0.3
#: Rounds of propagation over callers and callees.
PROPAGATION_ROUNDS = 3
#: Propagation is skipped when the candidate pairs linked by an original call edge exceed this.
MAX_LINKS = 2_000_000
#: Null draws: relabelings of the submission's call graph (the alignment is fixed without
#: propagation, so they are cheap) ...
PERMUTATIONS = 999
#: ... and, with propagation, re-alignments under a relabeled graph (each reruns propagation).
REALIGNMENTS = 19
#: Relabelings shuffle functions within strata of this many (similar call degree and size).
STRATUM = 8
SEED = 20261124
#: z for the one-sided 95% Wilson lower bound.
Z = 1.6448536269514722
MAX_ITEMS = 50


@dataclass(frozen=True, eq=False)
class CallGraphIndex:
    """One tree's functions, call edges (sorted (caller, callee) rows), category histograms
    (L2-normalized rows) and sizes in tokens."""

    functions: list[FunctionSignature]
    edges: np.ndarray
    histograms: np.ndarray
    tokens: np.ndarray

    @property
    def out_degree(self) -> np.ndarray:
        return np.bincount(self.edges[:, 0], minlength=len(self.functions))

    @property
    def in_degree(self) -> np.ndarray:
        return np.bincount(self.edges[:, 1], minlength=len(self.functions))


def _histograms(functions: list[FunctionSignature]) -> np.ndarray:
    width = len(CATEGORIES) + 1  # codes are 1..len(CATEGORIES)
    h = np.zeros((len(functions), width), np.float32)
    for i, f in enumerate(functions):
        h[i] = np.bincount(np.frombuffer(f.structure.encode("latin-1"), np.uint8), minlength=width)[:width]
    return h / np.maximum(np.linalg.norm(h, axis=1, keepdims=True), 1e-9)


def make_index(
    functions: list[FunctionSignature], edges: frozenset[tuple[int, int]] | set[tuple[int, int]]
) -> CallGraphIndex:
    tokens = np.array([f.tokens for f in functions], np.float64)
    return CallGraphIndex(
        functions, np.array(sorted(edges), np.int64).reshape(-1, 2), _histograms(functions), tokens
    )


def _top_k(x: CallGraphIndex, y: CallGraphIndex, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each function of ``x``: the ``k`` functions of ``y`` of comparable size with the most
    similar category histograms, as (x index, y index) arrays."""
    nx, ny = len(x.functions), len(y.functions)
    k = min(k, ny)
    rows, cols = [], []
    block = max(1, 2_000_000 // ny)  # row blocks bound the dense cosine matrix
    for start in range(0, nx, block):
        cos = x.histograms[start : start + block] @ y.histograms.T
        ratio = x.tokens[start : start + block, None] / y.tokens[None, :]
        cos[(ratio > SIZE_RATIO) | (ratio < 1 / SIZE_RATIO)] = -1.0
        top = (
            np.argpartition(-cos, k - 1, axis=1)[:, :k] if k < ny else np.argsort(-cos, axis=1, kind="stable")
        )
        r = np.repeat(np.arange(cos.shape[0]), k)
        c = top.reshape(-1)
        ok = cos[r, c] > -1.0
        rows.append(r[ok] + start)
        cols.append(c[ok])
    return np.concatenate(rows), np.concatenate(cols)


def _candidates(a: CallGraphIndex, b: CallGraphIndex, top_k: int) -> np.ndarray:
    """Candidate pairs (original, submission), sorted: each side's top-k of the other, united,
    at most ``MAX_CANDIDATES`` (those of most similar histograms)."""
    ra, ca = _top_k(a, b, top_k)
    cb, rb = _top_k(b, a, top_k)
    pairs = np.unique(np.stack([np.concatenate([ra, rb]), np.concatenate([ca, cb])], axis=1), axis=0)
    if len(pairs) > MAX_CANDIDATES:
        cos = np.einsum("ij,ij->i", a.histograms[pairs[:, 0]], b.histograms[pairs[:, 1]])
        pairs = pairs[np.sort(np.argsort(-cos, kind="stable")[:MAX_CANDIDATES])]
    return pairs


@dataclass(frozen=True, eq=False)
class LocalCandidates:
    """Candidate pairs ``(ri[p], rj[p])`` with local similarity ``s0[p]``."""

    ri: np.ndarray
    rj: np.ndarray
    s0: np.ndarray
    #: Pairs whose histograms were close enough to be compared.
    compared: int


def local_candidates(a: CallGraphIndex, b: CallGraphIndex, top_k: int = TOP_K) -> LocalCandidates:
    """Candidate pairs and their local (name-blind) similarity: category sequences and size."""
    empty = np.zeros(0, np.int64)
    if not a.functions or not b.functions:
        return LocalCandidates(empty, empty, np.zeros(0), 0)
    from rapidfuzz.distance import Levenshtein

    cand = _candidates(a, b, top_k)
    ta, tb = a.tokens[cand[:, 0]], b.tokens[cand[:, 1]]
    size = np.minimum(ta, tb) / np.maximum(ta, tb)
    # The normalized Levenshtein similarity is at most the size ratio, so the cut-off on the local
    # similarity is a cut-off on it (rapidfuzz stops early below it).
    cutoff = np.maximum(0.0, (LOCAL_CUTOFF - (1 - LOCAL_WEIGHT) * size) / LOCAL_WEIGHT)
    hopeful = cutoff <= size
    sa, sb = [f.structure for f in a.functions], [f.structure for f in b.functions]
    ri, rj, local = [], [], []
    for i, j, sz, cut in zip(
        cand[hopeful, 0].tolist(), cand[hopeful, 1].tolist(), size[hopeful].tolist(), cutoff[hopeful].tolist()
    ):
        lev = Levenshtein.normalized_similarity(sa[i], sb[j], score_cutoff=cut)
        s = LOCAL_WEIGHT * lev + (1 - LOCAL_WEIGHT) * sz
        if lev > 0.0 and s >= LOCAL_CUTOFF:
            ri.append(i)
            rj.append(j)
            local.append(s)
    return LocalCandidates(
        np.array(ri, np.int64), np.array(rj, np.int64), np.array(local, np.float64), len(cand)
    )


class EdgeLookup:
    """Membership of (u, v) pairs in a call graph, vectorized; ``sigma`` relabels: the relabeled
    graph has the edge (u, v) when the graph has (sigma u, sigma v)."""

    def __init__(self, n: int, edges: np.ndarray) -> None:
        self.n = n
        self.dense = np.zeros((n, n), bool) if n <= 4096 else None
        if self.dense is not None:
            self.dense[edges[:, 0], edges[:, 1]] = True
        self.codes = np.unique(edges[:, 0] * n + edges[:, 1])

    def has(self, u: np.ndarray, v: np.ndarray, sigma: np.ndarray | None = None) -> np.ndarray:
        if sigma is not None:
            u, v = sigma[u], sigma[v]
        if self.dense is not None:
            return self.dense[u, v]
        codes = u * self.n + v
        at = np.minimum(np.searchsorted(self.codes, codes), max(len(self.codes) - 1, 0))
        return self.codes[at] == codes if len(self.codes) else np.zeros(codes.shape, bool)


def candidate_links(
    cand: LocalCandidates, edges_a: np.ndarray, na: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Candidate pairs (p, q) whose original functions are linked by a call edge ``ri[p] ->
    ri[q]`` (``None`` when there are more than ``MAX_LINKS``). Which of them the submission
    confirms (``rj[p] -> rj[q]``) is decided per graph, by :class:`EdgeLookup`."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if not len(edges_a) or not len(cand.ri):
        return empty
    # The candidates are sorted by original index: each function's candidates are a slice.
    start = np.searchsorted(cand.ri, np.arange(na + 1))
    count = np.diff(start)
    f, g = edges_a[:, 0], edges_a[:, 1]
    per_edge = count[f] * count[g]
    total = int(per_edge.sum())
    if total > MAX_LINKS:
        return None
    if not total:
        return empty
    e = np.repeat(np.arange(len(edges_a)), per_edge)
    offset = np.arange(total) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    width = count[g][e]
    return start[f][e] + offset // width, start[g][e] + offset % width


def propagate(
    s0: np.ndarray, lp: np.ndarray, lq: np.ndarray, capacity: np.ndarray, rounds: int = PROPAGATION_ROUNDS
) -> np.ndarray:
    """Similarity flooding over the confirmed links ``lp[k] -> lq[k]`` (callee pairs of ``lp``,
    caller pairs of ``lq``): ``s = s0 * (1 + support) / 2``, where support is the similarity
    mass of a pair's linked pairs over the most it could be (``capacity``)."""
    sim = s0
    if not len(lp):
        return sim
    n = len(s0)
    for _ in range(rounds):
        flow = np.bincount(lp, weights=sim[lq], minlength=n) + np.bincount(lq, weights=sim[lp], minlength=n)
        support = np.divide(flow, capacity, out=np.zeros(n), where=capacity > 0)
        sim = s0 * (1.0 + np.minimum(support, 1.0)) / 2.0
    return sim


def greedy_assignment(ri: np.ndarray, rj: np.ndarray, sim: np.ndarray, na: int, nb: int) -> np.ndarray:
    """Candidate positions of a one-to-one assignment, greedy by similarity (ties by index)."""
    used_a = bytearray(na)
    used_b = bytearray(nb)
    left, right = ri.tolist(), rj.tolist()
    chosen = []
    for p in np.lexsort((rj, ri, -sim)).tolist():
        i, j = left[p], right[p]
        if used_a[i] or used_b[j]:
            continue
        used_a[i] = used_b[j] = 1
        chosen.append(p)
    chosen.sort()
    return np.array(chosen, np.int64)


class Aligner:
    """The alignment procedure for one pair, re-runnable under relabelings of the submission's
    call graph (the null)."""

    def __init__(
        self, a: CallGraphIndex, b: CallGraphIndex, rounds: int = PROPAGATION_ROUNDS, top_k: int = TOP_K
    ) -> None:
        self.a, self.b = a, b
        self.na, self.nb = len(a.functions), len(b.functions)
        self.cand = local_candidates(a, b, top_k)
        self.lookup = EdgeLookup(self.nb, b.edges)
        links = candidate_links(self.cand, a.edges, self.na) if rounds and len(b.edges) else None
        self.rounds = rounds if links is not None and len(links[0]) else 0
        self.links = links if links is not None else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        # The submission functions at both ends of every link, and the original's degrees.
        self.link_ends = (self.cand.rj[self.links[0]], self.cand.rj[self.links[1]])
        self.out_a, self.in_a = a.out_degree[self.cand.ri], a.in_degree[self.cand.ri]
        self.out_b, self.in_b = b.out_degree, b.in_degree

    def align(self, sigma: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chosen candidate positions, their similarities) under the relabeling ``sigma``."""
        cand = self.cand
        sim = cand.s0
        if self.rounds:
            lp, lq = self.links
            confirmed = self.lookup.has(*self.link_ends, sigma)
            out_b, in_b = (self.out_b, self.in_b) if sigma is None else (self.out_b[sigma], self.in_b[sigma])
            capacity = (np.maximum(self.out_a, out_b[cand.rj]) + np.maximum(self.in_a, in_b[cand.rj])).astype(
                np.float64
            )
            sim = propagate(cand.s0, lp[confirmed], lq[confirmed], capacity, self.rounds)
        chosen = greedy_assignment(cand.ri, cand.rj, sim, self.na, self.nb)
        return chosen, sim[chosen]

    def mapping(self, chosen: np.ndarray) -> np.ndarray:
        """Original function -> aligned submission function, or -1."""
        m = np.full(self.na, -1, np.int64)
        m[self.cand.ri[chosen]] = self.cand.rj[chosen]
        return m

    def mappable(self, mapping: np.ndarray) -> np.ndarray:
        """The original's call edges whose two ends are aligned."""
        e = self.a.edges
        return e[(mapping[e[:, 0]] >= 0) & (mapping[e[:, 1]] >= 0)]

    def kept(self, mapping: np.ndarray, mappable: np.ndarray, sigma: np.ndarray | None = None) -> np.ndarray:
        """Which mappable edges map onto call edges of the (relabeled) submission."""
        return self.lookup.has(mapping[mappable[:, 0]], mapping[mappable[:, 1]], sigma)

    def null(self, count: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
        """(kept, mappable) under ``count`` relabelings of the submission's call graph within
        strata (:func:`strata_permutations`). Without propagation the alignment does not depend
        on the graph, so only the edges move; with it, every relabeling is re-aligned."""
        perms = strata_permutations(self.b, count, seed)
        if not self.rounds:
            mapping = self.mapping(self.align()[0])
            mappable = self.mappable(mapping)
            u, v = mapping[mappable[:, 0]], mapping[mappable[:, 1]]
            kept = (
                self.lookup.has(perms[:, u], perms[:, v]).sum(axis=1)
                if len(mappable)
                else np.zeros(count, np.int64)
            )
            return np.asarray(kept, np.int64), np.full(count, len(mappable), np.int64)
        kept_counts, mappable_counts = np.zeros(count, np.int64), np.zeros(count, np.int64)
        for r in range(count):
            mapping = self.mapping(self.align(perms[r])[0])
            mappable = self.mappable(mapping)
            mappable_counts[r] = len(mappable)
            kept_counts[r] = int(self.kept(mapping, mappable, perms[r]).sum())
        return kept_counts, mappable_counts


def align_graphs(
    a: CallGraphIndex, b: CallGraphIndex, rounds: int = PROPAGATION_ROUNDS, top_k: int = TOP_K
) -> list[tuple[int, int, float]]:
    """A one-to-one, name-blind alignment of ``a``'s functions to ``b``'s: (original index,
    submission index, similarity), by original index."""
    aligner = Aligner(a, b, rounds, top_k)
    chosen, sims = aligner.align()
    return [
        (int(aligner.cand.ri[p]), int(aligner.cand.rj[p]), float(s))
        for p, s in zip(chosen.tolist(), sims.tolist())
    ]


def strata_permutations(
    b: CallGraphIndex, count: int, seed: int = SEED, stratum: int = STRATUM
) -> np.ndarray:
    """``count`` relabelings of the submission's functions (rows: permutations of its indices),
    each a random shuffle within strata of ``stratum`` functions of similar call degree and size:
    the null keeps which kind of function (hub, leaf, large, small) sits where, and nothing else."""
    n = len(b.functions)
    order = np.lexsort((np.arange(n), b.tokens, b.in_degree, b.out_degree))
    rng = np.random.default_rng(seed)
    # Shuffle within consecutive blocks of that order: sort by block, then by a random key.
    block_of = (np.arange(n) // max(stratum, 1)).astype(np.float64)
    shuffled = order[np.argsort(block_of[None, :] + rng.random((count, n)), axis=1, kind="stable")]
    perms = np.empty((count, n), np.int64)
    perms[:, order] = shuffled
    return perms


@dataclass(frozen=True, eq=False)
class Measurement:
    """The channel's statistic for one pair: the alignment, the original's mappable edges and
    which are kept, and the null (the share kept by chance, the p-value)."""

    aligner: Aligner
    chosen: np.ndarray
    similarities: np.ndarray
    mapping: np.ndarray
    mappable: np.ndarray
    kept_mask: np.ndarray
    chance: float
    p_value: float
    draws: int

    @property
    def kept(self) -> int:
        return int(self.kept_mask.sum())

    @property
    def share(self) -> float:
        return self.kept / len(self.mappable) if len(self.mappable) else 0.0

    @property
    def score(self) -> float:
        return excess_score(self.kept, len(self.mappable), self.chance)


def measure(
    a: CallGraphIndex, b: CallGraphIndex, rounds: int = PROPAGATION_ROUNDS, seed: int = SEED
) -> Measurement:
    """Align, count the kept edges and run the null (see the module doc)."""
    aligner = Aligner(a, b, rounds)
    chosen, sims = aligner.align()
    mapping = aligner.mapping(chosen)
    mappable = aligner.mappable(mapping)
    kept_mask = aligner.kept(mapping, mappable) if len(mappable) else np.zeros(0, bool)
    count = REALIGNMENTS if aligner.rounds else PERMUTATIONS
    null_kept, null_mappable = aligner.null(count, seed)
    null_share = np.divide(null_kept, null_mappable, out=np.zeros(count), where=null_mappable > 0)
    share = kept_mask.sum() / len(mappable) if len(mappable) else 0.0
    # One-sided, with the +1 correction (the observation counts as one draw of the null).
    p_value = (1 + int((null_share >= share - 1e-12).sum())) / (count + 1) if len(mappable) else 1.0
    return Measurement(
        aligner, chosen, sims, mapping, mappable, kept_mask, float(null_share.mean()), p_value, count
    )


def wilson_lower(k: int, n: int, z: float = Z) -> float:
    """One-sided lower confidence bound (Wilson score) of a proportion ``k / n``."""
    if n == 0:
        return 0.0
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


def excess_score(kept: int, mappable: int, chance: float) -> float:
    """The kept share's lower confidence bound in excess of the share kept by chance, over what
    chance leaves: 0 at chance, near 1 only when nearly every one of many edges is kept."""
    if mappable == 0 or chance >= 1.0:
        return 0.0
    return float(min(1.0, max(0.0, (wilson_lower(kept, mappable) - chance) / (1.0 - chance))))


class CallGraphChannel(Channel):
    name = "callgraph"
    phrase = "call graph kept under a name-blind function alignment"
    version = 1
    order = 65
    description = "call edges kept beyond chance under a function alignment that ignores names"

    #: Rounds of propagation over callers and callees (0: the local similarity alone).
    rounds: int = PROPAGATION_ROUNDS

    def index(self, tree: SourceTree, pair: PairInput) -> CallGraphIndex:
        # The function channel's signatures and the layout channel's call edges, both cached per
        # tree (the edges are computed once, for both channels).
        return make_index(pair.cache.get(FUNCTIONS, tree, pair), pair.cache.get(LAYOUT, tree, pair))

    def compare(self, pair: PairInput) -> ChannelResult:
        a, b = pair.index(self, "original"), pair.index(self, "submission")
        m = measure(a, b, self.rounds)
        aligner, mapping, n = m.aligner, m.mapping, len(m.mappable)
        similarity = dict(zip(aligner.cand.ri[m.chosen].tolist(), m.similarities.tolist()))
        fa, fb = a.functions, b.functions
        items = []
        for x, y in m.mappable[m.kept_mask].tolist():
            u, v = int(mapping[x]), int(mapping[y])
            items.append(
                EvidenceItem(
                    self.name, f"{fa[x].name} -> {fa[y].name}", f"{fb[u].name} -> {fb[v].name}",
                    Location(fa[x].path, fa[x].start_line, fa[x].end_line),
                    Location(fb[u].path, fb[u].start_line, fb[u].end_line),
                    round(1.0 / n, 6), round(min(similarity[x], similarity[y]), 4), False,
                    f"callee {fa[y].path}:{fa[y].start_line} ↔ {fb[v].path}:{fb[v].start_line}",
                )
            )  # fmt: skip
        items.sort(key=lambda it: (-it.similarity, str(it.original), it.original_text))
        stats: dict[str, float | int] = {
            "original_functions": aligner.na,
            "submission_functions": aligner.nb,
            "aligned_functions": len(m.chosen),
            "compared_pairs": aligner.cand.compared,
            "propagation_rounds": aligner.rounds,
            "original_edges": len(a.edges),
            "submission_edges": len(b.edges),
            "mappable_edges": n,
            "kept": m.kept,
            "kept_share": round(m.share, 6),
            "null_share": round(m.chance, 6),
            "null_mean": round(m.chance * n, 6),
            "null_draws": m.draws,
            "p_value": round(m.p_value, 6),
        }
        summary = (
            f"{m.kept}/{n} aligned call edges kept (chance {100 * m.chance:.0f}%, p={m.p_value:.3f}); "
            f"{len(m.chosen)}/{aligner.na} functions aligned"
        )
        return self.result(m.score, items[:MAX_ITEMS], stats, summary)

    def item_text(self, item: EvidenceItem) -> str:
        return f"{item.original_text} ↔ {item.submission_text} {item.original} ↔ {item.submission}"


CHANNEL = CallGraphChannel()
