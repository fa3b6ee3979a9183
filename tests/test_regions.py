"""Recalled regions: a verbatim module inside an otherwise original submission is surfaced, with
its place and its share of the program; repetitive runs and independent implementations are not."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from memaudit.api import AuditRequest, run
from memaudit.evidence.regions import FACTOR, effective_length, load_region_null
from memaudit.evidence.registry import default_registry

from .conftest import EXAMPLES, FIXTURES


def audit(original, submission):
    registry = default_registry()
    return run(AuditRequest(str(original), (str(submission),), verdict=False, jobs=1), registry=registry).audits[0]


def test_effective_length_discounts_repetitive_runs():
    varied = np.random.default_rng(7).integers(0, 30, 200).astype(np.uint8)
    distinct = len({tuple(varied[i : i + 4]) for i in range(197)})
    assert distinct > 190 and effective_length(varied) == pytest.approx(200 * distinct / 197)
    repetitive = np.tile(np.array([3, 5, 7], dtype=np.uint8), 70)[:200]
    # Three distinct 4-grams among 197: a table of case/return rows counts as a few tokens.
    assert effective_length(repetitive) == pytest.approx(200 * 3 / 197)
    assert effective_length(np.zeros(3, dtype=np.uint8)) == 0.0


def test_a_verbatim_module_inside_an_original_program_is_recalled(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copyfile(FIXTURES / "languages" / "go" / "unrelated.go", sub / "life.go")
    shutil.copyfile(EXAMPLES / "original" / "newick.go", sub / "parse.go")  # the recalled helper
    result = audit(EXAMPLES / "original", sub).channel("regions")
    assert result.flags == ("recalled",)
    top = result.items[0]
    assert top.original.path == "newick.go" and top.submission.path == "parse.go"
    assert top.note == "recalled"
    # The region is a share of the submission, not all of it: the rest is original.
    assert 0.3 < result.features["regions_share"] < 0.95
    assert result.stats["strongest_effective"] > FACTOR * load_region_null()["same"]


def test_independent_implementations_hold_no_recalled_region():
    result = audit(EXAMPLES / "original", EXAMPLES / "independent-rust").channel("regions")
    assert result.flags == () and result.stats["recalled"] == 0 and result.features["regions_share"] == 0.0
    assert result.score < 0.5


def test_fail_on_recalled_gates_on_the_flag_through_the_command(tmp_path):
    """--fail-on recalled exits 1 for a submission that hides a verbatim module, whatever its
    overall label, and 0 for an independent implementation."""
    import json

    from .conftest import run_cli

    sub = tmp_path / "sub"
    sub.mkdir()
    shutil.copyfile(FIXTURES / "languages" / "go" / "unrelated.go", sub / "life.go")
    shutil.copyfile(EXAMPLES / "original" / "newick.go", sub / "parse.go")
    hidden = run_cli("compare", str(EXAMPLES / "original"), str(sub), "--fail-on", "recalled", "-q", "--json", "-")
    assert hidden.returncode == 1, hidden.stderr
    channels = {c["name"]: c for c in json.loads(hidden.stdout)["evidence"]["channels"]}
    assert channels["regions"]["flags"] == ["recalled"]
    assert hidden.stderr.strip() == f"memaudit: --fail-on recalled: {sub}"
    honest = run_cli("compare", str(EXAMPLES / "original"), str(EXAMPLES / "independent-rust"), "--fail-on", "recalled", "-q")
    assert honest.returncode == 0, honest.stderr
