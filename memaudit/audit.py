"""The full audit: structure comparison plus every evidence channel, with boilerplate, base code
and observable material discounted.

``memaudit compare`` is a thin layer over :func:`audit_trees`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .compare import Comparison, CompareOptions, compare_many, index_for, shared_fragments
from .core import SourceTree
from .evidence.boilerplate import prune_boilerplate
from .evidence.comments import comment_channel
from .evidence.functions import function_channel
from .evidence.identifiers import identifier_channel
from .evidence.layout import layout_channel
from .evidence.literals import literal_channel, number_key
from .evidence.model import ChannelResult, Exclusion
from .evidence.observable import ObservableText
from .evidence.rarity import load_rarity
from .evidence.sides import EvidenceInput
from .evidence.structure import structure_channel
from .evidence.text import comment_key, normalize_identifier, normalize_string_literal
from .match import coverage_masks
from .verdict import Verdict

__all__ = ["Audit", "audit_trees", "CHANNELS"]

CHANNELS = ("structure", "functions", "identifiers", "comments", "literals", "layout")


@dataclass(frozen=True)
class Audit:
    """One submission's audit against the original."""

    comparison: Comparison
    channels: tuple[ChannelResult, ...]
    exclusions: tuple[Exclusion, ...] = ()
    spec_sources: tuple[str, ...] = ()
    base: str | None = None
    #: Tokens removed from each side because they match the base code.
    base_tokens: dict[str, int] = field(default_factory=dict)
    #: The calibrated verdict (:mod:`memaudit.verdict`), when one was asked for.
    verdict: Verdict | None = None

    def channel(self, name: str) -> ChannelResult:
        return next(c for c in self.channels if c.name == name)


def _base_keys(base: SourceTree) -> frozenset[str]:
    keys: set[str] = set()
    for f in base.files:
        keys.update(normalize_identifier(o.text) for o in f.identifiers)
        keys.update("s:" + normalize_string_literal(o.text) for o in f.strings)
        keys.update("n:" + k for o in f.numbers if (k := number_key(o.text)))
        keys.update(comment_key(o.text) for o in f.comments)
        # File stems of the template are given too (the layout channel checks them).
        keys.add(normalize_identifier(f.file.relpath.rsplit("/", 1)[-1].rsplit(".", 1)[0]))
    keys.discard("")
    return frozenset(keys)


def _remove_base(tree: SourceTree, base: SourceTree, options: CompareOptions) -> tuple[SourceTree, int]:
    """``tree`` without the tokens that fragments match in ``base`` (template code given to the
    submitter): out of the numerator *and* the denominator."""
    _, fragments, _ = shared_fragments(index_for(base, tree, options), tree, options)
    masks = coverage_masks(tree, fragments, "b")
    removed = int(sum(int(m.sum()) for m in masks))
    files = tuple(f.without_tokens(m) for f, m in zip(tree.files, masks))
    return SourceTree(tree.root, files, tree.skipped), removed


def audit_trees(
    original: SourceTree,
    submissions: Sequence[SourceTree],
    options: CompareOptions = CompareOptions(),
    *,
    spec: ObservableText | None = None,
    base: SourceTree | None = None,
    keep_boilerplate: bool = False,
) -> list[Audit]:
    """Audit each submission against the original (indexed once)."""
    spec = spec if spec is not None else ObservableText.empty()
    rarity = load_rarity()
    exclusions_a: list[Exclusion] = []
    if not keep_boilerplate:
        original, exclusions_a = prune_boilerplate(original, "original")
    pruned: list[tuple[SourceTree, list[Exclusion]]] = [
        prune_boilerplate(s, "submission") if not keep_boilerplate else (s, []) for s in submissions
    ]
    base_keys: frozenset[str] = frozenset()
    base_removed_a = 0
    subs = [s for s, _ in pruned]
    removed_b = [0] * len(subs)
    if base is not None:
        base_keys = _base_keys(base)
        original, base_removed_a = _remove_base(original, base, options)
        for i, s in enumerate(subs):
            subs[i], removed_b[i] = _remove_base(s, base, options)

    comparisons = compare_many(original, subs, options)
    audits = []
    for comparison, sub, (_, excl_b), removed in zip(comparisons, subs, pruned, removed_b):
        inp = EvidenceInput(original=original, submission=sub, spec=spec, base_keys=base_keys)
        functions, alignment = function_channel(inp)
        channels = (
            structure_channel(comparison),
            functions,
            identifier_channel(inp, rarity),
            comment_channel(inp),
            literal_channel(inp),
            layout_channel(inp, alignment),
        )
        audits.append(
            Audit(
                comparison=comparison,
                channels=channels,
                exclusions=tuple(exclusions_a + excl_b),
                spec_sources=spec.sources,
                base=base.root if base is not None else None,
                base_tokens={"original": base_removed_a, "submission": removed} if base is not None else {},
            )
        )
    return audits
