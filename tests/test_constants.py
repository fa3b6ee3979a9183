"""The constants channel (memaudit/evidence/constants.py): constants mapped into functions in
order; aligned functions that share them in order beyond size-matched unaligned functions score
high, constants every function shares do not count, observable ones are dropped, few functions
give a weak score; translations outrank an independent implementation, laundered or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.launder import launder_tree
from memaudit.api import AuditRequest, run
from memaudit.compare import load_trees
from memaudit.evidence.constants import BACKGROUND, ConstantsChannel, function_constants
from memaudit.evidence.functions import function_signatures
from memaudit.evidence.registry import default_registry

from .conftest import EXAMPLES, calc_dirs

CHANNEL = ConstantsChannel()
REGISTRY = default_registry()


def _audits(original: Path, *submissions: Path, spec: tuple[str, ...] = ()):
    request = AuditRequest(str(original), tuple(str(s) for s in submissions), verdict=False, jobs=1, spec=spec)
    return [a.channel("constants") for a in run(request, registry=REGISTRY).audits]


def _tree(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    root.mkdir()
    for rel, text in files.items():
        (root / rel).write_text(text)
    return root


def _function(name: str, constants: list[str], variant: int) -> str:
    """A function of ~40 tokens writing ``constants`` in order; ``variant`` changes its shape so
    the alignment can tell functions apart."""
    body = "".join(f"    total = total * {3 + variant} + lookup(table, {c})\n" for c in constants)
    loops = "    for item in items:\n        total += item\n" * (1 + variant % 3)
    return f"def {name}(items, table):\n    total = 0\n{loops}{body}    return total\n\n\n"


# --- constants in functions -------------------------------------------------------------------


def test_constants_are_mapped_into_their_functions_in_order(tmp_path):
    source = '''
def first(a, b, c):
    """Docstring "not a constant" here."""
    x = a * 86400 + b * 0x7fffffff
    y = "a distinctive message" if c else "%d"
    z = 0 + 1 + 2 + 16 + 255
    return x + y + z + 3.25


def second(a, b, c):
    def inner(q):
        return q * 6364136223846793005 + a + b + c + a + b + c + a + b + c
    w = inner(a) + 1442695040888963407
    return w + a + b + c + a + b + c + a + b + c + 0.000125
'''
    root = _tree(tmp_path, "a", {"m.py": source})
    (tree,) = load_trees([str(root)], jobs=1)
    functions = function_signatures(tree)
    constants = dict(zip([f.name for f in functions], function_constants(tree, functions)))
    # Trivial numbers (0, 1, 2, 16, 255), formatting-only strings and the docstring are not constants.
    assert [c.key for c in constants["first"]] == ["n:86400", "n:2147483647", "s:a distinctive message", "n:3.25"]
    assert [c.line for c in constants["first"]] == [4, 4, 5, 7]
    # A nested function's constants belong to it and to the function enclosing it, in order.
    assert [c.key for c in constants["second"]] == ["n:6364136223846793005", "n:1442695040888963407", "n:0.000125"]
    if "inner" in constants:
        assert [c.key for c in constants["inner"]] == ["n:6364136223846793005"]
    # Base-code keys are excluded.
    excluded = function_constants(tree, functions, frozenset({"n:86400"}))
    assert [c.key for c in excluded[0]] == ["n:2147483647", "s:a distinctive message", "n:3.25"]


# --- the background ---------------------------------------------------------------------------

DISTINCT = [
    ["86400", "1000003", "0x5bd1e995"], ["7919", "104729", "1299709"], ["0.125", "3.75", "6.5"],
    ['"alpha-mode"', '"beta-mode"', "4099"], ["65521", "5552", '"adler check"'], ["2053", "8191", "131071"],
    ['"left wing"', '"right wing"', "313"], ["0x9e3779b9", "40503", "2654435761"],
]  # fmt: skip


def _program(per_function: list[list[str]], prefix: str) -> str:
    return "".join(_function(f"{prefix}_{k}", cs, k) for k, cs in enumerate(per_function))


def test_a_copy_with_distinct_constants_per_function_scores_high(tmp_path):
    a = _tree(tmp_path, "a", {"m.py": _program(DISTINCT, "work")})
    b = _tree(tmp_path, "b", {"m.py": _program(DISTINCT, "work")})
    (result,) = _audits(a, b)
    assert result.stats["tested_functions"] == len(DISTINCT)
    assert result.stats["aligned_mean_lcs"] == 3.0 and result.stats["background_mean_lcs"] == 0.0
    assert result.stats["share_above_background_95"] == 1.0
    assert result.score > 0.99
    item = result.items[0]
    assert item.original.path == "m.py" and item.submission.path == "m.py"
    assert item.note.startswith("3 constants in order")


def test_constants_every_function_shares_do_not_count(tmp_path):
    """The same constants in every function (forced by the behaviour, say): the counterpart is no
    closer than any function of its size."""
    shared = [["0x7fffffff", '"shared format text"', "86400"]] * len(DISTINCT)
    a = _tree(tmp_path, "a", {"m.py": _program(shared, "work")})
    b = _tree(tmp_path, "b", {"m.py": _program(shared, "work")})
    (result,) = _audits(a, b)
    assert result.stats["tested_functions"] == len(DISTINCT)
    assert result.stats["aligned_mean_lcs"] == result.stats["background_mean_lcs"] == 3.0
    assert result.stats["share_above_background_95"] == 0.0
    assert result.score == 0.0


def test_one_function_gives_a_weak_score(tmp_path):
    # One tested function beats its background at best 1 time in BACKGROUND + 1.
    fillers = [["7", "9"]] * (BACKGROUND + 4)
    a = _tree(tmp_path, "a", {"m.py": _program([DISTINCT[0]], "lone")})
    b = _tree(tmp_path, "b", {"m.py": _program([DISTINCT[0]], "lone") + _program(fillers, "filler")})
    (result,) = _audits(a, b)
    assert result.stats["tested_functions"] == 1
    assert 0.9 < result.score < 1 - 1 / (BACKGROUND + 1) + 0.02


def test_functions_with_fewer_than_two_constants_are_not_evidence(tmp_path):
    single = [[c[0]] for c in DISTINCT]
    a = _tree(tmp_path, "a", {"m.py": _program(single, "work")})
    b = _tree(tmp_path, "b", {"m.py": _program(single, "work")})
    (result,) = _audits(a, b)
    assert result.stats["tested_functions"] == 0 and result.score == 0.0 and not result.items


def test_observable_constants_are_not_counted(tmp_path):
    a = _tree(tmp_path, "a", {"m.py": _program(DISTINCT, "work")})
    b = _tree(tmp_path, "b", {"m.py": _program(DISTINCT, "work")})
    spec = tmp_path / "spec.txt"
    # Every number and string of the first four functions appears in the documentation.
    spec.write_text("\n".join(c.strip('"') for cs in DISTINCT[:4] for c in cs) + "\n")
    (plain,) = _audits(a, b)
    (with_spec,) = _audits(a, b, spec=(str(spec),))
    assert with_spec.stats["tested_functions"] == len(DISTINCT) - 4 < plain.stats["tested_functions"]
    shown = " ".join(i.note for i in with_spec.items)
    assert "86400" not in shown and "alpha-mode" not in shown and "65521" in shown


# --- real programs ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    laundered = tmp_path_factory.mktemp("laundered")
    names = ["translated-python", "translated-rust", "independent-rust"]
    for name in names:
        launder_tree(EXAMPLES / name, laundered / name, "constants-test")
    results = _audits(EXAMPLES / "original", *(EXAMPLES / n for n in names), *(laundered / n for n in names))
    return dict(zip(names + [f"laundered {n}" for n in names], results))


def test_translations_share_ordered_constants_and_the_independent_implementation_does_not(examples):
    for name in ("translated-python", "translated-rust"):
        result, independent = examples[name], examples["independent-rust"]
        assert result.score > 0.99 > independent.score, name
        assert result.stats["aligned_mean_lcs"] > 3 > 10 * result.stats["background_mean_lcs"]
        top = result.items[0]
        assert top.original_text == "run" and top.original.path == "main.go"
        assert '"-i needs a file name"' in top.note


def test_laundered_translations_still_outrank_the_independent_implementation(examples):
    # Without names fewer functions align (translated-rust keeps one tested function): weaker.
    independent = examples["laundered independent-rust"]
    for name in ("translated-python", "translated-rust"):
        result = examples[f"laundered {name}"]
        assert result.score > 0.9 > independent.score, name
        assert result.stats["share_above_background_95"] > 0.5


def test_unrelated_programs_score_zero_and_translations_higher(tmp_path):
    languages = ["c", "go", "javascript", "python", "rust"]
    dirs = calc_dirs(tmp_path, languages)
    for a in languages:
        others = [b for b in languages if b != a]
        results = _audits(dirs[(a, "program")], *(dirs[(b, s)] for b in others for s in ("program", "unrelated")))
        for b, translated, unrelated in zip(others, results[0::2], results[1::2]):
            assert unrelated.score == 0.0, (a, b)
            assert translated.score > 0.5, (a, b)


def test_the_result_is_deterministic(tmp_path):
    a = _tree(tmp_path, "a", {"m.py": _program(DISTINCT, "work")})
    b = _tree(tmp_path, "b", {"m.py": _program(DISTINCT[::-1] + DISTINCT[:3], "other")})
    first, second = _audits(a, b, b)
    assert first.score == second.score and first.items == second.items and dict(first.stats) == dict(second.stats)
