"""The conformance suite every grammar file passes (JPlag-style): declaring a language's fixtures
is all its test needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from memaudit.categories import CATEGORY_CODES
from memaudit.compare import compare_trees, load_trees
from memaudit.languages import all_specs
from memaudit.parse import load_grammar, parse_source_file
from memaudit.discover import discover

from .conftest import FIXTURES

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
