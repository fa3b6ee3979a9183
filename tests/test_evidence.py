"""Evidence channels: each ranks faithful translations above an independent implementation, and
what the submitter could observe or was given does not count."""

from __future__ import annotations

from pathlib import Path

import pytest

from memaudit.compare import load_trees
from memaudit.evidence.observable import load_spec_material
from memaudit.evidence.registry import default_registry
from memaudit.evidence.text import comment_key, normalize_string_literal, split_identifier

from .conftest import EXAMPLES, audit


@pytest.fixture(scope="module")
def example_audits():
    names = ["translated-rust", "translated-python", "independent-rust"]
    audits = audit(EXAMPLES / "original", *(EXAMPLES / n for n in names), spec=(str(EXAMPLES / "spec"),))
    return dict(zip(names, audits))


@pytest.mark.parametrize("channel", default_registry().names)
def test_each_channel_ranks_translations_above_the_independent_implementation(example_audits, channel):
    audits = example_audits
    if channel == "constants":
        # The examples' spec lists every internal constant but one, so with it the channel has
        # nothing to count on either side: compare without the spec.
        names = ["translated-rust", "translated-python", "independent-rust"]
        audits = dict(zip(names, audit(EXAMPLES / "original", *(EXAMPLES / n for n in names))))
    independent = audits["independent-rust"].channel(channel).score
    for name in ("translated-rust", "translated-python"):
        assert audits[name].channel(channel).score > independent, (name, channel)


def test_identifier_items_name_both_spellings_and_rarity(example_audits):
    items = example_audits["translated-rust"].channel("identifiers").items
    pairs = {(i.original_text, i.submission_text): i for i in items}
    item = pairs[("collectBipartitions", "collect_bipartitions")]
    assert item.weight > 0.9 and not item.observable
    # First occurrences, in path order: the call in main.go and its translation.
    assert item.original.path == "main.go" and item.submission.path == "src/main.rs"


def test_function_alignment_reports_the_bands(example_audits):
    stats = example_audits["translated-python"].channel("functions").stats
    assert stats["share_above_0.5"] >= stats["share_above_0.65"] > 0.3
    independent = example_audits["independent-rust"].channel("functions").stats
    assert independent["share_above_0.65"] < stats["share_above_0.65"]


PROGRAM_A = '''
def tally(words):
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return counts

def main(argv):
    if not argv:
        print("error: no input files given")
        return 2
    print("total words: %d" % len(argv))
    return 0
'''

PROGRAM_B = '''
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut seen = 0usize;
    for a in args.iter().skip(1) {
        seen += a.len();
    }
    println!("{}", seen);
}
'''

SHARED_OUTPUT_A = '\ndef report():\n    print("error: no input files given")\n    print("warning: duplicate key in manifest section")\n'
SHARED_OUTPUT_B = '\nfn report() {\n    eprintln!("error: no input files given");\n    eprintln!("warning: duplicate key in manifest section");\n}\n'


def _literal_score(tmp_path: Path, a: str, b: str, spec: list[str]) -> tuple[float, int]:
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    (tmp_path / "a" / "prog.py").write_text(a)
    (tmp_path / "b" / "main.rs").write_text(b)
    c = audit(tmp_path / "a", tmp_path / "b", spec=tuple(spec))[0].channel("literals")
    return c.score, int(c.stats["observable"])


def test_output_strings_listed_in_a_spec_do_not_raise_the_score(tmp_path):
    spec = tmp_path / "expected_output.txt"
    spec.write_text("$ prog\nerror: no input files given\n$ prog x\nwarning: duplicate key in manifest section\n")
    baseline, _ = _literal_score(tmp_path, PROGRAM_A, PROGRAM_B, [str(spec)])
    without_spec, _ = _literal_score(tmp_path, PROGRAM_A + SHARED_OUTPUT_A, PROGRAM_B + SHARED_OUTPUT_B, [])
    with_spec, n_observable = _literal_score(tmp_path, PROGRAM_A + SHARED_OUTPUT_A, PROGRAM_B + SHARED_OUTPUT_B, [str(spec)])
    assert without_spec > baseline  # the shared strings do count when nothing says they are forced
    assert with_spec <= baseline + 1e-9  # ... and do not once the spec shows them
    assert n_observable == 2


def test_transcript_strings_are_observable(tmp_path):
    transcript = tmp_path / "run.traj.json"
    transcript.write_text('{"messages": [{"role": "tool", "content": "panic: in collectBipartitions at tree.go:88"}]}')
    spec = load_spec_material([str(transcript)])
    assert spec.has_identifier("collect_bipartitions")
    assert not spec.has_identifier("unroot_tree")


def test_base_code_is_removed_from_both_sides_and_the_denominators(tmp_path):
    template = (EXAMPLES / "original" / "newick.go").read_text()
    for side in ("a", "b", "base"):
        (tmp_path / side).mkdir()
    (tmp_path / "base" / "newick.go").write_text(template)
    (tmp_path / "a" / "newick.go").write_text(template)
    (tmp_path / "a" / "tree.go").write_text((EXAMPLES / "original" / "tree.go").read_text())
    (tmp_path / "b" / "newick.go").write_text(template)
    (tmp_path / "b" / "main.go").write_text((EXAMPLES / "original" / "main.go").read_text())
    (plain,) = audit(tmp_path / "a", tmp_path / "b")
    (based,) = audit(tmp_path / "a", tmp_path / "b", base=str(tmp_path / "base"))
    assert plain.comparison.similarity > 0.3  # the shared template dominates
    assert based.comparison.similarity < 0.05  # ... and is gone with --base
    assert based.base_tokens["original"] > 500 and based.base_tokens["submission"] > 500
    assert based.comparison.original.tokens == plain.comparison.original.tokens - based.base_tokens["original"]
    assert based.channel("identifiers").score < plain.channel("identifiers").score


