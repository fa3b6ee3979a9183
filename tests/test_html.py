"""The HTML report (memaudit/report/html.py): verdict area, channels, alignment, code panes,
escaping of untrusted text, self-containment, determinism. Fast: no browser (that is
test_html_browser.py)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from memaudit.api import AuditRequest, Report, run
from memaudit.evidence.registry import default_registry
from memaudit.report.html import (
    CHUNK_LINES, MAX_FRAGMENTS_PER_LINE, PALETTE_SIZE, highlight_lines, null_band_svg, render_html,
)  # fmt: skip
from memaudit.verdict import NullBand, Verdict

from .conftest import EXAMPLES

COMMAND = "memaudit compare examples/original examples/translated-rust --spec examples/spec --html report.html"
CHANNELS = default_registry().names


def build(original: Path, submission: Path, spec: list[str] | None = None, verdict: bool = True) -> Report:
    """What ``memaudit compare ORIGINAL SUBMISSION --html`` renders."""
    return run(AuditRequest(str(original), (str(submission),), spec=tuple(spec or ()), verdict=verdict, jobs=1))


def with_verdict(report: Report, verdict: Verdict) -> Report:
    """The report with its one audit's verdict replaced (for drawing edge cases)."""
    return dataclasses.replace(report, audits=(dataclasses.replace(report.audits[0], verdict=verdict),))


def verdict_of(label="suspicious", probability=0.8123, reasons=(), null=None) -> Verdict:
    return Verdict(label=label, probability=probability, decision=0.71, contributions={}, features={},
                   reasons=tuple(reasons), null=null, intervals={}, thresholds={})  # fmt: skip


@pytest.fixture(scope="module")
def example():
    report = build(EXAMPLES / "original", EXAMPLES / "translated-rust", [str(EXAMPLES / "spec")])
    return report, render_html(report, 0, COMMAND)


# --- helpers: a small HTML model of the page -------------------------------------------------

DATA_BLOCK = re.compile(r'<script type="text/html" id="src-([ab])-(\d+)-(\d+)">(.*?)</script>', re.S)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the raw text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script, self._buf = dict(attrs), []

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        if self._script is not None:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._buf)))
            self._script = None


def elements(page: str) -> Elements:
    p = Elements()
    p.feed(page)
    p.close()
    return p


