"""Score one pair with copydetect, as memaudit's benchmark anchor.

Runs inside the separate virtual environment where copydetect is installed (in the benchmark cache):

    <cache>/tools/copydetect-venv/bin/python bench/copydetect_score.py FILE_A FILE_B

FILE_A and FILE_B are one file per side (the side's files concatenated by bench/tools.py); each is
tokenized by copydetect with the Pygments lexer its extension selects. copydetect's defaults are
used: noise threshold k = 25 and guarantee threshold 25 (so a winnowing window of 1). Prints one JSON
object with the per-side similarities and the token counts.
"""

import json
import sys
from importlib.metadata import version

from copydetect import CodeFingerprint, compare_files
from copydetect import defaults


def main() -> int:
    file_a, file_b = sys.argv[1:3]
    k = defaults.NOISE_THRESHOLD
    window = defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
    fp_a = CodeFingerprint(file_a, k, window)
    fp_b = CodeFingerprint(file_b, k, window)
    overlap, (sim_a, sim_b), _ = compare_files(fp_a, fp_b)
    print(json.dumps({
        "similarity_a": float(sim_a),
        "similarity_b": float(sim_b),
        "token_overlap": int(overlap),
        "tokens_a": int(fp_a.token_coverage),
        "tokens_b": int(fp_b.token_coverage),
        "k": k,
        "window": window,
        "version": version("copydetect"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
