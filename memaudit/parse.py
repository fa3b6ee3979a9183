"""Parsing with tree-sitter: source bytes -> :class:`memaudit.core.ParsedFile`.

This is the only module that imports tree-sitter. Trees never leave it (they cannot be pickled):
worker processes receive a path and return plain arrays.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import tree_sitter as ts

from .categories import CATEGORY_CODES
from .core import FunctionInfo, Occurrence, ParsedFile, SourceFile
from .errors import GrammarError
from .languages import QUERY_CAPTURES, GrammarSpec, spec_for

__all__ = ["LoadedGrammar", "load_grammar", "parse_bytes", "parse_source_file", "grammar_version"]

# Marker codes in the kind -> code table, above every category code.
_IGNORE = 254
_ERROR = 253
# tree-sitter's symbol for ERROR nodes (ts_builtin_sym_error, (TSSymbol)-1).
_ERROR_SYMBOL = 0xFFFF
_NUMBER = CATEGORY_CODES["number"]


@dataclass(frozen=True, eq=False)
class LoadedGrammar:
    """A grammar spec bound to its tree-sitter language, with compiled queries."""

    spec: GrammarSpec
    language: ts.Language
    #: kind id -> token code (0: no token, a category code, _IGNORE or _ERROR); 65536 entries so
    #: every kind id (including ERROR's 0xFFFF) indexes it without a bounds check.
    table: tuple[int, ...]
    queries: dict[str, ts.Query]


def _kind_ids(language: ts.Language, kind: str) -> list[int]:
    """Every id with this name. A name counts as named if the grammar has a named kind of that
    name, else as anonymous: ``"=="`` maps the operator token, ``if_statement`` the node.
    Aliases give several ids one name, so all of them are collected."""
    ids = [i for i in range(language.node_kind_count) if language.node_kind_for_id(i) == kind]
    named = [i for i in ids if language.node_kind_is_named(i)]
    return named or ids


def grammar_version(spec: GrammarSpec) -> str:
    """The installed version of a language's grammar wheel."""
    from importlib.metadata import PackageNotFoundError, version

    dist = spec.module.replace("_", "-")
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def load_grammar(name: str) -> LoadedGrammar:
    """Load and check a language: the module, every node kind the spec names, every query."""
    spec = spec_for(name)
    try:
        module = importlib.import_module(spec.module)
        language = ts.Language(getattr(module, spec.entry_point)())
    except (ImportError, AttributeError) as exc:
        raise GrammarError(f"{spec.source}: cannot load grammar {spec.module}.{spec.entry_point}: {exc}") from None
    except ValueError as exc:  # incompatible ABI
        raise GrammarError(f"{spec.source}: grammar {spec.module} is incompatible: {exc}") from None

    problems: list[str] = []
    table = [0] * 0x10000
    table[_ERROR_SYMBOL] = _ERROR
    for kind, category in spec.categories.items():
        ids = _kind_ids(language, kind)
        if not ids:
            problems.append(f"categories: no node kind {kind!r} in the grammar")
        for i in ids:
            table[i] = CATEGORY_CODES[category]
    for kind in spec.ignore:
        ids = _kind_ids(language, kind)
        if not ids:
            problems.append(f"ignore: no node kind {kind!r} in the grammar")
        for i in ids:
            table[i] = _IGNORE

    queries: dict[str, ts.Query] = {}
    for qname, source in spec.queries.items():
        try:
            query = ts.Query(language, source)
        except ts.QueryError as exc:
            problems.append(f"query {qname!r} does not compile: {' '.join(str(exc).split())}")
            continue
        names = {query.capture_name(i) for i in range(query.capture_count)}
        for capture in QUERY_CAPTURES[qname]:
            if capture not in names:
                problems.append(f"query {qname!r} lacks the @{capture} capture")
        queries[qname] = query
    if problems:
        raise GrammarError(f"{spec.source}: " + "; ".join(problems))
    # Each query run is a full traversal in C, about a third of the parse time: the three text
    # queries run as one (their capture names differ).
    queries["texts"] = ts.Query(language, "\n".join(spec.queries[q] for q in ("identifiers", "strings", "comments")))
    return LoadedGrammar(spec=spec, language=language, table=tuple(table), queries=queries)


@functools.cache
def _parser(name: str) -> ts.Parser:
    return ts.Parser(load_grammar(name).language)