class Lines(HTMLParser):
    """The lines of a data block: (attributes, plain text) per top-level <div>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[dict[str, str | None], str]] = []
        self.depth = 0
        self.tags: set[str] = set()
        self.attr_names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attr_names.update(k for k, _ in attrs)
        if tag == "div" and self.depth == 0:
            self.lines.append((dict(attrs), ""))
        self.depth += 1

    def handle_endtag(self, tag):
        self.depth -= 1

    def handle_data(self, data):
        if self.lines and self.depth > 0:
            a, t = self.lines[-1]
            self.lines[-1] = (a, t + data)


def code_files(page: str) -> dict[tuple[str, int], Lines]:
    """(side, file index) -> its lines, chunks joined in order."""
    chunks: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for side, f, k, body in DATA_BLOCK.findall(page):
        chunks.setdefault((side, int(f)), []).append((int(k), body))
    out = {}
    for key, parts in chunks.items():
        assert [k for k, _ in sorted(parts)] == list(range(len(parts)))
        p = Lines()
        p.feed("".join(body for _, body in sorted(parts)))
        p.close()
        out[key] = p
    return out


def section(page: str, ident: str, tag: str = "section") -> str:
    start = page.index(f'id="{ident}"')
    return page[start : page.index(f"</{tag}>", start)]


# --- the verdict area ------------------------------------------------------------------------


def test_the_commands_page_leads_with_its_verdict(example):
    report, page = example
    v = report.audits[0].verdict
    top = section(page, "verdict")
    assert f'class="verdict v-{v.label}"' in page
    assert f'<span class="vlabel">{v.label}</span>' in top and f"probability <b>{v.probability:.2f}</b>" in top
    assert all(html.escape(r) in top for r in v.reasons)
    assert top.count('class="null-dot"') == len(v.null.decisions)


def test_a_library_run_without_a_verdict_leads_with_the_channel_scores(tmp_path):
    report = build(EXAMPLES / "original", EXAMPLES / "translated-rust", verdict=False)
    audit, page = report.audits[0], render_html(report, 0, COMMAND)
    top = section(page, "verdict")
    assert "No calibrated verdict was asked for" in top
    assert "v-none" in page[page.index('<section id="verdict"') - 5 : page.index('<section id="verdict"') + 60]
    for c in audit.channels:
        assert f'<span class="sname">{c.name}</span><span class="sval">{c.score:.3f}</span>' in top
    assert "probability" not in top.lower().replace("not probabilities", "")
    assert "<svg" not in page


SYNTHETIC_NULL = [0.08, 0.11, 0.12, 0.15, 0.15, 0.18, 0.2, 0.22, 0.25, 0.31, 0.36, 0.41]


def test_a_given_verdict_is_drawn_with_its_reasons_and_null_band(example):
    report, _ = example
    band = NullBand(decisions=tuple(SYNTHETIC_NULL), ids=tuple(map(str, range(12))), source="bench",
                    percentile=100.0, z=4.2, mean=0.2, upper95=0.4)  # fmt: skip
    verdict = verdict_of(reasons=["comments 0.96: comments carried over <b>bold</b>", "layout 0.96: same call graph"], null=band)
    page = render_html(with_verdict(report, verdict), 0, COMMAND)
    top = section(page, "verdict")
    assert 'class="verdict v-suspicious"' in page
    assert '<span class="vlabel">suspicious</span>' in top
    assert "probability <b>0.81</b>" in top
    assert "comments carried over &lt;b&gt;bold&lt;/b&gt;" in top and "<b>bold</b>" not in top
    assert "No calibrated verdict" not in page
    assert "percentile 100" in top and "z = 4.20" in top
    svg = top[top.index("<svg") : top.index("</svg>")]
    dots = [float(x) for x in re.findall(r'<circle class="null-dot" cx="([\d.]+)"', svg)]
    assert len(dots) == len(SYNTHETIC_NULL)
    marker = float(re.search(r'class="null-marker"[^>]*><line x1="([\d.]+)"', svg).group(1))
    assert marker > max(dots)  # the submission lies above every null implementation
    assert 'class="null-band"' in svg
    # The scores still follow the verdict.
    assert all(f'<span class="sname">{c}</span>' in top for c in CHANNELS)


def test_null_band_geometry_follows_the_scores():
    scores = [-3.1, -2.4, -2.0, -1.7, -1.2, -0.9, -0.5, 0.2, float("nan"), 1.1]
    svg = null_band_svg({"scores": scores, "score": 2.5, "percentile": 100.0, "z": float("inf")})
    finite = sorted(s for s in scores if s == s)
    cx = {float(s): float(x) for x, s in re.findall(r'cx="([-\d.]+)" cy="[-\d.]+" r="[\d.]+" data-score="([-\d.e]+)"', svg)}
    assert sorted(cx) == pytest.approx(finite)  # NaN dropped, one dot per finite score
    xs = [cx[s] for s in sorted(cx)]
    assert xs == sorted(xs)  # a monotone scale
    band = re.search(r'class="null-band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*data-low="([-\d.e]+)" data-high="([-\d.e]+)"', svg)
    low, high = float(band.group(3)), float(band.group(4))
    assert low == pytest.approx(np.percentile(finite, 5), abs=1e-4)
    assert high == pytest.approx(np.percentile(finite, 95), abs=1e-4)
    marker = float(re.search(r'class="null-marker"[^>]*><line x1="([\d.]+)"', svg).group(1))
    assert marker > max(xs)
    assert "+∞" in svg  # z of a degenerate null is written, not crashed on
    assert null_band_svg({"scores": [], "score": None}) == ""


def test_the_null_band_is_drawn_in_decision_units(example):
    report, _ = example
    band = NullBand(decisions=(-2.0, -1.5, -1.0), ids=("x", "y", "z"), source="bench", percentile=100.0, z=3.0,
                    mean=-1.5, upper95=-0.7)  # fmt: skip
    v = verdict_of("memorized", 0.97, ("structure 0.15: shared structural fragments (for derived, +0.40)",), band)
    page = render_html(with_verdict(report, v), 0, COMMAND)
    top = section(page, "verdict")
    assert '<span class="vlabel">memorized</span>' in top and "0.97" in top
    assert "decision value" in top and top.count('class="null-dot"') == 3


# --- channels, alignment, fragments ----------------------------------------------------------


def test_every_channel_is_listed_and_observable_items_are_greyed_with_the_reason(example):
    report, page = example
    audit = report.audits[0]
    for c in audit.channels:
        block = page[page.index(f'id="ch-{c.name}"') : page.index("</details>", page.index(f'id="ch-{c.name}"'))]
        assert f'<span class="cscore">{c.score:.3f}</span>' in block
        assert html.escape(c.description) in block
        if c.name in ("identifiers", "literals"):
            obs_rows = re.findall(r'<tr[^>]*class="nav obs"[^>]*>.*?</tr>', block, re.S)
            assert len(obs_rows) == sum(1 for i in c.items[:200] if i.observable) > 0
            assert all('<td class="note">observable: in spec</td>' in r for r in obs_rows)
    assert "tr.obs td{color:#9aa5b1}" in page


def test_function_pairs_point_at_both_functions(example):
    report, page = example
    audit, trees = report.audits[0], report.trees
    items = audit.channel("functions").items
    rows = re.findall(r'<tr tabindex="0" class="nav fnrow" data-a="(\d+):(\d+):(\d+)" data-ca="([^"]*)" '
                      r'data-b="(\d+):(\d+):(\d+)" data-cb="([^"]*)">', page)  # fmt: skip
    assert len(rows) == len(items) > 10
    for item, (fa, a0, a1, ca, fb, b0, b1, cb) in zip(items, rows):
        assert trees[0].files[int(fa)].file.relpath == item.original.path
        assert trees[1].files[int(fb)].file.relpath == item.submission.path
        assert (int(a0), int(a1)) == (item.original.start_line, item.original.end_line)
        assert (int(b0), int(b1)) == (item.submission.start_line, item.submission.end_line)
        assert html.unescape(ca) == f"{item.original_text} ({item.original})"
        assert html.unescape(cb) == f"{item.submission_text} ({item.submission})"


def test_fragment_i_has_colour_i_on_both_sides(example):
    report, page = example
    audit, trees = report.audits[0], report.trees
    files = code_files(page)
    index = {s: {f.file.relpath: i for i, f in enumerate(t.files)} for s, t in (("a", trees[0]), ("b", trees[1]))}
    frags = audit.comparison.fragments
    assert len(frags) > PALETTE_SIZE  # the palette wraps; colours still agree across sides
    for n, f in enumerate(frags):
        for side, path, (lo, hi) in (("a", f.a_path, f.a_lines), ("b", f.b_path, f.b_lines)):
            lines = files[(side, index[side][path])].lines
            for line in range(lo, hi + 1):
                attrs = lines[line - 1][0]
                ids = [int(x) for x in attrs["data-f"].split()]
                # A line lists the first MAX_FRAGMENTS_PER_LINE fragments covering it, in order.
                assert n in ids or (len(ids) == MAX_FRAGMENTS_PER_LINE and max(ids) < n), (n, side, line)
                assert attrs["class"] == f"fc{ids[0] % PALETTE_SIZE}"
    # Lines outside every fragment carry no colour.
    covered = {("a", index["a"][f.a_path], x) for f in frags for x in range(f.a_lines[0], f.a_lines[1] + 1)}
    for (side, fi), p in files.items():
        for n, (attrs, _) in enumerate(p.lines, 1):
            if side == "a" and (side, fi, n) not in covered:
                assert "data-f" not in attrs and not attrs.get("class")
    # The fragment table and the fragment data agree with the report's order.
    first = frags[0]
    assert f'data-frag="0" data-a="{index["a"][first.a_path]}:{first.a_lines[0]}:{first.a_lines[1]}"' in page
    assert '<span class="sw fc0"></span>1</td>' in page


# --- code panes ------------------------------------------------------------------------------


def test_code_lines_are_the_files_lines(example):
    report, page = example
    trees = report.trees
    files = code_files(page)
    for side, tree in (("a", trees[0]), ("b", trees[1])):
        for i, parsed in enumerate(tree.files):
            source = Path(parsed.file.path).read_text(encoding="utf-8").splitlines()
            got = [text for _, text in files[(side, i)].lines]
            assert got == source, parsed.file.relpath
    # Highlighted by pygments: Go keywords and Rust keywords carry classes.
    assert "<span class=kd>func</span>" in page
    assert "<span class=k>fn</span>" in page


def test_line_numbers_survive_awkward_line_endings():
    text = "\n\n\tx = 1\r\ny = '''multi\nline\n'''\rz = 2  # no newline at the end"
    lines = highlight_lines(text, "python")
    plain = [html.unescape(re.sub(r"<[^>]+>", "", x)) for x in lines]
    assert plain == ["", "", "\tx = 1", "y = '''multi", "line", "'''\u240dz = 2  # no newline at the end"]
    # A span is closed at the end of each line of a multi-line string.
    assert all(x.count("<span") == x.count("</span>") for x in lines)
    assert highlight_lines("", "go") == []
    assert highlight_lines("a\n", "no-such-language") == ["a"]


def test_files_are_rendered_lazily_in_chunks(example, tmp_path):
    _, page = example
    outside = DATA_BLOCK.sub("", page)
    assert "writeSubtree(sb" not in outside  # source text only inside the data blocks
    assert "writeSubtree(sb" in page
    # A long file is split into blocks of CHUNK_LINES lines.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(200))  # 600 lines
    (tmp_path / "a" / "m.py").write_text(body)
    (tmp_path / "b" / "m.py").write_text(body)
    page = render_html(build(tmp_path / "a", tmp_path / "b"), 0, "memaudit compare a b")
    blocks = [(s, int(f), int(k), body) for s, f, k, body in DATA_BLOCK.findall(page)]
    sizes = [body.count("<div") for s, f, k, body in blocks if s == "a"]
    assert sizes == [CHUNK_LINES, CHUNK_LINES, 600 - 2 * CHUNK_LINES]
    assert 'data-lines="600"' in page


# --- safety, self-containment, determinism ---------------------------------------------------

HOSTILE = '''\
"""</script><script>alert("docstring")</script>"""
# <!-- <script>alert('comment')</script> -->
PAYLOAD = "</script><img src=x onerror=alert(1)>"
OTHER = '<svg onload="alert(2)">&amp;'


def handle_request(payload_text, marker_value):
    """Return the <b>payload</b> unchanged: </SCRIPT >"""
    if payload_text == PAYLOAD:
        return marker_value + "</script>"
    return payload_text
'''


def test_untrusted_text_cannot_inject_markup(tmp_path):
    names = ['in"jec<t>ed.py', "plain.py"]
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        for name in names:
            (tmp_path / side / name).write_text(HOSTILE)
    (tmp_path / "spec.txt").write_text("payload </script><script>alert(3)</script>")
    report = build(tmp_path / "a", tmp_path / "b", [str(tmp_path / "spec.txt")])
    command = 'memaudit compare a b --html "</script><script>alert(4)</script>"'
    band = NullBand(decisions=(0.1,), ids=("<i>x</i>",), source="<i>x</i>", percentile=100.0, z=None, mean=0.1, upper95=0.1)
    verdict = verdict_of("<script>alert(5)</script>", 0.5, ["</script><img src=x onerror=alert(6)>"], band)
    page = render_html(with_verdict(report, verdict), 0, command)

    doc = elements(page)
    allowed = {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "div", "p",
               "b", "i", "span", "a", "section", "details", "summary", "dl", "dt", "dd", "table", "thead", "tbody",
               "tr", "th", "td", "ul", "li", "select", "option", "pre", "code", "footer", "figure", "figcaption",
               "svg", "rect", "line", "text", "circle", "g", "path", "script"}  # fmt: skip
    assert {t for t, _ in doc.tags} <= allowed
    for tag, attrs in doc.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "src" not in attrs
        if "href" in attrs:
            assert attrs["href"].startswith("#")
    # Scripts: the data blocks (never executed) and the one page script.
    scripts = doc.scripts
    assert [a.get("type") for a, _ in scripts[:-1]] == ["application/json"] + ["text/html"] * (len(scripts) - 2)
    assert scripts[-1][0] == {} and "alert" not in scripts[-1][1]
    for _, body in scripts[1:-1]:
        p = Lines()
        p.feed(body)
        assert p.tags <= {"div", "span"} and p.attr_names <= {"class", "data-f"}
    # The hostile text is there, as text.
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page
    assert 'class="verdict v-other"' in page
    assert "in&quot;jec&lt;t&gt;ed.py" in page


def test_the_page_is_self_contained_and_only_its_own_script_may_run(example):
    _, page = example
    doc = elements(page)
    assert not any(t == "link" for t, _ in doc.tags)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    csp = next(a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    own = doc.scripts[-1][1]
    digest = base64.b64encode(hashlib.sha256(own.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp


def test_the_same_inputs_give_the_same_bytes(example):
    _, page = example
    report = build(EXAMPLES / "original", EXAMPLES / "translated-rust", [str(EXAMPLES / "spec")])
    assert render_html(report, 0, COMMAND) == page


def test_the_command_parameters_and_version_are_given(example):
    _, page = example
    from memaudit import __version__

    repro = section(page, "reproduce")
    assert f'<pre class="cmd">{html.escape(COMMAND)}</pre>' in repro
    for key in ('"k": 10', '"window": 6', '"min_fragment_tokens": 15', '"category_set_version"', '"max_file_size"'):
        assert key in html.unescape(repro)
    assert f"memaudit {__version__}" in repro
    assert "tree-sitter-go" in repro and "tree-sitter-rust" in repro
    assert "examples/spec/help.txt" in repro
