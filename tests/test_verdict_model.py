"""The verdict's decision function (memaudit.verdict), on hand-built models: no audit involved."""

from __future__ import annotations

import json
import math
import statistics

import pytest

from memaudit.errors import GrammarError
from memaudit.reference import VERDICT_MODEL, load_reference
from memaudit.verdict import LABELS, VerdictModel, load_model, null_band

THRESHOLDS = {"memorized": 0.85, "suspicious": 0.5, "inconclusive": 0.15}


def make_model(**overrides) -> VerdictModel:
    fields = dict(
        features=("x", "y", "z"),
        mean=(0.5, 1.0, 0.0),
        scale=(0.25, 2.0, 1.0),
        coef=(2.0, -1.0, 0.5),
        intercept=0.3,
        platt_a=-2.0,
        platt_b=0.5,
        thresholds=THRESHOLDS,
        null_decisions=(),
        null_ids=(),
        manifest={},
    )
    fields.update(overrides)
    return VerdictModel(**fields)


def test_decision_is_intercept_plus_standardized_contributions():
    m = make_model()
    d, contributions = m.decision({"x": 1.0, "y": 5.0, "z": -2.0})
    # x: 2 * (1 - 0.5) / 0.25 = 4;  y: -1 * (5 - 1) / 2 = -2;  z: 0.5 * (-2 - 0) / 1 = -1
    assert contributions == pytest.approx({"x": 4.0, "y": -2.0, "z": -1.0})
    assert d == pytest.approx(0.3 + 4.0 - 2.0 - 1.0)
    assert d == pytest.approx(m.intercept + sum(contributions.values()))


def test_missing_features_count_as_zero_and_extra_ones_are_ignored():
    m = make_model()
    d, contributions = m.decision({"y": 1.0, "unknown": 100.0})
    # x: 2 * (0 - 0.5) / 0.25 = -4;  y: 0;  z: 0
    assert contributions == pytest.approx({"x": -4.0, "y": 0.0, "z": 0.0})
    assert set(contributions) == {"x", "y", "z"}
    assert d == pytest.approx(0.3 - 4.0)


def test_at_the_mean_the_decision_is_the_intercept():
    m = make_model()
    d, contributions = m.decision({"x": 0.5, "y": 1.0, "z": 0.0})
    assert d == 0.3 and all(c == 0.0 for c in contributions.values())


def test_probability_is_the_platt_formula():
    m = make_model()
    for d in (-3.0, -0.25, 0.0, 0.25, 1.0, 4.0):
        assert m.probability(d) == pytest.approx(1.0 / (1.0 + math.exp(-2.0 * d + 0.5)))
    # p = 0.5 exactly where a * d + b = 0.
    assert m.probability(0.25) == 0.5


def test_probability_is_monotone_in_the_decision():
    increasing = make_model()  # a < 0: larger decision, larger probability
    ds = [x / 4 for x in range(-40, 41)]
    ps = [increasing.probability(d) for d in ds]
    assert all(p < q for p, q in zip(ps, ps[1:]))
    decreasing = make_model(platt_a=2.0)
    qs = [decreasing.probability(d) for d in ds]
    assert all(p > q for p, q in zip(qs, qs[1:]))


def test_extreme_decisions_do_not_overflow():
    m = make_model()
    for d in (1e6, 1e300, math.inf):
        assert m.probability(d) == 1.0
    for d in (-1e6, -1e300, -math.inf):
        p = m.probability(d)
        assert 0.0 <= p < 1e-300


def test_label_thresholds_are_inclusive_lower_bounds():
    m = make_model()
    below = math.nextafter
    assert m.label(1.0) == "memorized"
    assert m.label(0.85) == "memorized"
    assert m.label(below(0.85, 0.0)) == "suspicious"
    assert m.label(0.5) == "suspicious"
    assert m.label(below(0.5, 0.0)) == "inconclusive"
    assert m.label(0.15) == "inconclusive"
    assert m.label(below(0.15, 0.0)) == "independent"
    assert m.label(0.0) == "independent"


def test_label_follows_the_model_thresholds():
    m = make_model(thresholds={"memorized": 0.99, "suspicious": 0.9, "inconclusive": 0.6})
    assert [m.label(p) for p in (0.995, 0.95, 0.7, 0.59)] == list(LABELS)


