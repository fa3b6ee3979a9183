"""In-process latency of one audit after start-up: ``python -m bench.latency`` (after bench.fetch).

For every benchmark pair: :func:`memaudit.api.run` (discover + parse both trees, all evidence
channels, the verdict) — everything ``memaudit compare`` does except starting Python, importing
libraries (measured once, separately) and rendering. Best of three runs per pair, on one process; results in bench/results/latency.json,
reported in docs/benchmarks.md. The target: a 17k-line original against an 8k-line submission in
under 1 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench import config
from bench.manifest import load_manifest

LATENCY_FILE = config.BENCH / "results" / "latency.json"


def main() -> int:
    start = time.perf_counter()
    startup = subprocess.run(
        [sys.executable, "-c", "import memaudit.api, memaudit.verdict, memaudit.report.json_report, datasketch, "
         "rapidfuzz.process, scipy.optimize"], check=True)  # fmt: skip
    del startup
    import_seconds = time.perf_counter() - start

    from memaudit.api import AuditRequest, run

    fetched = json.loads((config.cache_dir() / "manifest.json").read_text())["sides"]
    rows = []
    for pair in load_manifest(config.PAIRS_FILE).pairs:
        a, b = fetched.get(pair.a.id), fetched.get(pair.b.id)
        if not a or not b or a.get("error") or b.get("error"):
            continue
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            report = run(AuditRequest(a["dir"], (b["dir"],)))
            best = min(best, time.perf_counter() - t)
        ta, tb = report.trees
        rows.append({"pair": pair.id, "lines_a": ta.n_lines, "lines_b": tb.n_lines,
                     "mb": round((ta.n_bytes + tb.n_bytes) / 1e6, 3), "seconds": round(best, 3)})  # fmt: skip
        print(f"{pair.id}: {ta.n_lines} + {tb.n_lines} lines, {best:.2f} s", flush=True)
    LATENCY_FILE.write_text(json.dumps({"startup_seconds": round(import_seconds, 3), "pairs": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
