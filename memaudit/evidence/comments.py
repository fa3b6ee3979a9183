"""Channel 4: comments and docstrings. Translations keep comments (translated to the new syntax,
names re-cased); independent implementations write their own."""

from __future__ import annotations

import re

from ..core import SourceTree
from .channel import Channel, PairInput
from .model import ChannelResult, EvidenceItem, Location
from .sides import weighted_overlap
from .text import comment_key

__all__ = ["CommentChannel", "CHANNEL", "is_license_text"]

#: rapidfuzz ratio (0-100) from which two comments count as the same text.
MATCH_CUTOFF = 75.0
#: Comments shorter than this many words ("// loop", "# done") are not evidence.
MIN_WORDS = 3
_LICENSE = re.compile(r"copyright|license|licence|spdx|permission is hereby granted|all rights reserved", re.I)


def is_license_text(text: str) -> bool:
    return _LICENSE.search(text) is not None


def _comments(tree: SourceTree, exclude: frozenset[str]) -> dict[str, tuple[str, Location]]:
    out: dict[str, tuple[str, Location]] = {}
    for parsed in tree.files:
        for occ in parsed.comments:
            if is_license_text(occ.text):
                continue
            key = comment_key(occ.text)
            if len(key.split()) < MIN_WORDS or key in exclude or key in out:
                continue
            out[key] = (occ.text, Location(parsed.file.relpath, occ.start_line, occ.end_line))
    return out


def _weight(key: str) -> float:
    return min(1.0, len(key.split()) / 12)


class CommentChannel(Channel):
    name = "comments"
    phrase = "comments carried over"
    version = 1
    order = 40
    description = "share of comment text matched (fuzzily, naming conventions folded) on the other side"

    def index(self, tree: SourceTree, pair: PairInput) -> dict[str, tuple[str, Location]]:
        return _comments(tree, pair.base_keys)

    def compare(self, pair: PairInput) -> ChannelResult:
        from rapidfuzz import fuzz, process

        a = pair.index(self, "original")
        b = pair.index(self, "submission")
        keys_a, keys_b = sorted(a), sorted(b)
        spec = pair.spec
        items: list[EvidenceItem] = []
        if keys_a and keys_b:
            scores = process.cdist(keys_a, keys_b, scorer=fuzz.ratio, score_cutoff=MATCH_CUTOFF, workers=-1)
            used: set[int] = set()
            # Best pairs first; each comment is used once.
            candidates = sorted(
                ((float(scores[i, j]), i, j) for i, j in zip(*scores.nonzero())), key=lambda t: (-t[0], t[1], t[2])
            )
            taken_a: set[int] = set()
            for score, i, j in candidates:
                if i in taken_a or j in used:
                    continue
                taken_a.add(i)
                used.add(j)
                ka, kb = keys_a[i], keys_b[j]
                is_obs = spec.has_phrase(ka) or spec.has_phrase(kb)
                items.append(
                    EvidenceItem(
                        "comments", a[ka][0].strip(), b[kb][0].strip(), a[ka][1], b[kb][1], _weight(ka),
                        round(score / 100.0, 4), is_obs, "in spec" if is_obs else "",
                    )
                )  # fmt: skip
        obs_a = {k for k in keys_a if spec.has_phrase(k)}
        obs_b = {k for k in keys_b if spec.has_phrase(k)}
        mass_a = sum(_weight(k) for k in keys_a if k not in obs_a)
        mass_b = sum(_weight(k) for k in keys_b if k not in obs_b)
        items.sort(key=lambda i: (i.observable, -i.weight * i.similarity, i.original_text))
        stats = {
            "original_comments": len(a),
            "submission_comments": len(b),
            "matched": sum(1 for i in items if not i.observable),
            "observable": sum(1 for i in items if i.observable),
        }
        summary = f"{stats['matched']} of {stats['original_comments']} matched, {stats['observable']} observable"
        return self.result(weighted_overlap(items, mass_a, mass_b), items, stats, summary)


CHANNEL = CommentChannel()
