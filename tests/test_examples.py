"""The bundled examples: the README's first command runs on them.

The line ranges below were checked by hand against the sources (if a grammar change moves them,
re-check by reading both sides before updating):
- newick.go:252-269 is writeSubtree's child loop through its length suffix (running into the
  header of formatLength); newick.py:219-230 is the same in write_subtree (into format_length).
- newick.go:180-191 and newick.py:156-164 are the body of parseLabelAndLength / parse_label_and_length.
- newick.go:30-52 and src/newick.rs:29-53 are the token struct, the newickLexer struct and the
  start of isLabelByte / is_label_byte.
- main.go:13-34 and src/main.rs:14-34 are the exit-code constants and the usage text.
"""

from __future__ import annotations

import pytest

from .conftest import EXAMPLES, audit, run_cli


@pytest.fixture(scope="module")
def results():
    names = ["translated-rust", "translated-python", "independent-rust"]
    audits = audit(EXAMPLES / "original", *(EXAMPLES / n for n in names))
    return {name: a.comparison for name, a in zip(names, audits)}


def spans(comparison):
    return {(f.a_path, f.a_lines, f.b_path, f.b_lines) for f in comparison.fragments}


def test_translations_score_clearly_above_the_independent_implementation(results):
    independent = results["independent-rust"].similarity
    assert independent <= 0.05
    for name in ("translated-rust", "translated-python"):
        assert results[name].similarity >= independent + 0.1, name


@pytest.mark.parametrize(
    "submission, expected",
    [
        ("translated-python", ("newick.go", (252, 269), "newick.py", (219, 230))),
        ("translated-python", ("newick.go", (180, 191), "newick.py", (156, 164))),
        ("translated-rust", ("newick.go", (30, 52), "src/newick.rs", (29, 53))),
        ("translated-rust", ("main.go", (13, 34), "src/main.rs", (14, 34))),
    ],
)
def test_fragments_have_hand_checked_line_ranges(results, submission, expected):
    assert expected in spans(results[submission])


def test_longest_fragment_is_write_subtree(results):
    top = results["translated-python"].fragments[0]
    assert (top.a_path, top.a_lines, top.b_path, top.b_lines) == ("newick.go", (252, 269), "newick.py", (219, 230))


def test_readme_command_prints_the_fragments():
    proc = run_cli("compare", "examples/original", "examples/translated-python")
    assert proc.returncode == 0, proc.stderr
    assert "newick.go:252-269" in proc.stdout and "newick.py:219-230" in proc.stdout
