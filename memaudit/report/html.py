"""The HTML report: one self-contained file a reviewer opens in any browser (docs/html-report.md).

Verdict (or, for a run without one, the evidence channel scores) at the top; each
evidence channel with its items (observable ones greyed, with the reason); the function
alignment and the shared fragments; the two programs side by side, syntax-highlighted by
pygments on the server, with fragment ``i`` in colour ``i`` on both sides; and the command and
parameters that reproduce the report.

Rules the output keeps:

- **Self-contained**: CSS and JavaScript inline, nothing fetched (a Content-Security-Policy with
  ``default-src 'none'`` says so to the browser, and only the one script whose hash it names can
  run).
- **Escaped**: source text, comments, literals and file names come from untrusted inputs; every
  piece of it goes through :func:`html.escape`, so it can never form a tag.
- **Lazy**: each file's highlighted lines are kept as raw text in ``<script type="text/html">``
  data blocks of ``CHUNK_LINES`` lines, which the browser does not parse into the DOM; a file
  shown in a pane is a column of empty blocks of the right height, and a block's lines become
  DOM only when it scrolls near the view (or a click marks lines in it). A 20,000-line original
  opens in well under a second.
- **Deterministic**: the same inputs give the same bytes (no timestamps, stable ordering).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from html import escape
from typing import Any, Mapping, Sequence

from typing import TYPE_CHECKING, TextIO

from ..audit import Audit
from ..core import SourceTree
from ..evidence.model import ChannelResult, EvidenceItem, Location
from . import Renderer, RenderOptions

if TYPE_CHECKING:
    from ..api import Report, SourceAccess

__all__ = ["render_html", "verdict_mapping", "null_band_svg", "highlight_lines", "PALETTE_SIZE", "HtmlRenderer", "RENDERER"]

#: Fragment ``i`` is drawn in colour ``i % PALETTE_SIZE``, the same on both sides.
PALETTE_SIZE = 24
#: Items listed per channel (the scores count all of them), as in the JSON report.
MAX_ITEMS = 200
#: Rows of the fragment and function tables (every fragment is still highlighted in the code).
MAX_ROWS = 2000
#: Lines per data block: a file's lines enter the DOM a block at a time, as they scroll into view.
CHUNK_LINES = 250
#: Fragment numbers kept per code line (clicking a line selects the first).
MAX_FRAGMENTS_PER_LINE = 8

LABELS = ("memorized", "suspicious", "inconclusive", "independent")


def _e(text: object) -> str:
    """Escape for text and for double-quoted attribute values."""
    return escape(str(text), quote=True)


def _num(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- syntax highlighting ---------------------------------------------------------------------

_CLASS_CACHE: dict[Any, str] = {}
_LEXERS: dict[str, Any] = {}


#: The pygments style the code panes are drawn in.
STYLE = "default"


def _style_rules() -> dict[str, str]:
    """Class name -> CSS declarations of the style, for the classes it styles at all."""
    rules = _STYLE_RULES
    if not rules:
        from pygments.formatters import HtmlFormatter

        for line in HtmlFormatter(style=STYLE).get_style_defs(".code").splitlines():
            m = re.match(r"\.code \.([a-z0-9]+) \{ ?(.*?) ?\}", line)
            if m and m.group(1) not in ("err", "hll", "w") and m.group(2):
                rules[m.group(1)] = m.group(2)
    return rules


_STYLE_RULES: dict[str, str] = {}


def _css_class(ttype: Any) -> str:
    """The pygments class of a token type, or "" when the style leaves it unstyled (names and
    punctuation in most styles): those get no markup, which halves the size of the code."""
    cls = _CLASS_CACHE.get(ttype)
    if cls is None:
        from pygments.token import STANDARD_TYPES

        styled = _style_rules()
        t, cls = ttype, ""
        while t is not None:
            c = STANDARD_TYPES.get(t)
            if c is not None and c in styled:
                cls = c
                break
            t = t.parent
        _CLASS_CACHE[ttype] = cls
    return cls


def _lexer(language: str) -> Any:
    lexer = _LEXERS.get(language)
    if lexer is None:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
        from ..languages import all_specs

        # stripnl=False: pygments would otherwise drop leading blank lines and shift every line
        # number against memaudit's; tabsize=0 keeps tabs (CSS tab-size draws them).
        opts = {"stripnl": False, "stripall": False, "ensurenl": True, "tabsize": 0}
        try:
            spec = all_specs().get(language)  # the grammar file's pygments_lexer, else the name
            lexer = get_lexer_by_name((spec.pygments_lexer if spec else None) or language, **opts)
        except ClassNotFound:
            lexer = get_lexer_by_name("text", **opts)
        _LEXERS[language] = lexer
    return lexer


def _normalize_source(text: str) -> str:
    """Line breaks as memaudit counts them (``\\n``): CRLF becomes LF, and a lone CR (which
    pygments would turn into a line break) is shown as a visible symbol instead."""
    return text.replace("\r\n", "\n").replace("\r", "\u240d")


def highlight_lines(text: str, language: str) -> list[str]:
    """``text`` highlighted by pygments, one escaped HTML string per source line (line ``n`` of
    the file is element ``n - 1``). Spans never cross a line: a multi-line comment is closed
    at each line end and reopened on the next line."""
    text = _normalize_source(text)
    n_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    lines: list[str] = []
    cur: list[str] = []
    run_cls, run_text = "", ""

    def flush() -> None:
        nonlocal run_text
        if run_text:
            body = escape(run_text, quote=False)
            cur.append(f"<span class={run_cls}>{body}</span>" if run_cls else body)
            run_text = ""

    for ttype, value in _lexer(language).get_tokens(text):
        cls = _css_class(ttype)
        parts = value.split("\n")
        for k, part in enumerate(parts):
            if k:
                flush()
                lines.append("".join(cur))
                cur = []
            if part:
                if cls != run_cls:
                    flush()
                    run_cls = cls
                run_text += part
    flush()
    if cur:
        lines.append("".join(cur))
    # The lexer guarantees a final newline (ensurenl); keep exactly the file's lines.
    del lines[n_lines:]
    while len(lines) < n_lines:
        lines.append("")
    return lines


def _style_css() -> str:
    return "\n".join(f".code .{c}{{{rule}}}" for c, rule in _style_rules().items())


# --- the verdict -----------------------------------------------------------------------------


def verdict_mapping(verdict: Any) -> dict[str, Any]:
    """The mapping :func:`render_html` draws, from a :class:`memaudit.verdict.Verdict`.

    The null band is in the model's decision units (the verdict's ``decision``), which is where
    the null implementations were scored."""
    out: dict[str, Any] = {
        "label": verdict.label,
        "probability": float(verdict.probability),
        "reasons": list(verdict.reasons),
    }
    n = getattr(verdict, "null", None)
    if n is not None:
        out["null"] = {
            "scores": [float(x) for x in n.decisions],
            "score": float(verdict.decision),
            "percentile": float(n.percentile),
            "z": None if n.z is None else float(n.z),
            "source": n.source,
            "unit": "decision value",
        }
    return out


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def null_band_svg(null: Mapping[str, Any], *, width: int = 440, height: int = 104) -> str:
    """A strip chart of the null: one dot per null score, the middle 90% of the null shaded, and
    a marker for this submission's score."""
    scores = sorted(v for v in (_finite(x) for x in null.get("scores", ()) or ()) if v is not None)
    score = _finite(null.get("score"))
    values = scores + ([score] if score is not None else [])
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    else:
        pad = (hi - lo) * 0.06 or 1.0
        lo, hi = lo - pad, hi + pad
    left, right, top, axis_y = 14.0, width - 14.0, 24.0, height - 28.0
    mid_y = (top + axis_y) / 2 + 2

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * (right - left)

    parts = [
        f'<svg class="null-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="null-title">',
        f'<title id="null-title">{_e(_null_caption(null, len(scores)))}</title>',
    ]
    if scores:
        b0, b1 = _quantile(scores, 0.05), _quantile(scores, 0.95)
        parts.append(
            f'<rect class="null-band" x="{x(b0):.1f}" y="{top - 6:.1f}" width="{max(x(b1) - x(b0), 1.5):.1f}" '
            f'height="{axis_y - top + 6:.1f}" data-low="{b0:.6g}" data-high="{b1:.6g}"/>'
        )
    parts.append(f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{right}" y2="{axis_y}"/>')
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        tx = x(v)
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<line class="tick" x1="{tx:.1f}" y1="{axis_y}" x2="{tx:.1f}" y2="{axis_y + 4}"/>')
        parts.append(f'<text class="tick-label" x="{tx:.1f}" y="{axis_y + 16}" text-anchor="{anchor}">{v:.2f}</text>')
    # A deterministic beeswarm: each dot takes the row nearest the middle free of close neighbours.
    rows: dict[int, list[float]] = {}
    order = (0, -1, 1, -2, 2, -3, 3)
    for v in scores:
        px = x(v)
        row = next((r for r in order if all(abs(px - q) >= 7.0 for q in rows.get(r, []))), 0)
        rows.setdefault(row, []).append(px)
        parts.append(f'<circle class="null-dot" cx="{px:.1f}" cy="{mid_y + 6.5 * row:.1f}" r="3.2" data-score="{v:.6g}"/>')
    if score is not None:
        sx = x(score)
        anchor = "start" if sx < width / 2 else "end"
        dx = 6 if anchor == "start" else -6
        parts.append(
            f'<g class="null-marker" data-score="{score:.6g}">'
            f'<line x1="{sx:.1f}" y1="{top - 8:.1f}" x2="{sx:.1f}" y2="{axis_y:.1f}"/>'
            f'<path d="M{sx - 5:.1f},{top - 14:.1f} L{sx + 5:.1f},{top - 14:.1f} L{sx:.1f},{top - 6:.1f} Z"/>'
            f'<text x="{sx + dx:.1f}" y="{top - 8:.1f}" text-anchor="{anchor}">this submission {score:.2f}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _null_caption(null: Mapping[str, Any], n: int) -> str:
    bits = [f"null: {n} independent implementation{'s' if n != 1 else ''}"]
    source = null.get("source")
    if source:
        bits[0] += f" ({source})"
    unit = null.get("unit")
    if unit:
        bits.append(f"scale: {unit}")
    p = _finite(null.get("percentile"))
    if p is not None:
        bits.append(f"this submission at percentile {p:.0f}")
    z = null.get("z")
    zf = _finite(z)
    if zf is not None:
        bits.append(f"z = {zf:.2f}")
    elif isinstance(z, (int, float)) and math.isinf(z):
        bits.append("z = " + ("+∞" if z > 0 else "−∞"))
    if n:
        bits.append("shaded: middle 90% of the null")
    return "; ".join(bits)


def _scores_html(audit: Audit) -> str:
    out = ['<div class="scores">']
    for c in audit.channels:
        s = max(0.0, min(1.0, float(c.score)))
        out.append(
            f'<a class="score" href="#ch-{_e(c.name)}" title="{_e(c.description)}">'
            f'<span class="sname">{_e(c.name)}</span><span class="sval">{_num(c.score)}</span>'
            f'<span class="bar"><span style="width:{100 * s:.1f}%"></span></span></a>'
        )
    out.append("</div>")
    return "".join(out)


def _verdict_html(audit: Audit, verdict: Mapping[str, Any] | None) -> str:
    if verdict is None:
        return (
            '<section id="verdict" class="verdict v-none">'
            '<div class="vhead"><span class="vlabel">evidence scores</span></div>'
            '<p class="note">No calibrated verdict was asked for. These are the evidence channel scores, each in '
            "[0, 1]; they are not probabilities. Independent implementations of the same behaviour "
            "share some of every channel, so read them against such a null.</p>"
            f"{_scores_html(audit)}</section>"
        )
    label = str(verdict.get("label", ""))
    cls = label if label in LABELS else "other"
    head = [f'<span class="vlabel">{_e(label or "verdict")}</span>']
    p = _finite(verdict.get("probability"))
    if p is not None:
        head.append(f'<span class="prob">probability <b>{p:.2f}</b></span>')
    reasons = verdict.get("reasons") or []
    out = [f'<section id="verdict" class="verdict v-{cls}"><div class="vhead">{"".join(head)}</div>']
    body = []
    if reasons:
        body.append('<div class="reasons"><h3>reasons</h3><ul>' + "".join(f"<li>{_e(r)}</li>" for r in reasons) + "</ul></div>")
    null = verdict.get("null")
    if isinstance(null, Mapping):
        svg = null_band_svg(null)
        if svg:
            n = sum(1 for x in (null.get("scores") or ()) if _finite(x) is not None)
            body.append(f'<figure class="null">{svg}<figcaption>{_e(_null_caption(null, n))}</figcaption></figure>')
    if body:
        out.append('<div class="vbody">' + "".join(body) + "</div>")
    out.append(_scores_html(audit))
    out.append("</section>")
    return "".join(out)


# --- evidence --------------------------------------------------------------------------------


class _Files:
    """Both sides' files, numbered for the page: ``a0, a1, ...`` and ``b0, b1, ...``."""

    def __init__(self, original: SourceTree, submission: SourceTree) -> None:
        self.trees = {"a": original, "b": submission}
        self.index = {s: {f.file.relpath: i for i, f in enumerate(t.files)} for s, t in self.trees.items()}

    def ref(self, side: str, loc: Location | None) -> str | None:
        if loc is None:
            return None
        i = self.index[side].get(loc.path)
        return None if i is None else f"{i}:{loc.start_line}:{loc.end_line}"

    def ref_lines(self, side: str, path: str, lines: tuple[int, int]) -> str | None:
        return self.ref(side, Location(path, lines[0], lines[1]))


def _short(text: str, n: int = 90) -> str:
    s = " ".join(text.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _text_cell(text: str) -> str:
    short = _short(text)
    title = f' title="{_e(text[:2000])}"' if short != text else ""
    return f'<td class="txt"{title}>{_e(short)}</td>'


def _nav_attrs(
    files: _Files, a: Location | None, b: Location | None, extra: str = "", names: tuple[str, str] | None = None
) -> str:
    """Attributes that make a table row show ``a`` and ``b`` in the code panes when clicked."""
    ra, rb = files.ref("a", a), files.ref("b", b)
    if ra is None and rb is None:
        return ""
    attrs = ' tabindex="0" class="nav' + extra + '"'
    for side, ref, loc, k in (("a", ra, a, 0), ("b", rb, b, 1)):
        if ref is not None:
            caption = f"{names[k]} ({loc})" if names else str(loc)
            attrs += f' data-{side}="{ref}" data-c{side}="{_e(caption)}"'
    return attrs


_STAT_NAMES = {
    "share_above_0.5": "share ≥ 0.5",
    "share_above_0.65": "share ≥ 0.65",
}


def _stat_value(v: object) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _item_row(files: _Files, c: ChannelResult, i: EvidenceItem) -> str:
    note = f"observable: {i.note}" if i.observable and i.note else ("observable" if i.observable else i.note)
    attrs = _nav_attrs(files, i.original, i.submission, " obs" if i.observable else "")
    if not attrs:
        attrs = ' class="obs"' if i.observable else ""
    return (
        f"<tr{attrs}>{_text_cell(i.original_text)}{_text_cell(i.submission_text)}"
        f'<td class="num">{i.weight:.2f}</td><td class="num">{i.similarity:.2f}</td>'
        f'<td class="loc">{_e(i.original) if i.original else ""}</td>'
        f'<td class="loc">{_e(i.submission) if i.submission else ""}</td>'
        f'<td class="note">{_e(note)}</td></tr>'
    )


def _channel_html(files: _Files, c: ChannelResult) -> str:
    s = max(0.0, min(1.0, float(c.score)))
    stats = "".join(
        f"<div><dt>{_e(_STAT_NAMES.get(k, k.replace('_', ' ')))}</dt><dd>{_e(_stat_value(v))}</dd></div>"
        for k, v in c.stats.items()
    )
    n_obs = sum(1 for i in c.items if i.observable)
    out = [
        f'<details class="channel" id="ch-{_e(c.name)}"><summary>'
        f'<span class="cname">{_e(c.name)}</span><span class="cscore">{_num(c.score)}</span>'
        f'<span class="bar"><span style="width:{100 * s:.1f}%"></span></span>'
        f'<span class="cdesc">{_e(c.description)}</span></summary>'
        f'<dl class="stats">{stats}</dl>'
    ]
    if c.name == "functions":
        out.append('<p class="hint">Every aligned pair is in the <a href="#alignment">function alignment</a> table.</p>')
    elif c.name == "structure":
        out.append('<p class="hint">Every fragment is in the <a href="#fragments">fragments</a> table.</p>')
    if c.items and c.name != "functions":
        shown = c.items[:MAX_ITEMS]
        more = len(c.items) - len(shown)
        counts = f"{len(c.items)} items" + (f", {n_obs} observable (listed, not counted)" if n_obs else "")
        out.append(
            f'<p class="hint">{_e(counts)}{f"; the first {len(shown)} are listed" if more else ""}. '
            "Click a row to show both places.</p>"
            '<div class="tablebox"><table class="items"><thead><tr><th>original</th><th>submission</th>'
            '<th class="num">weight</th><th class="num">sim.</th><th>original at</th><th>submission at</th>'
            "<th>note</th></tr></thead><tbody>" + "".join(_item_row(files, c, i) for i in shown) + "</tbody></table></div>"
        )
    elif not c.items:
        out.append('<p class="hint">No items.</p>')
    out.append("</details>")
    return "".join(out)


def _functions_html(files: _Files, audit: Audit) -> str:
    try:
        c = audit.channel("functions")
    except StopIteration:
        return ""
    rows = []
    for n, i in enumerate(c.items[:MAX_ROWS], 1):
        sim = max(0.0, min(1.0, i.similarity))
        band = "hi" if i.similarity >= 0.65 else "mid" if i.similarity >= 0.5 else "lo"
        attrs = _nav_attrs(files, i.original, i.submission, " fnrow", (i.original_text, i.submission_text))
        rows.append(
            f"<tr{attrs or ' class=fnrow'}><td class=num>{n}</td>"
            f'<td class="fname"><span class="nm">{_e(i.original_text or "(anonymous)")}</span>'
            f'<span class="at">{_e(i.original)}</span></td>'
            f'<td class="fname"><span class="nm">{_e(i.submission_text or "(anonymous)")}</span>'
            f'<span class="at">{_e(i.submission)}</span></td>'
            f'<td class="num sim {band}">{i.similarity:.2f}<span class="bar"><span style="width:{100 * sim:.0f}%">'
            f'</span></span></td><td class="note">{_e(i.note)}</td></tr>'
        )
    st = c.stats
    more = f" (first {MAX_ROWS} of {len(c.items)})" if len(c.items) > MAX_ROWS else ""
    head = (
        f"{st.get('aligned', len(c.items))} of {st.get('original_functions', '?')} original functions aligned"
        f" with {st.get('submission_functions', '?')} submission functions (functions ≥ {st.get('min_tokens', '?')} tokens)"
    )
    return (
        '<div class="panel" id="alignment"><h2>Function alignment</h2>'
        f'<p class="hint">{_e(head)}{_e(more)}. Click a pair to show it side by side.</p>'
        '<div class="tablebox tall"><table id="functions"><thead><tr><th class=num>#</th><th>original</th>'
        '<th>submission</th><th class=num>similarity</th><th>note</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div></div>"
    )


def _fragments_html(files: _Files, audit: Audit) -> str:
    frags = audit.comparison.fragments
    rows = []
    for n, f in enumerate(frags[:MAX_ROWS]):
        ra, rb = files.ref_lines("a", f.a_path, f.a_lines), files.ref_lines("b", f.b_path, f.b_lines)
        la = f"{f.a_path}:{f.a_lines[0]}-{f.a_lines[1]}"
        lb = f"{f.b_path}:{f.b_lines[0]}-{f.b_lines[1]}"
        attrs = f' tabindex="0" class="nav frag" data-frag="{n}"'
        if ra is not None:
            attrs += f' data-a="{ra}" data-ca="{_e(la)}"'
        if rb is not None:
            attrs += f' data-b="{rb}" data-cb="{_e(lb)}"'
        rows.append(
            f'<tr{attrs}><td class="num"><span class="sw fc{n % PALETTE_SIZE}"></span>{n + 1}</td>'
            f'<td class="num">{f.n_tokens}</td><td class="loc">{_e(la)}</td><td class="loc">{_e(lb)}</td></tr>'
        )
    more = f" (first {MAX_ROWS} of {len(frags)})" if len(frags) > MAX_ROWS else ""
    return (
        '<div class="panel" id="fragments"><h2>Shared fragments</h2>'
        f'<p class="hint">{len(frags)} fragments, longest first{_e(more)}; fragment <i>i</i> has the same colour on '
        "both sides. Click a row or a coloured line to show both places.</p>"
        '<div class="tablebox tall"><table id="fragment-table"><thead><tr><th class=num>#</th><th class=num>tokens</th>'
        "<th>original</th><th>submission</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div></div>"
    )


# --- code panes ------------------------------------------------------------------------------


_FORBIDDEN_IN_DATA = re.compile(r"<(?:/?script|!--)", re.IGNORECASE)


def _file_blocks(
    side: str, index: int, text: str | None, language: str, fragment_lines: Mapping[int, list[int]]
) -> tuple[list[str], int]:
    """One file's highlighted lines as data blocks of ``CHUNK_LINES`` lines each
    (``src-<side>-<file>-<chunk>``), and its number of lines."""
    if text is None:
        lines = ['<div class="missing">(the file could not be read, or changed since it was analysed)</div>']
    else:
        lines = []
        for n, line in enumerate(highlight_lines(text, language), 1):
            fr = fragment_lines.get(n)
            if fr:
                ids = " ".join(str(i) for i in fr[:MAX_FRAGMENTS_PER_LINE])
                lines.append(f'<div class="fc{fr[0] % PALETTE_SIZE}" data-f="{ids}">{line}</div>')
            else:
                lines.append(f"<div>{line}</div>")
    blocks = []
    for k in range(0, max(len(lines), 1), CHUNK_LINES):
        body = "".join(lines[k : k + CHUNK_LINES])
        # Every piece of source text is escaped ("<" became "&lt;"), so the only tags are ours:
        # the block can never close its <script> element early. Checked anyway.
        if _FORBIDDEN_IN_DATA.search(body):
            raise AssertionError("escaped source produced a script or comment tag")
        blocks.append(f'<script type="text/html" id="src-{side}-{index}-{k // CHUNK_LINES}">{body}</script>')
    return blocks, len(lines)


def _pane_html(
    side: str,
    title: str,
    tree: SourceTree,
    stats: Mapping[str, Mapping[str, Any]],
    excluded: Mapping[str, str],
    n_lines: Sequence[int],
) -> str:
    options = []
    for i, f in enumerate(tree.files):
        st = stats.get(f.file.relpath)
        if st is not None:
            extra = f"{st['lines']} lines, {100 * st['coverage']:.0f}% in fragments"
        elif f.file.relpath in excluded:
            extra = f"excluded: {excluded[f.file.relpath]}"
        else:
            extra = f"{f.n_lines} lines"
        options.append(f'<option value="{i}" data-lines="{n_lines[i]}">{_e(f.file.relpath)} ({_e(extra)})</option>')
    return (
        f'<div class="pane" id="pane-{side}"><div class="phead"><span class="side">{_e(title)}</span>'
        f'<select aria-label="{_e(title)} file">{"".join(options)}</select><span class="cap"></span></div>'
        f'<div class="code" tabindex="0"></div></div>'
    )


# --- the page --------------------------------------------------------------------------------

_PALETTE_CSS = "\n".join(
    f".fc{i}{{background:hsl({(i * 137.508) % 360:.1f},85%,{86 if i % 2 == 0 else 81}%)}}" for i in range(PALETTE_SIZE)
)

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;background:#f4f5f7}
main{max-width:1800px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:0 0 6px}
h3{font-size:13px;margin:0 0 4px;text-transform:uppercase;letter-spacing:.04em;color:#52606d}
a{color:#1d4ed8}
code,pre,.loc,.code,select{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
header .sides{display:grid;grid-template-columns:max-content 1fr;gap:0 10px;font-size:13px}
header .sides b{font-weight:600}
.muted,.hint{color:#616e7c;font-size:12.5px}
.hint{margin:4px 0 8px}
section,.panel{background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:12px 14px;margin:12px 0}
.verdict{border-width:2px}
.vhead{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap;margin-bottom:8px}
.vlabel{font-size:22px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;padding:2px 12px;border-radius:6px;background:#e4e7eb}
.prob{font-size:18px}
.v-memorized{border-color:#b91c1c}.v-memorized .vlabel{background:#b91c1c;color:#fff}
.v-suspicious{border-color:#d97706}.v-suspicious .vlabel{background:#f59e0b;color:#111}
.v-inconclusive{border-color:#64748b}.v-inconclusive .vlabel{background:#cbd2d9}
.v-independent{border-color:#15803d}.v-independent .vlabel{background:#15803d;color:#fff}
.v-none .vlabel{font-size:16px;background:#e4e7eb;color:#323f4b}
.v-none .note{margin:2px 0 10px;color:#3e4c59}
.vbody{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start;margin-bottom:10px}
.reasons ul{margin:0;padding-left:18px}
figure.null{margin:0}
figure.null figcaption{font-size:12px;color:#52606d;max-width:440px}
.null-chart .null-band{fill:#94a3b8;fill-opacity:.28}
.null-chart .null-dot{fill:#475569;fill-opacity:.7}
.null-chart .axis,.null-chart .tick{stroke:#7b8794;stroke-width:1}
.null-chart .tick-label{font-size:10px;fill:#52606d}
.null-chart .null-marker line{stroke:#b91c1c;stroke-width:2.5}
.null-chart .null-marker path{fill:#b91c1c}
.null-chart .null-marker text{font-size:11px;font-weight:600;fill:#7f1d1d}
.scores{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px}
.score{display:block;text-decoration:none;color:inherit;border:1px solid #d9dde3;border-radius:6px;padding:6px 10px}
.score:hover{background:#f5f7fa}
.sname{display:block;font-size:12px;color:#52606d}
.sval{display:block;font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.bar{display:block;height:5px;background:#e4e7eb;border-radius:3px;overflow:hidden;margin-top:3px}
.bar>span{display:block;height:100%;background:#3b82f6}
.channels details{border-top:1px solid #e4e7eb;padding:6px 0}
.channels details:first-of-type{border-top:0}
.channels summary{cursor:pointer;display:grid;grid-template-columns:110px 60px 120px 1fr;gap:10px;align-items:center}
.cname{font-weight:600}.cscore{font-variant-numeric:tabular-nums;text-align:right}
.cdesc{color:#52606d;font-size:13px}
dl.stats{display:flex;flex-wrap:wrap;gap:4px 18px;margin:8px 0 4px;font-size:12.5px}
dl.stats div{display:flex;gap:5px}dl.stats dt{color:#616e7c}dl.stats dd{margin:0;font-variant-numeric:tabular-nums}
.tablebox{max-height:340px;overflow:auto;border:1px solid #e4e7eb;border-radius:4px}
.tablebox.tall{max-height:38vh}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th{position:sticky;top:0;background:#f5f7fa;text-align:left;font-weight:600;border-bottom:1px solid #d9dde3;padding:3px 6px;z-index:1}
td{padding:2px 6px;border-bottom:1px solid #f0f2f4;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.loc{white-space:nowrap;font-size:12px}
td.txt{max-width:360px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
td.note{color:#52606d}
#functions td.note{font-size:11.5px}
#functions td.fname .nm{display:block;font-weight:500}
#functions td.fname .at{display:block;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;color:#616e7c}
#fragment-table td.num:first-child{text-align:left}
tr.nav{cursor:pointer}
tr.nav:hover{background:#eef2ff}
tr.nav.active{background:#dbeafe}
tr.nav:focus{outline:2px solid #93c5fd;outline-offset:-2px}
tr.obs td{color:#9aa5b1}
tr.obs td.note{font-style:italic;color:#7b8794}
td.sim .bar{width:60px;display:inline-block;margin-left:6px;vertical-align:middle}
td.sim.hi{color:#991b1b;font-weight:600}td.sim.mid{color:#92400e}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;border:1px solid #0002}
.lists{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:12px}
.lists .panel{margin:0}
@media (max-width:1100px){.lists{grid-template-columns:1fr}}
#viewer{padding:8px}
.panes{display:grid;grid-template-columns:1fr 1fr;gap:8px}
.pane{min-width:0;border:1px solid #d9dde3;border-radius:6px;overflow:hidden;background:#fff}
.phead{display:flex;gap:8px;align-items:center;padding:5px 8px;background:#f5f7fa;border-bottom:1px solid #d9dde3;font-size:12.5px}
.phead .side{font-weight:600}
.phead select{max-width:55%;font-size:12px}
.phead .cap{color:#52606d;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.code{position:relative;height:clamp(320px,72vh,960px);overflow:auto;font-size:12.5px;line-height:1.5;counter-reset:ln;tab-size:4;background:#fff}
.chunk:empty{height:calc(var(--n,0) * 1.5em)}
.chunk>div{white-space:pre;height:1.5em;padding-right:12px;width:max-content;min-width:100%}
.chunk>div::before{counter-increment:ln;content:counter(ln);display:inline-block;width:5.5ch;padding-right:1ch;margin-right:1ch;text-align:right;color:#9aa5b1;background:#f5f7fa;border-right:1px solid #e4e7eb;-webkit-user-select:none;user-select:none}
.chunk>div[data-f]{cursor:pointer}
.chunk>div.fn{box-shadow:inset 3px 0 0 #2563eb}
.chunk>div.fn:not([data-f]){background:#eef4ff}
.chunk>div.fn::before{background:#bfdbfe;color:#1e3a8a}
.chunk>div.sel{box-shadow:inset 3px 0 0 #b45309}
.chunk>div.sel::before{background:#fcd34d;color:#451a03;font-weight:700}
.code .missing{color:#b91c1c}
pre.cmd{background:#1f2933;color:#f5f7fa;padding:8px 10px;border-radius:6px;overflow:auto;white-space:pre-wrap;word-break:break-all}
pre.params{background:#f5f7fa;padding:8px 10px;border-radius:6px;overflow:auto;font-size:12px;max-height:320px}
.repro ul{margin:4px 0;padding-left:18px;font-size:13px}
footer{color:#7b8794;font-size:12px;margin-top:8px}
"""

_JS = r"""
(function () {
  "use strict";
  var CH = __CHUNK__;
  var FR = JSON.parse(document.getElementById("fragment-data").textContent);
  var viewer = document.getElementById("viewer");
  var panes = {};
  ["a", "b"].forEach(function (s) {
    var el = document.getElementById("pane-" + s);
    var p = {body: el.querySelector(".code"), sel: el.querySelector("select"), cap: el.querySelector(".cap"),
             file: -1, chunks: [], obs: null};
    panes[s] = p;
    p.sel.addEventListener("change", function () { load(s, parseInt(p.sel.value, 10)); p.cap.textContent = ""; });
  });
  // A file is shown as empty blocks of CH lines, each as tall as its lines (CSS); a block's
  // lines are put in from its data block when it comes near the visible part of the pane.
  function load(s, f) {
    var p = panes[s];
    if (p.file === f) return true;
    var opt = p.sel.querySelector('option[value="' + f + '"]');
    if (!opt) return false;
    var n = parseInt(opt.getAttribute("data-lines"), 10) || 1;
    if (p.obs) p.obs.disconnect();
    p.body.textContent = "";
    p.chunks = [];
    var frag = document.createDocumentFragment();
    for (var k = 0; k * CH < n; k++) {
      var c = document.createElement("div");
      c.className = "chunk";
      c.style.counterReset = "ln " + (k * CH);
      c.style.setProperty("--n", String(Math.min(CH, n - k * CH)));
      c.setAttribute("data-k", String(k));
      frag.appendChild(c);
      p.chunks.push(c);
    }
    p.body.appendChild(frag);
    p.file = f;
    p.sel.value = String(f);
    p.body.scrollTop = 0;
    fill(s, 0);  // the top of the file at once; the rest as it scrolls into view
    if ("IntersectionObserver" in window) {
      p.obs = new IntersectionObserver(function (entries) {
        entries.forEach(function (e) { if (e.isIntersecting) fill(s, parseInt(e.target.getAttribute("data-k"), 10)); });
      }, {root: p.body, rootMargin: "800px 0px"});
      p.chunks.forEach(function (c) { if (!c.hasAttribute("data-filled")) p.obs.observe(c); });
    } else {
      for (var j = 0; j < p.chunks.length; j++) fill(s, j);
    }
    return true;
  }
  function fill(s, k) {
    var p = panes[s], c = p.chunks[k];
    if (!c || c.hasAttribute("data-filled")) return;
    var src = document.getElementById("src-" + s + "-" + p.file + "-" + k);
    c.innerHTML = src ? src.textContent : "";
    c.setAttribute("data-filled", "");
    if (p.obs) p.obs.unobserve(c);
  }
  function line(s, n) {
    var k = Math.floor((n - 1) / CH);
    fill(s, k);
    var c = panes[s].chunks[k];
    return c ? c.children[(n - 1) % CH] || null : null;
  }
  function clear(s) {
    var marked = panes[s].body.querySelectorAll(".fn,.sel");
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove("fn", "sel");
  }
  function mark(s, ref, cls, caption) {
    var p = panes[s];
    if (!ref) { p.cap.textContent = "(no counterpart in this tree)"; return; }
    if (!load(s, ref[0])) return;
    clear(s);
    var first = null;
    for (var n = Math.max(ref[1], 1); n <= ref[2]; n++) {
      var el = line(s, n);
      if (!el) break;
      el.classList.add(cls);
      if (!first) first = el;
    }
    if (first) p.body.scrollTop = Math.max(0, first.offsetTop - 3 * first.offsetHeight);
    p.cap.textContent = caption || "";
  }
  function parseRef(v) {
    if (!v) return null;
    var x = v.split(":");
    return [parseInt(x[0], 10), parseInt(x[1], 10), parseInt(x[2], 10)];
  }
  function reveal() {
    var r = viewer.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) viewer.scrollIntoView({block: "nearest"});
  }
  function setActive(row) {
    var act = document.querySelectorAll("tr.active");
    for (var i = 0; i < act.length; i++) act[i].classList.remove("active");
    if (row) row.classList.add("active");
  }
  function activate(row) {
    var isFrag = row.hasAttribute("data-frag");
    var label = isFrag ? "fragment " + (parseInt(row.getAttribute("data-frag"), 10) + 1) + ": " : "";
    mark("a", parseRef(row.getAttribute("data-a")), isFrag ? "sel" : "fn", label + (row.getAttribute("data-ca") || ""));
    mark("b", parseRef(row.getAttribute("data-b")), isFrag ? "sel" : "fn", label + (row.getAttribute("data-cb") || ""));
    setActive(row);
    reveal();
  }
  function selectFragment(i) {
    var f = FR[i];
    if (!f) return;
    var row = document.querySelector('tr[data-frag="' + i + '"]');
    var caption = "fragment " + (i + 1) + " (" + f[6] + " tokens)";
    mark("a", f[0] < 0 ? null : [f[0], f[1], f[2]], "sel", caption);
    mark("b", f[3] < 0 ? null : [f[3], f[4], f[5]], "sel", caption);
    setActive(row);
    if (row) {
      var box = row.closest(".tablebox");
      if (box) box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 2);
    }
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var ln = t.closest(".chunk>div[data-f]");
    if (ln) { selectFragment(parseInt(ln.getAttribute("data-f").split(" ")[0], 10)); return; }
    var row = t.closest("tr.nav");
    if (row) activate(row);
  });
  document.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target instanceof Element && e.target.matches("tr.nav")) {
      e.preventDefault();
      activate(e.target);
    }
  });
  if (FR.length) selectFragment(0); else { load("a", 0); load("b", 0); }
  if (window.performance && performance.mark) performance.mark("memaudit-ready");
})();
""".replace("__CHUNK__", str(CHUNK_LINES))

_JS_HASH = base64.b64encode(hashlib.sha256(_JS.encode("utf-8")).digest()).decode("ascii")
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_JS_HASH}'; base-uri 'none'; form-action 'none'"
)


def _json_for_script(value: Any) -> str:
    """JSON safe inside a <script> data block (no '<', '>' or '&' can end or open a tag)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _tree_line(label: str, d: Mapping[str, Any]) -> str:
    skipped = f", {len(d['skipped'])} skipped" if d.get("skipped") else ""
    return (
        f"<b>{_e(label)}</b><span><code>{_e(d['root'])}</code> · {len(d['files'])} files, {d['lines']:,} lines, "
        f"{d['tokens']:,} tokens{_e(skipped)} · {_e(', '.join(d['languages']) or 'no languages')} · "
        f"{_pct(d['coverage'])} of tokens in shared fragments</span>"
    )


def _repro_html(command: str, data: Mapping[str, Any], audit: Audit) -> str:
    tool = data["tool"]
    grammars = ", ".join(f"{g['package']} {g['version']}" for g in data.get("grammars", {}).values())
    items = [
        f"<li>tool: {_e(tool['name'])} {_e(tool['version'])}</li>",
        f"<li>report schema of the matching JSON: {_e(data['schema'])}</li>",
    ]
    if grammars:
        items.append(f"<li>grammars: {_e(grammars)}</li>")
    if audit.spec_sources:
        items.append(
            f"<li>spec material (observable items listed, not counted): {len(audit.spec_sources)} files: "
            + _e(", ".join(audit.spec_sources[:50]))
            + (" …" if len(audit.spec_sources) > 50 else "")
            + "</li>"
        )
    if audit.base:
        bt = audit.base_tokens
        items.append(
            f"<li>base code removed from both sides: <code>{_e(audit.base)}</code> "
            f"({bt.get('original', 0)} / {bt.get('submission', 0)} tokens)</li>"
        )
    excl = "".join(f"<li>excluded {_e(x.side)} <code>{_e(x.path)}</code>: {_e(x.what)}: {_e(x.reason)}</li>" for x in audit.exclusions)
    skipped = "".join(
        f"<li>skipped {_e(side)} <code>{_e(s['path'])}</code>: {_e(s['reason'])}</li>"
        for side in ("original", "submission")
        for s in data[side].get("skipped", [])
    )
    params = json.dumps(data["parameters"], indent=2, ensure_ascii=False)
    return (
        '<section class="repro" id="reproduce"><h2>Reproduce</h2>'
        f'<p class="hint">The command that wrote this report:</p><pre class="cmd">{_e(command)}</pre>'
        f"<ul>{''.join(items)}</ul>"
        f'<p class="hint">Parameters (as in the JSON report):</p><pre class="params">{_e(params)}</pre>'
        + (f"<h3>Left out</h3><ul>{excl}{skipped}</ul>" if excl or skipped else "")
        + "</section>"
    )


def _fragment_lines(audit: Audit, side: str, files: _Files) -> dict[int, dict[int, list[int]]]:
    """File index -> line -> the fragments (in report order) covering it."""
    out: dict[int, dict[int, list[int]]] = {}
    for n, f in enumerate(audit.comparison.fragments):
        path, (lo, hi) = (f.a_path, f.a_lines) if side == "a" else (f.b_path, f.b_lines)
        fi = files.index[side].get(path)
        if fi is None:
            continue
        lines = out.setdefault(fi, {})
        for line in range(lo, hi + 1):
            lines.setdefault(line, []).append(n)
    return out


def render_html(report: "Report", index: int = 0, command: str = "") -> str:
    """The HTML report of the report's ``index``-th submission, as one self-contained page."""
    from .json_report import audit_to_dict

    audit = report.audits[index]
    original_tree, submission_tree = report.trees[0], report.trees[1 + index]
    verdict = verdict_mapping(audit.verdict) if audit.verdict is not None else None
    data = audit_to_dict(audit)
    files = _Files(original_tree, submission_tree)
    comparison = audit.comparison
    sources: SourceAccess = report.sources

    frag_data = [
        [
            files.index["a"].get(f.a_path, -1), f.a_lines[0], f.a_lines[1],
            files.index["b"].get(f.b_path, -1), f.b_lines[0], f.b_lines[1], f.n_tokens,
        ]
        for f in comparison.fragments
    ]  # fmt: skip

    blocks: list[str] = []
    n_lines: dict[str, list[int]] = {"a": [], "b": []}
    for side, tree in (("a", original_tree), ("b", submission_tree)):
        per_file = _fragment_lines(audit, side, files)
        for i, parsed in enumerate(tree.files):
            text = sources.text(tree.root, parsed.file.relpath)
            file_blocks, n = _file_blocks(side, i, text, parsed.file.language, per_file.get(i, {}))
            blocks.extend(file_blocks)
            n_lines[side].append(n)

    excluded = {
        s: {x.path: x.reason for x in audit.exclusions if x.side == name}
        for s, name in (("a", "original"), ("b", "submission"))
    }
    stats = {s: {f["path"]: f for f in data[name]["files"]} for s, name in (("a", "original"), ("b", "submission"))}
    title = f"memaudit: {data['original']['root']} vs {data['submission']['root']}"
    summary = data["summary"]
    longest = comparison.longest_fragment
    longest_text = (
        f"{longest.n_tokens} tokens, {longest.a_path}:{longest.a_lines[0]}-{longest.a_lines[1]} ↔ "
        f"{longest.b_path}:{longest.b_lines[0]}-{longest.b_lines[1]}"
        if longest
        else "none"
    )

    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f'<meta name="generator" content="memaudit {_e(data["tool"]["version"])}">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}\n{_PALETTE_CSS}\n{_style_css()}\n</style></head><body><main>",
        '<header><h1>memaudit report</h1><div class="sides">',
        _tree_line("original", data["original"]),
        _tree_line("submission", data["submission"]),
        "</div>",
        f'<p class="muted">structural similarity {_num(summary["similarity"])} · MinHash Jaccard '
        f'{_num(summary["jaccard"])} · {summary["fragments"]} fragments, longest {_e(longest_text)} · '
        f'memaudit {_e(data["tool"]["version"])} · <a href="#reproduce">command and parameters</a></p></header>',
        _verdict_html(audit, verdict),
        '<section class="channels" id="channels"><h2>Evidence channels</h2><p class="hint">Each channel\'s score is '
        "in [0, 1]; open one for its figures and items. Greyed items were observable (in the spec material "
        "the submitter could see): listed, not counted.</p>",
        "".join(_channel_html(files, c) for c in audit.channels),
        "</section>",
        '<div class="lists">',
        _functions_html(files, audit),
        _fragments_html(files, audit),
        "</div>",
        '<section id="viewer"><div class="panes">',
        _pane_html("a", "original", original_tree, stats["a"], excluded["a"], n_lines["a"]),
        _pane_html("b", "submission", submission_tree, stats["b"], excluded["b"], n_lines["b"]),
        "</div></section>",
        _repro_html(command, data, audit),
        f"<footer>memaudit {_e(data['tool']['version'])}. Self-contained: nothing is loaded from the network.</footer>",
        "</main>",
        f'<script type="application/json" id="fragment-data">{_json_for_script(frag_data)}</script>',
        *blocks,
        f"<script>{_JS}</script></body></html>\n",
    ]
    return "".join(parts)


class HtmlRenderer(Renderer):
    name = "html"
    single_only = True

    def render(self, report: "Report", out: TextIO, options: RenderOptions = RenderOptions()) -> None:
        out.write(render_html(report, 0, options.command))


RENDERER = HtmlRenderer()
