"""The JSON report: a documented, versioned schema (docs/json-schema.md,
docs/schema/compare.schema.json).

The same inputs and parameters give byte-identical output: keys are emitted in a fixed order,
lists in a stable order, floats rounded, and nothing depends on time or the machine.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .. import __version__
from ..categories import CATEGORY_SET_VERSION
from ..compare import Comparison, CompareOptions, TreeStats
from ..languages import spec_for
from ..match import Fragment

__all__ = ["SCHEMA_ID", "SCHEMA_VERSION", "BATCH_SCHEMA_ID", "comparison_to_dict", "dumps", "dumps_batch"]

SCHEMA_VERSION = 1
SCHEMA_ID = "memaudit.compare/1"
#: Several submissions against one original: ``{"schema": ..., "reports": [compare reports]}``.
BATCH_SCHEMA_ID = "memaudit.batch/1"


def _round(x: float) -> float:
    return round(float(x), 6)


def _tree(stats: TreeStats) -> dict[str, Any]:
    return {
        "root": stats.root,
        "languages": list(stats.languages),
        "bytes": stats.bytes,
        "lines": stats.lines,
        "tokens": stats.tokens,
        "covered_tokens": stats.covered_tokens,
        "coverage": _round(stats.coverage),
        "files": [
            {
                "path": f.path,
                "language": f.language,
                "bytes": f.bytes,
                "lines": f.lines,
                "tokens": f.tokens,
                "functions": f.functions,
                "parse_errors": f.parse_errors,
                "invalid_utf8": f.invalid_utf8,
                "coverage": _round(f.coverage),
            }
            for f in stats.files
        ],
        "skipped": [{"path": path, "reason": reason} for path, reason in stats.skipped],
    }


def _side(path: str, tokens: tuple[int, int], lines: tuple[int, int]) -> dict[str, Any]:
    return {"path": path, "start_line": lines[0], "end_line": lines[1], "start_token": tokens[0], "end_token": tokens[1]}


def _fragment(f: Fragment) -> dict[str, Any]:
    return {
        "tokens": f.n_tokens,
        "original": _side(f.a_path, f.a_tokens, f.a_lines),
        "submission": _side(f.b_path, f.b_tokens, f.b_lines),
    }


def _grammars(comparison: Comparison) -> dict[str, Any]:
    from ..parse import grammar_version  # imports tree-sitter; only when a report is written

    languages = sorted(set(comparison.original.languages) | set(comparison.submission.languages))
    out = {}
    for name in languages:
        spec = spec_for(name)
        out[name] = {"package": spec.module.replace("_", "-"), "version": grammar_version(spec)}
    return out


def comparison_to_dict(comparison: Comparison, options: CompareOptions) -> dict[str, Any]:
    """The report as plain data, in schema order."""
    d = options.discovery
    longest = comparison.longest_fragment
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "memaudit", "version": __version__},
        "grammars": _grammars(comparison),
        "parameters": {
            "k": comparison.params.k,
            "window": comparison.params.window,
            "min_fragment_tokens": comparison.min_fragment_tokens,
            "max_occurrences": comparison.max_occurrences,
            "category_set_version": CATEGORY_SET_VERSION,
            "minhash": asdict(comparison.sketch_params),
            "discovery": {
                "language": d.language,
                "include": list(d.include),
                "exclude": list(d.exclude),
                "exclude_tests": d.exclude_tests,
                "max_file_size": d.max_file_size,
            },
        },
        "summary": {
            "similarity": _round(comparison.similarity),
            "jaccard": _round(comparison.jaccard),
            "original_coverage": _round(comparison.original.coverage),
            "submission_coverage": _round(comparison.submission.coverage),
            "fragments": len(comparison.fragments),
            "longest_fragment_tokens": longest.n_tokens if longest else 0,
        },
        "original": _tree(comparison.original),
        "submission": _tree(comparison.submission),
        "fragments": [_fragment(f) for f in comparison.fragments],
    }


def dumps(comparison: Comparison, options: CompareOptions) -> str:
    return json.dumps(comparison_to_dict(comparison, options), indent=2, ensure_ascii=False) + "\n"


def dumps_batch(comparisons: list[Comparison], options: CompareOptions) -> str:
    doc = {"schema": BATCH_SCHEMA_ID, "reports": [comparison_to_dict(c, options) for c in comparisons]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
