"""The benchmark's one command: fetch, score every pair with every tool, measure, write the report.

    python -m bench.run [--only PAIR[,PAIR]] [--tools memaudit,dolos,copydetect,sim,jaccard]
                        [--skip-fetch] [--fresh] [--no-speed] [--no-docs]
                        [--report-only]

Results go to ``bench/results/results.json`` (scores, sizes, versions, timings: no third-party
code) and ``docs/benchmarks.md`` is regenerated from them. A run limited by ``--only`` or ``--tools``
updates those entries of the existing results and leaves the rest as they were; ``--fresh`` starts
from empty results.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from pathlib import Path

from . import config
from .fetch import fetch_all
from .manifest import Pair, load_manifest
from .report import compute_metrics, render
from .speed import parse_speed
from .frozen import frozen_families, is_frozen
from .tiers import LAUNDER_SEED, domain_of_pair, laundered_record, realmodel_entries, seal
from .tools import ToolResult, ensure_tools, environment, run_tool, side_input

RESULTS_SCHEMA = "memaudit.bench/1"


def _split(values: list[str]) -> list[str]:
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def load_results(path: Path, fresh: bool) -> dict:
    """Existing results to update, or an empty skeleton."""
    if not fresh and path.is_file():
        try:
            data = json.loads(path.read_text())
            if data.get("schema") == RESULTS_SCHEMA:
                return data
        except json.JSONDecodeError:
            pass
    return {"schema": RESULTS_SCHEMA, "tools": {}, "pairs": {}}


def side_summary(record: dict) -> dict:
    """What the results keep about one side (no code, no file list)."""
    totals = record.get("totals", {})
    return {"side": record["id"], "how": record["how"], "pkg": record["pkg"], "version": record.get("version", ""),
            "path": record.get("used_path") or record["path"], "lang": record.get("lang") or record["declared_lang"],
            "files": totals.get("files", 0), "bytes": totals.get("bytes", 0), "lines": totals.get("lines", 0),
            "stripped": len(record.get("stripped", [])),
            "stripped_bytes": sum(s.get("bytes", 0) for s in record.get("stripped", [])
                                  if not s["reason"].startswith("not a "))}


def score_records(label: str, rec_a: dict, rec_b: dict, tools: list[str], tool_info: dict, cache: Path,
                  log=print) -> dict:
    """Run every tool on two side records; the scores of the entry."""
    entry: dict = {"status": "ok", "cross_language": rec_a["lang"] != rec_b["lang"], "tools": {}}
    a, b = side_input(rec_a, cache), side_input(rec_b, cache)
    for tool in tools:
        if "error" in tool_info.get(tool, {}):
            result = ToolResult(tool=tool, status="error", note=f"tool unavailable: {tool_info[tool]['error']}")
        else:
            result = run_tool(tool, a, b, cache)
        entry["tools"][tool] = result.to_json()
        shown = f"{result.score:.3f}" if result.score is not None else result.status
        secs = f"{result.seconds:.1f}s" if result.seconds is not None else ""
        log(f"    {tool:10s} {shown:>8s} {secs}")
    return entry


def score_pair(pair: Pair, fetched: dict, tools: list[str], tool_info: dict, cache: Path, log=print,
               laundered: bool = False) -> dict:
    """Run every tool on one pair (its submission side laundered, for the laundered tier); returns
    the pair's results entry."""
    rec_a, rec_b = fetched["sides"][pair.a.id], fetched["sides"][pair.b.id]
    domain = domain_of_pair(pair)
    entry = {"label": pair.label, "provenance": pair.provenance, "added_by_bench": pair.added_by_bench,
             "domain": domain, "frozen": is_frozen(domain), "a": side_summary(rec_a), "b": side_summary(rec_b)}
    if pair.id in fetched["missing"]:
        entry.update(status="missing", missing=fetched["missing"][pair.id], tools={})
        return entry
    if laundered:
        rec_b = laundered_record(rec_b, cache)
        entry["b"]["laundered_side"] = rec_b["id"]
    entry.update(score_records(pair.label, rec_a, rec_b, tools, tool_info, cache, log))
    return entry


def merge_entry(previous: dict, entry: dict) -> dict:
    """``entry`` plus the earlier results of tools not run this time, if the sides are unchanged."""
    if entry.get("status") != "ok" or previous.get("status") != "ok":
        return entry
    if any(previous.get(k, {}).get("side") != entry[k]["side"] for k in ("a", "b")):
        return entry
    for tool, result in previous.get("tools", {}).items():
        entry["tools"].setdefault(tool, result)
    return entry


