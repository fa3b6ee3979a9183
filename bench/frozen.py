"""The frozen test split: about a third of the benchmark's families (domains), set aside before any
feature work and scored only at the end (issue "A benchmark that can fail").

A family is frozen when ``sha256("<SEED>:<domain>")``, read as a fraction of 2**256, is below
``SHARE``. The seed was drawn once (``secrets.randbits(32)`` on 2026-12-01) and is never changed;
the rule decides new families too, so adding pairs never re-draws the split. ``bench/frozen.toml``
lists the members the rule gives for the families in ``bench/families.toml`` (a test keeps the two
in step), so the split is visible in review.

Frozen pairs are never trained on (bench/train.py), never tuned on, and their scores are sealed:
``python -m bench.run`` computes them (to show the split runs) but writes them only to the cache,
outside the repository, and reports only how many were scored, until ``--reveal-frozen``.
"""

from __future__ import annotations

import hashlib
import tomllib

from . import config

__all__ = ["SEED", "SHARE", "is_frozen", "families", "frozen_families", "FROZEN_FILE"]

SEED = 1350059475
SHARE = 1 / 3
FROZEN_FILE = config.BENCH / "frozen.toml"


def is_frozen(domain: str) -> bool:
    digest = hashlib.sha256(f"{SEED}:{domain}".encode()).digest()
    return int.from_bytes(digest, "big") < SHARE * 2**256


def families() -> list[str]:
    """Every domain of bench/families.toml, sorted."""
    sides = tomllib.loads((config.BENCH / "families.toml").read_text())["side"]
    return sorted({s["domain"] for s in sides})


def frozen_families() -> list[str]:
    return [d for d in families() if is_frozen(d)]


def render() -> str:
    """The text of bench/frozen.toml for the current families."""
    fams = families()
    frozen = [d for d in fams if is_frozen(d)]
    lines = [
        "# The frozen test split (bench/frozen.py): generated, do not edit by hand.",
        "# Regenerate with `python -m bench.frozen` after adding families; the rule never changes.",
        f"seed = {SEED}",
        'rule = "frozen iff int(sha256(f\\"{seed}:{domain}\\")) < 2**256 / 3"',
        f"families = {len(fams)}",
        "frozen = [" + ", ".join(f'"{d}"' for d in frozen) + "]",
        "open = [" + ", ".join(f'"{d}"' for d in fams if d not in frozen) + "]",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    FROZEN_FILE.write_text(render())
    print(FROZEN_FILE.read_text(), end="")
