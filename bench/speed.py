"""Raw tree-sitter parse speed on given files: the floor under memaudit's own throughput.

Each file is parsed with ``tree_sitter.Parser.parse`` and the grammar wheel memaudit uses for its
language (``memaudit.languages.spec_for(lang).module``); only the ``parse`` calls are timed, best
of :data:`REPEATS` runs, files read into memory beforehand.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

REPEATS = 3


def _parser_for(lang: str):
    """A tree-sitter parser for memaudit language ``lang`` (as memaudit loads the grammar)."""
    import tree_sitter as ts
    from memaudit.languages import spec_for

    spec = spec_for(lang)
    module = importlib.import_module(spec.module)
    language = ts.Language(getattr(module, spec.entry_point)())
    return ts.Parser(language)


def parse_speed(files: list[tuple[str, Path]]) -> dict:
    """Time parsing ``files`` (``(language, path)`` pairs); returns bytes, seconds and MB/s."""
    parsers = {}
    data = []
    for lang, path in files:
        if lang not in parsers:
            parsers[lang] = _parser_for(lang)
        data.append((parsers[lang], path.read_bytes()))
    total = sum(len(blob) for _, blob in data)
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for parser, blob in data:
            parser.parse(blob)
        best = min(best, time.perf_counter() - start)
    return {"files": len(data), "bytes": total, "seconds": round(best, 4),
            "mb_per_s": round(total / 1e6 / best, 2) if best > 0 else None}