def _walk(
    tree: ts.Tree, table: tuple[int, ...]
) -> tuple[list[int], list[int], list[int], list[int], list[int], int]:
    """Pre-order walk with a TreeCursor (3-11x faster than recursing over ``node.children``).

    Returns codes, kind ids, start bytes, end bytes and token-tree depths of the token nodes, and
    the error count. A token's depth is the number of token nodes above it (nodes that emit no
    token, such as blocks, do not count), so a token's parent is the nearest preceding token one
    level up: the nesting survives the flattening.
    """
    codes: list[int] = []
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    depths: list[int] = []
    errors = 0
    # One entry per level descended: whether the node descended into emitted a token.
    levels: list[bool] = []
    depth = 0
    cursor = tree.walk()
    add_code, add_kind, add_start, add_end = codes.append, kinds.append, starts.append, ends.append
    add_depth = depths.append
    push, pop = levels.append, levels.pop
    while True:
        node: ts.Node = cursor.node  # type: ignore[assignment]  # never None inside a tree
        kind = node.kind_id
        code = table[kind]
        descended = False
        if code != _IGNORE:
            added = False
            if code == _ERROR or node.is_missing:
                errors += 1
            elif code:
                start = node.start_byte
                add_code(code)
                add_kind(kind)
                add_start(start)
                # Inner nodes cover only their start; fixed below for leaves.
                add_end(start)
                add_depth(depth)
                added = True
            descended = cursor.goto_first_child()
            if descended:
                push(added)
                depth += added
            elif added:
                ends[-1] = node.end_byte
        if descended:
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return codes, kinds, starts, ends, depths, errors
            depth -= pop()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_of(newlines: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """1-based line numbers of byte offsets."""
    return (np.searchsorted(newlines, offsets, side="right") + 1).astype(np.int32)


def _occurrences(nodes: list[ts.Node], data: bytes, newlines: np.ndarray) -> tuple[Occurrence, ...]:
    """Texts and lines of captured nodes, in source order, each node once (several patterns may
    capture the same node)."""
    spans = sorted({(n.start_byte, n.end_byte) for n in nodes}, key=lambda se: (se[0], -se[1]))
    if not spans:
        return ()
    bounds = np.asarray(spans, dtype=np.int64)
    first = _line_of(newlines, bounds[:, 0]).tolist()
    last = _line_of(newlines, np.maximum(bounds[:, 1] - 1, bounds[:, 0])).tolist()
    return tuple(
        Occurrence(data[s:e].decode("utf-8", "replace"), a, b) for (s, e), a, b in zip(spans, first, last)
    )


def _functions(grammar: LoadedGrammar, root: ts.Node, data: bytes, starts: np.ndarray) -> tuple[FunctionInfo, ...]:
    found: dict[tuple[int, int], FunctionInfo] = {}
    for _, caps in ts.QueryCursor(grammar.queries["functions"]).matches(root):
        for node in caps.get("function", []):
            key = (node.start_byte, node.end_byte)
            names = caps.get("name", [])
            name = data[names[0].start_byte : names[0].end_byte].decode("utf-8", "replace") if names else ""
            if key in found and (found[key].name or not name):
                continue
            first, end = np.searchsorted(starts, [node.start_byte, node.end_byte], side="left")
            found[key] = FunctionInfo(name, node.start_point[0] + 1, node.end_point[0] + 1, int(first), int(end))
    return tuple(found[k] for k in sorted(found))


def parse_bytes(data: bytes, file: SourceFile, *, extract: bool = True) -> ParsedFile:
    """Parse ``data`` as ``file.language`` and lower it to tokens; ``extract`` also runs the
    queries for functions, identifiers, strings and comments."""
    grammar = load_grammar(file.language)
    tree = _parser(file.language).parse(data)
    codes, kinds, starts_l, ends_l, depths_l, errors = _walk(tree, grammar.table)

    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    starts = np.asarray(starts_l, dtype=np.int64)
    ends = np.asarray(ends_l, dtype=np.int64)
    start_lines = _line_of(newlines, starts)
    end_lines = _line_of(newlines, np.maximum(ends - 1, starts))
    n_lines = int(newlines.shape[0]) + (1 if data and not data.endswith(b"\n") else 0)
    invalid_utf8 = not data.isascii() and not _is_utf8(data)

    functions: tuple[FunctionInfo, ...] = ()
    identifiers: tuple[Occurrence, ...] = ()
    strings: tuple[Occurrence, ...] = ()
    comments: tuple[Occurrence, ...] = ()
    numbers: tuple[Occurrence, ...] = ()
    if extract:
        number_at = np.flatnonzero(np.asarray(codes, dtype=np.uint8) == _NUMBER)
        numbers = tuple(
            Occurrence(data[starts_l[i] : ends_l[i]].decode("utf-8", "replace"), int(start_lines[i]), int(end_lines[i]))
            for i in number_at.tolist()
        )
        root = tree.root_node
        functions = _functions(grammar, root, data, starts)
        texts = ts.QueryCursor(grammar.queries["texts"]).captures(root)
        identifiers = _occurrences(texts.get("identifier", []), data, newlines)
        strings = _occurrences(texts.get("string", []), data, newlines)
        comments = _occurrences(texts.get("comment", []), data, newlines)

    return ParsedFile(
        file=file,
        n_bytes=len(data),
        n_lines=n_lines,
        categories=np.asarray(codes, dtype=np.uint8),
        kinds=np.asarray(kinds, dtype=np.uint16),
        start_bytes=starts,
        end_bytes=ends,
        start_lines=start_lines,
        end_lines=end_lines,
        n_errors=errors,
        invalid_utf8=invalid_utf8,
        sha256=hashlib.sha256(data).hexdigest(),
        functions=functions,
        identifiers=identifiers,
        strings=strings,
        comments=comments,
        numbers=numbers,
        # Depths beyond uint16 (65,535 nested token nodes) are clipped.
        depths=np.minimum(np.asarray(depths_l, dtype=np.int64), 0xFFFF).astype(np.uint16),
    )


def parse_source_file(file: SourceFile, extract: bool = True) -> ParsedFile:
    """Read and parse one file (the unit of work for worker processes)."""
    with open(file.path, "rb") as fh:
        data = fh.read()
    return parse_bytes(data, file, extract=extract)


def kind_name(language: str, kind_id: int) -> str:
    """The tree-sitter name of a kind id, for debugging output."""
    name: Any = load_grammar(language).language.node_kind_for_id(kind_id)
    return str(name)
