"""Synthetic derived pairs for training the verdict model: transformations a plagiarist (or a
model reproducing remembered code) applies, performed on real registry code.

Every transformation works on tree-sitter byte spans, so it applies to every language memaudit
parses: consistent identifier renaming, comment removal, and reordering of top-level functions.
Dead-code insertion and statement-level rewrites need per-language syntax and are not done here
(docs/benchmarks.md says so). All randomness comes from a seed derived from the side's id, so the
corpus is rebuilt byte for byte.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

import tree_sitter as ts

from memaudit.core import SourceFile
from memaudit.discover import discover
from memaudit.parse import _parser, load_grammar

__all__ = ["TRANSFORMS", "transform_tree"]

#: name -> (rename identifiers, strip comments, reorder functions)
TRANSFORMS = {
    "rename": (True, False, False),
    "rename+strip": (True, True, False),
    "rename+reorder": (True, False, True),
    "rename+strip+reorder": (True, True, True),
}


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(parts).encode()).digest()[:8], "big")


def _spans(data: bytes, file: SourceFile) -> tuple[list[ts.Node], list[ts.Node], list[ts.Node]]:
    grammar = load_grammar(file.language)
    tree = _parser(file.language).parse(data)
    caps = ts.QueryCursor(grammar.queries["texts"]).captures(tree.root_node)
    functions = ts.QueryCursor(grammar.queries["functions"]).captures(tree.root_node).get("function", [])
    return caps.get("identifier", []), caps.get("comment", []), functions


def _rewrite(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping (start, end, replacement) edits."""
    out, pos = [], 0
    for start, end, text in sorted(edits):
        if start < pos:
            continue  # overlaps an earlier edit (nested capture): keep the outer one
        out.append(data[pos:start])
        out.append(text)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def _transform_file(data: bytes, file: SourceFile, rename: bool, strip: bool, reorder: bool, rng: random.Random, names: dict[bytes, bytes]) -> bytes:
    if reorder:
        _, _, functions = _spans(data, file)
        top = sorted({(f.start_byte, f.end_byte) for f in functions})
        # Outermost functions only, then shuffle their texts among their own slots.
        outer = [s for i, s in enumerate(top) if not any(o[0] <= s[0] and s[1] <= o[1] and o != s for o in top)]
        if len(outer) > 1:
            texts = [data[s:e] for s, e in outer]
            rng.shuffle(texts)
            data = _rewrite(data, [(s, e, t) for (s, e), t in zip(outer, texts)])
    if strip:
        _, comments, _ = _spans(data, file)
        data = _rewrite(data, [(c.start_byte, c.end_byte, b"") for c in comments])
    if rename:
        identifiers, _, _ = _spans(data, file)
        edits = []
        for node in identifiers:
            old = data[node.start_byte : node.end_byte]
            if old not in names:
                names[old] = f"v{rng.getrandbits(40):010x}".encode()
            edits.append((node.start_byte, node.end_byte, names[old]))
        data = _rewrite(data, edits)
    return data


def transform_tree(src: Path, dest: Path, transform: str) -> Path:
    """Write a transformed copy of the source tree ``src`` to ``dest`` (replaced if present)."""
    rename, strip, reorder = TRANSFORMS[transform]
    rng = random.Random(_seed(str(src.name), transform))
    if dest.exists():
        shutil.rmtree(dest)
    names: dict[bytes, bytes] = {}
    for file in discover(str(src)).files:
        data = Path(file.path).read_bytes()
        out = dest / file.relpath
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_transform_file(data, file, rename, strip, reorder, rng, names))
    return dest
