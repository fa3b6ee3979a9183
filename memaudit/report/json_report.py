"""The JSON report: a documented, versioned schema (docs/json-schema.md,
docs/schema/compare.schema.json).

The same inputs and parameters give byte-identical output: keys are emitted in a fixed order,
lists in a stable order, floats rounded, and nothing depends on time or the machine.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from .. import __version__
from ..categories import CATEGORY_SET_VERSION
from ..audit import Audit
from ..compare import Comparison, CompareOptions, TreeStats
from ..evidence.model import EvidenceItem
from ..languages import spec_for
from ..match import Fragment
from ..reference import RARITY_TABLE, VERDICT_MODEL, reference_sha256

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
                "sha256": f.sha256,
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


#: Evidence items listed per channel in the JSON (all are counted in the scores).
MAX_ITEMS = 200


def _loc(loc: Any) -> dict[str, Any] | None:
    return None if loc is None else {"path": loc.path, "start_line": loc.start_line, "end_line": loc.end_line}


def _item(i: EvidenceItem) -> dict[str, Any]:
    return {
        "original_text": i.original_text,
        "submission_text": i.submission_text,
        "original": _loc(i.original),
        "submission": _loc(i.submission),
        "weight": _round(i.weight),
        "similarity": _round(i.similarity),
        "observable": i.observable,
        "note": i.note,
    }


def _evidence(audit: Audit) -> dict[str, Any]:
    return {
        "spec": list(audit.spec_sources),
        "base": audit.base,
        "base_tokens_removed": dict(sorted(audit.base_tokens.items())),
        "exclusions": [
            {"side": e.side, "path": e.path, "what": e.what, "reason": e.reason} for e in audit.exclusions
        ],
        "channels": [
            {
                "name": c.name,
                "score": _round(c.score),
                "description": c.description,
                "stats": {k: (_round(v) if isinstance(v, float) else v) for k, v in c.stats.items()},
                "items_total": len(c.items),
                "items": [_item(i) for i in c.items[:MAX_ITEMS]],
            }
            for c in audit.channels
        ],
    }


def _verdict(audit: Audit) -> dict[str, Any] | None:
    v = audit.verdict
    if v is None:
        return None
    from ..verdict import load_model

    null = None
    if v.null is not None:
        n = v.null
        null = {
            "source": n.source,
            "ids": list(n.ids),
            "decisions": [_round(x) for x in n.decisions],
            "mean": _round(n.mean),
            "upper95": _round(n.upper95),
            "percentile": _round(n.percentile),
            "z": _round(n.z) if n.z is not None else None,
        }
    return {
        "label": v.label,
        "probability": _round(v.probability),
        "decision": _round(v.decision),
        "thresholds": dict(load_model().thresholds),
        "features": {k: _round(x) for k, x in v.features.items()},
        "contributions": {k: _round(x) for k, x in v.contributions.items()},
        "reasons": list(v.reasons),
        "intervals": {k: [_round(lo), _round(hi)] for k, (lo, hi) in v.intervals.items()},
        "null": null,
    }


def comparison_to_dict(audit: Audit, options: CompareOptions) -> dict[str, Any]:
    """The report as plain data, in schema order."""
    comparison = audit.comparison
    d = options.discovery
    longest = comparison.longest_fragment
    parameters = {
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
        "spec": list(audit.spec_sources),
        "base": audit.base,
        "rarity_table_sha256": reference_sha256(RARITY_TABLE),
        "model_sha256": reference_sha256(VERDICT_MODEL),
    }
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "memaudit", "version": __version__},
        "grammars": _grammars(comparison),
        "parameters": parameters,
        # Canonical JSON of the parameters, hashed: two reports with equal hashes were made with the
        # same settings and reference data.
        "parameters_sha256": hashlib.sha256(
            json.dumps(parameters, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest(),
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
        "verdict": _verdict(audit),
        "evidence": _evidence(audit),
        "fragments": [_fragment(f) for f in comparison.fragments],
    }


def dumps(audit: Audit, options: CompareOptions) -> str:
    return json.dumps(comparison_to_dict(audit, options), indent=2, ensure_ascii=False) + "\n"


def dumps_batch(audits: list[Audit], options: CompareOptions) -> str:
    doc = {"schema": BATCH_SCHEMA_ID, "reports": [comparison_to_dict(a, options) for a in audits]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
