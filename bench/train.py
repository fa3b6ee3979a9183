"""Train the verdict model: ``python -m bench.train`` (after ``python -m bench.fetch``).

Labelled pairs, all built reproducibly from the benchmark corpus (bench/pairs.toml):
- the real benchmark pairs (derived: ports and translations; independent: separate
  implementations of the same behaviour);
- synthetic derived pairs: each side against a transformed copy of itself (bench/synthetic.py:
  identifiers renamed, comments stripped, functions reordered);
- synthetic independent pairs: every two sides of one domain but different lineage
  (bench/families.toml) that are not already a benchmark pair.

Evaluation is grouped cross-validation, leaving one domain out at a time, so pairs of one family
never sit on both sides of a split. Probabilities are calibrated by Platt scaling on inner
grouped out-of-fold decision values (what CalibratedClassifierCV(method="sigmoid") does, with
groups). The shipped model is plain JSON (fingerprints/verdict-model.json): standardization,
coefficients, Platt parameters, thresholds, the default null and a manifest — never a pickle.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from bench import config
from bench.manifest import Side, load_manifest
from bench.metrics import bootstrap_auc_ci, roc_auc
from bench.synthetic import transform_tree
from bench.tiers import laundered_record

MODEL_FILE = config.REPO / "fingerprints" / "verdict-model.json"
VERDICT_RESULTS = config.BENCH / "results" / "verdict.json"
FAMILIES_FILE = config.BENCH / "families.toml"
#: Fixed before training, never fitted: P(derived) from which each label applies.
THRESHOLDS = {"memorized": 0.85, "suspicious": 0.5, "inconclusive": 0.15}
#: One self-copy transform per side: renamed, stripped and reordered copies are the easy end of
#: recall; the laundered tier (real ports and independent pairs, renamed) is the hard end.
SYNTHETIC_TRANSFORMS = ("rename+strip+reorder",)
#: Logistic regression regularization (sklearn's C), fixed a priori. Stronger than sklearn's
#: default: the channel scores are correlated and parts of the training data are separable, and
#: an unregularized fit turns that into extreme probabilities where the evidence is weak.
C = 0.1


@dataclass(frozen=True)
class LabelledPair:
    id: str
    label: int  # 1 derived, 0 independent
    kind: str  # bench | synthetic-derived | synthetic-independent
    a_dir: str
    b_dir: str
    a_lang: str
    b_lang: str
    domain: str

    @property
    def cross_language(self) -> bool:
        return self.a_lang != self.b_lang


def _families() -> list[dict]:
    return tomllib.loads(FAMILIES_FILE.read_text())["side"]


def family_of(side: Side, families: list[dict]) -> tuple[str, str]:
    matches = [f for f in families if f["pkg"] == side.name and f.get("path", side.path) == side.path]
    if len(matches) != 1:
        raise SystemExit(f"bench/families.toml: {len(matches)} entries match side {side.name} {side.path}")
    return matches[0]["domain"], matches[0]["lineage"]


def build_pairs(cache: Path, log=print) -> list[LabelledPair]:
    manifest = load_manifest(config.PAIRS_FILE)
    fetched = json.loads((cache / "manifest.json").read_text())["sides"]
    families = _families()
    ok = {sid: rec for sid, rec in fetched.items() if not rec.get("error")}
    pairs: list[LabelledPair] = []
    seen_pairs: set[frozenset[str]] = set()
    sides: dict[str, tuple[Side, str, str, str]] = {}
    for pair in manifest.pairs:
        for side in (pair.a, pair.b):
            if side.id in ok:
                domain, lineage = family_of(side, families)
                sides[side.id] = (side, ok[side.id]["lang"], domain, lineage)
        if pair.a.id in ok and pair.b.id in ok:
            seen_pairs.add(frozenset((pair.a.id, pair.b.id)))
            pairs.append(
                LabelledPair(
                    pair.id, int(pair.label == "derived"), "bench", ok[pair.a.id]["dir"], ok[pair.b.id]["dir"],
                    ok[pair.a.id]["lang"], ok[pair.b.id]["lang"], sides[pair.a.id][2],
                )
            )  # fmt: skip
            # The laundered tier: the same pair, the submission's names and comments gone.
            laundered = laundered_record(ok[pair.b.id], cache)
            pairs.append(
                LabelledPair(
                    f"{pair.id}~laundered", int(pair.label == "derived"), "laundered", ok[pair.a.id]["dir"],
                    laundered["dir"], ok[pair.a.id]["lang"], ok[pair.b.id]["lang"], sides[pair.a.id][2],
                )
            )  # fmt: skip
    for sid in sorted(sides):
        side, lang, domain, _ = sides[sid]
        for transform in SYNTHETIC_TRANSFORMS:
            dest = cache / "synthetic" / sid / transform.replace("+", "-")
            if not dest.is_dir():
                log(f"synthetic {transform}: {sid}")
                transform_tree(Path(ok[sid]["dir"]), dest, transform)
            pairs.append(LabelledPair(f"{sid}~{transform}", 1, "synthetic-derived", ok[sid]["dir"], str(dest), lang, lang, domain))
    for a, b in combinations(sorted(sides), 2):
        (_, la, da, ga), (_, lb, db, gb) = sides[a], sides[b]
        if da != db or ga == gb or frozenset((a, b)) in seen_pairs:
            continue
        pairs.append(LabelledPair(f"{a}~{b}", 0, "synthetic-independent", ok[a]["dir"], ok[b]["dir"], la, lb, da))
    return pairs


def extract_features(pairs: list[LabelledPair], log=print) -> np.ndarray:
    """Every pair's verdict features, through the library entry point: one run per original with
    all of its submissions (a batch gives each submission exactly its single-pair result)."""
    from memaudit.api import AuditRequest, run
    from memaudit.evidence.registry import default_registry
    from memaudit.verdict import features_of

    features = default_registry().features
    by_original: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_original.setdefault(p.a_dir, []).append(i)
    rows: list[list[float]] = [[] for _ in pairs]
    done = 0
    for a_dir, members in by_original.items():
        report = run(AuditRequest(a_dir, tuple(pairs[i].b_dir for i in members), verdict=False))
        for i, audit in zip(members, report.audits):
            f = features_of(audit.channels, features)
            rows[i] = [f[name] for name in features]
            done += 1
            log(f"[{done}/{len(pairs)}] {pairs[i].id}: " + " ".join(f"{v:.2f}" for v in rows[i]))
    return np.asarray(rows, dtype=float)


def _fit_lr(X: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=1000).fit(scaler.transform(X), y)
    return scaler, lr


def _decision(model, X: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    scaler, lr = model
    return lr.decision_function(scaler.transform(X))


def _platt(decisions: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """p = 1 / (1 + exp(a d + b)), fitted with Platt's (1999) smoothed targets
    (N+ + 1)/(N+ + 2) and 1/(N- + 2) instead of 1 and 0, as scikit-learn's sigmoid calibration
    does. Without them, separable training data drive the slope to infinity and every
    probability to exactly 0 or 1."""
    from sklearn.linear_model import LogisticRegression

    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    target = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    d = decisions.reshape(-1, 1)
    m = LogisticRegression(C=1e6, max_iter=1000).fit(
        np.vstack([d, d]), np.concatenate([np.ones(len(y)), np.zeros(len(y))]), sample_weight=np.concatenate([target, 1 - target])
    )
    return -float(m.coef_[0, 0]), -float(m.intercept_[0])


def fit_calibrated(X: np.ndarray, y: np.ndarray, groups: np.ndarray):  # type: ignore[no-untyped-def]
    """Linear model on all of (X, y), Platt parameters from inner leave-one-group-out decisions."""
    inner = np.zeros(len(y))
    for g in np.unique(groups):
        test = groups == g
        train = ~test
        if len(np.unique(y[train])) < 2:
            inner[test] = 0.0
            continue
        inner[test] = _decision(_fit_lr(X[train], y[train]), X[test])
    a, b = _platt(inner, y)
    return _fit_lr(X, y), a, b


def _prob(d: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(a * d + b, -700, 700)))


def grouped_cv(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict[str, np.ndarray]:
    """Out-of-fold calibrated probabilities (logistic regression) and gradient boosting scores."""
    from sklearn.ensemble import GradientBoostingClassifier

    p_lr = np.zeros(len(y))
    p_gb = np.zeros(len(y))
    for g in np.unique(groups):
        test = groups == g
        train = ~test
        model, a, b = fit_calibrated(X[train], y[train], groups[train])
        p_lr[test] = _prob(_decision(model, X[test]), a, b)
        gb = GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=0).fit(X[train], y[train])
        p_gb[test] = gb.predict_proba(X[test])[:, 1]
    return {"logistic": p_lr, "boosting": p_gb}


def _auc(p: np.ndarray, y: np.ndarray, mask: np.ndarray) -> dict:
    pos, neg = p[mask & (y == 1)].tolist(), p[mask & (y == 0)].tolist()
    auc = roc_auc(pos, neg)
    ci = bootstrap_auc_ci(pos, neg, resamples=config.BOOTSTRAP_RESAMPLES, seed=config.BOOTSTRAP_SEED) if auc is not None else None
    return {"auc": auc, "ci": list(ci) if ci else None, "positives": len(pos), "negatives": len(neg)}


def evaluate(p: np.ndarray, y: np.ndarray, pairs: list[LabelledPair]) -> dict:
    bench = np.array([q.kind == "bench" for q in pairs])
    laundered = np.array([q.kind == "laundered" for q in pairs])
    cross = np.array([q.cross_language for q in pairs])
    everything = np.ones(len(y), dtype=bool)
    out = {
        "auc": {
            "all pairs": _auc(p, y, everything),
            "bench pairs": _auc(p, y, bench),
            "bench, same-language": _auc(p, y, bench & ~cross),
            "bench, cross-language": _auc(p, y, bench & cross),
            "laundered pairs": _auc(p, y, laundered),
            "laundered, cross-language": _auc(p, y, laundered & cross),
            "all, same-language": _auc(p, y, ~cross),
            "all, cross-language": _auc(p, y, cross),
        },
        "brier": {
            "all pairs": float(np.mean((p - y) ** 2)),
            "bench pairs": float(np.mean((p[bench] - y[bench]) ** 2)),
            "laundered pairs": float(np.mean((p[laundered] - y[laundered]) ** 2)) if laundered.any() else None,
        },
    }
    bins = np.linspace(0, 1, 6)
    table = []
    for lo, hi in zip(bins[:-1], bins[1:]):
        m = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        table.append({"bin": [float(lo), float(hi)], "n": int(m.sum()),
                      "mean_predicted": float(p[m].mean()) if m.any() else None,
                      "observed_derived": float(y[m].mean()) if m.any() else None})  # fmt: skip
    out["reliability"] = table
    pr = {}
    for name, subset in (("all pairs", everything), ("bench pairs", bench), ("bench, same-language", bench & ~cross),
                         ("bench, cross-language", bench & cross), ("laundered pairs", laundered)):
        for label in ("suspicious", "memorized"):
            t = THRESHOLDS[label]
            flagged = (p >= t) & subset
            tp = int((flagged & (y == 1)).sum())
            fp = int((flagged & (y == 0)).sum())
            fn = int((~flagged & subset & (y == 1)).sum())
            pr[f"{name} @ {label} (p >= {t})"] = {
                "precision": tp / (tp + fp) if tp + fp else None, "recall": tp / (tp + fn) if tp + fn else None,
                "tp": tp, "fp": fp, "fn": fn,
            }  # fmt: skip
    out["precision_recall"] = pr
    return out


def _versions() -> dict:
    from importlib.metadata import version

    import memaudit
    from memaudit.languages import all_specs

    out = {"memaudit": memaudit.__version__}
    for dist in ("scikit-learn", "numpy", "scipy", "datasketch", "rapidfuzz", "tree-sitter"):
        out[dist] = version(dist)
    for spec in all_specs().values():
        dist = spec.module.replace("_", "-")
        out[dist] = version(dist)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.train", description=__doc__.splitlines()[0])
    parser.add_argument("--features-cache", type=Path, default=None, help="reuse/save extracted features (JSON)")
    args = parser.parse_args(argv)
    from memaudit.evidence.registry import default_registry
    from memaudit.reference import current_pins
    from memaudit.verdict import MODEL_FORMAT

    registry = default_registry()
    features = registry.features

    from bench.frozen import frozen_families, is_frozen

    cache = config.cache_dir()
    # The frozen split's families are never trained on, cross-validated on or used as the null.
    pairs = [p for p in build_pairs(cache) if not is_frozen(p.domain)]
    # Features extracted by other channel versions or grammars are not reused.
    key = hashlib.sha256(json.dumps([[p.id for p in pairs], current_pins(registry.versions)], sort_keys=True).encode()).hexdigest()
    X = None
    if args.features_cache and args.features_cache.is_file():
        stored = json.loads(args.features_cache.read_text())
        if stored.get("key") == key:
            X = np.asarray(stored["X"], dtype=float)
    if X is None:
        X = extract_features(pairs)
        if args.features_cache:
            args.features_cache.write_text(json.dumps({"key": key, "X": X.tolist()}))
    y = np.array([p.label for p in pairs])
    groups = np.array([p.domain for p in pairs])

    oof = grouped_cv(X, y, groups)
    metrics = {name: evaluate(p, y, pairs) for name, p in oof.items()}
    model, a, b = fit_calibrated(X, y, groups)
    scaler, lr = model
    decisions = _decision(model, X)
    null_idx = [i for i, p in enumerate(pairs) if p.kind == "bench" and p.label == 0]

    doc = {
        "format": MODEL_FORMAT,
        "features": list(features),
        "mean": [round(float(v), 10) for v in scaler.mean_],
        "scale": [round(float(v), 10) for v in scaler.scale_],
        "coef": [round(float(v), 10) for v in lr.coef_[0]],
        "intercept": round(float(lr.intercept_[0]), 10),
        "platt": {"a": round(a, 10), "b": round(b, 10)},
        "thresholds": THRESHOLDS,
        "null": {"ids": [pairs[i].id for i in null_idx], "decisions": [round(float(decisions[i]), 10) for i in null_idx]},
        "manifest": {
            "built_by": "python -m bench.train",
            "model": f"StandardScaler + LogisticRegression(C={C}, class_weight='balanced'); Platt scaling on inner leave-one-domain-out decisions",
            "training_pairs": [{"id": p.id, "label": p.label, "kind": p.kind, "domain": p.domain} for p in pairs],
            "frozen_families_excluded": frozen_families(),
            "counts": {k: int(sum(1 for p in pairs if p.kind == k)) for k in ("bench", "laundered", "synthetic-derived", "synthetic-independent")},
            "corpus": json.loads((cache / "manifest.json").read_text()).get("strip_version"),
            "versions": _versions(),
            # What load_model() checks: channels and their versions, the category set, every
            # grammar (package version and tokenization hash) and the rarity table.
            **current_pins(registry.versions),
        },
    }
    MODEL_FILE.write_text(json.dumps(doc, indent=2) + "\n")
    VERDICT_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    VERDICT_RESULTS.write_text(json.dumps({
        "metrics": metrics,
        "pairs": [{"id": p.id, "label": p.label, "kind": p.kind, "domain": p.domain, "cross_language": p.cross_language,
                   "features": dict(zip(features, map(float, X[i]))), "p_oof": float(oof["logistic"][i]),
                   "p_boosting_oof": float(oof["boosting"][i])} for i, p in enumerate(pairs)],
        "coefficients": dict(zip(features, doc["coef"])),
    }, indent=2) + "\n")  # fmt: skip
    for name, m in metrics.items():
        print(name, json.dumps(m["auc"]["bench pairs"]), "brier", round(m["brier"]["all pairs"], 4))
    print(f"wrote {MODEL_FILE} and {VERDICT_RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
