"""The shipped identifier rarity table (fingerprints/identifier-rarity.json) and the counting
code of its builder (fingerprints/build_rarity.py). No network: the builder is only imported."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import shlex
import sys
from pathlib import Path

import pytest

from memaudit.evidence.rarity import SPLIT_VERSION, TABLE_FORMAT

ROOT = Path(__file__).resolve().parent.parent
FINGERPRINTS = ROOT / "fingerprints"
TABLE = FINGERPRINTS / "identifier-rarity.json"
MANIFEST = FINGERPRINTS / "identifier-rarity.manifest.json"


@functools.cache
def _builder():
    """The builder script as a module (it is a script, not part of the package API)."""
    name = "memaudit_build_rarity"
    spec = importlib.util.spec_from_file_location(name, FINGERPRINTS / "build_rarity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve their module while the class is created
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_table_format_and_split(table):
    assert table["format"] == TABLE_FORMAT
    assert table["split"] == SPLIT_VERSION
    builder = _builder()
    assert (builder.FORMAT, builder.SPLIT) == (TABLE_FORMAT, SPLIT_VERSION)
    assert table["documents"] >= 300
    assert len(table["subwords"]) > 10_000 and len(table["identifiers"]) > 1_000


def test_table_matches_manifest(table, manifest):
    data = TABLE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == manifest["table"]["sha256"]
    assert len(data) == manifest["table"]["bytes"] < 1_500_000
    assert manifest["table"]["documents"] == table["documents"] == manifest["corpus"]["documents"]
    assert manifest["table"]["min_df"] == table["min_df"]
    # The recorded command runs this repository's builder and writes this very table.
    command = shlex.split(manifest["command"])
    assert command[0] == "python" and command[1:] == [manifest["builder"]["file"], *manifest["argv"][1:]]
    assert (ROOT / command[1]).resolve() == (FINGERPRINTS / "build_rarity.py").resolve()
    assert Path(command[1]).name == manifest["argv"][0]
    assert "--out" in command and (ROOT / command[command.index("--out") + 1]).resolve() == TABLE.resolve()
    assert manifest["tools"]["split"] == SPLIT_VERSION
    # The packages it lists are the builder's corpus today, in its order, with the same pins.
    listed = [(p["how"], p["name"], p["listed_language"]) for p in manifest["packages"]]
    assert listed == [(p.how, p.name, p.language) for p in _builder().PACKAGES]
    assert manifest["corpus"]["packages_listed"] == len(listed)
    for row, package in zip(manifest["packages"], _builder().PACKAGES, strict=True):
        if package.version is not None:
            assert row.get("version") == package.version, package.name


def test_table_is_deterministic_json(table):
    assert _builder().serialize(table) == TABLE.read_bytes()


def test_table_thresholds(table):
    min_s, min_i = table["min_df"]["subwords"], table["min_df"]["identifiers"]
    assert min(table["subwords"].values()) >= min_s >= 2
    assert min(table["identifiers"].values()) >= min_i >= 3
    assert max(table["subwords"].values()) <= table["documents"]


@pytest.mark.parametrize("subword", ["i", "err", "buf", "len", "get", "data", "size"])
def test_common_subwords_are_common(table, subword):
    assert table["subwords"][subword] > 0.25 * table["documents"]


@pytest.mark.parametrize("subword", ["bipartition", "ungron", "newick", "unroot"])
def test_domain_words_are_rare(table, subword):
    assert table["subwords"].get(subword, 0) <= 0.02 * table["documents"]


def test_benchmark_programs_are_not_in_the_corpus(manifest):
    builder = _builder()
    names = {p["name"].lower() for p in manifest["packages"]}
    assert not names & builder.EXCLUDED_PROGRAMS
    for must in (
        "zlib",
        "pako",
        "brotli",
        "musl",
        "libyaml",
        "jq",
        "sed",
        "gawk",
        "mawk",
        "lua5.1",
        "xz-utils",
    ):
        assert must in builder.EXCLUDED_PROGRAMS
    builder.check_package_list(builder.PACKAGES)


def test_corpus_covers_every_language(manifest):
    from memaudit.languages import all_specs

    files = manifest["corpus"]["files_by_language"]
    for language in all_specs():
        assert files.get(language, 0) >= 50, language


def test_vendored_and_test_paths_are_excluded():
    excluded = _builder().is_excluded_path
    assert excluded("src/zlib/inflate.c")
    assert excluded("Utilities/cmzlib/deflate.c")
    assert excluded("deps/lua/src/lvm.c")
    assert excluded("lib/inffast.c")
    assert excluded("pkg/tests/test_x.py")
    assert excluded("dist/app.min.js")
    assert excluded("third_party/googletest/src/gtest.cc")
    assert excluded("src/lua-5.1.5/lapi.c")
    assert excluded("src/main.c") is None
    assert excluded("lib/parser.js") is None
    assert excluded("src/lualib_helpers/x.py") is None


def test_counting_on_synthetic_packages():
    builder = _builder()
    a = builder.package_terms(["ungronTokens", "ungron_tokens", "err", "i", "HTTPServer", "__", "$"])
    b = builder.package_terms(["ERR", "tokens", "httpServer", "i"])
    c = builder.package_terms(["UNGRON_TOKENS"])
    assert a == (
        {"ungron", "tokens", "err", "i", "http", "server"},
        {"ungron_tokens", "err", "i", "http_server"},
    )
    sub = builder.document_frequencies(t[0] for t in (a, b, c))
    ids = builder.document_frequencies(t[1] for t in (a, b, c))
    assert sub == {"ungron": 2, "tokens": 3, "err": 2, "i": 2, "http": 2, "server": 2}
    assert ids == {"ungron_tokens": 2, "err": 2, "i": 2, "http_server": 2, "tokens": 1}
    # A document counts a term once however often it repeats it.
    assert builder.document_frequencies([["x", "x", "x"], ["x"]]) == {"x": 2}


def test_build_table_thresholds_and_budget():
    builder = _builder()
    sub = {"i": 9, "err": 8, "rare": 1, "mid": 2}
    ids = {f"name_{n}": (n % 7) + 1 for n in range(200)}
    table, data = builder.build_table(10, sub, ids, min_df_subwords=2, min_df_identifiers=3, max_bytes=None)
    assert table["subwords"] == {"err": 8, "i": 9, "mid": 2}
    assert all(v >= 3 for v in table["identifiers"].values())
    assert json.loads(data) == table
    # Over budget: the identifier threshold rises before the subword one.
    small, small_data = builder.build_table(
        10, sub, ids, min_df_subwords=2, min_df_identifiers=3, max_bytes=1200
    )
    assert len(small_data) <= 1200
    assert small["min_df"]["identifiers"] > 3 and small["min_df"]["subwords"] == 2
    assert small["subwords"] == table["subwords"]
