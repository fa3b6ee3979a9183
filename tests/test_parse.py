from __future__ import annotations

import shutil

import pytest

from memaudit import languages, parse
from memaudit.categories import CATEGORY_CODES, category_name
from memaudit.core import SourceFile
from memaudit.errors import GrammarError
from memaudit.languages import grammar_dir

from .conftest import run_cli


def parse_c(text: str):
    data = text.encode()
    return parse.parse_bytes(data, SourceFile("t.c", "t.c", "c", len(data)))


def test_tokens_carry_categories_and_line_spans():
    p = parse_c("int f(int a) {\n  if (a == 1)\n    return a + 2;\n  return 0;\n}\n")
    names = [category_name(c) for c in p.categories.tolist()]
    assert names[:3] == ["function", "identifier", "parameter"]
    assert "compare" in names and "arith" in names and names.count("return") == 2
    i = names.index("compare")
    assert p.start_lines[i] == 2
    # An inner node covers only its first line; a leaf its own extent.
    assert p.start_lines[0] == p.end_lines[0] == 1
    assert p.functions[0].name == "f" and (p.functions[0].start_line, p.functions[0].end_line) == (1, 5)


def test_syntax_errors_are_counted_not_fatal():
    p = parse_c("int f( { return 1 +; }\nint g(void) { return 2; }\n")
    assert p.n_errors > 0
    assert any(f.name == "g" for f in p.functions) or p.n_tokens > 5


def test_invalid_utf8_is_flagged_and_decoded_with_replacement():
    data = b"/* caf\xe9 */ int x = 1;\n"
    p = parse.parse_bytes(data, SourceFile("t.c", "t.c", "c", len(data)))
    assert p.invalid_utf8
    assert "\ufffd" in p.comments[0].text


@pytest.fixture
def grammar_copy(tmp_path, monkeypatch):
    """A private copy of the grammar directory, with the loaders' caches reset around the test."""
    target = tmp_path / "grammars"
    shutil.copytree(grammar_dir(), target)
    monkeypatch.setenv("MEMAUDIT_GRAMMARS", str(target))
    for cached in (languages.all_specs, languages.extension_map, parse.load_grammar, parse._parser):
        cached.cache_clear()
    yield target
    monkeypatch.delenv("MEMAUDIT_GRAMMARS")
    for cached in (languages.all_specs, languages.extension_map, parse.load_grammar, parse._parser):
        cached.cache_clear()


def test_unknown_category_fails_naming_the_file(grammar_copy):
    path = grammar_copy / "go.toml"
    path.write_text(path.read_text().replace('if_statement = "branch"', 'if_statement = "conditional"'))
    with pytest.raises(GrammarError, match=r"go\.toml: unknown categories: if_statement = 'conditional'"):
        languages.all_specs()


def test_query_that_does_not_compile_fails_naming_the_file(grammar_copy):
    path = grammar_copy / "c.toml"
    path.write_text(path.read_text().replace('comments = "(comment) @comment"', 'comments = "(no_such_node) @comment"'))
    with pytest.raises(GrammarError, match=r"c\.toml: query 'comments' does not compile"):
        parse.load_grammar("c")


def test_unknown_node_kind_fails(grammar_copy):
    path = grammar_copy / "c.toml"
    path.write_text(path.read_text().replace("if_statement = ", "if_stmt = "))
    with pytest.raises(GrammarError, match=r"no node kind 'if_stmt'"):
        parse.load_grammar("c")


def test_bad_grammar_exits_4_from_the_cli(grammar_copy):
    path = grammar_copy / "rust.toml"
    path.write_text(path.read_text() + "\nbogus = 1\n")
    proc = run_cli("languages")
    assert proc.returncode == 4
    assert "rust.toml: unknown queries ['bogus']" in proc.stderr  # appended into [queries]
    assert "Traceback" not in proc.stderr


def test_category_codes_are_stable():
    # Stored fingerprints hash these codes: appending is allowed, renumbering is not.
    assert CATEGORY_CODES["function"] == 1 and CATEGORY_CODES["identifier"] == 33


def test_missing_node_before_any_token_does_not_crash_or_shift_ends():
    # A MISSING node first (tree-sitter inserts an identifier before "="): no token for it, and no
    # write to a previous token's end.
    data = b"= 1"
    p = parse.parse_bytes(data, SourceFile("a.go", "a.go", "go", len(data)))
    assert p.n_errors >= 1
    q = parse_c("int = 5;\n")
    for i in range(q.n_tokens):
        if q.end_bytes[i] != q.start_bytes[i]:  # leaves only
            assert q.end_bytes[i] > q.start_bytes[i]
    decl = [i for i in range(q.n_tokens) if category_name(int(q.categories[i])) == "var_decl"]
    assert all(q.end_bytes[i] == q.start_bytes[i] for i in decl)  # inner node: start only
