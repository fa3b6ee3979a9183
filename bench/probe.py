"""Measure evidence channels alone, in process, on the open (non-frozen) pairs of the plain and
laundered tiers — the instrument for developing a channel before it is registered:

    python -m bench.probe [--channel memaudit.evidence.callgraph:CallGraphChannel ...]
                          [--tiers plain,laundered] [--only PAIR,...] [--json out.json]

Every registered channel is measured, plus each ``--channel module:Class`` (an unregistered
channel class, instantiated and added to the registry for this run). Prints each channel's ROC
AUC (stratified bootstrap 95% interval) per tier, all pairs and cross-language pairs. Frozen
families (bench/frozen.py) are never scored here. Needs the fetched corpus (``python -m
bench.fetch``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from . import config
from .frozen import is_frozen
from .manifest import load_manifest
from .metrics import bootstrap_auc_ci, roc_auc
from .tiers import domain_of_pair, laundered_record


def _load_channel(spec: str):  # type: ignore[no-untyped-def]
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)()


def _auc(rows: list[dict], key: str) -> str:
    pos = [r["scores"].get(key) for r in rows if r["label"] == "derived"]
    neg = [r["scores"].get(key) for r in rows if r["label"] == "independent"]
    auc = roc_auc(pos, neg)
    if auc is None:
        return "undefined"
    lo, hi = bootstrap_auc_ci(pos, neg, resamples=config.BOOTSTRAP_RESAMPLES, seed=config.BOOTSTRAP_SEED)
    return f"{auc:.3f} [{lo:.2f}, {hi:.2f}]"


def probe(channel_specs: list[str], tiers: list[str], only: list[str] | None, log=print) -> list[dict]:
    from memaudit.api import AuditRequest, run
    from memaudit.evidence.registry import Registry, default_registry

    extra = [_load_channel(s) for s in channel_specs]
    registry = Registry.of([*default_registry().channels, *extra])
    cache = config.cache_dir()
    fetched = json.loads((cache / "manifest.json").read_text())
    pairs = [p for p in load_manifest(config.PAIRS_FILE).select(only or None) if not is_frozen(domain_of_pair(p))]
    rows: list[dict] = []
    for tier in tiers:
        for pair in pairs:
            rec_a, rec_b = fetched["sides"].get(pair.a.id), fetched["sides"].get(pair.b.id)
            if not rec_a or not rec_b or rec_a.get("error") or rec_b.get("error"):
                continue
            if tier == "laundered":
                rec_b = laundered_record(rec_b, cache)
            t = time.perf_counter()
            report = run(AuditRequest(rec_a["dir"], (rec_b["dir"],), verdict=False), registry=registry)
            audit = report.audits[0]
            scores = {k: v for c in audit.channels for k, v in c.features.items()}
            rows.append({"tier": tier, "pair": pair.id, "label": pair.label,
                         "cross_language": rec_a["lang"] != rec_b["lang"],
                         "lines": [report.trees[0].n_lines, report.trees[1].n_lines],
                         "seconds": round(time.perf_counter() - t, 3), "scores": scores})  # fmt: skip
            log(f"{tier:9s} {pair.id:32s} {pair.label:11s} " + " ".join(f"{k}={v:.2f}" for k, v in scores.items()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe", description=__doc__.splitlines()[0])
    parser.add_argument("--channel", action="append", default=[], help="module:Class of an extra channel")
    parser.add_argument("--tiers", default="plain,laundered")
    parser.add_argument("--only", default="", help="comma-separated pair ids")
    parser.add_argument("--json", type=Path, default=None, help="write every row here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    tiers = [t for t in args.tiers.split(",") if t]
    only = [p for p in args.only.split(",") if p] or None
    rows = probe(args.channel, tiers, only, log=(lambda m: None) if args.quiet else print)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    keys = sorted({k for r in rows for k in r["scores"]}, key=lambda k: (k.count("_"), k))
    print(f"\n{'feature':34s} " + " ".join(f"{t + ' ' + s:>24s}" for t in tiers for s in ("all", "cross")))
    for key in keys:
        cells = []
        for tier in tiers:
            chosen = [r for r in rows if r["tier"] == tier]
            cells += [_auc(chosen, key), _auc([r for r in chosen if r["cross_language"]], key)]
        print(f"{key:34s} " + " ".join(f"{c:>24s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
