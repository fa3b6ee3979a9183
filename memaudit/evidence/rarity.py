"""Identifier rarity: how unusual a name is across a large body of real code.

The table (fingerprints/identifier-rarity.json, built by fingerprints/build_rarity.py from
registry packages) holds document frequencies: in how many packages each subword and each
normalized identifier occurs. Shared ``i``, ``err``, ``buf`` count for little; shared
``unroot``, ``bipartition`` for much.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Mapping

from ..errors import GrammarError
from ..reference import RARITY_TABLE, load_reference
from .text import split_identifier

__all__ = ["RarityTable", "load_rarity", "TABLE_FORMAT", "SPLIT_VERSION"]

TABLE_FORMAT = "memaudit.rarity/1"
SPLIT_VERSION = "memaudit.evidence.text.split_identifier v1"


@dataclass(frozen=True, eq=False)
class RarityTable:
    documents: int
    subwords: Mapping[str, int]
    identifiers: Mapping[str, int]

    def _r(self, df: int) -> float:
        # Normalized inverse document frequency: 1 for unseen, about 0 for everywhere.
        return math.log((self.documents + 1) / (df + 1)) / math.log(self.documents + 1)

    def subword_rarity(self, subword: str) -> float:
        if len(subword) == 1 or subword.isdigit():
            return 0.0
        return self._r(self.subwords.get(subword, 0))

    def rarity(self, name: str) -> float:
        """Rarity of an identifier in [0, 1]: the geometric mean of its rarest subword's rarity and
        the rarity of the whole normalized name. A name counts when it is unusual as a whole *and*
        built from unusual words: ``collect_bipartitions`` ~1, ``deflate_slow`` ~0.65 (a rare
        compound of a fairly rare word), ``tmp_buf_len`` ~0.3, ``i`` 0. (The whole name's
        document frequency never exceeds its rarest subword's, so taking the minimum of the two
        would always return the subword's.)"""
        parts = split_identifier(name)
        if not parts:
            return 0.0
        by_subword = max(self.subword_rarity(p) for p in parts)
        whole = self._r(self.identifiers.get("_".join(parts), 0))
        return math.sqrt(by_subword * whole)


@functools.cache
def load_rarity() -> RarityTable:
    """The shipped table; a table built with another format or splitter fails loudly."""
    path, doc = load_reference(RARITY_TABLE)
    if not isinstance(doc, dict):
        raise GrammarError(f"{path}: malformed rarity table (a JSON {type(doc).__name__}): rebuild it")
    if doc.get("format") != TABLE_FORMAT or doc.get("split") != SPLIT_VERSION:
        raise GrammarError(
            f"{path}: rarity table format {doc.get('format')!r} / split {doc.get('split')!r}, "
            f"expected {TABLE_FORMAT!r} / {SPLIT_VERSION!r}: rebuild it"
        )
    try:
        return RarityTable(int(doc["documents"]), dict(doc["subwords"]), dict(doc["identifiers"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise GrammarError(f"{path}: malformed rarity table ({type(exc).__name__}: {exc}): rebuild it") from None
