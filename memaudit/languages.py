"""Language definitions, read from ``grammars/<language>.toml``.

A language is data: its file extensions, the tree-sitter grammar module, the node kinds to skip,
the map from node kinds to language-neutral categories, and the queries that extract functions,
identifiers, strings and comments. This module reads and checks the data; :mod:`memaudit.parse`
(the only module that imports tree-sitter) checks it against the grammar itself.

Adding a language is one data file plus fixtures (see docs/grammars.md), no code.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .categories import CATEGORIES
from .errors import GrammarError

__all__ = [
    "GrammarSpec", "QUERY_CAPTURES", "load_spec", "all_specs", "spec_for", "grammar_dir", "data_dir",
    "extension_map",
]  # fmt: skip

#: Required queries and the captures each must define. ``functions`` may also capture ``@name``.
QUERY_CAPTURES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "functions": ("function",),
        "identifiers": ("identifier",),
        "strings": ("string",),
        "comments": ("comment",),
    }
)

_KNOWN_KEYS = {
    "name", "display_name", "extensions", "module", "entry_point", "k", "window", "ignore",
    "categories", "queries", "test_globs",
}  # fmt: skip


@dataclass(frozen=True)
class GrammarSpec:
    """One language, as declared by its grammar file."""

    #: Short identifier used on the command line and in reports (``go``, ``rust``).
    name: str
    #: Human-readable name (``Go``, ``Rust``).
    display_name: str
    #: File name suffixes that select this language, lower-case with the dot (``.go``).
    extensions: tuple[str, ...]
    #: The Python module of the grammar wheel (``tree_sitter_go``).
    module: str
    #: The function in ``module`` returning the language pointer (``language``,
    #: ``language_typescript``): some wheels ship several grammars.
    entry_point: str
    #: k-gram length in tokens for fingerprints. Terse languages (Haskell, OCaml) produce fewer
    #: tokens per line of logic, so a shorter k keeps a k-gram at roughly two or three lines.
    k: int
    #: Winnowing window (Schleimer et al. 2003): any match of at least ``k + window - 1`` tokens is
    #: guaranteed to share a selected fingerprint.
    window: int
    #: Node kinds whose whole subtree is skipped (comments, includes). Without this, license headers
    #: and import lists would dominate the matches between unrelated programs.
    ignore: tuple[str, ...]
    #: Node kind -> category name. Named kinds are looked up first, then anonymous ones, so
    #: operators (``"=="``) map directly; kinds not listed produce no token.
    categories: Mapping[str, str]
    #: Query name -> tree-sitter query source (see ``QUERY_CAPTURES``).
    queries: Mapping[str, str]
    #: Glob patterns (on the path relative to the tree root) that mark test files, for
    #: ``--exclude-tests``.
    test_globs: tuple[str, ...]
    #: The file the spec was read from, for error messages.
    source: str


def grammar_dir() -> Path:
    """Where grammar files are read from: ``$MEMAUDIT_GRAMMARS`` or the installed package data."""
    override = os.environ.get("MEMAUDIT_GRAMMARS")
    if override:
        return Path(override)
    return data_dir("grammars")


def data_dir(name: str) -> Path:
    """A top-level data folder (``grammars``, ``fingerprints``): the source checkout's when running
    from one (editable installs), else the copy installed as ``memaudit.<name>``."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / name
    if checkout.is_dir():
        return checkout
    # Installed from a wheel: setuptools' package-dir mapping puts the folder inside the package.
    # (importlib.resources would return a MultiplexedPath here: these folders have no __init__.py.)
    return here / name


def _fail(source: str, message: str) -> GrammarError:
    return GrammarError(f"{source}: {message}")


def _str_list(raw: object, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise _fail(source, f"'{key}' must be a list of strings")
    return tuple(raw)


def load_spec(path: Path) -> GrammarSpec:
    """Read and check one grammar file; every problem found is reported in one message."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(source, f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"invalid TOML: {exc}") from None

    problems: list[str] = []
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown}")
    for key in ("name", "module", "extensions", "categories", "queries"):
        if key not in data:
            problems.append(f"missing '{key}'")
    if problems:
        raise _fail(source, "; ".join(problems))

    categories = data["categories"]
    if not isinstance(categories, dict):
        raise _fail(source, "'categories' must be a table")
    bad = sorted(f"{kind} = {cat!r}" for kind, cat in categories.items() if cat not in CATEGORIES)
    if bad:
        problems.append(f"unknown categories: {', '.join(bad)} (allowed: {', '.join(CATEGORIES)})")

    queries = data["queries"]
    if not isinstance(queries, dict):
        raise _fail(source, "'queries' must be a table")
    missing_q = sorted(set(QUERY_CAPTURES) - set(queries))
    if missing_q:
        problems.append(f"missing queries {missing_q}")
    extra_q = sorted(set(queries) - set(QUERY_CAPTURES))
    if extra_q:
        problems.append(f"unknown queries {extra_q}")

    extensions = _str_list(data["extensions"], "extensions", source)
    if any(not e.startswith(".") or e != e.lower() for e in extensions):
        problems.append("extensions must be lower-case and start with '.'")

    k = data.get("k", 15)
    window = data.get("window", 10)
    if not (isinstance(k, int) and 2 <= k <= 100):
        problems.append("'k' must be an integer in 2..100")
    if not (isinstance(window, int) and 1 <= window <= 100):
        problems.append("'window' must be an integer in 1..100")
    if problems:
        raise _fail(source, "; ".join(problems))

    return GrammarSpec(
        name=str(data["name"]),
        display_name=str(data.get("display_name", data["name"])),
        extensions=extensions,
        module=str(data["module"]),
        entry_point=str(data.get("entry_point", "language")),
        k=k,
        window=window,
        ignore=_str_list(data.get("ignore", []), "ignore", source),
        categories=MappingProxyType(dict(categories)),
        queries=MappingProxyType({q: str(v) for q, v in queries.items()}),
        test_globs=_str_list(data.get("test_globs", []), "test_globs", source),
        source=source,
    )


@functools.cache
def all_specs() -> Mapping[str, GrammarSpec]:
    """Every language in the grammar directory, by name (sorted)."""
    directory = grammar_dir()
    specs: dict[str, GrammarSpec] = {}
    by_extension: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        spec = load_spec(path)
        if spec.name != path.stem:
            raise _fail(spec.source, f"name {spec.name!r} does not match the file name")
        for ext in spec.extensions:
            if ext in by_extension:
                raise _fail(spec.source, f"extension {ext} already claimed by {by_extension[ext]}")
            by_extension[ext] = spec.name
        specs[spec.name] = spec
    if not specs:
        raise GrammarError(f"{directory}: no grammar files found")
    return MappingProxyType(specs)


def spec_for(name: str) -> GrammarSpec:
    """The language called ``name``; a :class:`GrammarError` lists the known ones otherwise."""
    specs = all_specs()
    if name not in specs:
        raise GrammarError(f"unknown language {name!r} (known: {', '.join(specs)})")
    return specs[name]


@functools.cache
def extension_map() -> Mapping[str, str]:
    """File suffix -> language name."""
    return MappingProxyType({ext: s.name for s in all_specs().values() for ext in s.extensions})
