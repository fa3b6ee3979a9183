"""Turn ``bench/results/results.json`` into metrics and the Markdown of ``docs/benchmarks.md``."""

from __future__ import annotations

import json

from . import config
from .metrics import bootstrap_auc_ci, precision_recall, roc_auc

TOOL_TITLES = {"memaudit": "memaudit", "memaudit-verdict": "memaudit verdict P", "dolos": "Dolos",
               "copydetect": "copydetect", "sim": "SIM", "jaccard": "identifier Jaccard"}
#: Scores read from another tool's details: (tool that ran, detail key).
DERIVED_SCORES = {"memaudit-verdict": ("memaudit", "probability")}
SUBSETS = (("all", "all pairs"), ("same", "same language"), ("cross", "cross-language"))
#: copydetect's own default display threshold (copydetect.defaults.DISPLAY_THRESHOLD).
COPYDETECT_DEFAULT_THRESHOLD = 0.33


def _score(entry: dict, tool: str) -> float | None:
    ran, key = DERIVED_SCORES.get(tool, (tool, None))
    result = entry.get("tools", {}).get(ran)
    if not result or result.get("status") != "ok":
        return None
    return result.get("score") if key is None else result.get("details", {}).get(key)


def _in_subset(entry: dict, subset: str) -> bool:
    if subset == "same":
        return not entry["cross_language"]
    if subset == "cross":
        return entry["cross_language"]
    return True


def compute_metrics(entries: dict, tools: list[str]) -> dict:
    """Per tool and subset of ``entries`` (pair id -> entry): AUC, bootstrap CI, counts, and
    precision/recall at the thresholds. memaudit also gets its verdict probability as a tool."""
    pairs = [e for e in entries.values() if e.get("status") == "ok"]
    out: dict = {}
    for tool in [*tools, *(t for t, (ran, _) in DERIVED_SCORES.items() if ran in tools)]:
        ran = [e for e in pairs if DERIVED_SCORES.get(tool, (tool,))[0] in e.get("tools", {})]
        if not ran:
            continue
        per_tool: dict = {}
        for subset, _ in SUBSETS:
            chosen = [e for e in ran if _in_subset(e, subset)]
            pos = [_score(e, tool) for e in chosen if e["label"] == "derived"]
            neg = [_score(e, tool) for e in chosen if e["label"] == "independent"]
            auc = roc_auc(pos, neg)
            ci = bootstrap_auc_ci(pos, neg, resamples=config.BOOTSTRAP_RESAMPLES, seed=config.BOOTSTRAP_SEED)
            per_tool[subset] = {
                "derived": len(pos), "independent": len(neg),
                "not_scored": sum(s is None for s in pos + neg),
                "auc": None if auc is None else round(auc, 4),
                "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)],
            }
        pos = [_score(e, tool) for e in ran if e["label"] == "derived"]
        neg = [_score(e, tool) for e in ran if e["label"] == "independent"]
        thresholds = {"provisional": config.PROVISIONAL_THRESHOLD}
        if tool == "copydetect":
            thresholds["tool default"] = COPYDETECT_DEFAULT_THRESHOLD
        per_tool["at_threshold"] = []
        for name, value in thresholds.items():
            c = precision_recall(pos, neg, value)
            per_tool["at_threshold"].append({
                "threshold": value, "source": name, "tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn,
                "precision": None if c.precision is None else round(c.precision, 4),
                "recall": None if c.recall is None else round(c.recall, 4),
            })
        out[tool] = per_tool
    return out


# --------------------------------------------------------------------------------------------------
# Markdown

def _cell(entry: dict, tool: str) -> str:
    result = entry.get("tools", {}).get(tool)
    if result is None:
        return "—"
    if result["status"] == "ok":
        return f"{result['score']:.3f}"
    return {"n/a": "n/a", "error": "error", "timeout": "timeout"}.get(result["status"], result["status"])


def _kb(n: int) -> str:
    return f"{n / 1024:.0f}"


def _fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _auc_cell(m: dict) -> str:
    if m["auc"] is None:
        return f"undefined ({m['derived']} derived / {m['independent']} indep.)"
    ci = m["ci95"]
    extra = f"; {m['not_scored']} n/a→0" if m["not_scored"] else ""
    return f"**{m['auc']:.3f}** [{ci[0]:.2f}, {ci[1]:.2f}] ({m['derived']}/{m['independent']}{extra})"


TIER_TITLES = {
    "plain": "plain: the real pairs as fetched",
    "laundered": "laundered: the same pairs, submission identifiers renamed and comments removed",
    "real-model": "real-model: model reimplementations rebuilt from ProgramBench trajectories",
}


