"""The tools the benchmark runs on every pair, and how their output becomes a score.

Every tool sees exactly the same extracted files (``<cache>/sides/<side-id>/``):

- **memaudit** and the **identifier-Jaccard** baseline read the two side directories.
- **Dolos**, **copydetect** and **SIM** compare files, not trees, so each side's files are
  concatenated in sorted path order into one file (``<cache>/concat/<side-id>.<ext>``) and the tool
  compares those two files: one tree-level score per pair.

Scores are in [0, 1] and measure the share of both sides' tokens in shared fragments where the tool
reports that (memaudit, Dolos, SIM, copydetect combined token-weighted over both sides). A tool that
cannot handle a pair gets status ``n/a`` and no score (AUC counts it as 0, see ``bench/metrics.py``).

Every tool runs as a separate process so its wall time and peak RSS are measured the same way.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from memaudit.languages import all_specs

from . import config
from .measure import Measured, run_measured

#: File extension used for a side's concatenated file, by memaudit language name: the language's first.
CONCAT_EXT = {name: spec.extensions[0] for name, spec in all_specs().items()}
#: Dolos language names, from each grammar file's ``[tools]`` table (Dolos 3.5 has no Haskell or Ada
#: parser).
DOLOS_LANG = {name: spec.tools["dolos"] for name, spec in all_specs().items() if "dolos" in spec.tools}
#: SIM programs (the similarity-tester package has sim_c, sim_c++ and sim_java), from ``[tools]``.
SIM_PROGRAM = {name: spec.tools["sim"] for name, spec in all_specs().items() if "sim" in spec.tools}


@dataclass
class ToolResult:
    """One tool's outcome on one pair."""

    tool: str
    status: str                 # "ok", "n/a" (the tool cannot handle the pair), "error", "timeout"
    score: float | None = None
    details: dict = field(default_factory=dict)
    seconds: float | None = None
    peak_rss_kb: int | None = None
    note: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class SideInput:
    """What the tools need to know about one extracted side."""

    id: str
    lang: str
    dir: Path
    concat: Path


class ToolFailure(Exception):
    """Output that could not be turned into a score."""


# --------------------------------------------------------------------------------------------------
# inputs

def concat_side(record: dict, cache: Path) -> Path:
    """Concatenate the side's files (sorted by path) into one file; reused if already there."""
    ext = CONCAT_EXT.get(record["lang"], ".txt")
    target = cache / "concat" / f"{record['id']}{ext}"
    stamp = target.with_suffix(target.suffix + ".sha256")
    digest = "".join(f["sha256"] for f in record["files"])
    if target.is_file() and stamp.is_file() and stamp.read_text() == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    root = Path(record["dir"])
    with target.open("wb") as out:
        for entry in sorted(record["files"], key=lambda f: f["path"]):
            data = (root / entry["path"]).read_bytes()
            out.write(data)
            if not data.endswith(b"\n"):
                out.write(b"\n")
    stamp.write_text(digest)
    return target


def side_input(record: dict, cache: Path) -> SideInput:
    """The :class:`SideInput` of a fetched side record (see ``bench/fetch.py``)."""
    return SideInput(id=record["id"], lang=record["lang"], dir=Path(record["dir"]),
                     concat=concat_side(record, cache))


# --------------------------------------------------------------------------------------------------
# output parsers (pure functions, unit-tested on captured outputs)

