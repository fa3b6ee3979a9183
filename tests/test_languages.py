"""The conformance suite every grammar file passes (JPlag-style): declaring a language's fixtures
is all its test needs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from memaudit import languages
from memaudit.categories import CATEGORY_CODES
from memaudit.compare import compare_trees, load_trees
from memaudit.errors import ExitCode, GrammarError
from memaudit.languages import METADATA_FIELDS, SCHEMA, TOKEN_FIELDS, all_specs, load_spec
from memaudit.parse import load_grammar, parse_source_file
from memaudit.discover import discover

from .conftest import FIXTURES, run_cli

LANGUAGES = sorted(all_specs())
REQUIRED = {"c", "cpp", "go", "rust", "java", "haskell", "python", "ocaml", "ada", "javascript", "typescript"}


def fixture(language: str, stem: str) -> Path:
    spec = all_specs()[language]
    for ext in spec.extensions:
        path = FIXTURES / "languages" / language / f"{stem}{ext}"
        if path.exists():
            return path
    pytest.fail(f"missing fixture {stem}.* for {language}")


def test_all_required_languages_have_grammar_files():
    assert REQUIRED <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_grammar_loads_and_queries_compile(language):
    grammar = load_grammar(language)
    assert {"functions", "identifiers", "strings", "comments", "texts"} == set(grammar.queries)


@pytest.mark.parametrize("language", LANGUAGES)
def test_fixtures_parse_cleanly_and_queries_find_items(language):
    parsed = parse_source_file(discover(str(fixture(language, "program"))).files[0])
    assert parsed.n_errors == 0
    assert parsed.n_tokens > 200
    assert parsed.functions and all(f.name for f in parsed.functions[:1])
    assert parsed.identifiers and parsed.strings and parsed.comments
    # Functions map onto token ranges inside the file.
    for fn in parsed.functions:
        assert 0 <= fn.first_token <= fn.end_token <= parsed.n_tokens
        assert fn.start_line <= fn.end_line <= parsed.n_lines


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mapped_category_occurs_in_fixtures(language):
    mapped = {CATEGORY_CODES[c] for c in all_specs()[language].categories.values()}
    seen: set[int] = set()
    for stem in ("program", "renamed", "unrelated"):
        parsed = parse_source_file(discover(str(fixture(language, stem))).files[0])
        seen |= set(parsed.categories.tolist())
    missing = {name for name, code in CATEGORY_CODES.items() if code in mapped - seen}
    assert not missing, f"{language}: categories mapped but absent from the fixtures: {sorted(missing)}"


def _similarity(language: str, a: str, b: str) -> float:
    ta, tb = load_trees([str(fixture(language, a)), str(fixture(language, b))], jobs=1)
    return compare_trees(ta, tb).similarity


@pytest.mark.parametrize("language", LANGUAGES)
def test_renamed_and_reformatted_copy_fingerprints_nearly_identically(language):
    assert _similarity(language, "program", "renamed") >= 0.9


@pytest.mark.parametrize("language", LANGUAGES)
def test_unrelated_program_scores_low(language):
    assert _similarity(language, "program", "unrelated") <= 0.3


# --- the grammar file schema ------------------------------------------------------------------

MINIMAL = '''
name = "toy"
extensions = [".toy"]
module = "tree_sitter_go"

[categories]
identifier = "identifier"

[queries]
functions = "(function_declaration) @function"
identifiers = "(identifier) @identifier"
strings = "(interpreted_string_literal) @string"
comments = "(comment) @comment"
'''


def _grammar(tmp_path: Path, text: str, name: str = "toy") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(GrammarError) as info:
        load_spec(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    assert info.value.exit_code == ExitCode.CONFIG
    return message


def test_minimal_grammar_loads_with_defaults(tmp_path):
    spec = load_spec(_grammar(tmp_path, MINIMAL))
    assert (spec.name, spec.display_name, spec.extensions) == ("toy", "toy", (".toy",))
    assert (spec.entry_point, spec.k, spec.window, spec.ignore, spec.test_globs) == ("language", 15, 10, (), ())
    assert (spec.pygments_lexer, dict(spec.tools), dict(spec.rarity)) == (None, {}, {})


def test_metadata_tables_load(tmp_path):
    text = MINIMAL.replace('module = "tree_sitter_go"', 'module = "tree_sitter_go"\npygments_lexer = "go"')
    text += '\n[tools]\ndolos = "go"\n\n[rarity]\napt-dev = ["golang-x-dev"]\nnpm = ["left-pad==1.3.0"]\n'
    spec = load_spec(_grammar(tmp_path, text))
    assert spec.pygments_lexer == "go"
    assert dict(spec.tools) == {"dolos": "go"}
    assert dict(spec.rarity) == {"apt-dev": ("golang-x-dev",), "npm": ("left-pad==1.3.0",)}


def test_unknown_top_level_key(tmp_path):
    path = _grammar(tmp_path, MINIMAL.replace('name = "toy"', 'name = "toy"\ncolour = "red"'))
    assert "unknown key colour" in _problems(path)


@pytest.mark.parametrize(
    "table, key",
    [("tools", 'dolo = "go"'), ("rarity", 'apt = ["bash"]'), ("queries", 'texts = "(comment) @comment"')],
)
def test_unknown_nested_key(tmp_path, table, key):
    if f"[{table}]\n" in MINIMAL:
        text = MINIMAL.replace(f"[{table}]\n", f"[{table}]\n{key}\n")
    else:
        text = MINIMAL + f"\n[{table}]\n{key}\n"
    message = _problems(_grammar(tmp_path, text))
    assert f"unknown key {table}.{key.split()[0]}" in message


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ('module = "tree_sitter_go"', 'module = "tree_sitter_go"\nk = "15"', "k must be an integer, not a string ('15')"),
        ('module = "tree_sitter_go"', 'module = "tree_sitter_go"\nk = true', "k must be an integer, not a boolean (True)"),
        ('extensions = [".toy"]', 'extensions = ".toy"', "extensions must be an array, not a string ('.toy')"),
        (
            'extensions = [".toy"]',
            'extensions = [".toy", 3]',
            "every element of extensions must be a string: extensions[1] is an integer (3)",
        ),
        (
            'identifier = "identifier"',
            "identifier = 1",
            "every value of categories must be a string: categories.identifier is an integer (1)",
        ),
        (
            'identifier = "identifier"',
            'identifier = "ident"',
            f"unknown categories: identifier = 'ident' (allowed: {', '.join(CATEGORY_CODES)})",
        ),
        ('extensions = [".toy"]', 'extensions = [".TOY"]', "extensions: '.TOY' does not match /\\.[a-z0-9_+.-]+/"),
        ('module = "tree_sitter_go"', 'module = "tree_sitter_go"\nwindow = 0', "window must be in 1..100, not 0"),
        (
            "[queries]",
            "[queries.functions]",
            # The table where a string was expected, then the queries it swallowed.
            "queries.functions must be a string, not a table ({'functions': '(function_declaration) @function', "
            "'identifiers': '(identifier) @identifier', 'strings': '(interpreted_string_literal) @string', "
            "'comments': '(comment) @comment'}); missing key queries.identifiers; missing key queries.strings; "
            "missing key queries.comments",
        ),
    ],
)
def test_wrong_type_or_value(tmp_path, old, new, problem):
    assert old in MINIMAL
    path = _grammar(tmp_path, MINIMAL.replace(old, new, 1))
    assert _problems(path) == f"{path}: {problem}"


@pytest.mark.parametrize("key", ["name", "extensions", "module"])
def test_missing_required_key(tmp_path, key):
    text = "\n".join(line for line in MINIMAL.splitlines() if not line.startswith(f"{key} = "))
    assert f"missing key {key}" in _problems(_grammar(tmp_path, text))


def test_missing_required_table_and_query(tmp_path):
    text = MINIMAL.replace('comments = "(comment) @comment"\n', "")
    text = text.replace('[categories]\nidentifier = "identifier"\n', "")
    message = _problems(_grammar(tmp_path, text))
    assert "missing key categories" in message and "missing key queries.comments" in message


def test_every_problem_in_one_message(tmp_path):
    text = (
        MINIMAL.replace('module = "tree_sitter_go"\n', 'colour = "red"\nk = "15"\n')
        .replace('extensions = [".toy"]', 'extensions = ".toy"')
        .replace('identifier = "identifier"', "identifier = 1")
        + '\n[tools]\nsim = 3\ndolo = "go"\n'
    )
    message = _problems(_grammar(tmp_path, text))
    for problem in (
        "unknown key colour",
        "missing key module",
        "k must be an integer, not a string ('15')",
        "extensions must be an array, not a string ('.toy')",
        "categories.identifier is an integer (1)",
        "unknown key tools.dolo",
        "tools.sim must be a string, not an integer (3)",
    ):
        assert problem in message
    assert message.count("; ") == 6


def test_invalid_grammar_in_memaudit_grammars_fails_naming_the_file(tmp_path, monkeypatch):
    path = _grammar(tmp_path, MINIMAL.replace('module = "tree_sitter_go"', 'module = "tree_sitter_go"\nk = "15"'))
    monkeypatch.setenv("MEMAUDIT_GRAMMARS", str(tmp_path))
    languages.all_specs.cache_clear()
    try:
        with pytest.raises(GrammarError, match=r"toy\.toml: k must be an integer, not a string"):
            languages.all_specs()
        # The command a user runs (it inherits MEMAUDIT_GRAMMARS): one line naming the file, exit code 4.
        result = run_cli("languages")
        assert result.returncode == 4, result.stderr
        assert result.stderr == f"memaudit: error: {path}: k must be an integer, not a string ('15')\n"
    finally:
        monkeypatch.delenv("MEMAUDIT_GRAMMARS")
        languages.all_specs.cache_clear()


def test_schema_is_documented():
    """Every key of the schema, nested ones included, is in docs/grammars.md's field table."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "grammars.md").read_text(encoding="utf-8")

    def paths(schema, prefix=""):
        for name, key in schema.items():
            yield prefix + name
            if key.keys is not None:
                yield from paths(key.keys, prefix + name + ".")

    missing = [p for p in paths(SCHEMA) if f"`{p}`" not in doc and f"`[{p}]`" not in doc]
    assert not missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_pygments_knows_the_declared_lexer(language):
    from pygments.lexers import get_lexer_by_name

    lexer = all_specs()[language].pygments_lexer
    assert lexer, f"{language}: no pygments_lexer"
    get_lexer_by_name(lexer)  # raises ClassNotFound otherwise


def test_token_fingerprint_covers_only_token_fields():
    spec = all_specs()["go"]
    assert set(TOKEN_FIELDS) | set(METADATA_FIELDS) == {f.name for f in dataclasses.fields(spec)}
    assert not set(TOKEN_FIELDS) & set(METADATA_FIELDS)
    fingerprint = spec.token_fingerprint
    assert len(fingerprint) == 64 and fingerprint == load_spec(Path(spec.source)).token_fingerprint
    metadata = dataclasses.replace(
        spec, display_name="Golang", pygments_lexer="text", tools={}, rarity={}, source="elsewhere.toml"
    )
    assert metadata.token_fingerprint == fingerprint
    assert dataclasses.replace(spec, k=spec.k + 1).token_fingerprint != fingerprint
    categories = dict(spec.categories, iota="identifier")
    assert dataclasses.replace(spec, categories=categories).token_fingerprint != fingerprint
    assert len({s.token_fingerprint for s in all_specs().values()}) == len(all_specs())