def measure_speed(results: dict, fetched: dict, tools: list[str]) -> dict:
    """Speed section: tools on the largest pair, memaudit throughput, raw tree-sitter parse speed."""
    from memaudit.languages import extension_map

    ok = {pid: e for pid, e in results["pairs"].items() if e.get("status") == "ok"}
    if not ok:
        return {}
    largest_id = max(ok, key=lambda pid: ok[pid]["a"]["bytes"] + ok[pid]["b"]["bytes"])
    largest = ok[largest_id]
    speed: dict = {"largest_pair": {
        "id": largest_id, "bytes": largest["a"]["bytes"] + largest["b"]["bytes"],
        "files": largest["a"]["files"] + largest["b"]["files"],
        "tools": {t: {k: r.get(k) for k in ("status", "seconds", "peak_rss_kb")}
                  for t, r in largest["tools"].items()},
    }}
    speed["tool_totals"] = {t: round(sum(e["tools"][t]["seconds"] or 0 for e in ok.values() if t in e["tools"]), 2)
                            for t in config.TOOLS}

    def mb_per_s(nbytes: int, seconds: float) -> float:
        return round(nbytes / 1e6 / seconds, 3) if seconds else 0.0

    mem = {pid: e["tools"]["memaudit"] for pid, e in ok.items()
           if e["tools"].get("memaudit", {}).get("status") == "ok"}
    if largest_id in mem:
        secs = mem[largest_id]["seconds"]
        speed["memaudit_throughput"] = {"largest": {
            "files": speed["largest_pair"]["files"], "bytes": speed["largest_pair"]["bytes"], "seconds": secs,
            "mb_per_s": mb_per_s(speed["largest_pair"]["bytes"], secs)}}
        total_bytes = sum(ok[p]["a"]["bytes"] + ok[p]["b"]["bytes"] for p in mem)
        total_secs = sum(r["seconds"] for r in mem.values())
        speed["memaudit_throughput"]["all"] = {
            "files": sum(ok[p]["a"]["files"] + ok[p]["b"]["files"] for p in mem), "bytes": total_bytes,
            "seconds": round(total_secs, 2), "mb_per_s": mb_per_s(total_bytes, total_secs)}
    ext_lang = extension_map()

    def files_of(side_ids: list[str]) -> list[tuple[str, Path]]:
        out = []
        for sid in side_ids:
            rec = fetched["sides"][sid]
            for f in rec["files"]:
                lang = ext_lang.get(Path(f["path"]).suffix.lower())
                if lang:
                    out.append((lang, Path(rec["dir"]) / f["path"]))
        return out

    speed["tree_sitter"] = {
        "largest": parse_speed(files_of([largest["a"]["side"], largest["b"]["side"]])),
        "all_sides": parse_speed(files_of(sorted({e[s]["side"] for e in ok.values() for s in ("a", "b")}))),
    }
    return speed


BATCH_SIZE = 50


def _dolos_batch(original: str, subs: list[str], fetched: dict, language: str) -> dict | None:
    """Dolos on the same original and submissions (one concatenated file per side), or None if
    Dolos is not installed in the cache."""
    from .measure import run_measured
    from .tools import concat_side, dolos_dir

    cache = config.cache_dir()
    ddir = dolos_dir(cache)
    if not (ddir / "node_modules" / "@dodona" / "dolos-lib").is_dir():
        return None
    files = [str(concat_side(fetched["sides"][sid], cache)) for sid in [original, *subs]]
    run = run_measured(["node", str(config.BENCH / "dolos_batch.mjs"), str(ddir), language, *files],
                       timeout=config.TOOL_TIMEOUT)
    if run.returncode != 0:
        return {"status": "error", "note": (run.stdout + run.stderr).strip()[-300:]}
    data = json.loads(run.stdout)
    return {"status": "ok", "seconds": round(run.seconds, 2), "peak_rss_kb": run.peak_rss_kb, "pairs": data["pairs"]}


