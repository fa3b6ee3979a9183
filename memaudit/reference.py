"""Reference data shipped in fingerprints/ (the identifier rarity table, the verdict model):
where each file is, how it is read, and its hash for the report's receipts.

Each file can be replaced through an environment variable (documented in docs/cli.md); a missing
or unreadable file is a configuration error (exit 4) naming the file and how to rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .errors import GrammarError
from .languages import data_dir

__all__ = ["RARITY_TABLE", "VERDICT_MODEL", "reference_path", "load_reference", "reference_sha256"]

#: (file name in fingerprints/, environment variable overriding it, what it is, how to rebuild it)
RARITY_TABLE = ("identifier-rarity.json", "MEMAUDIT_RARITY_TABLE", "identifier rarity table", "python fingerprints/build_rarity.py")
VERDICT_MODEL = ("verdict-model.json", "MEMAUDIT_MODEL", "verdict model", "python -m bench.train")


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


def reference_sha256(ref: tuple[str, str, str, str]) -> str:
    return hashlib.sha256(reference_path(ref).read_bytes()).hexdigest()
