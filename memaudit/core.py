"""Core data types shared by every stage of the pipeline.

They know nothing of tree-sitter: a parsed file is a token array plus parallel arrays of source
positions, so every match maps back to lines (the Dolos design). Line numbers are 1-based and
inclusive throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

__all__ = ["SourceFile", "Occurrence", "FunctionInfo", "ParsedFile", "SourceTree"]


@dataclass(frozen=True)
class SourceFile:
    """A file selected for analysis."""

    #: Path relative to the tree root, with ``/`` separators (the stable name in reports).
    relpath: str
    #: Absolute path on disk.
    path: str
    #: Language name (a key of :func:`memaudit.languages.all_specs`).
    language: str
    #: Size in bytes when discovered.
    size: int


class Occurrence(NamedTuple):
    """A piece of source text (identifier, string literal, comment) and where it is."""

    text: str
    start_line: int
    end_line: int


class FunctionInfo(NamedTuple):
    """A function found by the grammar's ``functions`` query."""

    #: The function's name, or ``""`` for anonymous functions.
    name: str
    start_line: int
    end_line: int
    #: Index of the first token inside the function, in the file's token arrays.
    first_token: int
    #: One past the last token inside the function.
    end_token: int


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """One file lowered to language-neutral tokens with their positions.

    The arrays are parallel: token ``i`` has category ``categories[i]``, tree-sitter kind
    ``kinds[i]`` and covers lines ``start_lines[i]..end_lines[i]``. Inner nodes (a whole
    ``if``) cover only their first line, leaves their own extent, so a run of tokens maps to the
    lines those tokens were written on rather than to the end of every enclosing block.
    """

    file: SourceFile
    n_bytes: int
    n_lines: int
    categories: np.ndarray  # uint8, codes from memaudit.categories
    kinds: np.ndarray  # uint16, tree-sitter kind ids (language-specific)
    start_bytes: np.ndarray  # int64
    #: Leaves: their end byte; inner nodes: equal to the start (they cover only their first line).
    end_bytes: np.ndarray  # int64
    start_lines: np.ndarray  # int32
    end_lines: np.ndarray  # int32
    #: Number of ERROR and MISSING nodes: tolerated, counted, reported.
    n_errors: int
    #: The file was not valid UTF-8 (texts were decoded with replacement characters).
    invalid_utf8: bool
    #: sha256 of the bytes that were analysed (the JSON report's receipt for this input).
    sha256: str = ""
    functions: tuple[FunctionInfo, ...] = ()
    identifiers: tuple[Occurrence, ...] = ()
    strings: tuple[Occurrence, ...] = ()
    comments: tuple[Occurrence, ...] = ()
    #: Numeric literals (the tokens of category ``number``) with their text.
    numbers: tuple[Occurrence, ...] = ()
    #: uint16, parallel to ``categories``: each token's depth in the token tree, i.e. how many
    #: token nodes enclose it (unmapped nodes such as blocks do not count). In pre-order, a token's
    #: parent is the nearest preceding token of depth one less, so the nesting of any token range
    #: can be rebuilt. Empty when the constructor was not given it (hand-built files).
    depths: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint16))

    @property
    def n_tokens(self) -> int:
        return int(self.categories.shape[0])

    def without_tokens(self, drop: np.ndarray) -> "ParsedFile":
        """This file with the tokens where ``drop`` is true removed (base/template code);
        function token ranges are renumbered to match."""
        keep = ~drop
        new_index = np.concatenate([[0], np.cumsum(keep)]).astype(np.int64)
        functions = tuple(
            fn._replace(first_token=int(new_index[fn.first_token]), end_token=int(new_index[fn.end_token]))
            for fn in self.functions
        )
        return replace(
            self,
            categories=self.categories[keep],
            kinds=self.kinds[keep],
            start_bytes=self.start_bytes[keep],
            end_bytes=self.end_bytes[keep],
            start_lines=self.start_lines[keep],
            end_lines=self.end_lines[keep],
            depths=self.depths[keep] if self.depths.shape[0] == keep.shape[0] else self.depths,
            functions=functions,
        )


@dataclass(frozen=True, eq=False)
class SourceTree:
    """The parsed files of one side of a comparison, sorted by relative path."""

    #: The path given by the user.
    root: str
    files: tuple[ParsedFile, ...]
    #: Files found but not analysed, with the reason (``(relpath, reason)``), sorted.
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def n_tokens(self) -> int:
        return sum(f.n_tokens for f in self.files)

    @property
    def n_lines(self) -> int:
        return sum(f.n_lines for f in self.files)

    @property
    def n_bytes(self) -> int:
        return sum(f.n_bytes for f in self.files)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({f.file.language for f in self.files}))
