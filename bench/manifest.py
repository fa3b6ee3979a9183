"""Reading ``bench/pairs.toml``: labelled program pairs and the sides they are made of.

A *side* is one source tree obtained from a registry (``how`` + ``pkg``) and cut down to ``path``.
Sides are identified by what they contain, so a side used by several pairs (zlib, sed, libyaml,
commonmark.js) is fetched and extracted once.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HOWS = ("apt-dev", "apt-src", "npm", "pypi-sdist")
LABELS = ("derived", "independent")


class ManifestError(ValueError):
    """pairs.toml is malformed (unknown key, missing field, bad value)."""


@dataclass(frozen=True)
class Side:
    """One side of a pair: where its code comes from and which part of it is compared."""

    lang: str
    how: str
    pkg: str
    path: str
    exclude: tuple[str, ...] = ()
    fallback_lang: str | None = None
    fallback_path: str | None = None

    @property
    def name(self) -> str:
        """Package name without a version pin (``pako@2.1.0`` -> ``pako``, ``PyYAML==6.0.2`` -> ``PyYAML``)."""
        return split_pin(self.how, self.pkg)[0]

    @property
    def pin(self) -> str | None:
        """The pinned version, if the manifest gives one."""
        return split_pin(self.how, self.pkg)[1]

    @property
    def package_key(self) -> str:
        """Identifies the download (several sides may cut different paths out of one package)."""
        return f"{self.how}/{slug(self.pkg)}"

    @property
    def id(self) -> str:
        """A readable, stable identifier: package slug, path slug, and a short hash of everything else."""
        spec = repr((self.how, self.pkg, self.path, self.exclude, self.fallback_lang, self.fallback_path))
        digest = hashlib.sha256(spec.encode()).hexdigest()[:8]
        return f"{slug(self.name)}--{slug(self.path)[:40]}--{digest}"

    def patterns(self) -> list[str]:
        """The space-separated patterns of ``path``."""
        return self.path.split()


@dataclass(frozen=True)
class Pair:
    """A labelled pair: ``b`` derives from ``a`` (``derived``) or was written separately (``independent``)."""

    id: str
    label: str
    provenance: str
    a: Side
    b: Side
    note: str = ""
    added_by_bench: bool = False

    @property
    def cross_language(self) -> bool:
        """True if the two sides are in different languages (as declared in the manifest)."""
        return self.a.lang != self.b.lang


@dataclass
class Manifest:
    """All pairs, in file order."""

    pairs: list[Pair] = field(default_factory=list)

    def sides(self) -> dict[str, Side]:
        """Every distinct side, by id, in first-use order."""
        out: dict[str, Side] = {}
        for pair in self.pairs:
            for side in (pair.a, pair.b):
                out.setdefault(side.id, side)
        return out

    def select(self, only: list[str] | None) -> list[Pair]:
        """The pairs named in ``only`` (all if None); unknown names are an error."""
        if not only:
            return list(self.pairs)
        known = {p.id: p for p in self.pairs}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise ManifestError(f"unknown pair(s): {', '.join(unknown)}")
        return [known[name] for name in only]


def slug(text: str) -> str:
    """Lower-case, path-safe form of ``text`` (runs of other characters become one ``-``)."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.") or "x"


def split_pin(how: str, pkg: str) -> tuple[str, str | None]:
    """Split a package spec into name and pinned version (npm ``NAME@VER``, PyPI ``NAME==VER``)."""
    if how == "npm" and "@" in pkg[1:]:
        name, _, version = pkg.rpartition("@")
        return name, version
    if how == "pypi-sdist" and "==" in pkg:
        name, _, version = pkg.partition("==")
        return name, version
    return pkg, None


_SIDE_KEYS = {"lang", "how", "pkg", "path", "exclude", "fallback"}
_PAIR_KEYS = {"id", "label", "provenance", "a", "b", "note", "added_by_bench"}


def _side(raw: object, where: str) -> Side:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: a side must be a table")
    unknown = set(raw) - _SIDE_KEYS
    if unknown:
        raise ManifestError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("lang", "how", "pkg", "path"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ManifestError(f"{where}: '{key}' must be a non-empty string")
    if raw["how"] not in HOWS:
        raise ManifestError(f"{where}: how = {raw['how']!r} is not one of {', '.join(HOWS)}")
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(x, str) for x in exclude):
        raise ManifestError(f"{where}: 'exclude' must be a list of strings")
    fallback = raw.get("fallback")
    fb_lang = fb_path = None
    if fallback is not None:
        if not isinstance(fallback, dict) or set(fallback) != {"lang", "path"}:
            raise ManifestError(f"{where}: 'fallback' must be a table with 'lang' and 'path'")
        fb_lang, fb_path = str(fallback["lang"]), str(fallback["path"])
    return Side(
        lang=raw["lang"], how=raw["how"], pkg=raw["pkg"], path=raw["path"], exclude=tuple(exclude),
        fallback_lang=fb_lang, fallback_path=fb_path,
    )


def parse_manifest(text: str) -> Manifest:
    """Parse the text of a pairs.toml; raises :class:`ManifestError` on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"not valid TOML: {exc}") from exc
    raw_pairs = data.get("pair", [])
    if not isinstance(raw_pairs, list) or not raw_pairs:
        raise ManifestError("no [[pair]] entries")
    manifest = Manifest()
    seen: set[str] = set()
    for index, raw in enumerate(raw_pairs):
        where = f"pair #{index + 1}"
        unknown = set(raw) - _PAIR_KEYS
        if unknown:
            raise ManifestError(f"{where}: unknown key(s) {sorted(unknown)}")
        for key in ("id", "label", "provenance"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ManifestError(f"{where}: '{key}' must be a non-empty string")
        pair_id = raw["id"]
        where = f"pair {pair_id!r}"
        if pair_id in seen:
            raise ManifestError(f"{where}: duplicate id")
        seen.add(pair_id)
        if raw["label"] not in LABELS:
            raise ManifestError(f"{where}: label must be one of {', '.join(LABELS)}")
        manifest.pairs.append(Pair(
            id=pair_id, label=raw["label"], provenance=raw["provenance"],
            a=_side(raw.get("a"), f"{where} side a"), b=_side(raw.get("b"), f"{where} side b"),
            note=str(raw.get("note", "")), added_by_bench=bool(raw.get("added_by_bench", False)),
        ))
    return manifest


def load_manifest(path: Path) -> Manifest:
    """Read and parse a pairs.toml file."""
    return parse_manifest(path.read_text(encoding="utf-8"))
