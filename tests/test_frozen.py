"""The frozen test split is fixed by a recorded seed and rule, and bench/frozen.toml says which
families it holds."""

from __future__ import annotations

import tomllib

from bench import frozen

from .conftest import ROOT


def test_the_recorded_split_is_the_rule_applied_to_the_current_families():
    recorded = tomllib.loads((ROOT / "bench" / "frozen.toml").read_text())
    assert recorded["seed"] == frozen.SEED
    assert (ROOT / "bench" / "frozen.toml").read_text() == frozen.render(), "run python -m bench.frozen"
    assert sorted(recorded["frozen"] + recorded["open"]) == frozen.families()


def test_the_rule_is_a_stable_hash_of_seed_and_family():
    import hashlib

    for domain in ["awk", "compression", "a family added later"]:
        h = int.from_bytes(hashlib.sha256(f"{frozen.SEED}:{domain}".encode()).digest(), "big")
        assert frozen.is_frozen(domain) == (h < 2**256 / 3)


def test_about_a_third_of_the_families_are_frozen():
    n, k = len(frozen.families()), len(frozen.frozen_families())
    assert 0.2 <= k / n <= 0.45, (k, n)
