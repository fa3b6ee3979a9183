"""The terminal report (rich): the verdict, a summary, the longest fragments with line ranges on
both sides, and every evidence channel with its strongest items. Several submissions: a ranking.

Every name and text from the inputs is drawn as plain text, never as rich markup."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..audit import Audit
from ..compare import TreeStats
from ..evidence.registry import Registry
from . import Renderer, RenderOptions

if TYPE_CHECKING:
    from ..api import Report

__all__ = ["render", "render_batch", "TerminalRenderer", "RENDERER"]


def _row(table: Table, *cells: object) -> None:
    """A table row whose cells are plain text (file names may contain "[/]", which rich would
    read as markup)."""
    table.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in cells))


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


def _item_text(registry: Registry, channel: str, item: object) -> str:
    c = registry.get(channel)
    if c is not None:
        return c.item_text(item)  # type: ignore[arg-type]
    return f"{item.original_text} ↔ {item.submission_text}"  # type: ignore[attr-defined]


def render_evidence(audit: Audit, registry: Registry, console: Console, *, items: int = 3, verbose: bool = False) -> None:
    table = Table(title="Evidence channels (observable items listed, not counted)", title_justify="left")
    table.add_column("channel")
    table.add_column("score", justify="right")
    table.add_column("figures")
    table.add_column("strongest items", overflow="fold")
    for c in audit.channels:
        counted = [i for i in c.items if not i.observable][:items]
        _row(table,
            c.name, f"{c.score:.3f}", c.summary, "\n".join(_item_text(registry, c.name, i) for i in counted)
        )
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
            _row(table, f.path, f.language, str(f.lines), str(f.tokens), str(f.functions), str(f.parse_errors), _pct(f.coverage))
        console.print(table)


def render(audit: Audit, registry: Registry, console: Console, *, top: int = 10, verbose: bool = False) -> None:
    c = audit.comparison
    console.print(_side_line("original", c.original))
    console.print(_side_line("submission", c.submission))
    console.print()
    render_verdict(audit, console)

    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    _row(summary, "structural similarity", f"{c.similarity:.3f}  (tokens of both sides inside shared fragments)")
    _row(summary, "coverage", f"original {_pct(c.original.coverage)} · submission {_pct(c.submission.coverage)}")
    _row(summary, "MinHash Jaccard", f"{c.jaccard:.3f}  (fingerprint sets, {c.sketch_params.num_perm} permutations)")
    longest = c.longest_fragment
    if longest:
        _row(summary,
            "longest fragment",
            f"{longest.n_tokens} tokens: {longest.a_path}:{longest.a_lines[0]}-{longest.a_lines[1]}"
            f" ↔ {longest.b_path}:{longest.b_lines[0]}-{longest.b_lines[1]}",
        )
    else:
        _row(summary, "longest fragment", "none")
    console.print(summary)

    if c.fragments:
        console.print()
        table = Table(title=f"Top fragments ({min(top, len(c.fragments))} of {len(c.fragments)})", title_justify="left")
        table.add_column("#", justify="right", style="dim")
        table.add_column("tokens", justify="right")
        table.add_column("original")
        table.add_column("submission")
        for i, f in enumerate(c.fragments[:top], 1):
            _row(table,
                str(i),
                str(f.n_tokens),
                f"{f.a_path}:{f.a_lines[0]}-{f.a_lines[1]}",
                f"{f.b_path}:{f.b_lines[0]}-{f.b_lines[1]}",
            )
        console.print(table)
    console.print()
    render_evidence(audit, registry, console, items=10 if verbose else 3, verbose=verbose)
    if verbose:
        console.print()
        _files_table(audit, console)
    console.print(
        Text(f"k={c.params.k} window={c.params.window} min fragment={c.min_fragment_tokens} tokens", style="dim")
    )


def render_batch(audits: tuple[Audit, ...] | list[Audit], console: Console) -> None:
    """One original against many submissions: a ranking, most likely derived first, with every
    channel's score."""
    if not audits:
        return
    console.print(_side_line("original", audits[0].comparison.original))
    console.print()
    table = Table(title=f"{len(audits)} submissions, most likely derived first", title_justify="left")
    table.add_column("submission", overflow="fold", min_width=12)
    table.add_column("verdict", no_wrap=True)
    table.add_column("P", justify="right", no_wrap=True)
    names = [c.name for c in audits[0].channels]
    for name in names:
        table.add_column(name[:6], justify="right", no_wrap=True)
    table.add_column("longest", justify="right", no_wrap=True)
    ranked = sorted(audits, key=lambda a: (-(a.verdict.probability if a.verdict else a.comparison.similarity), a.comparison.submission.root))
    for a in ranked:
        c = a.comparison
        longest = c.longest_fragment
        v = a.verdict
        scores = {ch.name: ch.score for ch in a.channels}
        _row(table,
            Text(c.submission.root), Text(v.label, style=_LABEL_STYLE[v.label]) if v else "-",
            f"{v.probability:.2f}" if v else "-", *(f"{scores.get(n, 0.0):.3f}" for n in names),
            str(longest.n_tokens if longest else 0),
        )  # fmt: skip
    console.print(table)


class TerminalRenderer(Renderer):
    name = "terminal"

    def render(self, report: "Report", out: TextIO, options: RenderOptions = RenderOptions()) -> None:
        console = Console(file=out, force_terminal=options.color or None, highlight=False)
        if report.single:
            render(report.audits[0], report.registry, console, top=options.top, verbose=options.verbose)
        else:
            render_batch(report.audits, console)


RENDERER = TerminalRenderer()
