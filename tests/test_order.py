"""The order channel (memaudit/evidence/order.py): the exact null is the Mahonian distribution,
calibrated on random orderings, weak for few functions; translations keep the original's order,
laundered or not, and an independent implementation does not."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pytest

import memaudit.evidence.order as order_module
from bench.launder import launder_tree
from memaudit.api import AuditRequest, run
from memaudit.evidence.channel import PairInput
from memaudit.evidence.functions import Alignment, FunctionSignature
from memaudit.evidence.order import (
    OrderChannel, _pooled_mahonian, inversion_pvalue, inversions, longest_increasing_run,
)  # fmt: skip
from memaudit.evidence.registry import default_registry

from .conftest import EXAMPLES, calc_dirs

CHANNEL = OrderChannel()
REGISTRY = default_registry()


def _audits(original: Path, *submissions: Path):
    request = AuditRequest(str(original), tuple(str(s) for s in submissions), verdict=False, jobs=1)
    return run(request, registry=REGISTRY).audits


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    laundered = tmp_path_factory.mktemp("laundered")
    for name in ("translated-python", "translated-rust", "independent-rust"):
        launder_tree(EXAMPLES / name, laundered / name, "order-test")
    names = ["translated-python", "translated-rust", "independent-rust"]
    audits = _audits(EXAMPLES / "original", *(EXAMPLES / n for n in names), *(laundered / n for n in names))
    out = {n: a.channel("order") for n, a in zip(names, audits)}
    out |= {f"laundered {n}": a.channel("order") for n, a in zip(names, audits[3:])}
    return out


# --- the statistic and its null ---------------------------------------------------------------


def test_inversions_and_longest_run_match_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        values = rng.sample(range(50), rng.randint(0, 9))
        brute = sum(1 for a, b in itertools.combinations(values, 2) if a > b)
        assert inversions(values) == brute
        run_ = longest_increasing_run(values)
        picked = [values[k] for k in run_]
        assert run_ == sorted(run_) and picked == sorted(set(picked))
        best = max(
            (len(c) for r in range(len(values) + 1) for c in itertools.combinations(values, r) if list(c) == sorted(set(c))),
            default=0,
        )
        assert len(run_) == best


@pytest.mark.parametrize("sizes", [[2], [3], [4], [6], [2, 3], [5, 2], [2, 2, 2, 3]])
def test_the_null_is_the_distribution_of_inversions_over_all_orderings(sizes):
    counts: dict[int, int] = {}
    for perms in itertools.product(*(itertools.permutations(range(n)) for n in sizes)):
        d = sum(inversions(list(p)) for p in perms)
        counts[d] = counts.get(d, 0) + 1
    total = sum(counts.values())
    dist = _pooled_mahonian(sizes)
    assert len(dist) == 1 + sum(n * (n - 1) // 2 for n in sizes)
    assert np.allclose(dist, [counts.get(k, 0) / total for k in range(len(dist))], atol=1e-12)


def test_the_normal_approximation_agrees_with_the_exact_null_where_it_takes_over(monkeypatch):
    sizes = [40, 50, 30]
    mean = sum(n * (n - 1) / 4 for n in sizes)
    for observed in (int(mean * 0.8), int(mean * 0.9), int(mean)):
        exact, method = inversion_pvalue(sizes, observed)
        assert method == "exact"
        monkeypatch.setattr(order_module, "EXACT_MAX_PAIRS", 0)
        approx, method = inversion_pvalue(sizes, observed)
        monkeypatch.undo()
        assert method == "normal" and abs(approx - exact) < 0.01 + 0.2 * exact


def test_few_aligned_functions_give_a_weak_score():
    # Perfect order, but two functions are in order half the time by chance, three a sixth.
    assert inversion_pvalue([2], 0)[0] == pytest.approx(0.5)
    assert inversion_pvalue([3], 0)[0] == pytest.approx(1 / 6)
    assert inversion_pvalue([2, 2], 0)[0] == pytest.approx(0.25)
    assert inversion_pvalue([1, 1, 1], 0) == (1.0, "exact")


# --- the channel on synthetic alignments --------------------------------------------------------


def _signature(file_index: int, position: int, name: str) -> FunctionSignature:
    line = 1 + 10 * position
    return FunctionSignature(file_index, f"f{file_index}.x", name, name, line, line + 8, 30, "a" * 30)


def _pair(groups: list[list[int]]) -> PairInput:
    """An alignment whose k-th file pair aligns original function p with submission function
    ``groups[k][p]`` (similarity 0.8)."""
    a, b, pairs = [], [], []
    for k, positions in enumerate(groups):
        offset_a, offset_b = len(a), len(b)
        a += [_signature(k, p, f"g{k}_{p}") for p in range(len(positions))]
        b += [_signature(k, p, f"h{k}_{p}") for p in range(len(positions))]
        # The assignment lists pairs in any order: shuffle to show the channel sorts them.
        chunk = [(offset_a + p, offset_b + q, 0.8, 0.8, 0.0) for p, q in enumerate(positions)]
        random.Random(k).shuffle(chunk)
        pairs += chunk

    class _Result:
        detail = Alignment(a, b, pairs)

    return PairInput(None, None, None, None, None, results={"functions": _Result()})  # type: ignore[arg-type]


def test_scores_on_random_orderings_are_calibrated():
    """Under independence the score is 1 - p with p at least uniform: at most about 5% of random
    orderings reach 0.95."""
    rng = random.Random(2026)
    scores = []
    for _ in range(400):
        groups = [rng.sample(range(n), n) for n in (rng.randint(2, 12) for _ in range(rng.randint(1, 4)))]
        scores.append(CHANNEL.compare(_pair(groups)).score)
    high = sum(s >= 0.95 for s in scores) / len(scores)
    assert high <= 0.08
    assert 0.35 < float(np.mean(scores)) < 0.6


def test_kept_order_scores_high_and_reversed_order_zero():
    kept = CHANNEL.compare(_pair([list(range(8)), list(range(5))]))
    reversed_ = CHANNEL.compare(_pair([list(range(8))[::-1], list(range(5))[::-1]]))
    assert kept.score > 0.9999 and kept.stats["tau"] == 1.0 and kept.stats["discordant"] == 0
    assert reversed_.score == 0.0 and reversed_.stats["tau"] == -1.0
    assert kept.stats["longest_run"] == 8 and kept.stats["file_pairs"] == 2


def test_items_locate_the_longest_run_on_both_sides():
    # Original order 0..5; the submission swaps the last two: a run of 5 in order.
    result = CHANNEL.compare(_pair([[0, 1, 2, 3, 5, 4]]))
    (item,) = result.items
    assert item.note.startswith("5 of 6")
    assert item.original.path == "f0.x" and item.submission.path == "f0.x"
    assert item.original.start_line == 1 and item.submission.start_line == 1
    assert item.original_text.split(", ")[:4] == ["g0_0", "g0_1", "g0_2", "g0_3"]
    assert result.stats["longest_run"] == 5 and result.stats["discordant"] == 1


def test_no_aligned_pair_of_functions_is_no_evidence():
    assert CHANNEL.compare(_pair([[0], [0], [0]])).score == 0.0
    assert CHANNEL.compare(_pair([])).score == 0.0


# --- the channel on real programs ---------------------------------------------------------------


def test_translations_keep_the_order_and_the_independent_implementation_does_not(examples):
    independent = examples["independent-rust"].score
    for name in ("translated-python", "translated-rust"):
        result = examples[name]
        assert result.score > 0.999 > independent, name
        assert result.stats["tau"] > 0.9 and result.stats["longest_run"] >= 10
        assert all(i.original.path.endswith(".go") for i in result.items)


def test_laundered_translations_still_keep_the_order(examples):
    independent = examples["laundered independent-rust"].score
    for name in ("translated-python", "translated-rust"):
        result = examples[f"laundered {name}"]
        assert result.score > 0.99 > independent, name
        assert result.stats["tau"] > 0.8


def test_unrelated_programs_score_low_and_translations_high(tmp_path):
    """The calc fixture translated between languages vs each language's unrelated program."""
    languages = ["c", "go", "java", "python", "rust"]
    dirs = calc_dirs(tmp_path, languages)
    translated, unrelated = [], []
    for a in languages:
        others = [b for b in languages if b != a]
        audits = _audits(dirs[(a, "program")], *(dirs[(b, s)] for b in others for s in ("program", "unrelated")))
        translated += [x.channel("order").score for x in audits[0::2]]
        unrelated += [x.channel("order").score for x in audits[1::2]]
    assert all(t > u for t, u in zip(translated, unrelated))
    assert min(translated) > 0.9 and max(unrelated) < 0.6


def test_the_result_is_deterministic():
    groups = [[3, 0, 1, 2, 4], [1, 0, 2]]
    first, second = CHANNEL.compare(_pair(groups)), CHANNEL.compare(_pair(groups))
    assert first.score == second.score and first.items == second.items and first.stats == second.stats