def test_generated_files_and_data_tables_are_excluded(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    code = (EXAMPLES / "original" / "tree.go").read_text()
    (tmp_path / "a" / "tree.go").write_text(code)
    (tmp_path / "b" / "tree.go").write_text(code)
    table = "package main\n\nvar table = []int{\n" + ",\n".join(str(i * 7919 % 10007) for i in range(600)) + "}\n"
    (tmp_path / "b" / "tables.go").write_text(table)
    (tmp_path / "b" / "gen.go").write_text("// Code generated by stringer; DO NOT EDIT.\n\npackage main\n\nfunc f() int { return 1 }\n")
    (pruned,) = audit(tmp_path / "a", tmp_path / "b")
    reasons = {e.path: e.reason for e in pruned.exclusions}
    assert reasons["tables.go"].startswith("data table")
    assert reasons["gen.go"].startswith("generated file")
    assert [f.path for f in pruned.comparison.submission.files] == ["tree.go"]
    (kept,) = audit(tmp_path / "a", tmp_path / "b", keep_boilerplate=True)
    assert len(kept.comparison.submission.files) == 3


def test_text_normalization():
    assert split_identifier("ungron_tokens") == split_identifier("ungronTokens") == ("ungron", "tokens")
    assert split_identifier("parseHTTPHeader") == ("parse", "http", "header")
    assert comment_key("// isLabelByte reports whether") == comment_key("/// is_label_byte reports whether")
    assert normalize_string_literal('r#"raw"#') == "raw" and normalize_string_literal('b"x\\n"') == "x\\n"


def test_ks_statistic_matches_scipy():
    import numpy as np
    from scipy.stats import ks_2samp

    from memaudit.evidence.layout import ks_statistic

    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(5, 400, rng.integers(3, 60)).astype(float)
        y = rng.integers(5, 400, rng.integers(3, 60)).astype(float)
        assert abs(ks_statistic(x, y) - ks_2samp(x, y).statistic) < 1e-12


def test_a_comment_mentioning_generation_does_not_exclude_a_file(tmp_path):
    from memaudit.evidence.boilerplate import prune_boilerplate

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "ids.py").write_text('"""Node ids are auto-generated when a tree is parsed."""\n\ndef f(x):\n    return x + 1\n')
    (tmp_path / "a" / "gen.py").write_text("# Code generated by protoc-gen-py. DO NOT EDIT.\nX = 1\n")
    (tree,) = load_trees([str(tmp_path / "a")], jobs=1)
    kept, excluded = prune_boilerplate(tree, "original")
    assert [f.file.relpath for f in kept.files] == ["ids.py"]
    assert [e.path for e in excluded] == ["gen.py"]
    (tmp_path / "a" / "ids.py").unlink()
    (tree,) = load_trees([str(tmp_path / "a")], jobs=1)
    kept, excluded = prune_boilerplate(tree, "original")
    assert [f.file.relpath for f in kept.files] == ["gen.py"]
    assert excluded[0].reason.startswith("kept: every file looked like boilerplate")


def test_number_keys_are_value_canonical():
    from memaudit.evidence.literals import number_key

    assert number_key("0755") == number_key("0o755") == number_key("493")
    assert number_key("1e6") == number_key("1_000_000") == number_key("1000000u")
    assert number_key("0x10") == number_key("16") is None  # trivial
    assert number_key("14695981039346656037") == number_key("14695981039346656037u64")


def test_null_without_spread_has_no_z():
    from memaudit.verdict import null_band

    band = null_band(3.0, [1.0], ["only"], "--null")
    assert band is not None and band.z is None and band.percentile == 100.0


def test_one_shared_file_name_is_not_a_full_layout_score(tmp_path):
    for side, body in (("a", "x = 1\n"), ("b", "y = 2\n")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "parser.py").write_text(body)
    from memaudit.evidence.layout import WEIGHTS

    layout = audit(tmp_path / "a", tmp_path / "b")[0].channel("layout")
    # The file-name part only (one shared stem of one), nothing for the unmeasurable parts.
    assert layout.stats["file_names_score"] == 1.0
    assert set(layout.stats) & {"call_edges_score", "size_distribution_score"} == set()
    assert layout.score == pytest.approx(WEIGHTS["file_names"]) and layout.score < 1.0
    spec = tmp_path / "help.txt"
    spec.write_text("usage: parser FILE\n")
    observed = audit(tmp_path / "a", tmp_path / "b", spec=(str(spec),))[0].channel("layout")
    assert observed.score == 0.0


def test_deeply_nested_transcript_is_read(tmp_path):
    deep = "[" * 5000 + '"collectBipartitions"' + "]" * 5000
    (tmp_path / "t.json").write_text('{"messages": ' + deep + "}")
    assert load_spec_material([str(tmp_path / "t.json")]).has_identifier("collect_bipartitions")
