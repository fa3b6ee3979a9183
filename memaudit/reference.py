"""Reference data shipped in fingerprints/ (the identifier rarity table, the verdict model):
where each file is, how it is read, and its hash for the report's receipts.

Each file can be replaced through an environment variable (documented in docs/cli.md); a missing
or unreadable file is a configuration error (exit 4) naming the file and how to rebuild it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping

from .errors import GrammarError
from .languages import data_dir

__all__ = [
    "RARITY_TABLE", "VERDICT_MODEL", "REGION_NULL", "reference_path", "load_reference", "reference_sha256", "current_pins",
    "check_pins",
]  # fmt: skip

#: (file name in fingerprints/, environment variable overriding it, what it is, how to rebuild it)
RARITY_TABLE = ("identifier-rarity.json", "MEMAUDIT_RARITY_TABLE", "identifier rarity table", "python fingerprints/build_rarity.py")
VERDICT_MODEL = ("verdict-model.json", "MEMAUDIT_MODEL", "verdict model", "python -m bench.train")
REGION_NULL = ("region-null.json", "MEMAUDIT_REGION_NULL", "region null", "python -m bench.region_null")


def reference_path(ref: tuple[str, str, str, str]) -> Path:
    name, env, _, _ = ref
    override = os.environ.get(env)
    return Path(override) if override else data_dir("fingerprints") / name


def load_reference(ref: tuple[str, str, str, str]) -> tuple[Path, dict[str, Any]]:
    """The file's path and its JSON content."""
    path = reference_path(ref)
    _, _, what, rebuild = ref
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GrammarError(f"{path}: {what} missing (rebuild: {rebuild})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise GrammarError(f"{path}: unreadable {what}: {exc}") from None


@functools.cache
def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reference_sha256(ref: tuple[str, str, str, str]) -> str:
    """sha256 of the file's bytes (read once per process)."""
    path = reference_path(ref)
    try:
        return _file_sha256(path)
    except FileNotFoundError:
        raise GrammarError(f"{path}: {ref[2]} missing (rebuild: {ref[3]})") from None
    except OSError as exc:
        raise GrammarError(f"{path}: unreadable {ref[2]}: {exc.strerror}") from None


def current_pins(channels: Mapping[str, int], rarity: bool = True) -> dict[str, Any]:
    """What a stored artefact built now is pinned to: the evidence channels and their versions,
    the token category set, every language's grammar (package, version, and the hash of the
    grammar file's tokenization fields) and, unless ``rarity`` is false, the rarity table."""
    from .categories import CATEGORY_SET_VERSION
    from .languages import all_specs
    from .parse import grammar_version

    pins: dict[str, Any] = {
        "channels": dict(sorted(channels.items())),
        "category_set_version": CATEGORY_SET_VERSION,
        "grammars": {
            name: {
                "package": spec.module.replace("_", "-"),
                "version": grammar_version(spec),
                "tokens_sha256": spec.token_fingerprint,
            }
            for name, spec in sorted(all_specs().items())
        },
    }
    if rarity:
        pins["rarity_table_sha256"] = reference_sha256(RARITY_TABLE)
    return pins


def _series(version: str) -> str:
    """``0.25.1`` -> ``0.25``: grammar patch releases keep their node kinds; pyproject.toml allows
    exactly the minor series a model was trained with."""
    return ".".join(version.split(".")[:2])


def check_pins(path: Path, what: str, recorded: Mapping[str, Any], channels: Mapping[str, int], rebuild: str) -> None:
    """Refuse (exit 4, one line) a stored artefact whose pins differ from this installation's."""
    current = current_pins(channels, rarity="rarity_table_sha256" in recorded)
    problems: list[str] = []
    if recorded.get("channels") != current["channels"]:
        problems.append(f"evidence channels {recorded.get('channels')} != this memaudit's {current['channels']}")
    if recorded.get("category_set_version") != current["category_set_version"]:
        problems.append(
            f"category set {recorded.get('category_set_version')} != {current['category_set_version']}"
        )
    grammars = recorded.get("grammars")
    if not isinstance(grammars, Mapping):
        problems.append("no grammar versions recorded")
    else:
        for name, now in current["grammars"].items():
            then = grammars.get(name)
            if not isinstance(then, Mapping):
                problems.append(f"{name} grammar not recorded")
            elif then.get("tokens_sha256") != now["tokens_sha256"]:
                problems.append(f"grammars/{name}.toml tokenization changed")
            elif _series(str(then.get("version"))) != _series(now["version"]):
                problems.append(f"{now['package']} {now['version']} installed, built with {then.get('version')}")
        extra = sorted(set(grammars) - set(current["grammars"]))
        if extra:
            problems.append(f"languages {extra} are not installed")
    if "rarity_table_sha256" in current and recorded.get("rarity_table_sha256") != current["rarity_table_sha256"]:
        problems.append("identifier rarity table differs (sha256)")
    if problems:
        raise GrammarError(f"{path}: {what} built with other settings: {'; '.join(problems)} (rebuild: {rebuild})")
