"""The skeleton channel: token-tree depths from the parser, control-flow skeletons rebuilt from
them, tree edit distance bounds, and the score against a background of unrelated functions."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

from memaudit import parse
from memaudit.categories import CATEGORY_CODES
from memaudit.compare import load_trees
from memaudit.core import SourceFile
from memaudit.evidence.channel import IndexCache, PairInput
from memaudit.evidence.functions import CHANNEL as FUNCTIONS
from memaudit.evidence.functions import Alignment, function_signatures
from memaudit.evidence.model import ChannelResult
from memaudit.evidence.registry import Registry, default_registry
from memaudit.evidence.skeleton import (
    BACKGROUND, MAX_NODES, Skeleton, SkeletonChannel, _Distances, skeleton, skeletons, top_down_distance,
    wilson_lower,
)  # fmt: skip

from .conftest import EXAMPLES, FIXTURES

LANGUAGES = sorted(p.name for p in (FIXTURES / "languages").iterdir())


def parsed_of(path: Path):
    (tree,) = load_trees([str(path)], jobs=1)
    (parsed,) = tree.files
    return parsed


def fixture(language: str, stem: str) -> Path:
    return next((FIXTURES / "languages" / language).glob(stem + ".*"))


def reference_depths(data: bytes, language: str) -> list[int]:
    """Each token's depth counted by recursing over tree-sitter's nodes: the number of token
    nodes among its ancestors (what the cursor walk must reproduce)."""
    grammar = parse.load_grammar(language)
    out: list[int] = []

    def visit(node, depth: int) -> None:  # type: ignore[no-untyped-def]
        code = grammar.table[node.kind_id]
        if code == parse._IGNORE:
            return
        emits = bool(code) and code != parse._ERROR and not node.is_missing
        if emits:
            out.append(depth)
        for child in node.children:
            visit(child, depth + emits)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        visit(parse._parser(language).parse(data).root_node, 0)
    finally:
        sys.setrecursionlimit(limit)
    return out


@pytest.mark.parametrize("language", LANGUAGES)
def test_depths_are_the_token_tree_depths(language):
    for stem in ("program", "unrelated"):
        path = fixture(language, stem)
        data = path.read_bytes()
        p = parse.parse_bytes(data, SourceFile(path.name, str(path), language, len(data)))
        assert p.depths.dtype == np.uint16 and p.depths.shape == p.categories.shape
        assert p.depths.tolist() == reference_depths(data, language)


def test_depths_in_c_and_without_tokens():
    src = "int f(int a) {\n  if (a == 1)\n    return a + 2;\n  return 0;\n}\n"
    data = src.encode()
    p = parse.parse_bytes(data, SourceFile("t.c", "t.c", "c", len(data)))
    # function > (identifier, parameter > identifier, branch > (identifier, ==, 1, return > ...), return > 0)
    assert p.depths.tolist() == [0, 1, 1, 2, 1, 2, 2, 2, 2, 3, 3, 3, 1, 2]
    drop = np.zeros(p.n_tokens, dtype=bool)
    drop[[1, 5]] = True
    q = p.without_tokens(drop)
    assert q.depths.tolist() == [0, 1, 2, 1, 2, 2, 2, 3, 3, 3, 1, 2]
    # Files built without depths keep working and have no skeleton.
    from dataclasses import replace

    bare = replace(p, depths=np.zeros(0, dtype=np.uint16))
    assert bare.without_tokens(drop).depths.shape == (0,)
    assert skeleton(bare, 0, bare.n_tokens).size == 1


def test_skeleton_keeps_control_flow_nested_as_written(tmp_path):
    (tmp_path / "f.c").write_text(
        "int f(int a) {\n"
        "  if (a > 0) {\n"
        "    while (a > 3) {\n"
        "      a = g(a);\n"
        "      if (a == 7) break;\n"
        "    }\n"
        "  } else {\n"
        "    return h(a);\n"
        "  }\n"
        "  for (;;) { continue; }\n"
        "  return 0;\n"
        "}\n"
    )
    p = parsed_of(tmp_path)
    (fn,) = p.functions
    sk = skeleton(p, fn.first_token, fn.end_token)
    assert sk.key == ("{fn{branch{loop{call}{branch{break}}}{else{return{call}}}}{loop{continue}}{return}}")
    assert sk.size == 12 and sk.full_size == 11
    capped = skeleton(p, fn.first_token, fn.end_token, max_nodes=3)
    assert capped.key == "{fn{branch{loop{call}}}}" and capped.full_size == 11


def test_skeletons_follow_the_function_channels_order():
    (tree,) = load_trees([str(EXAMPLES / "original")], jobs=1)
    functions = function_signatures(tree)
    sks = skeletons(tree, functions)
    assert len(sks) == len(functions) and all(1 <= s.size <= MAX_NODES + 1 for s in sks)


def _example_skeletons() -> list[Skeleton]:
    out: list[Skeleton] = []
    for name in ("original", "translated-rust", "independent-rust"):
        (tree,) = load_trees([str(EXAMPLES / name)], jobs=1)
        out += [s for s in skeletons(tree, function_signatures(tree), max_nodes=20) if s.size > 4]
    return out


def test_distance_bounds_bracket_apted():
    from apted import APTED

    sks = _example_skeletons()
    rng = random.Random(7)
    distances = _Distances()
    for _ in range(60):
        a, b = rng.sample(sks, 2)
        exact = APTED(a.apted_tree(), b.apted_tree()).compute_edit_distance()
        lo, hi = distances.bounds(a, b)
        assert lo <= exact <= hi
        assert distances.exact(a, b) == exact
    assert distances.bounds(sks[0], sks[0]) == (0, 0)


def test_tree_edit_distance_of_small_trees():
    branch, loop, ret = CATEGORY_CODES["branch"], CATEGORY_CODES["loop"], CATEGORY_CODES["return"]
    a = Skeleton((branch, ret), (-1, 0), 2)  # fn(branch(return))
    b = Skeleton((loop, ret), (-1, 0), 2)  # fn(loop(return))
    c = Skeleton((branch, ret), (-1, -1), 2)  # fn(branch return)
    d = _Distances()
    assert d.exact(a, b) == 1  # one rename
    assert d.exact(a, c) == 2  # return moves up a level: delete and insert
    assert top_down_distance(a, c) == 2


def test_wilson_lower_bound():
    assert wilson_lower(1.0, 1) < 0.3 < wilson_lower(1.0, 10) < wilson_lower(1.0, 100) < 1.0
    assert wilson_lower(0.0, 50) == 0.0 and wilson_lower(0.5, 0) == 0.0


REGISTRY = Registry.of([*default_registry().channels, SkeletonChannel()])


def _skeleton_results(original: Path, *submissions: Path):
    from memaudit.api import AuditRequest, run

    report = run(
        AuditRequest(str(original), tuple(str(s) for s in submissions), verdict=False, jobs=1),
        registry=REGISTRY,
    )
    return [a.channel("skeleton") for a in report.audits]


@pytest.fixture(scope="module")
def example_results():
    names = ("translated-rust", "translated-python", "independent-rust")
    return dict(zip(names, _skeleton_results(EXAMPLES / "original", *(EXAMPLES / n for n in names))))


def test_translations_rank_above_the_independent_implementation(example_results):
    independent = example_results["independent-rust"]
    assert independent.score < 0.2
    for name in ("translated-rust", "translated-python"):
        r = example_results[name]
        assert r.score > independent.score + 0.3
        assert r.stats["weighted_share_beyond"] > 0.6 > independent.stats["weighted_share_beyond"]
        assert r.stats["binomial_p"] < 1e-6


def test_items_locate_both_sides_and_stats_are_bounded(example_results):
    r = example_results["translated-rust"]
    assert r.items and all(i.original and i.submission for i in r.items)
    assert {i.original.path for i in r.items} <= {"main.go", "newick.go", "tree.go"}
    assert all(i.submission.path.startswith("src/") for i in r.items)
    assert r.stats["compared"] <= r.stats["aligned"] and 0.0 <= r.score <= 1.0
    # Pairs beyond their background come first, furthest above it first.
    assert "vs at most" in r.items[0].note and "not beyond" not in r.items[0].note
    assert r.stats["chance"] == pytest.approx(1 / (BACKGROUND + 1), abs=1e-6)


def test_laundered_translation_still_ranks_above_the_independent_one(tmp_path, example_results):
    from bench.launder import launder_tree

    launder_tree(EXAMPLES / "translated-rust", tmp_path / "laundered", "skeleton-test")
    (laundered,) = _skeleton_results(EXAMPLES / "original", tmp_path / "laundered")
    assert laundered.score > example_results["independent-rust"].score + 0.3


@pytest.mark.parametrize("language", LANGUAGES)
def test_renamed_program_scores_above_an_unrelated_one(language):
    renamed, unrelated = _skeleton_results(
        fixture(language, "program"), fixture(language, "renamed"), fixture(language, "unrelated")
    )
    assert renamed.score > 0.3 and renamed.score > unrelated.score
    # Few comparable functions give a weak score, never an extreme one.
    assert unrelated.score < 0.2 and renamed.score < 0.8


def test_the_background_is_calibrated_on_unrelated_pairings():
    """Pairing each original function with a random submission function instead of its
    counterpart: beyond its background about 1 time in BACKGROUND + 1, score near 0."""
    original, submission = load_trees([str(EXAMPLES / "original"), str(EXAMPLES / "translated-rust")], jobs=1)
    cache = IndexCache()
    channel = SkeletonChannel()

    def pair(results):  # type: ignore[no-untyped-def]
        return PairInput(original, submission, None, None, None, results=results, cache=cache)  # type: ignore[arg-type]

    real = FUNCTIONS.compare(pair({}))
    alignment: Alignment = real.detail
    rates, scores = [], []
    for seed in range(10):
        perm = np.random.default_rng(seed).permutation(len(alignment.submission))
        pairs = [(i, int(perm[i % len(perm)]), 0.9, 0.9, 0.0) for i in range(len(alignment.original))]
        fake = ChannelResult(
            "functions", 0.0, "", (), detail=Alignment(alignment.original, alignment.submission, pairs)
        )
        r = channel.compare(pair({"functions": fake}))
        rates.append(r.stats["beyond_background"] / r.stats["compared"])
        scores.append(r.score)
    assert np.mean(rates) <= 1 / (BACKGROUND + 1) + 0.05
    assert max(scores) < 0.15
    true = channel.compare(pair({"functions": real}))
    assert true.score > 0.4 and true.stats["beyond_background"] / true.stats["compared"] > 0.6


def test_deterministic(example_results):
    (again,) = _skeleton_results(EXAMPLES / "original", EXAMPLES / "translated-rust")
    first = example_results["translated-rust"]
    assert again.score == first.score and again.stats == first.stats and again.items == first.items
