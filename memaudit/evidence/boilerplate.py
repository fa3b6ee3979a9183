"""Boilerplate that is excluded by default, with the reason reported: generated files and large
literal data tables. (Imports and include lists never become tokens: each grammar's ``ignore``
list drops them; license headers are dropped by the comment channel.)"""

from __future__ import annotations

import re

import numpy as np

from ..categories import CATEGORY_CODES
from ..core import ParsedFile, SourceTree
from .model import Exclusion

__all__ = ["prune_boilerplate", "generated_marker", "DATA_TABLE_MIN_TOKENS", "DATA_TABLE_LITERAL_SHARE"]

# The conventional headers only (Go's "Code generated ... DO NOT EDIT.", "@generated", "generated
# by X; do not edit"): a comment that merely mentions generation ("ids are auto-generated") must not
# drop a file, since exclusion changes the verdict.
_GENERATED = re.compile(r"code generated .{0,200}do not edit|@generated\b|generated (?:automatically )?by .{0,200}(?:do not|don't) (?:edit|modify)", re.I | re.S)
_LITERAL_CODES = np.array([CATEGORY_CODES[c] for c in ("string", "number", "collection", "bool", "null")], dtype=np.uint8)
#: A file of at least this many tokens, this share of them literals, is a data table
#: (brotli's dictionary, Unicode tables): identical in every implementation that needs the data.
DATA_TABLE_MIN_TOKENS = 300
DATA_TABLE_LITERAL_SHARE = 0.6


def generated_marker(parsed: ParsedFile) -> str | None:
    """The comment near the top that says the file is generated, if any."""
    for occ in parsed.comments:
        if occ.start_line > 15:
            break
        if _GENERATED.search(occ.text):
            return occ.text.strip().splitlines()[0][:80]
    return None


def prune_boilerplate(tree: SourceTree, side: str) -> tuple[SourceTree, list[Exclusion]]:
    keep: list[ParsedFile] = []
    excluded: list[Exclusion] = []
    for parsed in tree.files:
        marker = generated_marker(parsed)
        if marker:
            excluded.append(Exclusion(side, parsed.file.relpath, "whole file", f"generated file ({marker})"))
            continue
        n = parsed.n_tokens
        if n >= DATA_TABLE_MIN_TOKENS:
            share = float(np.isin(parsed.categories, _LITERAL_CODES).mean())
            if share >= DATA_TABLE_LITERAL_SHARE:
                excluded.append(
                    Exclusion(side, parsed.file.relpath, "whole file", f"data table ({share:.0%} of {n} tokens are literals)")
                )
                continue
        keep.append(parsed)
    if not keep:
        # Never leave a side empty: compare what there is, and say so.
        return tree, [
            Exclusion(side, e.path, "nothing", f"kept: every file looked like boilerplate ({e.reason})") for e in excluded
        ]
    return SourceTree(tree.root, tuple(keep), tree.skipped), excluded