def parse_memaudit(stdout: str) -> tuple[float, dict]:
    """Score and details from ``memaudit compare --json -`` output."""
    try:
        report = json.loads(stdout)
        summary = report["summary"]
        score = float(summary["similarity"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ToolFailure(f"unexpected memaudit output: {exc}") from exc
    details = {key: summary.get(key) for key in
               ("similarity", "jaccard", "original_coverage", "submission_coverage", "fragments",
                "longest_fragment_tokens")}
    details["tokens_a"] = report.get("original", {}).get("tokens")
    details["tokens_b"] = report.get("submission", {}).get("tokens")
    details["parse_errors"] = sum(f.get("parse_errors", 0) for side in ("original", "submission")
                                  for f in report.get(side, {}).get("files", []))
    details["skipped"] = sum(len(report.get(side, {}).get("skipped", [])) for side in ("original", "submission"))
    verdict = report.get("verdict") or {}
    details["probability"] = verdict.get("probability")
    details["label"] = verdict.get("label")
    details["channels"] = {c["name"]: c["score"] for c in report.get("evidence", {}).get("channels", [])}
    return score, details


def parse_dolos(stdout: str) -> tuple[float, dict]:
    """Score and details from ``bench/dolos_score.mjs``; raises :class:`ToolFailure` on its error."""
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise ToolFailure(f"unexpected Dolos output: {stdout[-300:]!r}") from exc
    if "error" in data:
        raise ToolFailure(f"Dolos: {data['error']}")
    return float(data["similarity"]), data


def combined_share(share_a: float, tokens_a: int, share_b: float, tokens_b: int) -> float:
    """Token-weighted share over both sides: (covered_a + covered_b) / (tokens_a + tokens_b)."""
    total = tokens_a + tokens_b
    return (share_a * tokens_a + share_b * tokens_b) / total if total else 0.0


def parse_copydetect(stdout: str) -> tuple[float, dict]:
    """Score (both sides combined) and details from ``bench/copydetect_score.py``."""
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
        score = combined_share(data["similarity_a"], data["tokens_a"], data["similarity_b"], data["tokens_b"])
    except (ValueError, IndexError, KeyError) as exc:
        raise ToolFailure(f"unexpected copydetect output: {stdout[-300:]!r}") from exc
    data["max_side"] = max(data["similarity_a"], data["similarity_b"])
    return score, data


_SIM_TOKENS = re.compile(r"^File (?P<name>.+): (?P<tokens>\d+) tokens?, \d+ lines?", re.M)
_SIM_PERCENT = re.compile(r"^(?P<a>.+?) consists for (?P<pct>\d+) % of (?P<b>.+?) material\s*$", re.M)


def parse_sim(stdout: str, name_a: str, name_b: str) -> tuple[float, dict]:
    """Score from ``sim_X -p -a -e A B`` output.

    SIM prints ``A consists for N % of B material`` for each direction above its 1 % threshold and
    the token count of each file; a direction not printed is 0 %. The score is the token-weighted
    share over both files.
    """
    tokens = {m.group("name"): int(m.group("tokens")) for m in _SIM_TOKENS.finditer(stdout)}
    if name_a not in tokens or name_b not in tokens:
        raise ToolFailure(f"SIM output names no token counts for {name_a} and {name_b}")
    pct = {name_a: 0, name_b: 0}
    for m in _SIM_PERCENT.finditer(stdout):
        if m.group("a") in pct:
            pct[m.group("a")] = max(pct[m.group("a")], int(m.group("pct")))
    share_a, share_b = pct[name_a] / 100, pct[name_b] / 100
    score = combined_share(share_a, tokens[name_a], share_b, tokens[name_b])
    return score, {"percent_a": pct[name_a], "percent_b": pct[name_b], "tokens_a": tokens[name_a],
                   "tokens_b": tokens[name_b]}


def parse_jaccard(stdout: str) -> tuple[float, dict]:
    """Score from ``python -m bench.jaccard``."""
    try:
        data = json.loads(stdout)
        return float(data["jaccard"]), data
    except (ValueError, KeyError) as exc:
        raise ToolFailure(f"unexpected jaccard output: {stdout[-300:]!r}") from exc


# --------------------------------------------------------------------------------------------------
# installation and versions

def dolos_dir(cache: Path) -> Path:
    return cache / "tools" / "dolos"


def copydetect_python(cache: Path) -> Path:
    return cache / "tools" / "copydetect-venv" / "bin" / "python"


def _dolos_works(cache: Path) -> bool:
    """Smoke test: Dolos scores two tiny C files."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        one, two = Path(tmp) / "a.c", Path(tmp) / "b.c"
        one.write_text("int f(int x) { return x + 1; }\n")
        two.write_text("int g(int y) { return y + 1; }\n")
        proc = subprocess.run(["node", str(config.BENCH / "dolos_score.mjs"), str(dolos_dir(cache)), str(one),
                               str(two), "c"], capture_output=True, text=True, timeout=120)
    return proc.returncode == 0 and '"similarity"' in proc.stdout


def install_dolos(cache: Path, log=print) -> str:
    """``npm install @dodona/dolos-lib`` into ``<cache>/tools/dolos`` (native parsers are compiled)."""
    where = dolos_dir(cache)
    installed = where / "node_modules" / "@dodona" / "dolos-lib" / "package.json"
    marker = where / ".built"
    if installed.is_file() and marker.is_file():
        return json.loads(installed.read_text())["version"]
    where.mkdir(parents=True, exist_ok=True)
    # npm >= 11 runs dependency install scripts only when allowed; Dolos needs its native parsers built.
    (where / "package.json").write_text(json.dumps({
        "name": "memaudit-bench-dolos", "private": True,
        "dependencies": {"@dodona/dolos-lib": config.DOLOS_LIB_VERSION},
        "allowScripts": {"@dodona/dolos-parsers": True, "tree-sitter": True, "tree-sitter-compat": True},
    }, indent=2))
    log("  installing Dolos (npm; compiles its tree-sitter parsers, a few minutes)")
    for cmd in (["npm", "install", "--no-audit", "--no-fund"], ["npm", "rebuild"]):
        if cmd[1] == "rebuild" and _dolos_works(cache):
            break
        proc = subprocess.run(cmd, cwd=where, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")
    if not _dolos_works(cache):
        raise RuntimeError("Dolos installed but cannot analyse a two-file C sample")
    marker.write_text("ok\n")
    return json.loads(installed.read_text())["version"]


def install_copydetect(cache: Path, log=print) -> str:
    """A separate venv in the cache with copydetect (keeps the project's venv clean)."""
    python = copydetect_python(cache)
    if not python.is_file():
        log("  installing copydetect (separate venv in the cache)")
        subprocess.run([sys.executable, "-m", "venv", str(python.parent.parent)], check=True)
    probe = subprocess.run([str(python), "-c", "from importlib.metadata import version; print(version('copydetect'))"],
                           capture_output=True, text=True)
    if probe.returncode == 0 and probe.stdout.strip() == config.COPYDETECT_VERSION:
        return probe.stdout.strip()
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"copydetect=={config.COPYDETECT_VERSION}"],
                   check=True, capture_output=True)
    return config.COPYDETECT_VERSION


def install_sim(log=print) -> str:
    """``apt-get install similarity-tester`` (Dick Grune's SIM) if ``sim_c`` is missing."""
    if not shutil.which("sim_c"):
        log("  installing similarity-tester (apt)")
        proc = subprocess.run(["apt-get", "install", "-y", "similarity-tester"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"apt-get install similarity-tester failed: {proc.stderr.strip()[-300:]}")
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "similarity-tester"], capture_output=True,
                         text=True)
    return out.stdout.strip() or "unknown"


