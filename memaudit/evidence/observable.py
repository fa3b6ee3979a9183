"""What the submitter could observe: documentation, visible tests and expected outputs, help
text, an agent transcript. Anything found there is *observable*: still listed, never counted.

An agent transcript (ProgramBench's ``*.traj.json``, JSON Lines logs) is read by taking every
string value in it, so commands, outputs and crash traces the agent saw all count as observed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .text import comment_key, normalize_identifier

__all__ = ["ObservableText", "load_spec_material", "literal_pieces"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_SPEC_BYTES = 200 * 1024 * 1024
# printf-, Python-, Rust- and Go-style placeholders: literal text around them is what shows up
# in the program's output.
_PLACEHOLDER = re.compile(r"%[-+ 0#]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[a-zA-Z%]|\{[^{}]{0,20}\}|\\[nrt0]")


def _strings_in_json(value: object, out: list[str]) -> None:
    """Every string (keys included) in a JSON value, depth-first, without recursion (a deeply
    nested transcript must not hit Python's recursion limit)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                stack.append(v)
                stack.append(str(k))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _read_spec_file(path: Path) -> str:
    data = path.read_bytes()
    text = data.decode("utf-8", "replace")
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        strings: list[str] = []
        try:
            if suffix == ".json":
                _strings_in_json(json.loads(text), strings)
            else:
                for line in text.splitlines():
                    if line.strip():
                        _strings_in_json(json.loads(line), strings)
            return "\n".join(strings)
        except (json.JSONDecodeError, RecursionError):
            # Not JSON after all, or nested too deeply for the decoder: its text still counts.
            return text
    return text


@dataclass(frozen=True)
class ObservableText:
    """The spec material, indexed for the checks each channel makes."""

    #: Everything, joined (for literal substring checks).
    text: str
    #: The text as :func:`comment_key` folds it (for comment phrase checks).
    normalized: str
    #: Normalized identifier forms of every word (``ungronTokens`` -> ``ungron_tokens``).
    words: frozenset[str]
    #: The files read, for the report.
    sources: tuple[str, ...]

    @classmethod
    def empty(cls) -> "ObservableText":
        return cls("", "", frozenset(), ())

    def __bool__(self) -> bool:
        return bool(self.sources)

    def has_identifier(self, name: str) -> bool:
        return normalize_identifier(name) in self.words

    def has_literal(self, content: str) -> bool:
        """Every constant piece (3+ characters) of the literal occurs in the spec material."""
        pieces = literal_pieces(content)
        return bool(pieces) and all(p in self.text for p in pieces)

    def has_phrase(self, key: str) -> bool:
        """A comment (as :func:`comment_key` folds it) occurs in the spec material."""
        return len(key) >= 12 and key in self.normalized


def literal_pieces(content: str) -> list[str]:
    """The constant parts of a string literal, split at format placeholders and escapes."""
    return [p.strip() for p in _PLACEHOLDER.split(content) if len(p.strip()) >= 3]


def load_spec_material(paths: list[str]) -> ObservableText:
    """Read every ``--spec`` path (files, or directories read recursively)."""
    if not paths:
        return ObservableText.empty()
    texts: list[str] = []
    sources: list[str] = []
    total = 0
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise InputError(f"--spec {given}: no such file or directory")
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            try:
                size = path.stat().st_size
                if total + size > _MAX_SPEC_BYTES:
                    raise InputError(f"--spec: more than {_MAX_SPEC_BYTES // 2**20} MB of spec material")
                total += size
                texts.append(_read_spec_file(path))
            except OSError as exc:
                raise InputError(f"--spec {path}: {exc.strerror}") from None
            sources.append(os.path.relpath(path) if not path.is_absolute() else str(path))
    text = "\n".join(texts)
    words = frozenset(normalize_identifier(w) for w in set(_WORD.findall(text)))
    return ObservableText(text=text, normalized=comment_key(text), words=words, sources=tuple(sources))
