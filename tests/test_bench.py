"""Unit tests of the benchmark harness (bench/) on tiny synthetic data: no network, no full run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import config
from bench.jaccard import compare as jaccard_compare
from bench.jaccard import identifiers, jaccard
from bench.manifest import ManifestError, load_manifest, parse_manifest, split_pin
from bench.measure import run_measured
from bench.metrics import average_ranks, bootstrap_auc_ci, precision_recall, roc_auc
from bench.report import compute_metrics, render
from bench.strip import classify, generated_marker, is_data_table, is_literal_line, is_test_path
from bench.tools import (
    ToolFailure,
    combined_share,
    concat_side,
    parse_copydetect,
    parse_dolos,
    parse_jaccard,
    parse_memaudit,
    parse_sim,
)

MANIFEST = """
[[pair]]
id = "p1"
label = "derived"
provenance = "README: 'a port of X'"
a = { lang = "c", how = "apt-src", pkg = "zlib", path = "*.c *.h" }
b = { lang = "javascript", how = "npm", pkg = "pako@2.1.0", path = "lib/zlib/*.js" }

[[pair]]
id = "p2"
label = "independent"
provenance = "separate authors"
a = { lang = "c", how = "apt-src", pkg = "zlib", path = "*.c *.h" }
b = { lang = "typescript", how = "npm", pkg = "fflate@0.8.2", path = "src/*.ts", fallback = { lang = "javascript", path = "lib/index.cjs" } }
note = "hard negative"
"""


# ---------------------------------------------------------------------------------------------- manifest

def test_manifest_parses_pairs_and_shares_sides():
    m = parse_manifest(MANIFEST)
    assert [p.id for p in m.pairs] == ["p1", "p2"]
    assert m.pairs[0].cross_language and m.pairs[0].label == "derived"
    assert m.pairs[1].b.fallback_lang == "javascript" and m.pairs[1].b.fallback_path == "lib/index.cjs"
    assert m.pairs[1].note == "hard negative"
    # zlib is used by both pairs: one side, fetched once.
    assert len(m.sides()) == 3
    assert m.pairs[0].a.id == m.pairs[1].a.id
    assert m.pairs[0].a.patterns() == ["*.c", "*.h"]


def test_side_ids_are_stable_and_path_sensitive():
    m = parse_manifest(MANIFEST)
    again = parse_manifest(MANIFEST)
    assert m.pairs[0].b.id == again.pairs[0].b.id
    other = parse_manifest(MANIFEST.replace('path = "lib/zlib/*.js"', 'path = "lib/*.js"'))
    assert other.pairs[0].b.id != m.pairs[0].b.id
    assert "/" not in m.pairs[0].b.id and " " not in m.pairs[0].b.id


@pytest.mark.parametrize("how,pkg,expected", [
    ("npm", "pako@2.1.0", ("pako", "2.1.0")),
    ("npm", "@dodona/dolos-lib@3.5.1", ("@dodona/dolos-lib", "3.5.1")),
    ("npm", "@scope/name", ("@scope/name", None)),
    ("pypi-sdist", "PyYAML==6.0.2", ("PyYAML", "6.0.2")),
    ("apt-src", "zlib", ("zlib", None)),
])
def test_split_pin(how, pkg, expected):
    assert split_pin(how, pkg) == expected


@pytest.mark.parametrize("bad,message", [
    (MANIFEST.replace('label = "derived"', 'label = "copied"'), "label"),
    (MANIFEST.replace('how = "npm", pkg = "pako', 'how = "cargo", pkg = "pako'), "how"),
    (MANIFEST.replace('id = "p2"', 'id = "p1"'), "duplicate"),
    (MANIFEST.replace('note = "hard negative"', 'notes = "x"'), "unknown key"),
    ("[[pair]]\nid = 'x'\n", "must be a non-empty string"),
    ("title = 'no pairs'\n", r"no \[\[pair\]\]"),
    ("[[pair]\n", "not valid TOML"),
])
def test_manifest_errors(bad, message):
    with pytest.raises(ManifestError, match=message):
        parse_manifest(bad)


def test_select_unknown_pair():
    m = parse_manifest(MANIFEST)
    assert [p.id for p in m.select(["p2"])] == ["p2"]
    assert len(m.select(None)) == 2
    with pytest.raises(ManifestError, match="unknown pair"):
        m.select(["nope"])


def test_the_shipped_manifest_is_valid():
    m = load_manifest(config.PAIRS_FILE)
    labels = {p.label for p in m.pairs}
    assert labels == {"derived", "independent"}
    assert all(p.provenance for p in m.pairs)


def test_the_shipped_manifest_keeps_the_shared_corpus_pairs():
    """Every pair of the shared corpus manifest is kept (by id). That manifest lives beside the
    repository, not in it: a clean checkout (CI) does not have it."""
    shared = Path(config.REPO).parent / "shared" / "corpus" / "pairs.toml"
    if not shared.is_file():
        pytest.skip(f"shared corpus manifest {shared} is absent (outside the repository; clean checkout)")
    shared_ids = {p.id for p in load_manifest(shared).pairs}
    missing = shared_ids - {p.id for p in load_manifest(config.PAIRS_FILE).pairs}
    assert not missing, f"pairs of {shared} missing from {config.PAIRS_FILE}: {sorted(missing)}"


# ---------------------------------------------------------------------------------------------- metrics

def test_auc_known_values():
    assert roc_auc([3, 4], [1, 2]) == 1.0
    assert roc_auc([1, 2], [3, 4]) == 0.0
    # 4 pairs: (2>1), (2<3), (5>1), (5>3) -> 3/4
    assert roc_auc([2, 5], [1, 3]) == pytest.approx(0.75)
    assert roc_auc([], [1]) is None and roc_auc([1], []) is None


def test_auc_ties_count_half():
    assert roc_auc([0.5], [0.5]) == 0.5
    assert roc_auc([0, 0, 0], [0, 0]) == 0.5
    # pos [1, 2], neg [1, 0]: (1=1 -> .5) (1>0) (2>1) (2>0) -> 3.5 / 4
    assert roc_auc([1, 2], [1, 0]) == pytest.approx(0.875)


def test_auc_none_counts_as_zero():
    assert roc_auc([None, 0.4], [0.0, 0.1]) == roc_auc([0.0, 0.4], [0.0, 0.1])


def test_auc_matches_brute_force():
    import random

    rng = random.Random(7)
    for _ in range(20):
        pos = [rng.choice([0, 0.1, 0.2, 0.3]) for _ in range(rng.randint(1, 8))]
        neg = [rng.choice([0, 0.1, 0.2, 0.3]) for _ in range(rng.randint(1, 8))]
        brute = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
        assert roc_auc(pos, neg) == pytest.approx(brute)


def test_average_ranks():
    assert average_ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    pos, neg = [0.9, 0.5, 0.7, 0.2, 0.6], [0.1, 0.3, 0.55, 0.0]
    one = bootstrap_auc_ci(pos, neg, resamples=500, seed=3)
    two = bootstrap_auc_ci(pos, neg, resamples=500, seed=3)
    assert one == two
    assert one[0] <= roc_auc(pos, neg) <= one[1]
    assert 0.0 <= one[0] <= one[1] <= 1.0
    assert bootstrap_auc_ci(pos, neg, resamples=500, seed=4) != one
    assert bootstrap_auc_ci([1.0, 0.9], [0.0, 0.1], resamples=200, seed=1) == (1.0, 1.0)
    assert bootstrap_auc_ci([], neg) is None


def test_precision_recall():
    c = precision_recall([0.3, 0.25, 0.1, None], [0.26, 0.0, 0.2], 0.25)
    assert (c.tp, c.fn, c.fp, c.tn) == (2, 2, 1, 2)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(0.5)
    assert c.false_positive_rate == pytest.approx(1 / 3)
    none = precision_recall([0.1], [0.1], 0.5)
    assert none.precision is None and none.recall == 0.0


def test_threshold_is_declared_once_and_provisional(monkeypatch):
    import ast

    # No bench module spells the threshold's value itself: config.py is its only source.
    for source in sorted(Path(config.BENCH).glob("*.py")):
        if source.name == "config.py":
            continue
        literals = [
            node.lineno for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and type(node.value) is float
            and node.value == config.PROVISIONAL_THRESHOLD
        ]
        assert not literals, f"{source.name}:{literals} repeats the threshold {config.PROVISIONAL_THRESHOLD}"
    # The metrics and the rendered report follow the one constant, and label it provisional.
    monkeypatch.setattr(config, "PROVISIONAL_THRESHOLD", 0.35)
    results = _synthetic_results()
    at = compute_metrics(results["pairs"], ["memaudit"])["memaudit"]["at_threshold"]
    assert [(r["threshold"], r["source"], r["tp"], r["fp"]) for r in at] == [(0.35, "provisional", 1, 0)]
    text = render(results, ["d1", "d2", "i1", "i2"])
    assert "threshold of **0.35** declared in `bench/config.py`" in text
    assert "| memaudit | 0.35 (provisional) |" in text
    # The old value survives nowhere as a threshold (other 0.25s, e.g. timings, are other figures).
    assert "threshold of **0.25**" not in text and "0.25 (provisional)" not in text


# ---------------------------------------------------------------------------------------------- tool output

MEMAUDIT_JSON = json.dumps({
    "schema": "memaudit.compare/1",
    "summary": {"similarity": 0.312345, "jaccard": 0.1, "original_coverage": 0.4, "submission_coverage": 0.25,
                "fragments": 12, "longest_fragment_tokens": 88},
    "original": {"tokens": 1000, "files": [{"parse_errors": 1}], "skipped": []},
    "submission": {"tokens": 1600, "files": [{"parse_errors": 0}, {"parse_errors": 2}], "skipped": [{"path": "x"}]},
})


def test_parse_memaudit():
    score, details = parse_memaudit(MEMAUDIT_JSON)
    assert score == pytest.approx(0.312345)
    assert details["longest_fragment_tokens"] == 88
    assert details["tokens_a"] == 1000 and details["tokens_b"] == 1600
    assert details["parse_errors"] == 3 and details["skipped"] == 1
    with pytest.raises(ToolFailure):
        parse_memaudit("memaudit: error: something")


def test_parse_dolos():
    out = ('{"similarity":0.42,"longest":57,"overlap":300,"covered_a":200,"covered_b":150,'
           '"total_a":400,"total_b":430,"language":"c","warnings":[]}\n')
    score, details = parse_dolos(out)
    assert score == 0.42 and details["longest"] == 57
    with pytest.raises(ToolFailure, match="at least two files"):
        parse_dolos('{"error":"You need to supply at least two files"}\n')
    with pytest.raises(ToolFailure):
        parse_dolos("")


def test_parse_copydetect_combines_both_sides():
    out = json.dumps({"similarity_a": 0.5, "similarity_b": 0.1, "token_overlap": 50, "tokens_a": 100,
                      "tokens_b": 300, "k": 25, "window": 1, "version": "0.5.0"})
    score, details = parse_copydetect(out)
    assert score == pytest.approx((0.5 * 100 + 0.1 * 300) / 400)
    assert details["max_side"] == 0.5


SIM_OUTPUT = """File a.c: 74 tokens, 3 lines
File b.c: 47 tokens, 2 lines
Total input: 2 files (2 new, 0 old), 121 tokens