def render_tiers(add, results: dict, tools: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Every tier side by side: ROC AUC with bootstrap 95% intervals per tool, all pairs and
    cross-language pairs alone."""
    columns = [t for t in ("memaudit", "memaudit-verdict", "dolos", "copydetect", "jaccard")
               if DERIVED_SCORES.get(t, (t,))[0] in tools]
    per_tier = {"plain": results.get("metrics") or {}, **(results.get("tier_metrics") or {})}
    add("## Tiers side by side")
    add("")
    add("ROC AUC of each tool's score, derived against independent, with a stratified bootstrap 95% "
        "interval and the numbers of derived/independent pairs. The laundered tier renames every "
        "identifier of the submission side to a meaningless name and removes its comments "
        "(`bench/launder.py`), on derived and independent pairs alike, so laundering is no label cue.")
    add("")
    add("| tier | pairs | " + " | ".join(TOOL_TITLES[t] for t in columns) + " |")
    add("|---|---|" + "---|" * len(columns))
    for tier, title in TIER_TITLES.items():
        m = per_tier.get(tier) or {}
        for subset, subset_title in (("all", "all"), ("cross", "cross-language")):
            cells = [(_auc_cell(m[t][subset]) if t in m and subset in m[t] else "—") for t in columns]
            add(f"| {title if subset == 'all' else ''} | {subset_title} | " + " | ".join(cells) + " |")
    add("")
    real = {pid: e for pid, e in (results.get("tiers") or {}).get("real-model", {}).items()}
    if real:
        add("")
        add("Real-model pairs, one by one (labels by evidence, with the reasoning, in `bench/realmodel/<id>.toml`):")
        add("")
        add("| pair | label | lines original / submission | memaudit verdict | " + " | ".join(
            TOOL_TITLES[t] for t in columns if t not in ("memaudit-verdict",)) + " |")
        add("|---|---|---|---|" + "---|" * len([t for t in columns if t != "memaudit-verdict"]))
        for pid, e in sorted(real.items()):
            if e.get("status") != "ok":
                add(f"| {pid} | {e.get('label', '?')} | not built: {e.get('missing', '')} | | |")
                continue
            details = e["tools"].get("memaudit", {}).get("details", {})
            verdict = f"{details.get('label', '?')} (P = {_fmt(details.get('probability'), 2)})"
            cells = [_fmt(_score(e, t)) for t in columns if t != "memaudit-verdict"]
            add(f"| {pid} | {e['label']} | {e['a']['lines']:,} / {e['b']['lines']:,} | {verdict} | " + " | ".join(cells) + " |")
    add("")
    add("> **Read the verdict column with care.** On the plain and laundered tiers it is in-sample: the "
        "shipped model was trained on exactly these open pairs and their laundered copies (its manifest "
        "lists them). Its honest figures are the grouped cross-validation in the verdict section (every "
        "probability there comes from a model that never saw the pair's domain) and, at the end of the "
        "evidence work, the frozen split. The real-model pairs were never trained on. The structural "
        "score does not read names or comments at all, which is why laundering leaves it unchanged.")
    frozen = results.get("frozen") or {}
    if frozen:
        counts = frozen.get("counts", {})
        scored = ", ".join(f"{t}: {c['scored']} of {c['pairs']}" for t, c in counts.items())
        add("")
        add(f"**Frozen split** (`bench/frozen.toml`): families {', '.join(frozen.get('families', []))}. "
            f"Their pairs are scored on every run to show the split runs ({scored}), but the scores are "
            "sealed in the cache and no figure in this document includes them; they are reported once, "
            "at the end of feature work (`python -m bench.run --reveal-frozen`).")
        if frozen.get("metrics"):
            add("")
            add("| frozen tier | pairs | " + " | ".join(TOOL_TITLES[t] for t in columns) + " |")
            add("|---|---|" + "---|" * len(columns))
            for tier, m in frozen["metrics"].items():
                cells = [(_auc_cell(m[t]["all"]) if t in m else "—") for t in columns]
                add(f"| {tier} | all | " + " | ".join(cells) + " |")
    add("")


def render(results: dict, pairs_order: list[str]) -> str:
    """The full Markdown document."""
    tools = [t for t in config.TOOLS if t in results.get("tools", {})]
    metrics = results.get("metrics") or compute_metrics(results["pairs"], tools)
    entries = [results["pairs"][p] | {"id": p} for p in pairs_order if p in results["pairs"]]
    ok = [e for e in entries if e.get("status") == "ok"]
    missing = [e for e in entries if e.get("status") != "ok"]
    lines: list[str] = []
    add = lines.append

    add("# Benchmarks: memaudit beside existing tools on real program pairs")
    add("")
    add("<!-- Generated by `python -m bench.run`; do not edit by hand. -->")
    add("")
    add(f"Run: **{results['updated']}** on {results['environment']['platform']} "
        f"({results['environment']['cpus']} CPUs), Python {results['environment']['python']}. "
        + (f"Full run time: {results['full_run_seconds'] / 60:.1f} min" if results.get("full_run_seconds")
           else "No full run yet")
        + (" (the last run was partial: `--only`/`--tools`)" if results.get("partial") else "") + ".")
    env = results["environment"].get("memaudit_env") or {}
    if env:
        add("")
        add("> **memaudit ran with overrides:** " + ", ".join(f"`{k}={v}`" for k, v in env.items()) + ".")
    add("")
    add("The pairs are real programs with documented provenance (`bench/pairs.toml`): **derived** means "
        "the second side is a port, translation or successor of the first; **independent** means both "
        "implement the same behaviour but were written separately. Every side is fetched from a "
        "package registry at run time into a cache outside the repository; no third-party code is "
        "committed. All tools score exactly the same extracted files.")
    add("")
    add(f"> **Which memaudit score.** The pair tables rank memaudit by its structural score alone "
        f"(`summary.similarity`, comparable with the other tools' token-overlap scores), with a fixed "
        f"threshold of **{config.PROVISIONAL_THRESHOLD}** declared in `bench/config.py` and not tuned to "
        "these pairs. memaudit's calibrated verdict, which combines every evidence channel, is "
        "evaluated separately under grouped cross-validation in the verdict section below.")
    add("")
    add("Reproduce (from the repository root, in memaudit's venv; root is needed for apt):")
    add("")
    add("```sh")
    add("python -m bench.run                       # fetch, score with every tool, rewrite this file")
    add("python -m bench.run --only zlib-pako --tools memaudit,jaccard   # one pair, two tools")
    add("python -m bench.run --skip-fetch          # reuse the cache (MEMAUDIT_BENCH_CACHE)")
    add("python -m bench.train                     # retrain the verdict model (fingerprints/verdict-model.json)")
    add("python -m bench.latency                   # one audit per pair after start-up")
    add("python -m bench.run --report-only         # rewrite this file from bench/results/results.json")
    add("python -m bench.run --tiers laundered     # one tier (plain, laundered, real-model)")
    add("python -m bench.realmodel.build           # rebuild the real-model tier's submissions from their")
    add("                                          # trajectories (needs the submission repositories' snapshots)")
    add("```")
    add("")

    render_tiers(add, results, tools)

    add("## Tools")
    add("")
    add("| tool | version | how it is run |")
    add("|---|---|---|")
    how = {
        "memaudit": "`memaudit compare A B --json - --quiet` on the two side directories; score `summary.similarity`",
        "dolos": "Dolos library API (`bench/dolos_score.mjs`) on one concatenated file per side; score = pair similarity; "
                 "cross-language pairs are tokenized with side A's language (Dolos analyses one language)",
        "copydetect": "`CodeFingerprint` + `compare_files` (defaults k=25, window 1) on one concatenated file per side; "
                      "score = token-weighted mean of the two per-side similarities",
        "sim": "`sim_c -p -a -e` (C only here; also C++/Java) on one concatenated file per side; "
               "score = token-weighted mean of the two percentages; other languages and cross-language: n/a",
        "jaccard": "Jaccard of the two trees' sets of regex identifiers (`bench/jaccard.py`)",
    }
    for tool in tools:
        info = results["tools"][tool]
        version = info.get("version") or f"unavailable: {info.get('error')}"
        add(f"| {TOOL_TITLES[tool]} | {version} | {how[tool]} |")
    add("")

    n_der = sum(e["label"] == "derived" for e in ok)
    n_ind = len(ok) - n_der
    cross = sum(e["cross_language"] for e in ok)
    add("## Pairs")
    add("")
    add(f"{len(ok)} of {len(entries)} pairs resolved: {n_der} derived, {n_ind} independent; "
        f"{cross} cross-language, {len(ok) - cross} same-language. Sizes are the compared files after "
        "stripping (KB). Scores are in [0, 1]; `n/a`: the tool cannot handle the pair; `error`: it failed "
        "(see the notes below).")
    add("")
    add("| pair | label | languages | size A / B (KB) | files A / B | " + " | ".join(TOOL_TITLES[t] for t in tools) + " |")
    add("|---|---|---|---|---|" + "---|" * len(tools))
    for e in sorted(ok, key=lambda e: (e["label"], e["id"])):
        mark = " †" if e.get("added_by_bench") else ""
        add(f"| {e['id']}{mark} | {e['label']} | {e['a']['lang']} → {e['b']['lang']} | "
            f"{_kb(e['a']['bytes'])} / {_kb(e['b']['bytes'])} | {e['a']['files']} / {e['b']['files']} | "
            + " | ".join(_cell(e, t) for t in tools) + " |")
    add("")
    add("† added by the benchmark (provenance in `bench/pairs.toml`).")
    add("")

    add("## Ranking: ROC AUC")
    add("")
    add("Probability that a derived pair scores above an independent one (Mann-Whitney, ties count "
        f"half), with a stratified percentile bootstrap 95% interval ({config.BOOTSTRAP_RESAMPLES} "
        f"resamples, seed {config.BOOTSTRAP_SEED}). In parentheses: derived/independent pairs; a pair "
        "the tool cannot score counts as 0 (it flags nothing). With this few pairs the intervals are wide.")
    add("")
    add("| tool | " + " | ".join(title for _, title in SUBSETS) + " |")
    add("|---|" + "---|" * len(SUBSETS))
    for tool in tools:
        if tool not in metrics:
            continue
        add(f"| {TOOL_TITLES[tool]} | " + " | ".join(_auc_cell(metrics[tool][s]) for s, _ in SUBSETS) + " |")
    add("")

    add("## Decisions at a threshold")
    add("")
    add(f"A pair is flagged when its score is at least the threshold. {config.PROVISIONAL_THRESHOLD} is the "
        "fixed threshold on memaudit's structural score; it is applied to the other tools' scores (also "
        "shares of tokens in [0, 1]) for comparison only, and copydetect is also shown at its own default "
        f"display threshold ({COPYDETECT_DEFAULT_THRESHOLD}). The calibrated verdict's precision and "
        "recall are in the verdict section.")
    add("")
    add("| tool | threshold | flagged derived (TP) | flagged independent (FP) | precision | recall |")
    add("|---|---|---|---|---|---|")
    for tool in tools:
        for row in metrics.get(tool, {}).get("at_threshold", []):
            label = f"{row['threshold']} ({'provisional' if row['source'] == 'provisional' else row['source']})"
            add(f"| {TOOL_TITLES[tool]} | {label} | {row['tp']} / {row['tp'] + row['fn']} | "
                f"{row['fp']} / {row['fp'] + row['tn']} | {_fmt(row['precision'], 2)} | {_fmt(row['recall'], 2)} |")
    add("")

    render_channel_tiers(add, results, tools)
    render_verdict_sections(add, metrics, tools, results)

    speed = results.get("speed") or {}
    add("## Speed")
    add("")
    if speed.get("largest_pair"):
        lp = speed["largest_pair"]
        add(f"Largest pair: **{lp['id']}** ({lp['bytes'] / 1e6:.2f} MB of source, {lp['files']} files). "
            "Wall time and peak RSS of each tool's process on it (one run each; peak RSS is the largest "
            "single process, from `wait4`). Totals are over every pair of this run.")
        add("")
        add("| tool | wall time (s) | peak RSS (MB) | total over all pairs (s) |")
        add("|---|---|---|---|")
        for tool in tools:
            row = lp["tools"].get(tool)
            total = speed.get("tool_totals", {}).get(tool)
            if row is None:
                continue
            secs = _fmt(row.get("seconds"), 2) if row.get("seconds") is not None else "–"
            rss = _fmt(row["peak_rss_kb"] / 1024, 0) if row.get("peak_rss_kb") else "–"
            status = "" if row.get("status") == "ok" else f" ({row.get('status')})"
            add(f"| {TOOL_TITLES[tool]} | {secs}{status} | {rss} | {_fmt(total, 1)} |")
        add("")
        ts = speed.get("tree_sitter", {})
        mt = speed.get("memaudit_throughput", {})
        if ts or mt:
            add("memaudit's end-to-end throughput (process start to JSON report, both trees) beside raw "
                "tree-sitter parsing of the same files (`tree_sitter.Parser.parse` with the same grammar "
                "wheels, in one process, best of 3, no tokenizing):")
            add("")
            add("| measure | files | MB | seconds | MB/s |")
            add("|---|---|---|---|---|")
            for key, title in (("largest", "memaudit, largest pair"), ("all", "memaudit, all pairs")):
                if key in mt:
                    m = mt[key]
                    add(f"| {title} | {m['files']} | {m['bytes'] / 1e6:.2f} | {m['seconds']:.2f} | {m['mb_per_s']:.2f} |")
            for key, title in (("largest", "tree-sitter parse, largest pair"),
                               ("all_sides", "tree-sitter parse, every distinct side")):
                if key in ts:
                    m = ts[key]
                    add(f"| {title} | {m['files']} | {m['bytes'] / 1e6:.2f} | {m['seconds']:.2f} | {m['mb_per_s']:.2f} |")
            add("")
    else:
        add("Not measured in the last run.")
        add("")
    render_latency(add)
    batch = speed.get("batch") or {}
    if batch.get("status") == "ok":
        add(f"### One original against {batch['submissions']} submissions")
        add("")
        add(f"Original: `{batch['original']}` ({batch['original_bytes'] / 1e6:.2f} MB, the largest original side); "
            f"{batch['submissions']} submissions cycling through the {batch['distinct_submissions']} other "
            f"extracted sides in its language, {batch.get('language', '?')} ({batch['submission_bytes'] / 1e6:.2f} MB). "
            f"One `memaudit compare ORIGINAL S1 ... S{batch['submissions']}` run against {batch['submissions']} "
            "separate single-submission runs, and Dolos on the same files (one concatenated file per side; "
            "Dolos cannot index one file and query the others, so it computes every pair of the set). "
            "MB/s counts every byte each approach reads (the singles read the original each time).")
        add("")
        add("| run | wall time (s) | peak RSS (MB) | MB/s |")
        add("|---|---|---|---|")
        rows = [("batch", "memaudit, one batch run"), ("singles", f"memaudit, {batch['submissions']} single runs (sum)")]
        if (batch.get("dolos") or {}).get("status") == "ok":
            rows.append(("dolos", f"Dolos, one run ({batch['dolos']['pairs']} pairs)"))
        for key, title in rows:
            m = batch[key]
            add(f"| {title} | {m['seconds']:.1f} | {m['peak_rss_kb'] / 1024:.0f} | {m['mb_per_s']:.2f} |")
        add("")
        if (batch.get("dolos") or {}).get("status") == "ok" and batch["batch"]["seconds"]:
            add(f"memaudit's batch run is **{batch['dolos']['seconds'] / batch['batch']['seconds']:.1f}x** faster "
                "than Dolos on the same files (target: at least 10x).")
            add("")
        elif batch.get("dolos"):
            add(f"Dolos failed on the batch: {batch['dolos'].get('note', '')}")
            add("")
        ratio = batch["singles"]["seconds"] / batch["batch"]["seconds"] if batch["batch"]["seconds"] else 0
        add(f"The batch run takes {ratio:.1f}x less wall time than the single runs, at "
            f"{batch['batch']['peak_rss_kb'] / max(batch['singles']['peak_rss_kb'], 1):.1f}x their peak RSS.")
        add("")
        add(f"`summary.similarity` differs between the batch and the single run for {batch['similarity_differs']} "
            f"of {batch['reports']} submissions (largest difference {_fmt(batch['similarity_max_abs_diff'], 4)}).")
        add("")
    else:
        add("### One original against 50 submissions: not yet measured")
        add("")
        why = {"unsupported": "this memaudit does not accept several submissions",
               "error": f"the batch run failed: {batch.get('note', '')}"}.get(batch.get("status", ""),
                                                                          "it was not run in the last run")
        add(f"**Not yet measured**: {why}. No numbers are given rather than extrapolated ones. The plan "
            "(`measure_batch` in `bench/run.py`): the largest original side of the corpus against 50 "
            "submissions cycling through every other extracted side, one `memaudit compare ORIGINAL S1 ... "
            "S50 --json - --quiet` run beside 50 single-submission runs on the same inputs, reporting wall "
            "time, peak RSS and MB/s.")
        add("")

    add("## Sides: what was compared")
    add("")
    add("Each distinct side once: registry, package and the version actually fetched, the path used, the "
        "files kept, and how many files were dropped (tests, examples, generated files, data tables, "
        "non-source files; the KB column counts the dropped source-like files, not docs or build files). "
        "File lists with SHA-256 and every drop reason are in `<cache>/manifest.json`.")
    add("")
    add("| language | registry | package | version | path | files | KB | dropped (files / KB) |")
    add("|---|---|---|---|---|---|---|---|")
    seen: set[str] = set()
    for e in entries:
        for key in ("a", "b"):
            side = e.get(key) or {}
            if not side.get("side") or side["side"] in seen:
                continue
            seen.add(side["side"])
            add(f"| {side['lang']} | {side['how']} | {side['pkg']} | {side['version']} | `{side['path']}` | "
                f"{side['files']} | {_kb(side['bytes'])} | {side.get('stripped', 0)} / "
                f"{_kb(side.get('stripped_bytes', 0))} |")
    add("")

    add("## Missing pairs")
    add("")
    if missing:
        for e in missing:
            add(f"- **{e['id']}** ({e['label']}): " + "; ".join(e.get("missing", ["not fetched"])))
    else:
        add("None: every pair in `bench/pairs.toml` was obtained.")
    add("")

    add("## Notes on the tools' behaviour")
    add("")
    notes = []
    for e in ok:
        for tool in tools:
            r = e.get("tools", {}).get(tool)
            if r and r["status"] in ("error", "timeout"):
                notes.append(f"- {TOOL_TITLES[tool]} on **{e['id']}**: {r['status']}: {r['note']}")
    if notes:
        lines.extend(notes)
    else:
        add("- No tool failed on a resolved pair.")
    cross_dolos = [e for e in ok if e["cross_language"] and "dolos" in e.get("tools", {})]
    if cross_dolos:
        vals = [_score(e, "dolos") for e in cross_dolos]
        scored = [v for v in vals if v is not None]
        add(f"- Dolos on cross-language pairs: {len(scored)} of {len(vals)} analysed with side A's language "
            f"(both files tokenized as that language, so the other side parses with errors); "
            f"scores {_fmt(min(scored) if scored else None)}–{_fmt(max(scored) if scored else None)}.")
    add("- SIM in this corpus only applies to the same-language C pairs; every other pair is n/a.")
    add("- The score used for memaudit is `summary.similarity`, which nothing is fitted to. memaudit's "
        "verdict model (`bench/train.py`) is trained on these same pairs, so its verdicts cannot be "
        "evaluated on them; they are not used here.")
    add("- Timings are single runs on a shared 2-CPU machine where other work may run at the same time; "
        "treat differences under about 30% as noise.")
    add("- Preparation: tests, examples, generated files (Bison/byacc/flex output, `Code generated ... DO NOT "
        "EDIT`) and literal data tables are stripped before any tool runs; each dropped file and the reason "
        "is in `<cache>/manifest.json` (rules in `bench/strip.py`).")
    add("")
    add("## How the benchmark is built")
    add("")
    add("- `bench/pairs.toml`: the pairs, their labels and provenance quotes (the project's shared corpus "
        "manifest plus pairs marked `added_by_bench`). A side is `how` (apt-dev, apt-src, npm, pypi-sdist) + "
        "`pkg` + `path`; a side used by several pairs is fetched once.")
    add("- `bench/fetch.py`: downloads with the registries' own clients (`apt-get download` + `dpkg-deb -x`; "
        "`apt-get source --download-only` with a deb-src entry it adds if missing, falling back to apt's own "
        "downloader for the .dsc and upstream tarball when a Debian patch tarball is unavailable; `npm pack`; "
        "`pip download --no-deps --no-binary`), into `MEMAUDIT_BENCH_CACHE` (default "
        "`~/.cache/memaudit-bench`). Idempotent: reruns reuse downloads and extracted sides.")
    add("- `bench/strip.py`: the drop rules, in order: `exclude` globs from pairs.toml, non-source files, "
        "tests/examples, generated files (marker in the first 30 lines), literal data tables (at least 60% "
        "of word tokens are literals over at least 300 words, or at least 50% of at least 200 lines hold only "
        "literals). Fixed a priori, not tuned on the labels.")
    add("- `bench/tools.py`: how each tool is installed (Dolos with npm into the cache, copydetect into a "
        "separate venv in the cache, SIM with apt) and run, and how its output becomes a score; "
        "`bench/metrics.py`: AUC, bootstrap, precision/recall; `bench/report.py`: this page; "
        "`bench/results/results.json`: every number on this page (scores only, no third-party code).")
    add("- `bench/frozen.py` and `bench/frozen.toml`: the frozen test split — a seed drawn once and the "
        "rule `sha256(seed:family) < 1/3` decide which families (domains of `bench/families.toml`) are set "
        "aside; training excludes them and `bench.run` seals their scores in the cache.")
    add("- `bench/launder.py` (laundered tier): tree-sitter renaming of every internal identifier (keywords, "
        "language and library names kept; the case a language's syntax needs kept), comments removed, "
        "file and directory names replaced; checked to parse back without new errors in every language "
        "(`tests/test_launder.py`). `bench/tiers.py`: the tiers and the sealing.")
    add("- `bench/realmodel/` (real-model tier): `replay.py` replays only the file-writing actions of a "
        "ProgramBench trajectory (heredocs, `sed -i`, confined Python patches; no network) into a sandbox, "
        "`verify.py` checks the rebuild against the recorded commit, `<id>.toml` is the recipe and the "
        "label with its reasoning; no model code is committed. The trajectories and originals come from "
        "repository snapshots that a benchmark run cannot download itself.")
    add("- Tests: `python -m pytest -q tests/test_bench.py` (synthetic data; no network, no full run).")
    add("")
    return "\n".join(lines)


def _entries_auc(entries: list[dict], score) -> str:  # type: ignore[no-untyped-def]
    pos = [score(e) for e in entries if e["label"] == "derived"]
    neg = [score(e) for e in entries if e["label"] == "independent"]
    auc = roc_auc(pos, neg)
    if auc is None:
        return f"undefined ({len(pos)}/{len(neg)})"
    ci = bootstrap_auc_ci(pos, neg, resamples=config.BOOTSTRAP_RESAMPLES, seed=config.BOOTSTRAP_SEED)
    return f"**{auc:.3f}** [{ci[0]:.2f}, {ci[1]:.2f}] ({len(pos)}/{len(neg)})"


def render_channel_tiers(add, results: dict, tools: list[str]) -> None:  # type: ignore[no-untyped-def]
    """ROC AUC of each memaudit evidence channel alone, on the plain and the laundered tier, all
    pairs and cross-language pairs, beside the other tools on the same pairs."""
    tiers = {"plain": results.get("pairs", {}), "laundered": (results.get("tiers") or {}).get("laundered", {})}
    ok = {t: [e for e in entries.values() if e.get("status") == "ok" and "memaudit" in e.get("tools", {})]
          for t, entries in tiers.items()}  # fmt: skip
    channels: list[str] = []
    for e in ok["plain"]:
        for name in e["tools"]["memaudit"].get("details", {}).get("channels", {}):
            if name not in channels:
                channels.append(name)
    add("## memaudit's evidence channels, tier by tier")
    add("")
    add("ROC AUC of each channel's score alone (derived/independent counts in parentheses), from the same "
        "`memaudit compare` runs as the tables above, beside every tool on the same pairs. A channel that "
        "survives renaming keeps its AUC on the laundered tier.")
    add("")
    columns = [(t, sub) for t in tiers for sub in ("all", "cross")]
    add("| score | " + " | ".join(f"{t}, {'all' if sub == 'all' else 'cross-language'}" for t, sub in columns) + " |")
    add("|---|" + "---|" * len(columns))

    def pick(entries: list[dict], sub: str) -> list[dict]:
        return [e for e in entries if sub == "all" or e["cross_language"]]

    for name in channels:
        add(f"| memaudit `{name}` | " + " | ".join(
            _entries_auc(pick(ok[t], sub), lambda e, n=name: e["tools"]["memaudit"].get("details", {}).get("channels", {}).get(n))
            for t, sub in columns) + " |")  # fmt: skip
    for tool in [t for t in ("memaudit-verdict", "dolos", "copydetect", "jaccard") if DERIVED_SCORES.get(t, (t,))[0] in tools]:
        add(f"| {TOOL_TITLES[tool]} | " + " | ".join(
            _entries_auc(pick(ok[t], sub), lambda e, tl=tool: _score(e, tl)) for t, sub in columns) + " |")  # fmt: skip
    add("")


def render_verdict_sections(add, metrics: dict, tools: list[str], results: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    """Per-channel ROC AUC and the verdict model's grouped-CV results (bench/results/verdict.json,
    written by ``python -m bench.train``), beside the anchors' AUC on the same pairs."""
    path = config.BENCH / "results" / "verdict.json"
    if not path.is_file():
        add("## Evidence channels and verdict")
        add("")
        add("Not measured yet: run `python -m bench.train`.")
        add("")
        return
    data = json.loads(path.read_text())
    m = data["metrics"]
    add("## memaudit's verdict: grouped cross-validation")
    add("")
    add("> These are the honest figures for the verdict: out-of-fold probabilities from the last "
        "`python -m bench.train`, leaving one domain out at a time. Its training corpus is listed in the "
        "model's manifest; the frozen families are never part of it.")
    add("")
    counts = {}
    for p in data["pairs"]:
        counts[(p["kind"], p["label"])] = counts.get((p["kind"], p["label"]), 0) + 1
    domains = len({p["domain"] for p in data["pairs"]})
    add(f"Training pairs ({len(data['pairs'])}): {counts.get(('bench', 1), 0)} derived and "
        f"{counts.get(('bench', 0), 0)} independent benchmark pairs, the same pairs laundered "
        f"({counts.get(('laundered', 1), 0)} / {counts.get(('laundered', 0), 0)}), "
        f"{counts.get(('synthetic-derived', 1), 0)} synthetic derived (identifiers renamed, comments "
        f"stripped, functions reordered) and {counts.get(('synthetic-independent', 0), 0)} synthetic "
        f"independent pairs (different lineages of one domain). Leave-one-domain-out cross-validation "
        f"({domains} domains): every probability below comes from a model that never saw the pair's "
        "domain. See docs/verdict.md.")
    add("")
    add("| model | " + " | ".join(m["logistic"]["auc"]) + " | Brier (all) | Brier (bench) |")
    add("|---|" + "---|" * (len(m["logistic"]["auc"]) + 2))
    for name in ("logistic", "boosting"):
        cells = []
        for v in m[name]["auc"].values():
            cells.append("undefined" if v["auc"] is None else f"**{v['auc']:.3f}** [{v['ci'][0]:.2f}, {v['ci'][1]:.2f}] ({v['positives']}/{v['negatives']})")
        title = "logistic regression, Platt-calibrated (shipped)" if name == "logistic" else "gradient boosting (not shipped)"
        add(f"| {title} | " + " | ".join(cells) + f" | {m[name]['brier']['all pairs']:.4f} | {m[name]['brier']['bench pairs']:.4f} |")
    add("")
    add("Reliability of the shipped model's out-of-fold probabilities (all pairs):")
    add("")
    add("| P(derived) bin | pairs | mean predicted | observed share derived |")
    add("|---|---|---|---|")
    for row in m["logistic"]["reliability"]:
        lo, hi = row["bin"]
        add(f"| {lo:.1f}–{hi:.1f} | {row['n']} | {_fmt(row['mean_predicted'])} | {_fmt(row['observed_derived'])} |")
    add("")
    add("Precision and recall at the default thresholds (`suspicious` or worse: P ≥ 0.5; `memorized`: P ≥ 0.85):")
    add("")
    add("| pairs @ label | precision | recall | TP / FP / FN |")
    add("|---|---|---|---|")
    for key, row in m["logistic"]["precision_recall"].items():
        add(f"| {key} | {_fmt(row['precision'], 2)} | {_fmt(row['recall'], 2)} | {row['tp']} / {row['fp']} / {row['fn']} |")
    add("")
    rel = {tuple(r["bin"]): r["n"] for r in m["logistic"]["reliability"]}
    middle = sum(n for (lo, hi), n in rel.items() if 0.2 <= lo and hi <= 0.8 + 1e-9)
    add("**What these numbers do not show.** The channels and the region null were developed on these "
        "same open pairs (never on the frozen ones), so even out-of-fold figures are somewhat optimistic; "
        "the frozen split, scored once at the end of the evidence work, is the test. The middle of the "
        f"probability scale is thinly measured: {middle} of {len(data['pairs'])} out-of-fold probabilities "
        "fall between 0.2 and 0.8.")
    add("")
    bench = [p for p in data["pairs"] if p["kind"] == "bench"]
    oof = sorted((p["p_oof"], p["id"], p["label"]) for p in bench)
    worst_neg = max((p for p in oof if p[2] == 0), default=None)
    best_pos = min((p for p in oof if p[2] == 1), default=None)
    if worst_neg and best_pos:
        add(f"Closest calls on real pairs: the most derived-looking independent pair is `{worst_neg[1]}` "
            f"(P = {worst_neg[0]:.3f}); the least derived-looking derived pair is `{best_pos[1]}` "
            f"(P = {best_pos[0]:.3f}).")
        add("")


