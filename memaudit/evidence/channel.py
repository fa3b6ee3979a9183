"""The evidence-channel interface: what every channel module implements.

A channel is one kind of evidence (shared structure, aligned functions, rare identifiers, ...).
It has a name and a version, builds a per-tree index once (so a batch indexes the original once,
however many submissions it is compared with), and compares two indexed trees into a typed
:class:`~memaudit.evidence.model.ChannelResult`: a score, the features it offers the verdict,
items with locations on both sides, statistics, and a one-line summary of its figures.

Adding a channel is one module in :mod:`memaudit.evidence` that defines ``CHANNEL``, an instance
of a :class:`Channel` subclass; :mod:`memaudit.evidence.registry` finds it. The audit, the
verdict's feature list, every renderer and the JSON schema follow the registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from ..compare import Comparison
from ..core import SourceTree
from .model import ChannelResult, EvidenceItem
from .observable import ObservableText
from .rarity import RarityTable

__all__ = ["Channel", "PairInput", "IndexCache"]


class IndexCache:
    """Per-tree channel indexes of one run, keyed by channel and tree (trees compare by
    identity). The original's indexes are built once and shared by every submission."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, int], tuple[SourceTree, Any]] = {}

    def get(self, channel: "Channel", tree: SourceTree, pair: "PairInput") -> Any:
        key = (channel.name, id(tree))
        hit = self._entries.get(key)
        # The tree is kept with its index so its id cannot be reused while the entry lives.
        if hit is None or hit[0] is not tree:
            hit = (tree, channel.index(tree, pair))
            self._entries[key] = hit
        return hit[1]

    def drop(self, tree: SourceTree) -> None:
        """Forget a submission's indexes once it has been audited (memory stays flat in a batch)."""
        for key in [k for k, (t, _) in self._entries.items() if t is tree]:
            del self._entries[key]


@dataclass(frozen=True, eq=False)
class PairInput:
    """What a channel's compare step sees: both trees (boilerplate and base code already
    removed), the structure comparison, what the submitter could observe, the base code's keys,
    the rarity table, and the results of the channels it requires."""

    original: SourceTree
    submission: SourceTree
    comparison: Comparison
    spec: ObservableText
    rarity: RarityTable
    #: Keys (normalized identifiers, literal contents, comment keys, file stems) found in the
    #: base/template code: excluded from both sides and from the denominators.
    base_keys: frozenset[str] = frozenset()
    #: Results of the channels that ran before this one (at least those it ``requires``).
    results: Mapping[str, ChannelResult] = field(default_factory=dict)
    cache: IndexCache = field(default_factory=IndexCache)

    def index(self, channel: "Channel", side: str) -> Any:
        """The channel's index of one side ("original" or "submission"), built once per tree."""
        return self.cache.get(channel, self.original if side == "original" else self.submission, self)


class Channel(ABC):
    """One kind of evidence. Subclasses set the class attributes and implement :meth:`compare`
    (and :meth:`index` when they keep per-tree data)."""

    #: Unique name: the key in reports, the verdict's primary feature.
    name: ClassVar[str]
    #: One sentence: what the score measures.
    description: ClassVar[str]
    #: Bumped whenever the channel's output for the same input can change: the verdict model
    #: records the version of every channel it was trained on and refuses other versions.
    version: ClassVar[int]
    #: Position in the pipeline and in reports (ties broken by name).
    order: ClassVar[int] = 100
    #: Channels whose results this one reads from ``PairInput.results``.
    requires: ClassVar[tuple[str, ...]] = ()
    #: What a high score means, in words (the verdict's reasons quote it).
    phrase: ClassVar[str]
    #: Features the channel offers the verdict besides its score -> what each means in words.
    extra_features: ClassVar[Mapping[str, str]] = {}
    #: Meant to survive translation into another language (the cross-language conformance test
    #: holds such channels to ranking a translation above an unrelated program).
    survives_translation: ClassVar[bool] = True
    #: Items carry line ranges worth showing next to the texts (fragments, functions).
    items_have_spans: ClassVar[bool] = False

    @property
    def features(self) -> tuple[str, ...]:
        return (self.name, *self.extra_features)

    def index(self, tree: SourceTree, pair: PairInput) -> Any:
        """A per-tree index (cached by the run). The default has nothing to index."""
        return None

    @abstractmethod
    def compare(self, pair: PairInput) -> ChannelResult:
        """Compare the two sides of ``pair`` (build the result with :meth:`result`)."""

    def item_text(self, item: EvidenceItem) -> str:
        """How an item reads in the terminal."""
        a, b = " ".join(item.original_text.split())[:40], " ".join(item.submission_text.split())[:40]
        where = f" {item.original} ↔ {item.submission}" if self.items_have_spans else ""
        return f"{a} ↔ {b}{where}"

    def result(
        self,
        score: float,
        items: tuple[EvidenceItem, ...] | list[EvidenceItem],
        stats: Mapping[str, float | int],
        summary: str,
        *,
        features: Mapping[str, float] | None = None,
        intervals: Mapping[str, tuple[float, float]] | None = None,
        flags: tuple[str, ...] = (),
        detail: Any = None,
    ) -> ChannelResult:
        """A :class:`ChannelResult` stamped with this channel's name, version and description;
        the score is the primary feature, ``features`` the extra ones."""
        offered = {self.name: float(score), **{k: float(v) for k, v in (features or {}).items()}}
        missing = set(self.features) - set(offered)
        if missing:
            raise ValueError(f"channel {self.name} did not compute its features {sorted(missing)}")
        return ChannelResult(
            name=self.name,
            version=self.version,
            score=float(score),
            description=self.description,
            items=tuple(items),
            stats=dict(stats),
            features=offered,
            intervals=dict(intervals or {}),
            flags=tuple(flags),
            summary=summary,
            detail=detail,
        )
