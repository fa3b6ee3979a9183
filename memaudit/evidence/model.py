"""Evidence types: concrete items with locations on both sides, and per-channel results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["Location", "EvidenceItem", "ChannelResult", "Exclusion"]


@dataclass(frozen=True)
class Location:
    """Where an item is: a file relative to its tree root and a 1-based inclusive line range."""

    path: str
    start_line: int
    end_line: int

    def __str__(self) -> str:
        if self.start_line == self.end_line:
            return f"{self.path}:{self.start_line}"
        return f"{self.path}:{self.start_line}-{self.end_line}"


@dataclass(frozen=True)
class EvidenceItem:
    """One shared thing: an identifier, a comment, a literal, an aligned function pair, ..."""

    #: The channel that found it (``identifiers``, ``functions``, ...).
    channel: str
    #: What it is on the original's side (``ungron_tokens``).
    original_text: str
    #: What it is on the submission's side (``ungronTokens``).
    submission_text: str
    original: Location | None
    submission: Location | None
    #: How much the item counts, in [0, 1] (an identifier's rarity, a literal's specificity).
    weight: float
    #: How closely the two sides match, in [0, 1] (1 for exact matches).
    similarity: float
    #: The submitter could have seen it (spec material): listed, but not counted in the score.
    observable: bool = False
    #: Why it is observable or otherwise discounted, e.g. ``"in spec: help.txt"``.
    note: str = ""


@dataclass(frozen=True)
class ChannelResult:
    """One evidence channel's result for one pair: a score in [0, 1], the features it offers the
    verdict, and the items behind it, strongest first. Built by
    :meth:`memaudit.evidence.channel.Channel.result`."""

    name: str
    score: float
    #: One sentence: what the score measures.
    description: str
    items: tuple[EvidenceItem, ...]
    #: Channel-specific figures (counts, distribution bands), JSON-serializable scalars.
    stats: Mapping[str, float | int] = field(default_factory=dict)
    #: The channel's version (:attr:`memaudit.evidence.channel.Channel.version`).
    version: int = 0
    #: Feature name -> value offered to the verdict; the score is the feature named after the
    #: channel.
    features: Mapping[str, float] = field(default_factory=dict)
    #: Feature -> (low, high) 95% interval, where the channel can bootstrap one.
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: The figures in one line, for the terminal ("12 of 30 aligned; ...").
    summary: str = ""
    #: Findings a gate can act on, e.g. ``("recalled",)`` when a region is far beyond the null
    #: (``--fail-on recalled``).
    flags: tuple[str, ...] = ()
    #: Channel-specific data other channels build on (the function alignment); never rendered.
    detail: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Exclusion:
    """Something left out of the evidence, and why (boilerplate, base code, data tables)."""

    side: str  # "original" | "submission"
    path: str
    what: str
    reason: str
