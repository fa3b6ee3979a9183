"""The benchmark's tiers, scored side by side by every tool on the same inputs:

- ``plain``: the real pairs of bench/pairs.toml as fetched;
- ``laundered``: the same pairs with the submission side's identifiers consistently renamed to
  meaningless names and its comments removed (bench/launder.py) — derived *and* independent
  pairs, so laundering is no label cue;
- ``real-model``: real model reimplementations rebuilt from public ProgramBench trajectories
  (bench/realmodel/), labelled by evidence.

Pairs of a frozen family (bench/frozen.py) are scored but sealed: their results go to the cache,
outside the repository, and only their number reaches results.json and the report.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

from . import config

__all__ = ["TIERS", "domain_of_pair", "laundered_record", "record_for_dir", "realmodel_entries", "seal"]

TIERS = ("plain", "laundered", "real-model")
#: The laundering seed (names are derived from it and the side's id): fixed, recorded in results.
LAUNDER_SEED = "memaudit-laundered-tier-1"
FROZEN_RESULTS = "frozen-results.json"


def _families() -> list[dict]:
    return tomllib.loads((config.BENCH / "families.toml").read_text())["side"]


def domain_of_pair(pair) -> str:  # type: ignore[no-untyped-def]
    """The domain (family) of a pair: its original side's, from bench/families.toml."""
    side = pair.a
    matches = [f for f in _families() if f["pkg"] == side.name and f.get("path", side.path) == side.path]
    if len(matches) != 1:
        raise SystemExit(f"bench/families.toml: {len(matches)} entries match side {side.name} {side.path}")
    return str(matches[0]["domain"])


def record_for_dir(side_id: str, lang: str, root: Path) -> dict:
    """A side record (as bench/fetch.py writes them) for a directory built outside the fetcher:
    every file memaudit would read, with its size, lines and sha256."""
    from memaudit.languages import extension_map

    from .fetch import file_entry

    exts = extension_map()
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts):
        files.append(file_entry(path.relative_to(root).as_posix(), path.read_bytes()))
    return {
        "id": side_id, "how": "built", "pkg": side_id, "version": "", "path": ".", "used_path": ".", "lang": lang,
        "declared_lang": lang, "dir": str(root), "error": None, "stripped": [], "files": files,
        "totals": {"files": len(files), "bytes": sum(f["bytes"] for f in files), "lines": sum(f["lines"] for f in files)},
    }  # fmt: skip


def laundered_record(record: dict, cache: Path) -> dict:
    """The side laundered (identifiers renamed, comments removed) into the cache, reused while the
    side's files and the laundering code are unchanged."""
    from .launder import launder_tree

    code = hashlib.sha256((config.BENCH / "launder.py").read_bytes()).hexdigest()[:12]
    stamp_text = json.dumps([record["files"], LAUNDER_SEED, code], sort_keys=True)
    dest = cache / "laundered" / record["id"]
    stamp = dest.with_suffix(".stamp")
    if not (dest.is_dir() and stamp.is_file() and stamp.read_text() == stamp_text):
        launder_tree(Path(record["dir"]), dest, f"{LAUNDER_SEED}:{record['id']}")
        stamp.write_text(stamp_text)
    return record_for_dir(f"{record['id']}~laundered", record["lang"], dest)


def _without_tests(root: Path) -> Path:
    """A copy of the tree's source files without its tests (each language's test_globs), as
    bench/fetch.py strips the registry sides; rebuilt when the tree changes."""
    import shutil

    from memaudit.discover import DiscoveryOptions, discover

    found = discover(str(root), DiscoveryOptions(exclude_tests=True)).files
    dest = root.parent / f"{root.name}-notests"
    stamp = json.dumps(sorted((f.relpath, f.size) for f in found))
    if dest.is_dir() and (dest.parent / f"{dest.name}.stamp").is_file() and (dest.parent / f"{dest.name}.stamp").read_text() == stamp:
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    for f in found:
        target = dest / f.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f.path, target)
    (dest.parent / f"{dest.name}.stamp").write_text(stamp)
    return dest


def realmodel_entries(cache: Path) -> list[dict]:
    """The real-model recipes (bench/realmodel/*.toml) whose trees are built in the cache
    (``python -m bench.realmodel.build``): id, label, domain, and the two side records (tests
    stripped, as for the registry sides)."""
    out = []
    for recipe in sorted((config.BENCH / "realmodel").glob("*.toml")):
        doc = tomllib.loads(recipe.read_text())
        rid = recipe.stem
        built = cache / "realmodel" / rid
        if not (built / "submission").is_dir() or not (built / "original").is_dir():
            out.append({"id": rid, "status": "missing", "label": doc["label"]["label"],
                        "missing": f"not built: python -m bench.realmodel.build --only {rid}"})  # fmt: skip
            continue
        out.append({
            "id": rid, "status": "ok", "label": doc["label"]["label"],
            # Each task is its own family: the frozen-split rule decides it like any other.
            "domain": doc["submission"]["task"],
            "provenance": f"{doc['submission']['model']}; labelled {doc['label']['label']} "
                          f"({doc['label'].get('confidence', '')}) by reading the code and the trajectory",
            "a": record_for_dir(f"realmodel-{rid}-original", doc["original"]["language"], _without_tests(built / "original")),
            "b": record_for_dir(f"realmodel-{rid}-submission", doc["submission"]["language"], _without_tests(built / "submission")),
        })  # fmt: skip
    return out


def seal(results: dict, cache: Path) -> dict:
    """Move the frozen pairs' entries of every tier out of ``results`` into the cache; leave a
    count behind."""
    sealed: dict = {}
    counts: dict = {}
    for tier, entries in [("plain", results["pairs"]), *results.get("tiers", {}).items()]:
        frozen = {pid: e for pid, e in entries.items() if e.get("frozen")}
        for pid in frozen:
            del entries[pid]
        sealed[tier] = frozen
        counts[tier] = {"scored": sum(1 for e in frozen.values() if e.get("status") == "ok"), "pairs": len(frozen)}
    path = cache / FROZEN_RESULTS
    previous = json.loads(path.read_text()) if path.is_file() else {}
    for tier, entries in sealed.items():
        previous.setdefault(tier, {}).update(entries)
    path.write_text(json.dumps(previous, indent=1) + "\n")
    return {"counts": counts, "sealed_in": str(path)}
