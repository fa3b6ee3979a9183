"""The call-graph channel: call edges kept beyond chance under a function alignment that ignores
names — translations keep them, renaming does not hide them, unrelated programs score near 0,
the null is calibrated, and small graphs get moderate scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.launder import launder_tree
from memaudit.api import AuditRequest, run
from memaudit.evidence.callgraph import (
    CallGraphChannel,
    EdgeLookup,
    LocalCandidates,
    candidate_links,
    excess_score,
    make_index,
    measure,
    propagate,
    strata_permutations,
    wilson_lower,
)
from memaudit.evidence.functions import CHANNEL as FUNCTIONS
from memaudit.evidence.functions import FunctionSignature
from memaudit.evidence.layout import CHANNEL as LAYOUT
from memaudit.evidence.registry import Registry

from .conftest import EXAMPLES, FIXTURES

REGISTRY = Registry.of([FUNCTIONS, LAYOUT, CallGraphChannel()])


def _audits(original: Path, *submissions: Path):
    request = AuditRequest(str(original), tuple(str(s) for s in submissions), verdict=False, jobs=1)
    return [a.channel("callgraph") for a in run(request, registry=REGISTRY).audits]


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("callgraph")
    names = ["translated-rust", "translated-python", "independent-rust"]
    subs = [EXAMPLES / n for n in names]
    for n in names:
        launder_tree(EXAMPLES / n, tmp / n, "callgraph-test")
        subs.append(tmp / n)
    results = _audits(EXAMPLES / "original", *subs)
    keys = names + [f"laundered-{n}" for n in names]
    return dict(zip(keys, results))


def _fixture_dirs(tmp: Path, language: str) -> dict[str, Path]:
    out = {}
    for source in sorted((FIXTURES / "languages" / language).iterdir()):
        d = tmp / language / source.stem
        d.mkdir(parents=True)
        shutil.copyfile(source, d / f"main{source.suffix}")
        out[source.stem] = d
    return out


def test_translations_outrank_the_independent_implementation_plain_and_laundered(examples):
    independent = max(examples["independent-rust"].score, examples["laundered-independent-rust"].score)
    assert independent < 0.1
    for name in ("translated-rust", "translated-python"):
        for key in (name, f"laundered-{name}"):
            result = examples[key]
            assert result.score > 0.6 > independent, (key, result.summary)
            assert result.stats["p_value"] <= 0.05
            assert result.stats["kept_share"] > 3 * result.stats["null_share"]
    # The independent program keeps some edges, but no more than chance does.
    assert examples["independent-rust"].stats["p_value"] > 0.1


def test_items_are_kept_call_edges_with_locations_on_both_sides(examples):
    result = examples["translated-rust"]
    assert len(result.items) == min(result.stats["kept"], 50) > 10
    texts = {(i.original_text, i.submission_text) for i in result.items}
    assert ("run -> computeStats", "run -> compute_stats") in texts
    for item in result.items:
        assert " -> " in item.original_text and " -> " in item.submission_text
        assert item.original.path.endswith(".go") and item.submission.path.endswith(".rs")
        assert 1 <= item.original.start_line <= item.original.end_line
        assert 1 <= item.submission.start_line <= item.submission.end_line
    # The laundered copy keeps the edges under meaningless names (a few, like trait methods
    # such as ``next``, are not renamed).
    laundered = examples["laundered-translated-rust"]
    assert laundered.stats["kept"] == result.stats["kept"]
    renamed = [i for i in laundered.items if i.submission_text.split(" -> ")[0] not in i.original_text]
    assert len(renamed) > 0.7 * len(laundered.items)


def test_stats_are_consistent(examples):
    for result in examples.values():
        s = result.stats
        assert s["kept"] <= s["mappable_edges"] <= s["original_edges"]
        assert s["aligned_functions"] <= min(s["original_functions"], s["submission_functions"])
        assert 0 < s["p_value"] <= 1 and 0 <= s["null_share"] <= 1
        assert 0.0 <= result.score <= 1.0


def test_renaming_changes_nothing_and_unrelated_programs_score_near_zero(tmp_path):
    for language in ("python", "rust", "go", "c"):
        dirs = _fixture_dirs(tmp_path, language)
        same, renamed, unrelated = _audits(
            dirs["program"], dirs["program"], dirs["renamed"], dirs["unrelated"]
        )
        assert renamed.score == same.score and renamed.stats == same.stats, language
        assert same.stats["kept"] == same.stats["mappable_edges"] == same.stats["original_edges"] > 0
        assert unrelated.score < 0.1 < same.score, language


def test_small_graphs_get_moderate_scores(tmp_path):
    dirs = _fixture_dirs(tmp_path, "python")
    (identical,) = _audits(dirs["program"], dirs["program"])
    # The program against itself: every one of its few edges kept, yet a moderate score.
    assert identical.stats["original_edges"] < 10
    assert 0.3 < identical.score < 0.75
    assert excess_score(3, 3, 0.05) < 0.55
    assert excess_score(10, 10, 0.05) < excess_score(100, 100, 0.05)
    assert excess_score(100, 100, 0.05) > 0.95
    assert excess_score(5, 100, 0.05) == 0.0  # at chance
    assert excess_score(0, 0, 0.0) == 0.0
    assert wilson_lower(0, 10) == 0.0 and 0.7 < wilson_lower(10, 10) < 1.0


def test_deterministic(examples):
    (again,) = _audits(EXAMPLES / "original", EXAMPLES / "translated-python")
    first = examples["translated-python"]
    assert again.score == first.score and again.stats == first.stats and again.items == first.items


# -- synthetic graphs: calibration of the null -----------------------------------------------

ALPHABET = 20


def _program(
    rng: np.random.Generator, n: int, style: np.ndarray
) -> tuple[list[FunctionSignature], set[tuple[int, int]]]:
    """``n`` functions with category strings drawn from a shared style and a call graph in which
    larger functions call more and a few functions are called a lot (the confound a null must
    survive: a size-based alignment maps hubs to hubs)."""
    sizes = np.clip(rng.lognormal(4.2, 0.7, n), 20, 600).astype(int)
    functions = []
    for i, size in enumerate(sizes.tolist()):
        codes = rng.choice(ALPHABET, size=size, p=style) + 1
        functions.append(
            FunctionSignature(
                0,
                "p.x",
                f"f{i}",
                f"f{i}",
                10 * i + 1,
                10 * i + 9,
                size,
                bytes(codes.tolist()).decode("latin-1"),
            )
        )
    popularity = rng.pareto(1.5, n) + 0.1
    edges: set[tuple[int, int]] = set()
    for i in range(n):
        k = min(int(rng.poisson(sizes[i] / 50)), n - 1)
        for j in rng.choice(n, size=k, replace=False, p=popularity / popularity.sum()).tolist():
            if j != i:
                edges.add((i, j))
    return functions, edges


def _derived(rng: np.random.Generator, functions: list[FunctionSignature], edges: set[tuple[int, int]]):
    """A shuffled copy with 10% of every category string replaced and the call graph kept."""
    n = len(functions)
    order = rng.permutation(n)  # new position -> old index
    where = np.argsort(order)
    out = []
    for new, old in enumerate(order.tolist()):
        codes = np.frombuffer(functions[old].structure.encode("latin-1"), np.uint8).copy()
        hit = rng.random(len(codes)) < 0.1
        codes[hit] = rng.integers(1, ALPHABET + 1, int(hit.sum()))
        out.append(
            FunctionSignature(
                0,
                "q.x",
                f"g{new}",
                f"g{new}",
                10 * new + 1,
                10 * new + 9,
                len(codes),
                codes.tobytes().decode("latin-1"),
            )
        )
    return out, {(int(where[x]), int(where[y])) for x, y in edges}


def test_the_null_is_calibrated_on_unrelated_graphs():
    style = np.random.default_rng(0).dirichlet(np.full(ALPHABET, 0.5))
    p_values, scores, naive = [], [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        a, b = make_index(*_program(rng, 40, style)), make_index(*_program(rng, 40, style))
        m = measure(a, b)
        p_values.append(m.p_value)
        scores.append(m.score)
        # What a null that keeps the (propagated) alignment fixed and re-assigns the aligned
        # functions uniformly would say: propagation already chose edge-keeping pairs.
        aligned = np.flatnonzero(m.mapping >= 0)
        shuffle = np.random.default_rng(seed)
        null = []
        for _ in range(99):
            mapping = m.mapping.copy()
            mapping[aligned] = shuffle.permutation(m.mapping[aligned])
            null.append(int(m.aligner.kept(mapping, m.mappable).sum()) if len(m.mappable) else 0)
        naive.append((1 + sum(k >= m.kept for k in null)) / 100)
    p = np.array(p_values)
    assert (p <= 0.1).mean() <= 0.25 and (p <= 0.5).mean() <= 0.7
    assert max(scores) < 0.1 and np.mean(scores) < 0.02
    # The fixture is hard enough to catch an anti-conservative null.
    assert (np.array(naive) <= 0.05).mean() > 0.3


def test_a_shuffled_mutated_copy_keeps_its_graph():
    style = np.random.default_rng(0).dirichlet(np.full(ALPHABET, 0.5))
    rng = np.random.default_rng(7)
    functions, edges = _program(rng, 60, style)
    a, b = make_index(functions, edges), make_index(*_derived(rng, functions, edges))
    m = measure(a, b)
    assert m.p_value == pytest.approx(0.05) and m.share > 0.9 and m.score > 0.8
    without = measure(a, b, rounds=0)
    assert without.p_value <= 0.002 and without.score > 0.6


def test_propagation_agrees_with_a_direct_computation():
    rng = np.random.default_rng(3)
    na, nb = 12, 10
    pairs = sorted({(int(i), int(j)) for i, j in zip(rng.integers(0, na, 60), rng.integers(0, nb, 60))})
    cand = LocalCandidates(
        np.array([i for i, _ in pairs]), np.array([j for _, j in pairs]), rng.random(len(pairs)), len(pairs)
    )
    ea = np.array(sorted({(int(x), int(y)) for x, y in rng.integers(0, na, (30, 2)) if x != y}))
    eb = np.array(sorted({(int(x), int(y)) for x, y in rng.integers(0, nb, (25, 2)) if x != y}))
    links = candidate_links(cand, ea, na)
    assert links is not None
    lp, lq = links
    confirmed = EdgeLookup(nb, eb).has(cand.rj[lp], cand.rj[lq])
    capacity = np.ones(len(pairs)) * 3.0
    got = propagate(cand.s0, lp[confirmed], lq[confirmed], capacity, rounds=2)

    set_a, set_b = set(map(tuple, ea.tolist())), set(map(tuple, eb.tolist()))
    sim = cand.s0
    for _ in range(2):
        flow = np.zeros(len(pairs))
        for p, (f, g) in enumerate(pairs):
            for q, (f2, g2) in enumerate(pairs):
                if (f, f2) in set_a and (g, g2) in set_b:
                    flow[p] += sim[q]  # callee pair
                if (f2, f) in set_a and (g2, g) in set_b:
                    flow[p] += sim[q]  # caller pair
        sim = cand.s0 * (1 + np.minimum(flow / capacity, 1.0)) / 2
    assert np.allclose(got, sim)


def test_strata_permutations_shuffle_only_within_strata():
    style = np.random.default_rng(0).dirichlet(np.full(ALPHABET, 0.5))
    b = make_index(*_program(np.random.default_rng(1), 50, style))
    perms = strata_permutations(b, 20, seed=5, stratum=8)
    assert np.array_equal(perms, strata_permutations(b, 20, seed=5, stratum=8))
    assert all(sorted(row.tolist()) == list(range(50)) for row in perms)
    order = np.lexsort((np.arange(50), b.tokens, b.in_degree, b.out_degree))
    stratum = np.empty(50, int)
    stratum[order] = np.arange(50) // 8
    assert (stratum[perms] == stratum[None, :]).all()
    assert len({row.tobytes() for row in perms}) > 15