b.c consists for 100 % of a.c material
a.c consists for 64 % of b.c material
"""


def test_parse_sim():
    score, details = parse_sim(SIM_OUTPUT, "a.c", "b.c")
    assert details["percent_a"] == 64 and details["percent_b"] == 100
    assert score == pytest.approx((0.64 * 74 + 1.0 * 47) / 121)
    # A direction below SIM's threshold is not printed: 0 %.
    one_way = SIM_OUTPUT.replace("b.c consists for 100 % of a.c material\n", "")
    assert parse_sim(one_way, "a.c", "b.c")[1]["percent_b"] == 0
    nothing = "\n".join(SIM_OUTPUT.splitlines()[:3])
    assert parse_sim(nothing, "a.c", "b.c")[0] == 0.0
    with pytest.raises(ToolFailure):
        parse_sim("sim_c: cannot open a.c\n", "a.c", "b.c")


def test_parse_jaccard_and_combined_share():
    assert parse_jaccard('{"jaccard": 0.25, "identifiers_a": 4}')[0] == 0.25
    assert combined_share(0.0, 0, 0.0, 0) == 0.0
    assert combined_share(1.0, 10, 0.0, 30) == 0.25


# ---------------------------------------------------------------------------------------------- baseline

def test_identifier_jaccard(tmp_path):
    assert identifiers("int foo_bar = x + foo_bar2;") == {"int", "foo_bar", "foo_bar2"}
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 0.0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.c").write_text("int inflate(z_stream strm) { return Z_OK; }")
    (tmp_path / "b" / "y.js").write_text("function inflate(strm) { return Z_OK; }")
    result = jaccard_compare(tmp_path / "a", tmp_path / "b")
    assert result["shared"] == 4  # inflate, strm, return, Z_OK (keywords count: no keyword list)
    assert result["jaccard"] == pytest.approx(4 / 7)


# ---------------------------------------------------------------------------------------------- stripping

def test_test_paths():
    assert is_test_path("tests/test_x.py")
    assert is_test_path("lzma/reader_test.go")
    assert is_test_path("test_scanner.py")
    assert is_test_path("examples/demo.c")
    assert is_test_path("conftest.py")
    assert not is_test_path("lib/inflate.c")
    assert not is_test_path("contest.py")


def test_generated_markers():
    assert generated_marker("/* A Bison parser, made by GNU Bison 3.8.2.  */\nint x;")
    assert generated_marker("// Code generated by goyacc -o parser.go parser.go.y. DO NOT EDIT.\npackage x")
    assert generated_marker("/* original parser id follows */\n#define YYBYACC 1")
    assert generated_marker("int main(void) { return 0; }") is None
    late = "\n" * 40 + "/* DO NOT EDIT */"
    assert generated_marker(late) is None


def test_data_tables():
    table = "static const int t[] = {\n" + "".join(f"  {i}, {i * 7}, 0x{i:02x}, {i * 3},\n" for i in range(400)) + "};\n"
    assert is_data_table(table)
    code = "\n".join(f"int f{i}(int x) {{ if (x > {i}) return x * {i}; return f{i}(x - 1); }}" for i in range(200))
    assert is_data_table(code) is None
    small = "static const int t[] = { 1, 2, 3, 4 };\n"
    assert is_data_table(small) is None
    assert is_literal_line('  0x12, 0x34, "abc", -2.5e-3f,')
    assert not is_literal_line("  return x;")
    assert not is_literal_line("}")


def test_classify_order_and_reasons():
    c_exts = frozenset({".c", ".h"})
    assert classify("entitytrans.py", b"x = 1", frozenset({".py"}), "python", ("entitytrans.py",)).startswith("excluded")
    assert classify("README.md", b"# hi", c_exts, "c") == "not a c source file"
    assert classify("test/x.c", b"int x;", c_exts, "c") == "test or example"
    assert classify("parse.c", b"/* A Bison parser, made by GNU Bison */", c_exts, "c").startswith("generated")
    assert classify("inflate.c", b"int inflate(void) { return 0; }\n", c_exts, "c") is None


# ---------------------------------------------------------------------------------------------- plumbing

def test_concat_side_is_sorted_and_reused(tmp_path):
    side = tmp_path / "side"
    (side / "sub").mkdir(parents=True)
    (side / "b.c").write_text("int b;")
    (side / "sub" / "a.c").write_text("int a;\n")
    record = {"id": "s1", "lang": "c", "dir": str(side), "files": [
        {"path": "sub/a.c", "sha256": "1"}, {"path": "b.c", "sha256": "2"}]}
    out = concat_side(record, tmp_path / "cache")
    assert out.name == "s1.c"
    assert out.read_text() == "int b;\nint a;\n"
    stamp = out.stat().st_mtime_ns
    assert concat_side(record, tmp_path / "cache").stat().st_mtime_ns == stamp


def test_run_measured_reports_time_rss_and_exit(tmp_path):
    import sys

    m = run_measured([sys.executable, "-c", "import sys; print('hi'); sys.exit(3)"])
    assert m.returncode == 3 and m.stdout.strip() == "hi"
    assert m.seconds > 0 and m.peak_rss_kb > 0 and not m.timed_out
    slow = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert slow.timed_out


def _synthetic_results() -> dict:
    def entry(label, cross, scores):
        tools = {t: ({"tool": t, "status": "ok", "score": s, "seconds": 1.0, "peak_rss_kb": 1024, "note": ""}
                     if s is not None else {"tool": t, "status": "n/a", "score": None, "seconds": None,
                                            "peak_rss_kb": None, "note": "cannot"})
                 for t, s in scores.items()}
        side = {"side": f"s-{label}-{cross}", "lang": "c", "bytes": 2048, "files": 2, "lines": 10, "pkg": "p",
                "version": "1", "how": "npm", "path": "lib", "stripped": 1, "stripped_bytes": 1024}
        return {"status": "ok", "label": label, "cross_language": cross, "provenance": "x",
                "a": dict(side), "b": dict(side, lang="go" if cross else "c"), "tools": tools}

    return {
        "schema": "memaudit.bench/1", "updated": "2026-01-01 00:00 UTC", "partial": False,
        "full_run_seconds": 60.0, "run_seconds": 60.0,
        "environment": {"platform": "test", "cpus": 2, "python": "3.11", "memaudit_env": {}},
        "tools": {"memaudit": {"version": "0.1.0"}, "sim": {"version": "3.0.2"}},
        "pairs": {
            "d1": entry("derived", True, {"memaudit": 0.4, "sim": None}),
            "d2": entry("derived", False, {"memaudit": 0.3, "sim": 0.2}),
            "i1": entry("independent", True, {"memaudit": 0.05, "sim": None}),
            "i2": entry("independent", False, {"memaudit": 0.3, "sim": 0.1}),
            "m1": {"status": "missing", "label": "derived", "missing": ["side a: 404"], "a": {}, "b": {}},
        },
    }


def test_compute_metrics_and_render():
    results = _synthetic_results()
    metrics = compute_metrics(results["pairs"], ["memaudit", "sim"])
    assert metrics["memaudit"]["all"]["auc"] == pytest.approx((1 + 1 + 1 + 0.5) / 4)
    assert metrics["memaudit"]["cross"]["auc"] == 1.0
    assert metrics["sim"]["all"]["not_scored"] == 2
    at = metrics["memaudit"]["at_threshold"][0]
    assert at["threshold"] == 0.25 and at["source"] == "provisional"
    assert (at["tp"], at["fp"]) == (2, 1)
    results["metrics"] = metrics
    text = render(results, ["d1", "d2", "i1", "i2", "m1"])
    assert "provisional" in text.lower()
    assert "**m1**" in text and "404" in text
    assert "not yet measured" in text
    assert "| d1 | derived | c → go |" in text
    assert "| c | npm | p | 1 | `lib` | 2 | 2 | 1 / 1 |" in text


def test_partial_runs_keep_other_tools_results():
    from bench.run import merge_entry

    old = {"status": "ok", "a": {"side": "x"}, "b": {"side": "y"},
           "tools": {"memaudit": {"score": 0.3}, "dolos": {"score": 0.1}}}
    new = {"status": "ok", "a": {"side": "x"}, "b": {"side": "y"}, "tools": {"dolos": {"score": 0.2}}}
    merged = merge_entry(old, new)
    assert merged["tools"] == {"dolos": {"score": 0.2}, "memaudit": {"score": 0.3}}
    # A side that changed (other files) invalidates the earlier scores.
    changed = {"status": "ok", "a": {"side": "x2"}, "b": {"side": "y"}, "tools": {"dolos": {"score": 0.2}}}
    assert merge_entry(old, changed)["tools"] == {"dolos": {"score": 0.2}}
    assert merge_entry(old, {"status": "missing", "tools": {}})["tools"] == {}


def test_frozen_pairs_are_sealed_out_of_the_results(tmp_path):
    import json

    from bench.tiers import seal

    results = _synthetic_results()
    results["pairs"]["d1"]["frozen"] = True
    results["tiers"] = {"laundered": {"i1": dict(results["pairs"]["i1"], frozen=True),
                                      "i2": dict(results["pairs"]["i2"])}}  # fmt: skip
    info = seal(results, tmp_path)
    assert "d1" not in results["pairs"] and "i1" not in results["tiers"]["laundered"]
    assert "i2" in results["tiers"]["laundered"]
    assert info["counts"] == {"plain": {"scored": 1, "pairs": 1}, "laundered": {"scored": 1, "pairs": 1}}
    sealed = json.loads((tmp_path / "frozen-results.json").read_text())
    assert set(sealed["plain"]) == {"d1"} and set(sealed["laundered"]) == {"i1"}
    # Nothing sealed reaches the metrics or the report.
    results["metrics"] = compute_metrics(results["pairs"], ["memaudit"])
    results["frozen"] = {"families": ["awk"], **info}
    text = render(results, ["d1", "d2", "i1", "i2", "m1"])
    assert "| d1 |" not in text and "families awk" in text and "plain: 1 of 1" in text


def test_the_verdict_probability_is_scored_as_its_own_column():
    results = _synthetic_results()
    for pid, p in (("d1", 0.9), ("d2", 0.2), ("i1", 0.1), ("i2", 0.3)):
        results["pairs"][pid]["tools"]["memaudit"]["details"] = {"probability": p}
    metrics = compute_metrics(results["pairs"], ["memaudit"])
    # d1 0.9 beats both; d2 0.2 beats i1 only: 3 of 4 orderings.
    assert metrics["memaudit-verdict"]["all"]["auc"] == pytest.approx(0.75)
    results["metrics"] = metrics
    results["tier_metrics"] = {"laundered": metrics}
    text = render(results, ["d1", "d2", "i1", "i2"])
    assert "## Tiers side by side" in text and "memaudit verdict P" in text
    assert text.count("**0.750**") >= 2  # the plain and the laundered row


def test_fetch_side_unpacks_selects_strips_and_records(tmp_path, monkeypatch):
    """The whole fetch step of one side, with the registry download replaced by a local archive in
    the npm layout (package/...): unpack, select by path, strip tests and data tables, record."""
    import io
    import json
    import tarfile

    from bench import fetch
    from bench.manifest import Side

    files = {
        "package/lib/deflate.js": "function deflate(input) {\n  return input.length > 3 ? input : null;\n}\n",
        "package/lib/util.js": "exports.add = function (a, b) { return a + b; };\n",
        "package/lib/table.js": "module.exports = [" + ", ".join(str(i * 7919 % 9973) for i in range(800)) + "];\n",
        "package/test/deflate.test.js": "require('../lib/deflate');\n",
        "package/README.md": "# port of zlib\n",
    }
    archive = tmp_path / "pkg-1.0.0.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))

    def fake_npm(pkg: str, work):
        root = work / "unpacked"
        fetch.unpack(archive, root)
        return "1.0.0", [archive], root / "package"

    monkeypatch.setitem(fetch.FETCHERS, "npm", fake_npm)
    side = Side(lang="javascript", how="npm", pkg="pkg@1.0.0", path="lib test")
    record = fetch.fetch_side(side, tmp_path / "cache", fetch.language_extensions(), log=lambda m: None)
    assert record["error"] is None and record["version"] == "1.0.0"
    assert [f["path"] for f in record["files"]] == ["lib/deflate.js", "lib/util.js"]
    reasons = {s["path"]: s["reason"] for s in record["stripped"]}
    assert reasons["lib/table.js"].startswith("literal data table")
    assert "test" in reasons["test/deflate.test.js"]
    kept = Path(record["dir"]) / "lib" / "deflate.js"
    assert kept.read_text() == files["package/lib/deflate.js"]
    assert record["files"][0]["sha256"] == __import__("hashlib").sha256(kept.read_bytes()).hexdigest()
    # A second fetch reuses the extracted side without downloading again.
    monkeypatch.setitem(fetch.FETCHERS, "npm", lambda pkg, work: (_ for _ in ()).throw(AssertionError("downloaded twice")))
    assert fetch.fetch_side(side, tmp_path / "cache", fetch.language_extensions(), log=lambda m: None) == json.loads(
        (tmp_path / "cache" / "sides" / f"{side.id}.json").read_text())


def test_unpack_refuses_members_outside_the_destination(tmp_path):
    import zipfile

    from bench.fetch import FetchError, unpack

    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../escape.c", "int x;\n")
    with pytest.raises(FetchError, match="unsafe member"):
        unpack(bad, tmp_path / "out")
    assert not (tmp_path / "escape.c").exists()
