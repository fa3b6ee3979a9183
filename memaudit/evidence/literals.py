"""Channel 5: shared string literals and non-trivial numeric constants.

Output strings and error messages are usually forced by the behaviour: pass the docs, help text
and expected outputs with ``--spec`` so they are marked observable and not counted.
"""

from __future__ import annotations

import math
import re

from ..core import SourceTree
from .channel import Channel, PairInput
from .model import ChannelResult, EvidenceItem, Location
from .observable import literal_pieces
from .sides import first_occurrences, weighted_overlap
from .text import normalize_string_literal

__all__ = ["LiteralChannel", "CHANNEL", "number_key"]

#: Numbers any program uses; sharing them says nothing.
TRIVIAL_NUMBERS = frozenset({-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 24, 32, 60, 64, 100, 127, 128, 255, 256, 1000, 1024, 0.5})
_INT_SUFFIX = re.compile(r"(?:[uUlLzZ]+|_?[iu](?:8|16|32|64|128|size)|n)$")
_C_OCTAL = re.compile(r"0[0-7]+")
_FLOAT_SUFFIX = re.compile(r"(?:[fFdDlL]|_?f(?:32|64))$")


def number_key(text: str) -> str | None:
    """A canonical value for a numeric literal (``0x10``, ``16u``, ``16_i32`` -> ``16``), or None
    for trivial and unparsable ones."""
    t = text.strip().replace("_", "").replace("'", "")
    try:
        low = t.lower()
        if low.startswith(("0x", "0o", "0b")) and not any(c in low for c in ".p"):
            value: float = int(_INT_SUFFIX.sub("", t), 0)
        elif _C_OCTAL.fullmatch(_INT_SUFFIX.sub("", t)):
            # C, Go and JavaScript octal (0755): the same value as Rust's or Python's 0o755.
            value = int(_INT_SUFFIX.sub("", t), 8)
        else:
            stripped = _INT_SUFFIX.sub("", t)
            try:
                value = int(stripped, 10)
            except ValueError:
                value = float(_FLOAT_SUFFIX.sub("", t))
    except ValueError:
        return None
    if value in TRIVIAL_NUMBERS or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1e6 and 1_000_000 are one constant
    return repr(value)


def _string_key(text: str) -> str | None:
    """``s:`` + the literal's content; None for strings with no constant text of 3+ characters
    (``"\\n"``, ``"%d: %s"``, ``", "``): formatting, which every implementation writes."""
    content = normalize_string_literal(text)
    return "s:" + content if literal_pieces(content) else None


def _weight(key: str) -> float:
    if key.startswith("s:"):
        # A 3-character string is weak; a sentence is specific.
        return min(1.0, math.log2(1 + len(key) - 2) / 6)
    digits = len(key.strip("-").replace(".", "").rstrip("0"))
    return min(1.0, 0.3 + 0.15 * digits)


def _strings(f):
    # A docstring is a string literal that is also a comment: it is compared as a comment.
    docs = {(c.start_line, c.text) for c in f.comments}
    return [o for o in f.strings if (o.start_line, o.text) not in docs]


def _number_key(text: str) -> str | None:
    k = number_key(text)
    return "n:" + k if k else None


def _index(tree: SourceTree, exclude: frozenset[str]) -> dict[str, tuple[str, Location, int]]:
    out = first_occurrences(tree, _strings, _string_key, exclude)
    out |= first_occurrences(tree, lambda f: f.numbers, _number_key, exclude)
    return out


class LiteralChannel(Channel):
    name = "literals"
    phrase = "internal constants and strings shared"
    version = 1
    order = 50
    description = "share of string literals and non-trivial numeric constants both sides contain"

    def index(self, tree: SourceTree, pair: PairInput) -> dict[str, tuple[str, Location, int]]:
        return _index(tree, pair.base_keys)

    def compare(self, pair: PairInput) -> ChannelResult:
        a = pair.index(self, "original")
        b = pair.index(self, "submission")
        spec = pair.spec

        def observable(key: str) -> bool:
            if not spec:
                return False
            if key.startswith("s:"):
                return spec.has_literal(key[2:])
            return re.search(r"(?<![\w.])" + re.escape(key[2:]) + r"(?![\w.])", spec.text) is not None

        obs = {k: observable(k) for k in a.keys() | b.keys()}
        items = [
            EvidenceItem("literals", a[k][0], b[k][0], a[k][1], b[k][1], _weight(k), 1.0, obs[k], "in spec" if obs[k] else "")
            for k in sorted(a.keys() & b.keys())
        ]
        items.sort(key=lambda i: (i.observable, -i.weight, i.original_text))
        mass_a = sum(_weight(k) for k in a if not obs[k])
        mass_b = sum(_weight(k) for k in b if not obs[k])
        counted = [i for i in items if not i.observable]
        stats = {
            "original_literals": len(a),
            "submission_literals": len(b),
            "shared": len(counted),
            "shared_numbers": sum(1 for k in a.keys() & b.keys() if k.startswith("n:") and not obs[k]),
            "observable": sum(1 for i in items if i.observable),
        }
        summary = f"{stats['shared']} shared, {stats['observable']} observable"
        return self.result(weighted_overlap(items, mass_a, mass_b), items, stats, summary)


CHANNEL = LiteralChannel()
