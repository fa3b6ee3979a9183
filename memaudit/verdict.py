"""The verdict: a calibrated probability that the submission is derived from the original, a
label, the reasons (each channel's contribution), and where the submission falls among
independent implementations of the same behaviour (the null).

The model is plain data (fingerprints/verdict-model.json: coefficients, calibration, thresholds,
the default null): loading it cannot execute code, unlike a pickle. ``bench/train.py`` rebuilds
it deterministically from the benchmark corpus and records its manifest.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .errors import GrammarError
from .evidence.model import ChannelResult
from .evidence.registry import Registry, default_registry
from .reference import VERDICT_MODEL, check_pins, load_reference

__all__ = [
    "MODEL_FORMAT", "LABELS", "VerdictModel", "Verdict", "NullBand", "features_of", "load_model",
    "decide", "null_band",
]  # fmt: skip

MODEL_FORMAT = "memaudit.model/1"
#: Labels from most to least severe; a label applies when the probability reaches its threshold.
LABELS = ("memorized", "suspicious", "inconclusive", "independent")


def features_of(channels: Sequence[ChannelResult], names: Sequence[str]) -> dict[str, float]:
    """The model's inputs, in the order of ``names``, from the channels' offered features."""
    offered = {k: v for c in channels for k, v in c.features.items()}
    return {name: float(offered[name]) for name in names if name in offered}


@dataclass(frozen=True)
class VerdictModel:
    features: tuple[str, ...]
    #: Standardization applied before the linear model: (x - mean) / scale.
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    #: Platt calibration of the decision value d: p = 1 / (1 + exp(a * d + b)).
    platt_a: float
    platt_b: float
    #: label -> minimum probability (checked in LABELS order; "independent" is the rest).
    thresholds: Mapping[str, float]
    #: Decision values of the independent training pairs: the default null.
    null_decisions: tuple[float, ...]
    null_ids: tuple[str, ...]
    manifest: Mapping[str, object]

    def decision(self, x: Mapping[str, float]) -> tuple[float, dict[str, float]]:
        """The linear decision value and each feature's contribution to it."""
        contributions = {}
        for name, m, s, w in zip(self.features, self.mean, self.scale, self.coef):
            contributions[name] = w * (x.get(name, 0.0) - m) / s
        return self.intercept + sum(contributions.values()), contributions

    def probability(self, decision: float) -> float:
        z = self.platt_a * decision + self.platt_b
        return 1.0 / (1.0 + math.exp(min(max(z, -700.0), 700.0)))

    def label(self, probability: float) -> str:
        for name in LABELS[:-1]:
            if probability >= self.thresholds[name]:
                return name
        return LABELS[-1]


@dataclass(frozen=True)
class NullBand:
    """Where the submission falls among independent implementations."""

    #: Decision values of the null (independent implementations).
    decisions: tuple[float, ...]
    ids: tuple[str, ...]
    #: Where the null came from: "bench" (the model's default) or "--null".
    source: str
    #: Share of the null at or below the submission's decision value, in percent.
    percentile: float
    #: (submission - mean(null)) / std(null); None when the null has no spread (fewer than two
    #: implementations, or all alike).
    z: float | None
    #: The null's mean and upper 95% bound (mean + 1.645 std, one-sided).
    mean: float
    upper95: float


@dataclass(frozen=True)
class Verdict:
    label: str
    probability: float
    decision: float
    #: Feature -> contribution to the decision value (positive: towards "derived").
    contributions: Mapping[str, float]
    features: Mapping[str, float]
    reasons: tuple[str, ...]
    null: NullBand | None
    #: Feature -> (low, high) bootstrap 95% interval over functions, where computed.
    intervals: Mapping[str, tuple[float, float]]
    #: The model's label thresholds (label -> minimum probability).
    thresholds: Mapping[str, float]


