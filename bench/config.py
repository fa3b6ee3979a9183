"""Settings of the benchmark that every module shares, declared in one place."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (the parent of ``bench/``).
REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PAIRS_FILE = BENCH / "pairs.toml"
RESULTS_FILE = BENCH / "results" / "results.json"
DOC_FILE = REPO / "docs" / "benchmarks.md"

#: Fixed decision threshold on memaudit's structural score ``summary.similarity``, used to report
#: precision/recall beside the other tools' token-overlap scores; never tuned to the benchmark pairs.
#: (The calibrated verdict has its own thresholds: memaudit/verdict.py, bench/train.py.)
PROVISIONAL_THRESHOLD = 0.25

#: Bootstrap settings for the ROC AUC confidence intervals (fixed seed: reruns give the same interval).
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20240601

#: Versions of the anchor tools installed at run time.
DOLOS_LIB_VERSION = "3.5.1"
COPYDETECT_VERSION = "0.5.0"

#: Tool names in report order. ``jaccard`` is the plain identifier-Jaccard baseline.
TOOLS = ("memaudit", "dolos", "copydetect", "sim", "jaccard")

#: Per tool call time limit, in seconds.
TOOL_TIMEOUT = 1800


def cache_dir() -> Path:
    """The cache that holds everything fetched (never inside the repository).

    ``MEMAUDIT_BENCH_CACHE`` overrides the default ``~/.cache/memaudit-bench``.
    """
    override = os.environ.get("MEMAUDIT_BENCH_CACHE")
    path = Path(override) if override else Path.home() / ".cache" / "memaudit-bench"
    return path.expanduser().resolve()
