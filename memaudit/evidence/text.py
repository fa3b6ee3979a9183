"""Text normalization shared by the identifier, comment and literal channels, and by the script
that builds the identifier rarity table (fingerprints/build_rarity.py): both must split names the
same way or rarities would not apply.
"""

from __future__ import annotations

import functools
import re

__all__ = [
    "split_identifier", "normalize_identifier", "normalize_comment", "comment_key", "normalize_string_literal",
]  # fmt: skip

# camelCase / PascalCase / acronym boundaries: "parseHTTPHeader" -> parse HTTP Header.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


@functools.lru_cache(maxsize=1 << 17)
def split_identifier(name: str) -> tuple[str, ...]:
    """Lower-case subwords of an identifier in any convention.

    ``ungron_tokens``, ``ungronTokens``, ``UngronTokens`` and ``UNGRON_TOKENS`` all give
    ``("ungron", "tokens")``. Digits are their own subword (``utf8`` -> ``utf``, ``8``).
    """
    out: list[str] = []
    for part in _NON_WORD.split(name):
        if part:
            out.extend(m.lower() for m in _CAMEL.findall(part))
    return tuple(out)


@functools.lru_cache(maxsize=1 << 17)
def normalize_identifier(name: str) -> str:
    """The convention-free form of an identifier: its subwords joined by ``_``."""
    return "_".join(split_identifier(name))


_COMMENT_MARKERS = re.compile(r"^\s*(?:/\*+|\*+/|\*+|//+!?|/+|#+!?|--+|\(\*+|\*+\)|\{-+|-+\}|;+|\"\"\"|''')\s*")
_COMMENT_TAIL = re.compile(r"\s*(?:\*+/|\*+\)|-+\}|\"\"\"|''')\s*$")
_SPACE = re.compile(r"\s+")


def normalize_comment(text: str) -> str:
    """Comment text without markers (``//``, ``/* */``, ``#``, ``--``, ``(* *)``, docstring
    quotes), lower-cased, whitespace collapsed."""
    lines = []
    for line in text.splitlines():
        line = _COMMENT_TAIL.sub("", _COMMENT_MARKERS.sub("", line))
        if line.strip():
            lines.append(line.strip())
    return _SPACE.sub(" ", " ".join(lines)).strip().lower()


def comment_key(text: str) -> str:
    """A comment reduced for matching across naming conventions: marker-free, every word folded to
    its subwords (``isLabelByte`` and ``is_label_byte`` both become ``islabelbyte``),
    punctuation dropped."""
    words = ("".join(split_identifier(w)) for w in normalize_comment(text).split())
    return " ".join(w for w in words if w)


_STRING_PREFIX = re.compile(r"^[A-Za-z0-9]{0,3}(?=[#\"'`])")


def normalize_string_literal(text: str) -> str:
    """The content of a string literal: prefixes (``b``, ``r``, ``f``, ``L``, ``u8``) and quotes
    removed. Escapes are kept as written (``\\n`` stays two characters): both sides of a
    translation usually spell them the same way."""
    body = _STRING_PREFIX.sub("", text.strip())
    for quote in ('"""', "'''", '"', "'", "`"):
        if len(body) >= 2 * len(quote) and body.startswith(quote) and body.endswith(quote):
            return body[len(quote) : -len(quote)]
    # Rust raw strings r#"..."#
    m = re.fullmatch(r'#+"(.*)"#+', body, re.S)
    return m.group(1) if m else body
