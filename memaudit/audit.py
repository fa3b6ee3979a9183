"""The evidence stage: the structure comparison plus every registered evidence channel, with
boilerplate, base code and observable material discounted.

An :class:`Auditor` prepares the original once (boilerplate pruned, base code removed, channel
indexes cached) and audits any number of submissions against it. :func:`memaudit.api.run` drives
it and adds the verdict; nothing else assembles the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from .compare import Comparison, CompareOptions, compare_trees, fingerprint_params_for, index_for, shared_fragments
from .core import SourceTree
from .evidence.boilerplate import prune_boilerplate
from .evidence.channel import IndexCache, PairInput
from .evidence.literals import number_key
from .evidence.model import ChannelResult, Exclusion
from .evidence.observable import ObservableText
from .evidence.rarity import RarityTable
from .evidence.registry import Registry
from .evidence.text import comment_key, normalize_identifier, normalize_string_literal
from .fingerprint import FingerprintParams
from .index import FingerprintIndex
from .match import coverage_masks

if TYPE_CHECKING:
    from .verdict import Verdict

__all__ = ["Audit", "PairEvidence", "Auditor", "Receipt"]


@dataclass(frozen=True)
class Receipt:
    """What a result was made with, for the report's receipts: the parameters (JSON-ready, in
    schema order), their canonical hash, and the grammar of every language in the pair."""

    parameters: Mapping[str, Any]
    parameters_sha256: str
    grammars: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class PairEvidence:
    """One submission's evidence against the original (no verdict yet)."""

    comparison: Comparison
    channels: tuple[ChannelResult, ...]
    #: Files left out of the evidence on either side, with the reason.
    exclusions: tuple[Exclusion, ...]
    #: Tokens removed from each side because they match the base code (empty without a base).
    base_tokens: Mapping[str, int]


@dataclass(frozen=True)
class Audit:
    """One submission's audit against the original: the evidence, the verdict, the receipt."""

    comparison: Comparison
    channels: tuple[ChannelResult, ...]
    exclusions: tuple[Exclusion, ...] = ()
    spec_sources: tuple[str, ...] = ()
    base: str | None = None
    #: Tokens removed from each side because they match the base code.
    base_tokens: Mapping[str, int] = field(default_factory=dict)
    #: The calibrated verdict (:mod:`memaudit.verdict`), unless the run asked for none.
    verdict: "Verdict | None" = None
    receipt: Receipt | None = None

    def channel(self, name: str) -> ChannelResult:
        return next(c for c in self.channels if c.name == name)


def base_keys(base: SourceTree) -> frozenset[str]:
    """Every identifier, literal, number, comment and file stem of the base code: what the text
    channels leave out on both sides."""
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


class Auditor:
    """The original prepared once; :meth:`evidence` audits one submission against it."""

    def __init__(
        self,
        original: SourceTree,
        registry: Registry,
        rarity: RarityTable,
        options: CompareOptions = CompareOptions(),
        *,
        spec: ObservableText | None = None,
        base: SourceTree | None = None,
        keep_boilerplate: bool = False,
    ) -> None:
        self.registry = registry
        self.rarity = rarity
        self.options = options
        self.spec = spec if spec is not None else ObservableText.empty()
        self.base = base
        self.keep_boilerplate = keep_boilerplate
        self.base_keys = base_keys(base) if base is not None else frozenset()
        self.exclusions: tuple[Exclusion, ...] = ()
        if not keep_boilerplate:
            original, excluded = prune_boilerplate(original, "original")
            self.exclusions = tuple(excluded)
        self.base_removed = 0
        if base is not None:
            original, self.base_removed = _remove_base(original, base, options)
        self.original = original
        self.cache = IndexCache()
        # One fingerprint index of the original per parameter set (its own languages' and the
        # cross-language one), so each submission gets exactly the parameters a single
        # comparison would use and never depends on the rest of the batch.
        self._indexes: dict[FingerprintParams, FingerprintIndex] = {}

    def _index_for(self, submission: SourceTree) -> FingerprintIndex:
        params = fingerprint_params_for([self.original, submission], self.options.k, self.options.window)
        if params not in self._indexes:
            self._indexes[params] = index_for(self.original, submission, self.options)
        return self._indexes[params]

    def evidence(self, submission: SourceTree) -> PairEvidence:
        exclusions = list(self.exclusions)
        if not self.keep_boilerplate:
            submission, excluded = prune_boilerplate(submission, "submission")
            exclusions += excluded
        base_tokens: dict[str, int] = {}
        if self.base is not None:
            submission, removed = _remove_base(submission, self.base, self.options)
            base_tokens = {"original": self.base_removed, "submission": removed}
        comparison = compare_trees(self._index_for(submission), submission, self.options)
        results: dict[str, ChannelResult] = {}
        for channel in self.registry.channels:
            pair = PairInput(
                original=self.original, submission=submission, comparison=comparison, spec=self.spec,
                rarity=self.rarity, base_keys=self.base_keys, results=dict(results), cache=self.cache,
            )  # fmt: skip
            results[channel.name] = channel.compare(pair)
        self.cache.drop(submission)
        return PairEvidence(comparison, tuple(results.values()), tuple(exclusions), base_tokens)