def render_latency(add) -> None:  # type: ignore[no-untyped-def]
    """One audit after start-up, per pair (bench/results/latency.json, ``python -m bench.latency``)."""
    path = config.BENCH / "results" / "latency.json"
    add("### One audit after start-up")
    add("")
    if not path.is_file():
        add("Not measured yet: run `python -m bench.latency`.")
        add("")
        return
    data = json.loads(path.read_text())
    rows = sorted(data["pairs"], key=lambda r: r["lines_a"] + r["lines_b"])
    add("Everything `memaudit compare` does — discover, parse, every evidence channel, the verdict with "
        "its bootstrap — in one warm process, best of 3 per pair (`python -m bench.latency`). Starting "
        f"Python and importing memaudit's libraries takes a further {data['startup_seconds']:.2f} s per "
        "process. Target: a 17k-line original against an 8k-line submission in under 1 s.")
    add("")
    add("| pair | lines (original + submission) | MB | seconds |")
    add("|---|---|---|---|")
    for r in rows:
        near = 15000 <= r["lines_a"] <= 20000 and 7000 <= r["lines_b"] <= 10000
        mark = " ← the target's size" if near else ""
        add(f"| {r['pair']} | {r['lines_a']:,} + {r['lines_b']:,} | {r['mb']:.2f} | {r['seconds']:.2f}{mark} |")
    add("")
