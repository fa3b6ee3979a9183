"""Language definitions, read from ``grammars/<language>.toml``.

A language is data: its file extensions, the tree-sitter grammar module, the node kinds to skip,
the map from node kinds to language-neutral categories, and the queries that extract functions,
identifiers, strings and comments. This module reads and checks the data; :mod:`memaudit.parse`
(the only module that imports tree-sitter) checks it against the grammar itself.

Adding a language is one data file plus fixtures (see docs/grammars.md), no code.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .categories import CATEGORIES
from .errors import GrammarError

__all__ = [
    "GrammarSpec", "QUERY_CAPTURES", "load_spec", "all_specs", "spec_for", "grammar_dir", "data_dir",
    "extension_map", "SCHEMA", "Key", "check_schema", "TOKEN_FIELDS", "METADATA_FIELDS",
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

#: GrammarSpec fields that decide tokens and extracted items (see ``GrammarSpec.token_fingerprint``).
TOKEN_FIELDS = (
    "name", "extensions", "module", "entry_point", "k", "window", "ignore", "categories", "queries",
    "test_globs",
)  # fmt: skip
#: GrammarSpec fields that are metadata: other tools' names for the language, the rarity corpus.
METADATA_FIELDS = ("display_name", "pygments_lexer", "tools", "rarity", "source")


@dataclass(frozen=True)
class Key:
    """What the schema says about one key of a grammar file."""

    #: The TOML type: ``str`` (string), ``int`` (integer), ``list`` (array) or ``dict`` (table).
    kind: type
    #: What the key means, in one line (docs/grammars.md has the full table).
    doc: str
    required: bool = False
    #: The value used when the key is absent (None: no constant default).
    default: object = None
    #: ``list``: the type of every element. ``dict`` without ``keys``: the type of every value.
    items: type | None = None
    #: Allowed values: of a scalar, or of every element or value.
    choices: tuple[str, ...] | None = None
    #: A regular expression every string (the value, or every element or value) must match fully.
    pattern: str | None = None
    #: Inclusive bounds of an integer.
    bounds: tuple[int, int] | None = None
    #: ``dict`` with a fixed set of keys: their schema; any other key is an error. Without it the
    #: table's keys are free (node kinds) and only its values are checked.
    keys: Mapping[str, Key] | None = None


_PACKAGE = r"[^\s=]+"
_PINNED = r"[^\s=]+==[^\s=]+"

#: The format of ``grammars/<language>.toml``, checked by :func:`check_schema` (documented key by key
#: in docs/grammars.md). ``display_name``, ``pygments_lexer``, ``[tools]`` and ``[rarity]`` are
#: metadata; the other keys decide tokens and extracted items (see ``GrammarSpec.token_fingerprint``).
SCHEMA: Mapping[str, Key] = MappingProxyType(
    {
        "name": Key(str, "short name used on the command line; must equal the file's stem",
                    required=True, pattern=r"[a-z][a-z0-9_]*"),
        "display_name": Key(str, "human-readable name (default: `name`)"),
        "extensions": Key(list, "lower-case file suffixes with the dot; one language per suffix across "
                          "all files", required=True, items=str, pattern=r"\.[a-z0-9_+.-]+"),
        "module": Key(str, "the grammar wheel's Python module (`tree_sitter_go`)", required=True,
                      pattern=r"[A-Za-z_][A-Za-z0-9_.]*"),
        "entry_point": Key(str, "function in `module` returning the language", default="language",
                           pattern=r"[A-Za-z_][A-Za-z0-9_]*"),
        "k": Key(int, "k-gram length in tokens", default=15, bounds=(2, 100)),
        "window": Key(int, "winnowing window", default=10, bounds=(1, 100)),
        "ignore": Key(list, "node kinds whose whole subtree produces no tokens", default=[], items=str),
        "test_globs": Key(list, "globs (relative to the tree root) that mark test files for "
                          "`--exclude-tests`", default=[], items=str),
        "categories": Key(dict, "node kind -> category", required=True, items=str, choices=CATEGORIES),
        "queries": Key(dict, "tree-sitter queries", required=True, keys={
            q: Key(str, f"captures {', '.join('@' + c for c in captures)}", required=True)
            for q, captures in QUERY_CAPTURES.items()
        }),
        "pygments_lexer": Key(str, "pygments lexer name for the HTML report's highlighting "
                              "(default: `name`; unknown to pygments: plain text)"),
        "tools": Key(dict, "the language's name in the benchmark's other tools", default={}, keys={
            "dolos": Key(str, "Dolos language name; absent: Dolos is not run (n/a)"),
            "sim": Key(str, "SIM program (`sim_c`); absent: SIM is not run (n/a)"),
        }),
        "rarity": Key(dict, "packages of the identifier-rarity corpus (fingerprints/build_rarity.py)",
                      default={}, keys={
            "apt-src": Key(list, "Debian source packages (upstream tarballs)", items=str, pattern=_PACKAGE),
            "apt-dev": Key(list, "Debian binary packages that ship sources", items=str, pattern=_PACKAGE),
            "npm": Key(list, "npm packages, `name==version`", items=str, pattern=_PINNED),
            "pypi": Key(list, "PyPI sdists, `name==version`", items=str, pattern=_PINNED),
        }),
    }
)  # fmt: skip

_TOML_TYPES = {str: "a string", int: "an integer", float: "a float", bool: "a boolean", list: "an array",
               dict: "a table"}  # fmt: skip
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _toml_type(value: object) -> str:
    for t, name in reversed(_TOML_TYPES.items()):  # bool before int: True is an int in Python
        if isinstance(value, t):
            return name
    return type(value).__name__  # dates and times


def _has_type(value: object, t: type) -> bool:
    return isinstance(value, t) and not (isinstance(value, bool) and t is not bool)


def _join(parent: str, key: str) -> str:
    """The dotted TOML path of ``key`` inside ``parent`` (quoted when it is not a bare key)."""
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{part}" if parent else part


def check_schema(data: Mapping[str, object], schema: Mapping[str, Key] = SCHEMA, where: str = "") -> list[str]:
    """Every problem of ``data`` (a parsed TOML table) against ``schema``: unknown and missing keys,
    wrong types, values out of range or not allowed, in nested tables too. Empty when valid."""
    problems: list[str] = []
    unknown = [_join(where, k) for k in data if k not in schema]
    if unknown:
        problems.append(f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                        f"(allowed{' in ' + where if where else ''}: {', '.join(schema)})")  # fmt: skip
    for name, key in schema.items():
        path = _join(where, name)
        if name not in data:
            if key.required:
                problems.append(f"missing key {path}")
            continue
        problems += _check_value(data[name], key, path)
    return problems


def _check_value(value: object, key: Key, path: str) -> list[str]:
    if not _has_type(value, key.kind):
        return [f"{path} must be {_TOML_TYPES[key.kind]}, not {_toml_type(value)} ({value!r})"]
    if isinstance(value, dict) and key.keys is not None:
        return check_schema(value, key.keys, path)
    # (label, value) of what the element checks apply to: the value itself, or its elements/values.
    entries: list[tuple[str, object]]
    if isinstance(value, list):
        entries = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    elif isinstance(value, dict):
        entries = [(_join(path, k), v) for k, v in value.items()]
    else:
        entries = [(path, value)]
    problems: list[str] = []
    if key.items is not None:
        wrong = [f"{label} is {_toml_type(v)} ({v!r})" for label, v in entries if not _has_type(v, key.items)]
        if wrong:
            what = "element" if isinstance(value, list) else "value"
            problems.append(f"every {what} of {path} must be {_TOML_TYPES[key.items]}: {', '.join(wrong)}")
            entries = [(label, v) for label, v in entries if _has_type(v, key.items)]
    if key.choices is not None:
        bad = [(label, v) for label, v in entries if v not in key.choices]
        if bad:
            keyed = isinstance(value, dict)
            shown = ", ".join(f"{label[len(path) + 1:]} = {v!r}" if keyed else repr(v) for label, v in bad)
            problems.append(f"unknown {path}: {shown} (allowed: {', '.join(key.choices)})")
    if key.pattern is not None:
        bad = [(label, v) for label, v in entries if isinstance(v, str) and not re.fullmatch(key.pattern, v)]
        if bad:
            shown = ", ".join(repr(v) for _, v in bad)
            problems.append(f"{path}: {shown} {'does' if len(bad) == 1 else 'do'} not match /{key.pattern}/")
    if key.bounds is not None and isinstance(value, int):
        low, high = key.bounds
        if not low <= value <= high:
            problems.append(f"{path} must be in {low}..{high}, not {value}")
    return problems


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
    #: The pygments lexer the HTML report highlights this language with (None: ``name``).
    pygments_lexer: str | None = None
    #: Benchmark tool -> this language's name there (``dolos``, ``sim``); absent: not supported.
    tools: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Source kind (``apt-src``, ``apt-dev``, ``npm``, ``pypi``) -> packages of the identifier-rarity
    #: corpus listed under this language (fingerprints/build_rarity.py).
    rarity: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def token_fingerprint(self) -> str:
        """sha256 (hex) of the canonical JSON of the fields that decide tokens and extracted items
        (:data:`TOKEN_FIELDS`): what a file lowers to, which files are read, which are tests.

        Stored results (fingerprints, a verdict model trained on their scores) stay valid exactly
        while this is unchanged. Metadata (:data:`METADATA_FIELDS`: the display name, the
        pygments lexer, other tools' names, the rarity corpus, the file's path) is left out so that
        editing it never invalidates them. The grammar wheel's version also decides tokens; it is
        not part of the file and is recorded separately (:func:`memaudit.parse.grammar_version`).
        """
        doc = {name: getattr(self, name) for name in TOKEN_FIELDS}
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=dict)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


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


def load_spec(path: Path) -> GrammarSpec:
    """Read one grammar file and check it against :data:`SCHEMA`; every problem found is reported
    in one message naming the file."""
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(source, f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, f"invalid TOML: {exc}") from None

    problems = check_schema(data)
    if problems:
        raise _fail(source, "; ".join(problems))

    def get(key: str) -> Any:
        return data.get(key, SCHEMA[key].default)

    return GrammarSpec(
        name=data["name"],
        display_name=data.get("display_name", data["name"]),
        extensions=tuple(data["extensions"]),
        module=data["module"],
        entry_point=get("entry_point"),
        k=get("k"),
        window=get("window"),
        ignore=tuple(get("ignore")),
        categories=MappingProxyType(dict(data["categories"])),
        queries=MappingProxyType(dict(data["queries"])),
        test_globs=tuple(get("test_globs")),
        source=source,
        pygments_lexer=data.get("pygments_lexer"),
        tools=MappingProxyType(dict(get("tools"))),
        rarity=MappingProxyType({how: tuple(names) for how, names in get("rarity").items()}),
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
