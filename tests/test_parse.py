from __future__ import annotations

import shutil

import pytest

from memaudit import languages, parse
from memaudit.categories import CATEGORIES, CATEGORY_CODES, CATEGORY_SET_VERSION, category_name
from memaudit.core import FunctionInfo, SourceFile
from memaudit.errors import GrammarError
from memaudit.languages import grammar_dir

from .conftest import run_cli


def parse_c(text: str):
    data = text.encode()
    return parse.parse_bytes(data, SourceFile("t.c", "t.c", "c", len(data)))


def tokens(p, data: bytes) -> list[tuple[str, str, int, int]]:
    """(category, covered text, start line, end line) per token."""
    return [
        (category_name(c), data[s:e].decode(), a, b)
        for c, s, e, a, b in zip(
            p.categories.tolist(),
            p.start_bytes.tolist(),
            p.end_bytes.tolist(),
            p.start_lines.tolist(),
            p.end_lines.tolist(),
        )
    ]


def test_tokens_carry_categories_and_line_spans():
    src = "int f(int a) {\n  if (a == 1)\n    return a + 2;\n  return 0;\n}\n"
    p = parse_c(src)
    # From grammars/c.toml, in pre-order: function_definition -> function, the name (identifier),
    # parameter_declaration -> parameter (its `int` is unmapped), its identifier, if_statement ->
    # branch, `==` -> compare, number_literal -> number, return_statement -> return, `+` -> arith.
    # Unmapped: primitive_type, function_declarator, compound_statement, the `if`/`return` keywords,
    # parenthesized/binary expressions and punctuation. Inner nodes cover only their start ("").
    assert tokens(p, src.encode()) == [
        ("function", "", 1, 1),
        ("identifier", "f", 1, 1),
        ("parameter", "", 1, 1),
        ("identifier", "a", 1, 1),
        ("branch", "", 2, 2),
        ("identifier", "a", 2, 2),
        ("compare", "==", 2, 2),
        ("number", "1", 2, 2),
        ("return", "", 3, 3),
        ("identifier", "a", 3, 3),
        ("arith", "+", 3, 3),
        ("number", "2", 3, 3),
        ("return", "", 4, 4),
        ("number", "0", 4, 4),
    ]
    assert p.n_tokens == 14 and p.n_errors == 0 and p.n_lines == 5 and not p.invalid_utf8
    assert p.functions == (FunctionInfo("f", 1, 5, 0, 14),)
    assert [(o.text, o.start_line) for o in p.identifiers] == [("f", 1), ("a", 1), ("a", 2), ("a", 3)]
    assert [(o.text, o.start_line) for o in p.numbers] == [("1", 2), ("2", 3), ("0", 4)]
    assert p.strings == () and p.comments == ()


def test_operators_map_as_anonymous_tokens_and_comments_are_ignored():
    src = 'x = a[i] << 2; /* note */ s.f = "hi";\n'
    p = parse_c(src)
    assert tokens(p, src.encode()) == [
        ("identifier", "x", 1, 1),
        ("assign", "=", 1, 1),
        ("index", "", 1, 1),
        ("identifier", "a", 1, 1),
        ("identifier", "i", 1, 1),
        ("bitwise", "<<", 1, 1),
        ("number", "2", 1, 1),
        ("field", "", 1, 1),
        ("identifier", "s", 1, 1),
        ("identifier", "f", 1, 1),
        ("assign", "=", 1, 1),
        ("string", "", 1, 1),  # string_literal has a string_content child: an inner node
    ]
    assert [o.text for o in p.comments] == ["/* note */"]
    assert [o.text for o in p.strings] == ['"hi"']


def test_syntax_errors_are_counted_not_fatal():
    # A missing operand: one MISSING node, both functions still found.
    src = "int f(void) { return 1 + ; }\n\nint g(void) { return 2; }\n"
    p = parse_c(src)
    assert p.n_errors == 1
    assert [(f.name, f.start_line, f.end_line) for f in p.functions] == [("f", 1, 1), ("g", 3, 3)]
    assert [t[0] for t in tokens(p, src.encode())] == [
        "function", "identifier", "parameter", "return", "number", "arith",
        "function", "identifier", "parameter", "return", "number",
    ]  # fmt: skip


