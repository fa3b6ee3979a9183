"""The JSON report: a documented, versioned schema (docs/json-schema.md,
docs/schema/compare.schema.json).

The same inputs and parameters give byte-identical output: keys are emitted in a fixed order,
lists in a stable order, floats rounded, and nothing depends on time or the machine.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from .. import __version__
from ..audit import Audit
from ..compare import TreeStats
from ..evidence.model import EvidenceItem
from ..match import Fragment
from . import Renderer, RenderOptions

if TYPE_CHECKING:
    from ..api import Report

__all__ = ["SCHEMA_ID", "SCHEMA_VERSION", "BATCH_SCHEMA_ID", "audit_to_dict", "dumps", "JsonRenderer", "RENDERER"]

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
                "flags": list(c.flags),
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
        "thresholds": dict(v.thresholds),
        "features": {k: _round(x) for k, x in v.features.items()},
        "contributions": {k: _round(x) for k, x in v.contributions.items()},
        "reasons": list(v.reasons),
        "intervals": {k: [_round(lo), _round(hi)] for k, (lo, hi) in v.intervals.items()},
        "null": null,
    }


def audit_to_dict(audit: Audit) -> dict[str, Any]:
    """One audit as plain data, in schema order."""
    comparison = audit.comparison
    receipt = audit.receipt
    if receipt is None:
        raise ValueError("an audit without a receipt cannot be reported (use memaudit.api.run)")
    longest = comparison.longest_fragment
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "memaudit", "version": __version__},
        "grammars": {name: dict(g) for name, g in receipt.grammars.items()},
        "parameters": receipt.parameters,
        "parameters_sha256": receipt.parameters_sha256,
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


def dumps(report: "Report") -> str:
    """The report as JSON text: one compare report, or a batch of them for several submissions."""
    if report.single:
        doc = audit_to_dict(report.audits[0])
    else:
        doc = {"schema": BATCH_SCHEMA_ID, "reports": [audit_to_dict(a) for a in report.audits]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


class JsonRenderer(Renderer):
    name = "json"

    def render(self, report: "Report", out: TextIO, options: RenderOptions = RenderOptions()) -> None:
        out.write(dumps(report))


RENDERER = JsonRenderer()