def measure_batch(results: dict, fetched: dict, size: int = BATCH_SIZE, log=print) -> dict:
    """One original against ``size`` submissions: one batch run vs. ``size`` single runs.

    The original is the largest original (side A) of the resolved pairs; the submissions are every
    other distinct extracted side, cycled until there are ``size``. Scores are not the point (the
    submissions are unrelated programs); wall time, peak RSS and throughput are. If memaudit does
    not accept several submissions, the result says so and nothing is measured.
    """
    from .measure import run_measured

    ok = [e for e in results["pairs"].values() if e.get("status") == "ok"]
    if not ok:
        return {}
    original = max((e["a"] for e in ok), key=lambda side: side["bytes"])
    # Submissions in the original's language: Dolos, measured beside memaudit on the same files,
    # analyses one language at a time.
    language = fetched["sides"][original["side"]]["lang"]
    others = sorted({s["side"] for e in ok for s in (e["a"], e["b"])
                     if fetched["sides"][s["side"]]["lang"] == language} - {original["side"]})
    subs = [others[i % len(others)] for i in range(size)]
    dirs = [fetched["sides"][sid]["dir"] for sid in subs]
    sub_bytes = sum(fetched["sides"][sid]["totals"]["bytes"] for sid in subs)
    base = [sys.executable, "-m", "memaudit", "compare"]
    orig_dir = fetched["sides"][original["side"]]["dir"]
    log(f"  batch: 1 original ({original['side']}) x {size} submissions")
    batch = run_measured(base + [orig_dir, *dirs, "--json", "-", "--quiet"], timeout=config.TOOL_TIMEOUT)
    out: dict = {"original": original["side"], "original_bytes": original["bytes"], "submissions": size,
                 "distinct_submissions": len(set(subs)), "submission_bytes": sub_bytes}
    if batch.returncode != 0:
        out["status"] = "unsupported" if batch.returncode == 2 else "error"
        out["note"] = batch.stderr.strip()[-300:]
        return out
    try:
        reports = json.loads(batch.stdout)["reports"]
    except (ValueError, KeyError) as exc:
        out.update(status="error", note=f"unexpected batch output: {exc}")
        return out
    single_secs = 0.0
    single_rss = 0
    diffs = []
    for sub_dir, report in zip(dirs, reports):
        single = run_measured(base + [orig_dir, sub_dir, "--json", "-", "--quiet"], timeout=config.TOOL_TIMEOUT)
        single_secs += single.seconds
        single_rss = max(single_rss, single.peak_rss_kb)
        if single.returncode == 0:
            diffs.append(abs(json.loads(single.stdout)["summary"]["similarity"] - report["summary"]["similarity"]))
    total_bytes = original["bytes"] + sub_bytes
    out["language"] = language
    dolos = _dolos_batch(original["side"], subs, fetched, language)
    if dolos is not None:
        out["dolos"] = dolos
        if dolos.get("seconds"):
            dolos["mb_per_s"] = round(total_bytes / 1e6 / dolos["seconds"], 3)
    out.update(
        status="ok", reports=len(reports),
        batch={"seconds": round(batch.seconds, 2), "peak_rss_kb": batch.peak_rss_kb,
               "mb_per_s": round(total_bytes / 1e6 / batch.seconds, 3)},
        singles={"seconds": round(single_secs, 2), "peak_rss_kb": single_rss,
                 "mb_per_s": round((original["bytes"] * size + sub_bytes) / 1e6 / single_secs, 3)},
        similarity_max_abs_diff=round(max(diffs), 6) if diffs else None,
        similarity_differs=sum(d > 1e-6 for d in diffs),
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="pair id(s), repeatable or comma-separated")
    parser.add_argument("--tools", default=",".join(config.TOOLS), help="comma-separated subset of: "
                        + ",".join(config.TOOLS))
    parser.add_argument("--skip-fetch", action="store_true", help="use <cache>/manifest.json as it is")
    parser.add_argument("--fresh", action="store_true", help="discard earlier results")
    parser.add_argument("--no-speed", action="store_true",
                        help="skip the speed measurements (tree-sitter parse speed, 1 original x 50 submissions)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--report-only", action="store_true",
                        help="only regenerate docs/benchmarks.md from bench/results/results.json")
    parser.add_argument("--tiers", default="plain,laundered,real-model",
                        help="comma-separated tiers to score: plain, laundered, real-model")
    parser.add_argument("--reveal-frozen", action="store_true",
                        help="also report the frozen split's metrics (only at the end of feature work)")
    args = parser.parse_args(argv)
    if args.report_only:
        results = load_results(config.RESULTS_FILE, fresh=False)
        if not results["pairs"]:
            parser.error(f"--report-only: no results in {config.RESULTS_FILE}")
        order = [p.id for p in load_manifest(config.PAIRS_FILE).pairs]
        config.DOC_FILE.write_text(render(results, order) + "\n")
        print(f"report:  {config.DOC_FILE}")
        return 0

    started = time.perf_counter()
    tools = _split([args.tools])
    unknown = [t for t in tools if t not in config.TOOLS]
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(unknown)}")
    manifest = load_manifest(config.PAIRS_FILE)
    only = _split(args.only)
    pairs = manifest.select(only or None)
    cache = config.cache_dir()
    print(f"cache: {cache}")

    if args.skip_fetch:
        path = cache / "manifest.json"
        if not path.is_file():
            parser.error(f"--skip-fetch: {path} does not exist; run without it first")
        fetched = json.loads(path.read_text())
        absent = [p.id for p in pairs if p.id not in fetched.get("pairs", {})]
        if absent:
            parser.error(f"--skip-fetch: not fetched yet: {', '.join(absent)}")
    else:
        print("fetching sides")
        fetched = fetch_all(manifest, pairs, cache, log=lambda m: print("  " + m, flush=True))

    print("preparing tools", flush=True)
    tool_info = ensure_tools(tools, cache, log=lambda m: print(m, flush=True))
    for tool, info in tool_info.items():
        print(f"  {tool:10s} {info.get('version') or 'UNAVAILABLE: ' + info.get('error', '')}")

    results = load_results(config.RESULTS_FILE, args.fresh)
    results["tools"].update(tool_info)
    tiers = _split([args.tiers])
    log = lambda m: print(m, flush=True)  # noqa: E731
    tier_entries: dict[str, dict] = {"laundered": {}, "real-model": {}}
    if "plain" in tiers:
        for pair in pairs:
            print(f"pair {pair.id} ({pair.label})", flush=True)
            entry = score_pair(pair, fetched, tools, tool_info, cache, log=log)
            results["pairs"][pair.id] = merge_entry(results["pairs"].get(pair.id, {}), entry)
    # Drop pairs no longer in the manifest.
    results["pairs"] = {p.id: results["pairs"][p.id] for p in manifest.pairs if p.id in results["pairs"]}
    previous_tiers = results.get("tiers", {})
    if "laundered" in tiers:
        for pair in pairs:
            print(f"laundered {pair.id} ({pair.label})", flush=True)
            entry = score_pair(pair, fetched, tools, tool_info, cache, log=log, laundered=True)
            tier_entries["laundered"][pair.id] = merge_entry(previous_tiers.get("laundered", {}).get(pair.id, {}), entry)
    if "real-model" in tiers:
        for rm in realmodel_entries(cache):
            print(f"real-model {rm['id']} ({rm.get('label', '?')})", flush=True)
            entry = {k: rm[k] for k in ("status", "label", "domain", "provenance", "missing") if k in rm}
            entry["frozen"] = is_frozen(rm["domain"]) if "domain" in rm else False
            if rm["status"] == "ok":
                entry.update(a=side_summary(rm["a"]), b=side_summary(rm["b"]))
                entry.update(score_records(rm["label"], rm["a"], rm["b"], tools, tool_info, cache, log))
            tier_entries["real-model"][rm["id"]] = merge_entry(previous_tiers.get("real-model", {}).get(rm["id"], {}), entry)
    results["tiers"] = {t: tier_entries[t] or previous_tiers.get(t, {}) for t in ("laundered", "real-model")}
    results["laundering"] = {"seed": LAUNDER_SEED, "module": "bench/launder.py"}
    results["frozen"] = {"families": frozen_families(), **seal(results, cache)}

    if not args.no_speed:
        print("measuring speed", flush=True)
        results["speed"] = measure_speed(results, fetched, tools)
        if "memaudit" in tools and "error" not in tool_info.get("memaudit", {}):
            results["speed"]["batch"] = measure_batch(results, fetched, log=lambda m: print(m, flush=True))
    results["partial"] = bool(only) or set(tools) != set(config.TOOLS)
    results["updated"] = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results["environment"] = environment()
    results["threshold"] = {"value": config.PROVISIONAL_THRESHOLD, "status": "provisional"}
    metric_tools = [t for t in config.TOOLS if t in results["tools"]]
    results["metrics"] = compute_metrics(results["pairs"], metric_tools)
    results["tier_metrics"] = {t: compute_metrics(results["tiers"][t], metric_tools) for t in results["tiers"]}
    if args.reveal_frozen:
        sealed = json.loads((cache / "frozen-results.json").read_text())
        results["frozen"]["metrics"] = {t: compute_metrics(e, metric_tools) for t, e in sealed.items()}
    results["run_seconds"] = round(time.perf_counter() - started, 1)
    if not results["partial"]:
        results["full_run_seconds"] = results["run_seconds"]

    config.RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    config.RESULTS_FILE.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    print(f"results: {config.RESULTS_FILE}")
    if not args.no_docs:
        config.DOC_FILE.write_text(render(results, [p.id for p in manifest.pairs]) + "\n")
        print(f"report:  {config.DOC_FILE}")
    for tool, m in results["metrics"].items():
        print(f"  {tool:10s} AUC all={m['all']['auc']} same={m['same']['auc']} cross={m['cross']['auc']}")
    print(f"done in {results['run_seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
