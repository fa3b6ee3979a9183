"""The command as a user runs it: exit codes, one-line errors, JSON schema, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from .conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "docs" / "schema" / "compare.schema.json").read_text())

C_PROGRAM = """\
#include <stdio.h>

static int count_words(const char *text) {
    int words = 0, inside = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ' ' || *p == '\\n') {
            inside = 0;
        } else if (!inside) {
            inside = 1;
            words++;
        }
    }
    return words;
}

static long checksum(const unsigned char *data, long n) {
    long sum = 0;
    for (long i = 0; i < n; i++) {
        sum = (sum * 31 + data[i]) % 1000003;
        if (sum < 0) {
            sum += 1000003;
        }
    }
    return sum;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s TEXT\\n", argv[0]);
        return 2;
    }
    printf("%d %ld\\n", count_words(argv[1]), checksum((const unsigned char *)argv[1], 5));
    return 0;
}
"""


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture
def pair(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "words.c").write_text(C_PROGRAM)
    renamed = C_PROGRAM.replace("count_words", "nwords").replace("checksum", "digest").replace("inside", "in_word")
    (b / "main.c").write_text("/* rewritten */\n" + renamed)
    return a, b


def test_help_is_fast_and_lists_commands():
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "memaudit", "--help"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0
    for command in ("compare", "languages", "debug"):
        assert command in proc.stdout
    # Heavy libraries are imported lazily: numpy, tree-sitter, datasketch must not load for --help.
    check = subprocess.run(
        [sys.executable, "-c", "import sys, memaudit.cli; print(sorted(m for m in ('numpy','tree_sitter','datasketch','sklearn','rich') if m in sys.modules))"],
        capture_output=True, text=True,
    )
    assert check.stdout.strip() == "[]"
    assert elapsed < 2.0  # generous for loaded CI machines; typically about 0.2 s


def test_compare_json_validates_and_is_byte_identical(pair, tmp_path):
    a, b = pair
    first = run_cli("compare", str(a), str(b), "--json", "-", "--quiet")
    second = run_cli("compare", str(a), str(b), "--json", "-", "--quiet")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    report = json.loads(first.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["summary"]["similarity"] > 0.8
    frag = report["fragments"][0]
    assert frag["original"]["path"] == "words.c" and frag["submission"]["path"] == "main.c"
    # The submission has one extra line at the top.
    assert frag["submission"]["start_line"] == frag["original"]["start_line"] + 1


def test_compare_writes_json_file_and_terminal_report(pair, tmp_path):
    a, b = pair
    out = tmp_path / "r.json"
    proc = run_cli("compare", str(a), str(b), "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "structural similarity" in proc.stdout
    assert "words.c:" in proc.stdout
    jsonschema.validate(json.loads(out.read_text()), SCHEMA)


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        h.update(f"{path}:{st.st_mode}:{st.st_mtime_ns}".encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def test_inputs_are_never_modified(pair):
    a, b = pair
    before = tree_digest(a.parent)
    assert run_cli("compare", str(a), str(b), "--quiet").returncode == 0
    assert tree_digest(a.parent) == before


@pytest.mark.parametrize(
    "setup, expected",
    [
        ("missing", "no such file or directory"),
        ("empty", "empty directory"),
        ("unsupported", "no supported source files"),
        ("binary", "binary file"),
        ("loop", "symlink loop"),
    ],
)
def test_unusable_inputs_exit_3_with_one_line(tmp_path, pair, setup, expected):
    a, _ = pair
    bad = tmp_path / "bad"
    if setup == "empty":
        bad.mkdir()
    elif setup == "unsupported":
        bad.mkdir()
        (bad / "notes.txt").write_text("hello")
    elif setup == "binary":
        bad = tmp_path / "bad.c"
        bad.write_bytes(b"\x00\x01binary")
    elif setup == "loop":
        os.symlink(tmp_path / "bad2", bad)
        os.symlink(bad, tmp_path / "bad2")
    proc = run_cli("compare", str(a), str(bad))
    assert proc.returncode == 3
    line = one_line_error(proc)
    assert line.startswith("memaudit: error: ") and expected in line


def test_bad_option_and_unknown_language_exit_codes(pair):
    a, b = pair
    assert run_cli("compare", str(a), str(b), "--k", "0").returncode == 2
    proc = run_cli("compare", str(a), str(b), "--language", "cobol")
    assert proc.returncode == 4
    assert "unknown language 'cobol'" in one_line_error(proc)


def test_damaged_files_warn_and_continue(pair, tmp_path):
    a, b = pair
    (b / "broken.c").write_text("int f( { {{ ]] ;; return )\n" * 50)
    (b / "latin1.c").write_bytes("/* caf\xe9 */ int g(void) { return 1; }\n".encode("latin-1"))
    big = b / "huge.c"
    big.write_bytes(b"int x;\n" * (8 * 1024 * 1024))  # 56 MB of valid C
    proc = run_cli("compare", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("memaudit: warning:")]
    assert any("broken.c" in w and "syntax errors" in w for w in warnings)
    assert any("latin1.c" in w and "UTF-8" in w for w in warnings)
    assert any("huge.c" in w and "larger than 10 MB" in w for w in warnings)


def test_languages_and_debug_dumps(pair):
    import re

    a, b = pair
    proc = run_cli("languages")
    assert proc.returncode == 0
    listed = re.findall(r"^│ (\w+)\s+│", proc.stdout, re.M)
    from memaudit.languages import all_specs

    assert listed == sorted(all_specs())
    proc = run_cli("debug", "tokens", str(a / "words.c"))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "# words.c: c, 129 tokens, 0 parse errors, 3 functions"
    # count_words starts on line 3: a function token, then its name.
    assert lines[1:3] == ["0\t3\tfunction\tfunction_definition\t", "1\t3\tidentifier\tidentifier\tcount_words"]
    assert len(lines) == 1 + 129
    functions = run_cli("debug", "functions", str(a / "words.c")).stdout.splitlines()
    assert [line.split("\t")[:3] for line in functions[2:]] == [
        ["count_words", "count_words", "3-14"], ["checksum", "checksum", "16-25"], ["main", "main", "27-34"],
    ]  # fmt: skip
    assert functions[2].split("\t")[4].startswith("function identifier parameter")
    fingerprints = run_cli("debug", "fingerprints", str(a / "words.c"), "--k", "5", "--window", "4").stdout.splitlines()
    assert fingerprints[1] == "# k=5 window=4: 125 k-grams, " + fingerprints[1].split(", ")[1]
    assert all(re.fullmatch(r"[0-9a-f]{16}\t\d+\t\d+-\d+", line) for line in fingerprints[3:])
    channels = run_cli("debug", "channels", str(a), str(b), "--channel", "identifiers").stdout
    assert "## identifiers v1: score" in channels and "## layout" not in channels
    assert "\tsum\tsum\t" in channels and "\tinside\tinside\t" not in channels  # inside was renamed
    assert run_cli("debug", "channels", str(a), str(b), "--channel", "nope").returncode == 3


def test_several_submissions_share_one_index_and_validate(pair, tmp_path):
    from referencing import Registry, Resource

    a, b = pair
    c = tmp_path / "c"
    c.mkdir()
    (c / "other.c").write_text("int main(void) { int s = 0; while (s < 10) s++; return s; }\n")
    proc = run_cli("compare", str(a), str(b), str(c), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    batch = json.loads((ROOT / "docs" / "schema" / "batch.schema.json").read_text())
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    jsonschema.Draft202012Validator(batch, registry=registry).validate(doc)
    roots = [r["submission"]["root"] for r in doc["reports"]]
    assert roots == [str(b), str(c)]  # input order, not ranking order
    assert doc["reports"][0]["summary"]["similarity"] > doc["reports"][1]["summary"]["similarity"]
    # Each report equals the single comparison of that pair, whatever else is in the batch.
    single = json.loads(run_cli("compare", str(a), str(b), "--json", "-", "--quiet").stdout)
    assert doc["reports"][0] == single
    go = tmp_path / "go"
    go.mkdir()
    (go / "main.go").write_text("package main\n\nfunc main() {\n\tfor i := 0; i < 3; i++ {\n\t\tprintln(i)\n\t}\n}\n")
    mixed = json.loads(run_cli("compare", str(a), str(b), str(go), "--json", "-", "--quiet").stdout)
    assert mixed["reports"][0] == single
    assert mixed["reports"][1]["parameters"]["k"] == 10  # the cross-language pair gets its own k
    assert "most likely derived first" in proc.stderr


def test_documented_options_match_the_real_help():
    import re

    doc = (ROOT / "docs" / "cli.md").read_text()
    section = doc.split("## `memaudit compare`", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(--[a-z-]+)", section, re.M))
    proc = run_cli("compare", "--help")
    shown = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", proc.stdout)) - {"--help"}
    assert documented == shown, (documented ^ shown)


def test_missing_or_incompatible_reference_data_exits_4(pair, tmp_path):
    import os
    import subprocess
    import sys

    a, b = pair
    model = json.loads((ROOT / "fingerprints" / "verdict-model.json").read_text())
    model["features"] = model["features"][:-1]
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps(model))
    good = json.loads((ROOT / "fingerprints" / "verdict-model.json").read_text())
    del good["platt"]
    no_platt = tmp_path / "no_platt.json"
    no_platt.write_text(json.dumps(good))
    a_list = tmp_path / "list.json"
    a_list.write_text("[1, 2]")
    for env, expected in (
        ({"MEMAUDIT_MODEL": str(tmp_path / "none.json")}, "verdict model missing (rebuild: python -m bench.train)"),
        ({"MEMAUDIT_MODEL": str(bad)}, "model features"),
        ({"MEMAUDIT_RARITY_TABLE": str(tmp_path / "none.json")}, "identifier rarity table missing"),
        ({"MEMAUDIT_MODEL": str(no_platt)}, "malformed verdict model (KeyError"),
        ({"MEMAUDIT_MODEL": str(a_list)}, "model format 'list'"),
        ({"MEMAUDIT_RARITY_TABLE": str(a_list)}, "malformed rarity table"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "memaudit", "compare", str(a), str(b)],
            capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT,
        )
        assert proc.returncode == 4, proc.stderr
        assert expected in one_line_error(proc)


def _refused(env: dict[str, str], pair) -> str:
    a, b = pair
    proc = subprocess.run(
        [sys.executable, "-m", "memaudit", "compare", str(a), str(b)],
        capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    return one_line_error(proc)


def test_a_model_built_with_other_settings_is_refused(pair, tmp_path):
    """The model is pinned to the rarity table, the category set, every grammar and every
    evidence channel it was trained with; any difference is refused with one line."""
    model = json.loads((ROOT / "fingerprints" / "verdict-model.json").read_text())
    table = json.loads((ROOT / "fingerprints" / "identifier-rarity.json").read_text())
    table["subwords"], table["identifiers"] = {}, {}
    emptied = tmp_path / "rarity.json"
    emptied.write_text(json.dumps(table))
    assert "identifier rarity table differs" in _refused({"MEMAUDIT_RARITY_TABLE": str(emptied)}, pair)

    def variant(name: str, change) -> str:
        doc = json.loads(json.dumps(model))
        change(doc["manifest"])
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        return str(path)

    cases = {
        "category set 0 != 1": lambda m: m.update(category_set_version=0),
        "tree-sitter-go 0.": lambda m: m["grammars"]["go"].update(version="0.1.0"),
        "grammars/rust.toml tokenization changed": lambda m: m["grammars"]["rust"].update(tokens_sha256="0" * 64),
        "evidence channels": lambda m: m["channels"].update(layout=m["channels"]["layout"] + 1),
    }
    for expected, change in cases.items():
        message = _refused({"MEMAUDIT_MODEL": variant(expected[:8], change)}, pair)
        assert expected in message and "rebuild: python -m bench.train" in message, message
    # A patch release of a grammar is the same series: accepted.
    series = variant("patch", lambda m: m["grammars"]["go"].update(version=m["grammars"]["go"]["version"] + ".9"))
    a, b = pair
    ok = subprocess.run([sys.executable, "-m", "memaudit", "compare", str(a), str(b), "-q"],
                        capture_output=True, text=True, env={**os.environ, "MEMAUDIT_MODEL": series}, cwd=ROOT)  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def test_fail_on_gates_on_the_verdict(tmp_path):
    """--fail-on exits 1 when a verdict reaches the label, 0 when none does."""
    copy = run_cli("compare", "examples/original", "examples/original", "--fail-on", "suspicious", "-q", "--json", "-")
    assert copy.returncode == 1, copy.stderr
    assert json.loads(copy.stdout)["verdict"]["label"] in ("memorized", "suspicious")
    assert copy.stderr.strip() == "memaudit: --fail-on suspicious: examples/original"
    honest = run_cli("compare", "examples/original", "examples/independent-rust", "--spec", "examples/spec",
                     "--fail-on", "suspicious", "-q", "--json", "-")  # fmt: skip
    assert honest.returncode == 0, honest.stderr
    assert json.loads(honest.stdout)["verdict"]["label"] in ("inconclusive", "independent")
    batch = run_cli("compare", "examples/original", "examples/independent-rust", "examples/original",
                    "--fail-on", "memorized", "-q")  # fmt: skip
    assert batch.returncode == 1 and batch.stderr.strip().endswith(": examples/original")
    assert run_cli("compare", "examples/original", "examples/original", "--fail-on", "independent").returncode == 2


def test_null_replaces_the_default_band(tmp_path):
    """--null audits each implementation like a submission and places the submission among them."""
    proc = run_cli("compare", "examples/original", "examples/translated-rust", "--null", "examples/independent-rust",
                   "--null", "examples/translated-python", "--json", "-", "-q")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)["verdict"]
    null = verdict["null"]
    assert null["source"] == "--null"
    assert null["ids"] == ["examples/independent-rust", "examples/translated-python"]
    # Each null decision is that implementation's own verdict decision as a submission.
    for path, decision in zip(null["ids"], null["decisions"]):
        alone = json.loads(run_cli("compare", "examples/original", path, "--json", "-", "-q").stdout)
        assert alone["verdict"]["decision"] == decision
    below = sum(1 for d in null["decisions"] if d <= verdict["decision"])
    assert null["percentile"] == 100.0 * below / 2
    default = json.loads(run_cli("compare", "examples/original", "examples/translated-rust", "--json", "-", "-q").stdout)
    assert default["verdict"]["null"]["source"] == "bench" and len(default["verdict"]["null"]["ids"]) > 2


def test_html_is_written_by_the_command_and_needs_one_submission(tmp_path):
    out = tmp_path / "report.html"
    proc = run_cli("compare", "examples/original", "examples/translated-rust", "--html", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'class="verdict v-none"' not in page
    assert "memaudit compare examples/original examples/translated-rust --html" in page
    assert not list(tmp_path.glob(".memaudit-*"))  # written atomically: no temporary file left
    two = run_cli("compare", "examples/original", "examples/translated-rust", "examples/translated-python",
                  "--html", str(tmp_path / "x.html"))  # fmt: skip
    assert two.returncode == 2 and not (tmp_path / "x.html").exists()
    unwritable = run_cli("compare", "examples/original", "examples/translated-rust", "--html", str(tmp_path / "no" / "r.html"))
    assert unwritable.returncode == 5
    assert one_line_error(unwritable) == f"memaudit: error: cannot write {tmp_path / 'no' / 'r.html'}: No such file or directory"