def memaudit_version() -> str:
    """``memaudit --version`` plus the repository commit (``+dirty`` if memaudit's files are modified)."""
    out = subprocess.run([sys.executable, "-m", "memaudit", "--version"], capture_output=True, text=True)
    version = out.stdout.strip() or out.stderr.strip()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=config.REPO, capture_output=True, text=True)
    if head.returncode == 0:
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "memaudit", "grammars", "fingerprints"],
                               cwd=config.REPO, capture_output=True, text=True).stdout.strip()
        version += f" (commit {head.stdout.strip()}{'+dirty' if dirty else ''})"
    return version


def ensure_tools(tools: list[str], cache: Path, log=print) -> dict[str, dict]:
    """Install what the selected tools need; returns per tool ``{"version": ...}`` or ``{"error": ...}``."""
    info: dict[str, dict] = {}
    for tool in tools:
        try:
            if tool == "memaudit":
                info[tool] = {"version": memaudit_version()}
            elif tool == "dolos":
                node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
                info[tool] = {"version": f"@dodona/dolos-lib {install_dolos(cache, log)} (node {node})"}
            elif tool == "copydetect":
                info[tool] = {"version": f"copydetect {install_copydetect(cache, log)}"}
            elif tool == "sim":
                info[tool] = {"version": f"similarity-tester {install_sim(log)} (Debian)"}
            elif tool == "jaccard":
                info[tool] = {"version": "bench/jaccard.py (regex identifiers, set Jaccard)"}
            else:
                info[tool] = {"error": f"unknown tool {tool!r}"}
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            info[tool] = {"error": str(exc)}
    return info


