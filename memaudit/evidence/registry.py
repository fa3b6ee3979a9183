"""The registry of evidence channels: every module of :mod:`memaudit.evidence` that defines
``CHANNEL`` (an instance of :class:`~memaudit.evidence.channel.Channel`).

One registry drives the audit (which channels run, in which order), the verdict's feature list,
the renderers and the JSON schema, so adding a channel is adding its module (and its tests, and
retraining the model, which records every channel's name and version).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass

from ..errors import GrammarError
from .channel import Channel

__all__ = ["Registry", "default_registry"]


@dataclass(frozen=True)
class Registry:
    """Channels in pipeline order: by ``order``, then name, each after the channels it requires."""

    channels: tuple[Channel, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.channels]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise GrammarError(f"evidence channels defined twice: {', '.join(duplicates)}")
        seen: set[str] = set()
        for c in self.channels:
            missing = [r for r in c.requires if r not in seen]
            if missing:
                raise GrammarError(f"evidence channel {c.name} requires {missing}, which do not run before it")
            seen.add(c.name)

    @classmethod
    def of(cls, channels: list[Channel] | tuple[Channel, ...]) -> "Registry":
        return cls(tuple(sorted(channels, key=lambda c: (c.order, c.name))))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels)

    def __getitem__(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)

    def get(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)

    @property
    def versions(self) -> dict[str, int]:
        """Channel name -> version (what a stored model or database is pinned to)."""
        return {c.name: c.version for c in self.channels}

    @property
    def features(self) -> tuple[str, ...]:
        """The features the channels offer the verdict: every channel's score in channel order,
        then their extra features in channel order."""
        return self.names + tuple(f for c in self.channels for f in c.extra_features)

    @property
    def phrases(self) -> dict[str, str]:
        """Feature -> what a high value means, in words."""
        out: dict[str, str] = {}
        for c in self.channels:
            out[c.name] = c.phrase
            out.update(c.extra_features)
        return out


@functools.cache
def default_registry() -> Registry:
    """Every channel module shipped in :mod:`memaudit.evidence`."""
    from .. import evidence

    found: list[Channel] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(evidence.__path__)):
        channel = getattr(importlib.import_module(f"{evidence.__name__}.{module}"), "CHANNEL", None)
        if isinstance(channel, Channel):
            found.append(channel)
    return Registry.of(found)
