"""The terminal report (rich): a summary, then the longest fragments with line ranges on both
sides."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..compare import Comparison, TreeStats

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


def render(comparison: Comparison, console: Console, *, top: int = 10) -> None:
    c = comparison
    console.print(_side_line("original", c.original))
    console.print(_side_line("submission", c.submission))
    console.print()

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
    console.print(
        Text(
            f"k={c.params.k} window={c.params.window} min fragment={c.min_fragment_tokens} tokens; "
            "structure only: identifiers, comments and literals are not compared yet.",
            style="dim",
        )
    )


def render_batch(comparisons: list[Comparison], console: Console) -> None:
    """One original against many submissions: a ranking, most similar first."""
    if not comparisons:
        return
    console.print(_side_line("original", comparisons[0].original))
    console.print()
    table = Table(title=f"{len(comparisons)} submissions, most similar first", title_justify="left")
    table.add_column("submission", overflow="fold")
    for name in ("similarity", "cov. orig", "cov. sub", "Jaccard", "longest"):
        table.add_column(name, justify="right", no_wrap=True)
    ranked = sorted(comparisons, key=lambda c: (-c.similarity, c.submission.root))
    for c in ranked:
        longest = c.longest_fragment
        table.add_row(
            c.submission.root, f"{c.similarity:.3f}", _pct(c.original.coverage), _pct(c.submission.coverage),
            f"{c.jaccard:.3f}", str(longest.n_tokens if longest else 0),
        )  # fmt: skip
    console.print(table)