def test_null_band_statistics():
    null = [0.0, 1.0, 2.0, 4.0]
    band = null_band(2.0, null, ["a", "b", "c", "d"], "bench")
    mean = statistics.fmean(null)  # 1.75
    sd = statistics.stdev(null)  # ddof=1: sqrt(8.75 / 3)
    assert band.decisions == (0.0, 1.0, 2.0, 4.0) and band.ids == ("a", "b", "c", "d")
    assert band.source == "bench"
    assert band.mean == pytest.approx(1.75)
    assert band.percentile == 75.0  # 0, 1 and 2 are at or below 2
    assert band.z == pytest.approx((2.0 - mean) / sd)
    assert band.upper95 == pytest.approx(mean + 1.645 * sd)
    assert band.upper95 != pytest.approx(mean + 1.645 * statistics.pstdev(null))  # not ddof=0


def test_null_band_percentile_edges():
    null = [1.0, 2.0, 3.0]
    assert null_band(0.5, null, [], "--null").percentile == 0.0
    assert null_band(1.0, null, [], "--null").percentile == pytest.approx(100 / 3)
    assert null_band(3.0, null, [], "--null").percentile == 100.0


def test_null_band_without_spread_has_no_z():
    one = null_band(5.0, [2.0], ["only"], "--null")
    assert one.z is None and one.mean == 2.0 and one.upper95 == 2.0 and one.percentile == 100.0
    alike = null_band(1.0, [3.0, 3.0, 3.0], [], "--null")
    assert alike.z is None and alike.upper95 == 3.0 and alike.percentile == 0.0
    assert null_band(1.0, [], [], "--null") is None


@pytest.fixture
def fresh_model_cache(monkeypatch):
    monkeypatch.delenv("MEMAUDIT_MODEL", raising=False)
    load_model.cache_clear()
    yield monkeypatch
    load_model.cache_clear()


def test_shipped_model_loads(fresh_model_cache):
    m = load_model()
    assert len(m.features) == len(set(m.features)) == len(m.mean) == len(m.scale) == len(m.coef) > 0
    assert set(m.thresholds) == set(LABELS[:-1])
    assert len(m.null_decisions) == len(m.null_ids) > 1


def test_shipped_model_thresholds_and_calibration_are_sane():
    # Read from the file itself, so this holds even when load_model() refuses the model.
    m = _model_from_doc(_shipped_doc())
    t = m.thresholds
    assert set(t) == set(LABELS[:-1])
    assert 0.0 < t["inconclusive"] < t["suspicious"] < t["memorized"] < 1.0
    assert all(s > 0 for s in m.scale)
    # Calibration points the right way: a larger decision value is more likely derived.
    assert m.probability(1.0) > m.probability(0.0) > m.probability(-1.0)


def _model_from_doc(doc: dict) -> VerdictModel:
    return make_model(
        features=tuple(doc["features"]), mean=tuple(doc["mean"]), scale=tuple(doc["scale"]), coef=tuple(doc["coef"]),
        intercept=doc["intercept"], platt_a=doc["platt"]["a"], platt_b=doc["platt"]["b"], thresholds=doc["thresholds"],
    )  # fmt: skip


def _shipped_doc() -> dict:
    _, doc = load_reference(VERDICT_MODEL)
    return json.loads(json.dumps(doc))  # a deep copy


def test_a_model_of_another_format_is_refused(fresh_model_cache, tmp_path):
    doc = _shipped_doc()
    doc["format"] = "memaudit.model/0"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    fresh_model_cache.setenv("MEMAUDIT_MODEL", str(path))
    with pytest.raises(GrammarError, match="model format 'memaudit.model/0'"):
        load_model()


def test_a_model_with_too_few_coefficients_is_refused(fresh_model_cache, tmp_path):
    doc = _shipped_doc()
    doc["coef"] = doc["coef"][:-1]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    fresh_model_cache.setenv("MEMAUDIT_MODEL", str(path))
    # (The pattern skips the path, which contains this test's name.)
    with pytest.raises(GrammarError, match=r"\.json: .*(malformed|\bcoef\b|\bmean\b|\bscale\b|length)"):
        load_model()