def test_tokens_inside_error_nodes_are_kept():
    # An unclosed parameter list: tree-sitter-c wraps everything in ERROR nodes (two ERRORs and a
    # MISSING identifier); the tokens inside them still count, and no function is recognised.
    src = "int f( { return 1 +; }\nint g(void) { return 2; }\n"
    p = parse_c(src)
    assert p.n_errors == 3
    assert [(t[0], t[2]) for t in tokens(p, src.encode())] == [
        ("identifier", 1), ("return", 1), ("number", 1), ("arith", 1),
        ("parameter", 2), ("identifier", 2), ("parameter", 2), ("return", 2), ("number", 2),
    ]  # fmt: skip
    assert p.functions == ()


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
    path.write_text(
        path.read_text().replace('comments = "(comment) @comment"', 'comments = "(no_such_node) @comment"')
    )
    with pytest.raises(GrammarError, match=r"c\.toml: query 'comments' does not compile"):
        parse.load_grammar("c")


def test_unknown_node_kind_fails(grammar_copy):
    path = grammar_copy / "c.toml"
    path.write_text(path.read_text().replace("if_statement = ", "if_stmt = "))
    with pytest.raises(GrammarError, match=r"no node kind 'if_stmt'"):
        parse.load_grammar("c")


def test_bad_grammar_exits_4_from_the_cli(grammar_copy):
    path = grammar_copy / "rust.toml"
    text = path.read_text()
    assert text.count("\n[queries]\n") == 1
    # Into [queries] explicitly (the file's last table is not necessarily [queries]).
    path.write_text(text.replace("\n[queries]\n", '\n[queries]\nbogus = "(identifier) @x"\n'))
    proc = run_cli("languages")
    assert proc.returncode == 4
    assert proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("memaudit: error: ") and "rust.toml: unknown" in line
    assert "queries" in line and "bogus" in line
    assert "Traceback" not in proc.stderr


def test_category_codes_are_stable():
    # Stored fingerprints hash these codes: appending is allowed, renumbering is not. The full
    # order is pinned here, so a reordering or an insertion fails.
    assert CATEGORIES[:37] == (
        "function", "lambda", "parameter", "type_decl", "field_decl", "var_decl", "import",
        "branch", "else", "switch", "case", "loop", "break", "continue", "jump", "return", "raise",
        "try", "catch", "yield",
        "call", "assign", "compare", "arith", "bitwise", "logic", "unary", "index", "field", "cast",
        "construct", "collection",
        "identifier", "string", "number", "bool", "null",
    )  # fmt: skip
    # Appending a category bumps CATEGORY_SET_VERSION: update both numbers here together.
    assert (len(CATEGORIES), CATEGORY_SET_VERSION) == (37, 1)
    assert sorted(CATEGORY_CODES.values()) == list(range(1, len(CATEGORIES) + 1))
    assert all(category_name(code) == name for name, code in CATEGORY_CODES.items())
    assert category_name(0) == "-"


def test_missing_node_before_any_token_does_not_crash_or_shift_ends():
    # A MISSING node first (tree-sitter inserts an identifier before "="): no token for it, and no
    # write to a previous token's end.
    data = b"= 1"
    p = parse.parse_bytes(data, SourceFile("a.go", "a.go", "go", len(data)))
    assert p.n_errors == 1
    assert tokens(p, data) == [("assign", "=", 1, 1), ("number", "1", 1, 1)]
    q = parse_c("int = 5;\n")
    assert q.n_errors == 1
    # declaration -> var_decl (inner: start only); no token for the MISSING declarator.
    assert list(
        zip((category_name(c) for c in q.categories.tolist()), q.start_bytes.tolist(), q.end_bytes.tolist())
    ) == [
        ("var_decl", 0, 0),
        ("assign", 4, 5),
        ("number", 6, 7),
    ]