@functools.cache
def load_model(registry: Registry | None = None) -> VerdictModel:
    """The shipped model (or ``$MEMAUDIT_MODEL``). A model of another format, trained on other
    features, channel versions, grammars, category set or rarity table is refused (exit 4)."""
    registry = registry or default_registry()
    path, doc = load_reference(VERDICT_MODEL)
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise GrammarError(f"{path}: model format {found!r}, expected {MODEL_FORMAT!r}: rebuild it")
    if sorted(doc.get("features") or ()) != sorted(registry.features):
        raise GrammarError(
            f"{path}: model features {doc.get('features')} differ from this memaudit's {list(registry.features)}"
        )
    manifest = doc.get("manifest")
    if not isinstance(manifest, dict):
        raise GrammarError(f"{path}: verdict model has no manifest: rebuild it ({VERDICT_MODEL[3]})")
    check_pins(path, "verdict model", manifest, registry.versions, VERDICT_MODEL[3])
    try:
        return _model_from(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GrammarError(f"{path}: malformed verdict model ({type(exc).__name__}: {exc}): rebuild it") from None


def _model_from(doc: dict) -> VerdictModel:
    n = len(doc["features"])
    for key in ("mean", "scale", "coef"):
        if len(doc[key]) != n:
            raise ValueError(f"{key} has {len(doc[key])} entries for {n} features")
    return VerdictModel(
        features=tuple(doc["features"]),
        mean=tuple(doc["mean"]),
        scale=tuple(doc["scale"]),
        coef=tuple(doc["coef"]),
        intercept=float(doc["intercept"]),
        platt_a=float(doc["platt"]["a"]),
        platt_b=float(doc["platt"]["b"]),
        thresholds=dict(doc["thresholds"]),
        null_decisions=tuple(float(x) for x in doc["null"]["decisions"]),
        null_ids=tuple(doc["null"]["ids"]),
        manifest=doc.get("manifest", {}),
    )


def null_band(decision: float, null: Sequence[float], ids: Sequence[str], source: str) -> NullBand | None:
    if len(null) == 0:
        return None
    arr = np.asarray(null, dtype=float)
    mean = float(arr.mean())
    std = float(arr.std(ddof=1)) if arr.shape[0] > 1 else 0.0
    return NullBand(
        decisions=tuple(float(x) for x in arr),
        ids=tuple(ids),
        source=source,
        percentile=float(100.0 * np.mean(arr <= decision)),
        z=(decision - mean) / std if std > 0 else None,
        mean=mean,
        upper95=mean + 1.645 * std,
    )


def _reasons(
    x: Mapping[str, float], contributions: Mapping[str, float], phrases: Mapping[str, str]
) -> tuple[str, ...]:
    """The three features that moved the decision most, each worded by its direction so a reason
    never claims what its figure denies ("little sign of rare internal names shared" next to
    identifiers 0.02, never "rare internal names shared")."""
    ranked = sorted(contributions.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    out = []
    for name, c in ranked[:3]:
        phrase = phrases.get(name, name)
        if c > 0:
            out.append(f"{name} {x.get(name, 0.0):.2f}: {phrase} (for derived, {c:+.2f})")
        else:
            out.append(f"{name} {x.get(name, 0.0):.2f}: little sign of {phrase} (against derived, {c:+.2f})")
    return tuple(out)


def decide(
    features: Mapping[str, float],
    model: VerdictModel,
    *,
    null_decisions: Sequence[float] | None = None,
    null_ids: Sequence[str] = (),
    intervals: Mapping[str, tuple[float, float]] | None = None,
    phrases: Mapping[str, str] | None = None,
) -> Verdict:
    """The verdict for one submission's features. ``null_decisions`` (from ``--null``) replaces
    the model's default null of independent benchmark pairs; ``phrases`` say in words what each
    feature measures (:attr:`memaudit.evidence.registry.Registry.phrases`)."""
    decision, contributions = model.decision(features)
    p = model.probability(decision)
    if null_decisions is not None:
        band = null_band(decision, null_decisions, null_ids, "--null")
    else:
        band = null_band(decision, model.null_decisions, model.null_ids, "bench")
    return Verdict(
        label=model.label(p),
        probability=p,
        decision=decision,
        contributions=contributions,
        features=dict(features),
        reasons=_reasons(features, contributions, phrases or {}),
        null=band,
        intervals=dict(intervals or {}),
        thresholds=dict(model.thresholds),
    )
