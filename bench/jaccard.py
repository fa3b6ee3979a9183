"""Baseline: Jaccard similarity of the two trees' identifier sets.

Identifiers are taken with one regular expression (``[A-Za-z_][A-Za-z0-9_]*``, at least
:data:`MIN_LENGTH` characters) from every file of each tree, comments and strings included; no
keyword list, no parsing. It is the cheapest signal a reviewer could compute, and shows how much a
tool adds over shared names.

``python -m bench.jaccard TREE_A TREE_B`` prints ``{"jaccard": ..., "identifiers_a": ..., ...}``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MIN_LENGTH = 2


def identifiers(text: str) -> set[str]:
    """The distinct identifiers of ``text`` (of at least :data:`MIN_LENGTH` characters)."""
    return {m.group(0) for m in IDENTIFIER.finditer(text) if len(m.group(0)) >= MIN_LENGTH}


def tree_identifiers(root: Path) -> set[str]:
    """The distinct identifiers of every file under ``root`` (or of ``root`` if it is a file)."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    out: set[str] = set()
    for path in files:
        out |= identifiers(path.read_text(encoding="utf-8", errors="replace"))
    return out


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|, 0 for two empty sets."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def compare(tree_a: Path, tree_b: Path) -> dict:
    """The baseline's result for two trees."""
    ids_a, ids_b = tree_identifiers(tree_a), tree_identifiers(tree_b)
    return {"jaccard": round(jaccard(ids_a, ids_b), 6), "identifiers_a": len(ids_a),
            "identifiers_b": len(ids_b), "shared": len(ids_a & ids_b)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.jaccard TREE_A TREE_B", file=sys.stderr)
        return 2
    print(json.dumps(compare(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