# --------------------------------------------------------------------------------------------------
# running

def _finish(tool: str, measured: Measured, parse) -> ToolResult:
    """Turn a measured run into a :class:`ToolResult` using ``parse(stdout) -> (score, details)``."""
    base = dict(tool=tool, seconds=round(measured.seconds, 3), peak_rss_kb=measured.peak_rss_kb)
    if measured.timed_out:
        return ToolResult(status="timeout", note=f"killed after {config.TOOL_TIMEOUT}s", **base)
    try:
        score, details = parse(measured.stdout)
    except ToolFailure as exc:
        tail = " | ".join(measured.stderr.strip().splitlines()[-2:])
        note = str(exc) + (f" (exit {measured.returncode}; {tail})" if measured.returncode else "")
        return ToolResult(status="error", note=note[:500], **base)
    if measured.returncode != 0:
        return ToolResult(status="error", note=f"exit {measured.returncode}: {measured.stderr.strip()[-300:]}",
                          **base)
    return ToolResult(status="ok", score=round(score, 6), details=details, **base)


def run_memaudit(a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    cmd = [sys.executable, "-m", "memaudit", "compare", str(a.dir), str(b.dir), "--json", "-", "--quiet"]
    return _finish("memaudit", run_measured(cmd, timeout=config.TOOL_TIMEOUT), parse_memaudit)


def run_dolos(a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    lang = DOLOS_LANG.get(a.lang)
    if lang is None:
        return ToolResult(tool="dolos", status="n/a", note=f"Dolos has no parser for {a.lang}")
    cmd = ["node", "--max-old-space-size=12000", str(config.BENCH / "dolos_score.mjs"), str(dolos_dir(cache)),
           str(a.concat), str(b.concat), lang]
    result = _finish("dolos", run_measured(cmd, timeout=config.TOOL_TIMEOUT), parse_dolos)
    if a.lang != b.lang:
        result.note = (f"cross-language: Dolos analyses one language; both sides tokenized as {lang}. "
                       + result.note).strip()
    return result


def run_copydetect(a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    cmd = [str(copydetect_python(cache)), str(config.BENCH / "copydetect_score.py"), str(a.concat), str(b.concat)]
    result = _finish("copydetect", run_measured(cmd, timeout=config.TOOL_TIMEOUT), parse_copydetect)
    if a.lang != b.lang:
        result.note = ("cross-language: each side tokenized by its own Pygments lexer, names replaced by "
                       "V/F/O. " + result.note).strip()
    return result


def run_sim(a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    if a.lang != b.lang or a.lang not in SIM_PROGRAM:
        return ToolResult(tool="sim", status="n/a",
                          note=f"SIM compares C, C++ or Java within one language ({a.lang} vs {b.lang})")
    cmd = [SIM_PROGRAM[a.lang], "-p", "-a", "-e", a.concat.name, b.concat.name]
    measured = run_measured(cmd, cwd=a.concat.parent, timeout=config.TOOL_TIMEOUT)
    return _finish("sim", measured, lambda out: parse_sim(out, a.concat.name, b.concat.name))


def run_jaccard(a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    cmd = [sys.executable, "-m", "bench.jaccard", str(a.dir), str(b.dir)]
    return _finish("jaccard", run_measured(cmd, cwd=config.REPO, timeout=config.TOOL_TIMEOUT), parse_jaccard)


RUNNERS = {"memaudit": run_memaudit, "dolos": run_dolos, "copydetect": run_copydetect, "sim": run_sim,
           "jaccard": run_jaccard}


def run_tool(tool: str, a: SideInput, b: SideInput, cache: Path) -> ToolResult:
    """Run one tool on one pair; never raises for a tool's own failure."""
    try:
        return RUNNERS[tool](a, b, cache)
    except OSError as exc:
        return ToolResult(tool=tool, status="error", note=f"could not start: {exc}")


def environment() -> dict:
    """Interpreter and platform facts for the report."""
    import platform

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "memaudit_env": {k: v for k, v in sorted(os.environ.items()) if k.startswith("MEMAUDIT_")
                             and k != "MEMAUDIT_BENCH_CACHE"}}
