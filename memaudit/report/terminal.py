"""The terminal report (rich): a summary, then the longest fragments with line ranges on both
sides."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..audit import Audit
from ..compare import TreeStats
from ..evidence.model import ChannelResult, EvidenceItem

__all__ = ["render", "render_batch"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _side_line(label: str, s: TreeStats) -> Text:
    skipped = f", {len(s.skipped)} skipped" if s.skipped else ""
    return Text.assemble(
        (f"{label:<11}", "bold"),
        f"{s.root}  ",
        (f"{len(s.files)} files, {s.lines:,} lines, {s.tokens:,} tokens{skipped}", "dim"),
        f"  [{', '.join(s.languages)}]",
    )


def _item_text(channel: str, i: EvidenceItem) -> str:
    a, b = " ".join(i.original_text.split())[:40], " ".join(i.submission_text.split())[:40]
    where = f" {i.original} ↔ {i.submission}" if channel in ("functions", "structure") else ""
    if channel == "identifiers":
        extra = f" (rarity {i.weight:.2f}{', fuzzy' if i.similarity < 1 else ''})"
    elif channel == "functions":
        extra = f" ({i.similarity:.2f})"
    else:
        extra = ""
    return f"{a} ↔ {b}{extra}{where}" if a != b or channel != "layout" else a


def _channel_stats(c: ChannelResult) -> str:
    s = c.stats
    if c.name == "functions":
        return (f"{s['aligned']}/{s['original_functions']} aligned; ≥0.5: {100 * s['share_above_0.5']:.0f}%, "
                f"≥0.65: {100 * s['share_above_0.65']:.0f}%")  # fmt: skip
    if c.name == "identifiers":
        return f"{s['shared']} shared ({s['shared_rare']} rare), {s['observable']} observable"
    if c.name == "comments":
        return f"{s['matched']} of {s['original_comments']} matched, {s['observable']} observable"
    if c.name == "literals":
        return f"{s['shared']} shared, {s['observable']} observable"
    if c.name == "layout":
        return f"{s['shared_file_names']} file names, {s['call_edges_kept']}/{s['original_call_edges']} call edges"
    return f"{s['fragments']} fragments, longest {s['longest_fragment_tokens']} tokens"


def render_evidence(audit: Audit, console: Console, *, items: int = 3, verbose: bool = False) -> None:
    table = Table(title="Evidence channels (observable items listed, not counted)", title_justify="left")
    table.add_column("channel")
    table.add_column("score", justify="right")
    table.add_column("figures")
    table.add_column("strongest items", overflow="fold")
    for c in audit.channels:
        counted = [i for i in c.items if not i.observable][:items]
        table.add_row(c.name, f"{c.score:.3f}", _channel_stats(c), "\n".join(_item_text(c.name, i) for i in counted))
    console.print(table)
    notes = []
    if audit.spec_sources:
        n_obs = sum(1 for c in audit.channels for i in c.items if i.observable)
        notes.append(f"{n_obs} items observable in {len(audit.spec_sources)} spec files")
    if audit.base:
        notes.append(f"base {audit.base}: {audit.base_tokens.get('original', 0)} / {audit.base_tokens.get('submission', 0)} tokens removed")
    limit = len(audit.exclusions) if verbose else 5
    for e in audit.exclusions[:limit]:
        notes.append(f"excluded {e.side} {e.path}: {e.reason}")
    if len(audit.exclusions) > limit:
        notes.append(f"... and {len(audit.exclusions) - 5} more exclusions (see the JSON report)")
    for n in notes:
        console.print(Text(n, style="dim"))


_LABEL_STYLE = {"memorized": "bold white on red", "suspicious": "bold black on yellow", "inconclusive": "bold", "independent": "bold green"}


def render_verdict(audit: Audit, console: Console) -> None:
    v = audit.verdict
    if v is None:
        return
    console.print(
        Text.assemble(
            ("verdict    ", "bold"), (f" {v.label.upper()} ", _LABEL_STYLE[v.label]),
            f"  P(derived) = {v.probability:.2f}",
        )
    )
    for reason in v.reasons:
        console.print(Text(f"  · {reason}", style="dim"))
    n = v.null
    if n is not None:
        z = "n/a (no spread in the null)" if n.z is None else f"{n.z:+.1f}"
        console.print(
            Text(
                f"  null ({len(n.decisions)} independent implementations, {n.source}): above {n.percentile:.0f}% of them, "
                f"z = {z}; band mean {n.mean:.2f}, upper 95% {n.upper95:.2f} (decision value {v.decision:.2f})",
                style="dim",
            )
        )
    for name, (lo, hi) in v.intervals.items():
        console.print(Text(f"  {name}: 95% interval {lo:.2f}–{hi:.2f} (bootstrap over functions)", style="dim"))
    console.print()


def _files_table(audit: Audit, console: Console) -> None:
    for label, stats in (("original", audit.comparison.original), ("submission", audit.comparison.submission)):
        table = Table(title=f"{label} files", title_justify="left")
        for name, justify in (("file", "left"), ("language", "left"), ("lines", "right"), ("tokens", "right"),
                              ("functions", "right"), ("parse errors", "right"), ("coverage", "right")):  # fmt: skip
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for f in stats.files:
            table.add_row(f.path, f.language, str(f.lines), str(f.tokens), str(f.functions), str(f.parse_errors), _pct(f.coverage))
        console.print(table)


def render(audit: Audit, console: Console, *, top: int = 10, verbose: bool = False) -> None:
    c = audit.comparison
    console.print(_side_line("original", c.original))
    console.print(_side_line("submission", c.submission))
    console.print()
    render_verdict(audit, console)

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("structural similarity", f"{c.similarity:.3f}  (tokens of both sides inside shared fragments)")
    summary.add_row("coverage", f"original {_pct(c.original.coverage)} · submission {_pct(c.submission.coverage)}")
    summary.add_row("MinHash Jaccard", f"{c.jaccard:.3f}  (fingerprint sets, {c.sketch_params.num_perm} permutations)")
    longest = c.longest_fragment
    if longest:
        summary.add_row(
            "longest fragment",
            f"{longest.n_tokens} tokens: {longest.a_path}:{longest.a_lines[0]}-{longest.a_lines[1]}"
            f" ↔ {longest.b_path}:{longest.b_lines[0]}-{longest.b_lines[1]}",
        )
    else:
        summary.add_row("longest fragment", "none")
    console.print(summary)

    if c.fragments:
        console.print()
        table = Table(title=f"Top fragments ({min(top, len(c.fragments))} of {len(c.fragments)})", title_justify="left")
        table.add_column("#", justify="right", style="dim")
        table.add_column("tokens", justify="right")
        table.add_column("original")
        table.add_column("submission")
        for i, f in enumerate(c.fragments[:top], 1):
            table.add_row(
                str(i),
                str(f.n_tokens),
                f"{f.a_path}:{f.a_lines[0]}-{f.a_lines[1]}",
                f"{f.b_path}:{f.b_lines[0]}-{f.b_lines[1]}",
            )
        console.print(table)
    console.print()
    render_evidence(audit, console, items=10 if verbose else 3, verbose=verbose)
    if verbose:
        console.print()
        _files_table(audit, console)
    console.print(
        Text(f"k={c.params.k} window={c.params.window} min fragment={c.min_fragment_tokens} tokens", style="dim")
    )


def render_batch(audits: list[Audit], console: Console) -> None:
    """One original against many submissions: a ranking, most similar first."""
    if not audits:
        return
    console.print(_side_line("original", audits[0].comparison.original))
    console.print()
    table = Table(title=f"{len(audits)} submissions, most likely derived first", title_justify="left")
    table.add_column("submission", overflow="fold", min_width=12)
    table.add_column("verdict", no_wrap=True)
    for name in ("P", "struct", "funcs", "names", "longest"):
        table.add_column(name, justify="right", no_wrap=True)
    ranked = sorted(audits, key=lambda a: (-(a.verdict.probability if a.verdict else a.comparison.similarity), a.comparison.submission.root))
    for a in ranked:
        c = a.comparison
        longest = c.longest_fragment
        v = a.verdict
        table.add_row(
            c.submission.root, Text(v.label, style=_LABEL_STYLE[v.label]) if v else "-",
            f"{v.probability:.2f}" if v else "-", f"{c.similarity:.3f}",
            f"{a.channel('functions').score:.3f}", f"{a.channel('identifiers').score:.3f}",
            str(longest.n_tokens if longest else 0),
        )  # fmt: skip
    console.print(table)
