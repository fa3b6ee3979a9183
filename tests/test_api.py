"""The library entry point (memaudit.api.run) and the plug-in interfaces: a request in, a Report
out; a channel or a renderer added without touching anything else."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tomllib

import pytest

from memaudit.api import AuditRequest, run
from memaudit.evidence.channel import Channel, PairInput
from memaudit.evidence.model import ChannelResult, EvidenceItem, Location
from memaudit.evidence.registry import Registry, default_registry
from memaudit.report import RenderOptions, renderer, renderer_names
from memaudit.report.json_report import audit_to_dict

from .conftest import EXAMPLES, ROOT

ORIGINAL = str(EXAMPLES / "original")
RUST = str(EXAMPLES / "translated-rust")
INDEPENDENT = str(EXAMPLES / "independent-rust")


@pytest.fixture(scope="module")
def report():
    return run(AuditRequest(ORIGINAL, (RUST, INDEPENDENT), spec=(str(EXAMPLES / "spec"),), jobs=1))


def test_the_report_holds_what_renderers_need(report):
    assert [a.comparison.submission.root for a in report.audits] == [RUST, INDEPENDENT]
    assert [t.root for t in report.trees] == [ORIGINAL, RUST, INDEPENDENT]
    assert report.registry.names == tuple(c.name for c in report.audits[0].channels)
    for a in report.audits:
        assert a.verdict is not None and a.receipt is not None
        assert a.receipt.parameters["channels"] == report.registry.versions
        assert set(a.verdict.features) == set(report.registry.features)
    translated, independent = report.audits
    assert translated.verdict.probability > independent.verdict.probability
    # Source text comes from the Report, for exactly the bytes that were analysed.
    first = report.trees[0].files[0]
    text = report.sources.text(ORIGINAL, first.file.relpath)
    assert text is not None and text.encode() == open(first.file.path, "rb").read()
    assert report.sources.text(ORIGINAL, "no-such-file.go") is None


def test_a_batch_result_is_the_single_result(report):
    (single,) = run(AuditRequest(ORIGINAL, (INDEPENDENT,), spec=(str(EXAMPLES / "spec"),), jobs=1)).audits
    assert audit_to_dict(single) == audit_to_dict(report.audits[1])


def test_source_access_refuses_a_file_changed_since_the_audit(tmp_path):
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "m.py").write_text("def f(x):\n    return x + 1\n")
    r = run(AuditRequest(str(tmp_path / "a"), (str(tmp_path / "b"),), verdict=False, jobs=1))
    assert r.sources.text(str(tmp_path / "b"), "m.py") is not None
    (tmp_path / "b" / "m.py").write_text("def f(x):\n    return x - 1\n")
    assert r.sources.text(str(tmp_path / "b"), "m.py") is None


class LongestNameChannel(Channel):
    """A toy channel: the longest identifier both sides share, as a share of 40 characters."""

    name = "longest_name"
    version = 3
    order = 70
    requires = ("identifiers",)
    phrase = "a long name shared"
    description = "length of the longest shared identifier"
    extra_features = {"longest_name_is_rare": "the longest shared name is rare"}
    indexed: list[str] = []

    def index(self, tree, pair):
        self.indexed.append(tree.root)
        return {o.text for f in tree.files for o in f.identifiers}

    def compare(self, pair: PairInput) -> ChannelResult:
        shared = sorted(pair.index(self, "original") & pair.index(self, "submission"), key=lambda s: (-len(s), s))
        best = shared[0] if shared else ""
        rare = any(i.original_text == best and i.weight >= 0.7 for i in pair.results["identifiers"].items)
        items = [EvidenceItem(self.name, best, best, Location("x", 1, 1), Location("y", 1, 1), 1.0, 1.0)] if best else []
        return self.result(min(1.0, len(best) / 40), items, {"shared_names": len(shared)}, f"longest {best!r}",
                           features={"longest_name_is_rare": float(rare)})  # fmt: skip


def test_a_new_channel_is_one_class_and_flows_through_every_renderer():
    channel = LongestNameChannel()
    registry = Registry.of([*default_registry().channels, channel])
    assert registry.names[-1] == "longest_name"
    assert registry.features[-1] == "longest_name_is_rare"
    r = run(AuditRequest(ORIGINAL, (RUST, INDEPENDENT), verdict=False, jobs=1), registry=registry)
    # The original is indexed once for the whole batch.
    assert channel.indexed.count(ORIGINAL) == 1 and channel.indexed.count(RUST) == 1
    result = r.audits[0].channel("longest_name")
    assert result.version == 3 and result.features["longest_name_is_rare"] in (0.0, 1.0)
    best = result.items[0].original_text
    assert len(best) > 0 and result.score == pytest.approx(len(best) / 40) and result.summary == f"longest {best!r}"
    doc = json.loads(_render("json", r))
    assert doc["reports"][0]["parameters"]["channels"]["longest_name"] == 3
    assert "longest_name" in [c["name"] for c in doc["reports"][0]["evidence"]["channels"]]
    terminal = _render("terminal", dataclasses.replace(r, audits=r.audits[:1], trees=r.trees[:2]))
    assert "longest_name" in terminal and result.summary in terminal
    page = _render("html", dataclasses.replace(r, audits=r.audits[:1], trees=r.trees[:2]))
    assert 'id="ch-longest_name"' in page


def _render(name, report, **options) -> str:
    out = io.StringIO()
    renderer(name).render(report, out, RenderOptions(**options))
    return out.getvalue()


def test_a_registry_refuses_duplicates_and_unmet_requirements():
    from memaudit.errors import GrammarError

    channels = default_registry().channels
    with pytest.raises(GrammarError, match=f"defined twice: {channels[-1].name}"):
        Registry.of([*channels, channels[-1]])
    with pytest.raises(GrammarError, match="requires \\['functions'\\]"):
        Registry.of([c for c in channels if c.name != "functions"])


def test_renderers_are_found_by_name():
    assert set(renderer_names()) >= {"terminal", "json", "html"}
    from memaudit.errors import MemauditError

    with pytest.raises(MemauditError, match="unknown report format 'csv'"):
        renderer("csv")


def test_the_grammar_ranges_in_pyproject_are_the_series_the_model_was_trained_with():
    manifest = json.loads((ROOT / "fingerprints" / "verdict-model.json").read_text())["manifest"]
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for language, grammar in manifest["grammars"].items():
        (dep,) = [d for d in deps if d.startswith(grammar["package"] + ">=")]
        low, high = re.fullmatch(r"[\w-]+>=([\d.]+),<([\d.]+)", dep).groups()
        series = ".".join(grammar["version"].split(".")[:2])
        assert low == series, (language, dep, grammar["version"])
        major, minor = series.split(".")
        assert high == f"{major}.{int(minor) + 1}", (language, dep)
