"""Build fingerprints/region-null.json: how large a region of shared structure independent
implementations of the same behaviour reach (memaudit/evidence/regions.py).

    python -m bench.region_null

For every open (non-frozen) independent pair of bench/pairs.toml, the strongest region's
effective length (tokens x complexity); the bound per kind (same-language, cross-language) is
their maximum. The file records every pair's value and what built it. Frozen families are never
read.
"""

from __future__ import annotations

import json
import sys

from . import config
from .frozen import is_frozen
from .manifest import load_manifest
from .tiers import domain_of_pair

OUT = config.REPO / "fingerprints" / "region-null.json"


def main() -> int:
    import memaudit
    from memaudit.api import AuditRequest, run
    from memaudit.evidence.channel import Channel, PairInput
    from memaudit.evidence.model import ChannelResult
    from memaudit.evidence.regions import NULL_FORMAT, find_regions
    from memaudit.evidence.registry import Registry, default_registry

    class Strongest(Channel):
        name = "strongest_region"
        phrase = description = "strongest region's effective length"
        version = 0
        order = 999

        def compare(self, pair: PairInput) -> ChannelResult:
            regions = find_regions(pair.comparison.fragments, pair.original)
            return self.result(regions[0].effective if regions else 0.0, [], {}, "")

    registry = Registry.of([*default_registry().channels, Strongest()])
    fetched = json.loads((config.cache_dir() / "manifest.json").read_text())["sides"]
    rows = []
    for pair in load_manifest(config.PAIRS_FILE).pairs:
        if pair.label != "independent" or is_frozen(domain_of_pair(pair)):
            continue
        a, b = fetched[pair.a.id], fetched[pair.b.id]
        audit = run(AuditRequest(a["dir"], (b["dir"],), verdict=False), registry=registry).audits[0]
        value = audit.channel("strongest_region").score
        kind = "same" if a["lang"] == b["lang"] else "cross"
        rows.append({"pair": pair.id, "kind": kind, "effective": round(value, 3)})
        print(f"{pair.id:34s} {kind:5s} {value:8.1f}", flush=True)
    bound = {kind: max((r["effective"] for r in rows if r["kind"] == kind), default=0.0) for kind in ("same", "cross")}
    doc = {
        "format": NULL_FORMAT,
        "bound": bound,
        "manifest": {"built_by": "python -m bench.region_null", "memaudit": memaudit.__version__,
                     "pairs": rows, "frozen_families_excluded": True},  # fmt: skip
    }
    OUT.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"bound: {bound}; wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
