"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by selenium.

Skipped only when Chromium or its driver is not installed (CI installs both). Also a small tool:

    python -m tests.test_html_browser screenshot docs/img/report.png
    python -m tests.test_html_browser measure ORIGINAL SUBMISSION [--spec PATH]

writes the README's screenshot, or times a report of two trees (docs/html-report.md).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _find(names: tuple[str, ...], fallbacks: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in fallbacks if os.access(p, os.X_OK)), None)


CHROMIUM = _find(("chromium", "chromium-browser"), ("/usr/bin/chromium", "/usr/lib/chromium/chromium"))
CHROMEDRIVER = _find(("chromedriver",), ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"))

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Chromium is not installed (apt-get install chromium chromium-driver)",
)

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
)  # fmt: skip


@contextmanager
def chromium(width: int = 1600, height: int = 1200) -> Iterator["object"]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="memaudit-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(60)
            yield driver
        finally:
            driver.quit()


def write_report(out: Path, original: Path, submission: Path, spec: list[str], command: str) -> float:
    """Audit the two trees and write the HTML report to ``out``; the seconds the rendering took."""
    from memaudit.api import AuditRequest, run
    from memaudit.report.html import render_html

    report = run(AuditRequest(str(original), (str(submission),), spec=tuple(spec), jobs=1))
    t0 = time.perf_counter()
    page = render_html(report, 0, command)
    seconds = time.perf_counter() - t0
    out.write_text(page, encoding="utf-8")
    return seconds


EXAMPLE_COMMAND = "memaudit compare examples/original examples/translated-rust --spec examples/spec --html report.html"


def example_report(out: Path, relative: bool = False) -> Path:
    base = Path("examples") if relative else EXAMPLES
    write_report(out, base / "original", base / "translated-rust", [str(base / "spec")], EXAMPLE_COMMAND)
    return out


# What a pane shows: the file selected, the marked lines, and whether the first is in view.
PANE_STATE = """
var pane = document.getElementById("pane-" + arguments[0]);
var body = pane.querySelector(".code"), cls = arguments[1];
var marked = body.querySelectorAll(".chunk>div." + cls);
var view = body.getBoundingClientRect();
var first = marked.length ? marked[0].getBoundingClientRect() : null;
var style = marked.length ? getComputedStyle(marked[0]) : null;
return {
  file: pane.querySelector("select").value,
  caption: pane.querySelector(".cap").textContent,
  marked: marked.length,
  first_text: marked.length ? marked[0].textContent : "",
  highlighted_spans: Array.prototype.reduce.call(marked, function (n, el) { return n + el.querySelectorAll("span[class]").length; }, 0),
  first_in_view: !!first && first.top >= view.top && first.bottom <= view.bottom,
  background: style ? style.backgroundColor : "",
  // The line number drawn in the gutter: the block's counter start plus the line's place in it.
  number: marked.length ? parseInt(marked[0].parentNode.style.counterReset.split(" ")[1], 10) +
          Array.prototype.indexOf.call(marked[0].parentNode.children, marked[0]) + 1 : 0
};
"""


def _severe(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


@needs_chromium
def test_report_in_chromium(tmp_path):
    from selenium.webdriver.common.by import By

    page = example_report(tmp_path / "report.html")
    with chromium() as driver:
        driver.get(page.as_uri())
        # The headline comes first and is on screen.
        verdict = driver.find_element(By.ID, "verdict")
        assert verdict.is_displayed()
        assert driver.execute_script("return arguments[0].getBoundingClientRect().top", verdict) < 300
        assert "MEMORIZED" in verdict.text.upper() and "PROBABILITY" in verdict.text.upper()
        assert verdict.find_element(By.TAG_NAME, "svg").is_displayed()  # the null band chart
        assert driver.execute_script("return performance.getEntriesByName('memaudit-ready').length") == 1

        # Click the writeSubtree <-> write_subtree pair: both panes show it, marked and in view.
        row = driver.find_element(By.XPATH, "//table[@id='functions']//tr[td/span[@class='nm' and text()='writeSubtree']]")
        assert "write_subtree" in row.text
        row.click()
        a = driver.execute_script(PANE_STATE, "a", "fn")
        b = driver.execute_script(PANE_STATE, "b", "fn")
        files_a = driver.execute_script("return Array.from(document.querySelectorAll('#pane-a option')).map(o => o.textContent)")
        files_b = driver.execute_script("return Array.from(document.querySelectorAll('#pane-b option')).map(o => o.textContent)")
        assert files_a[int(a["file"])].startswith("newick.go ")
        assert files_b[int(b["file"])].startswith("src/newick.rs ")
        assert a["marked"] == 265 - 249 + 1 and b["marked"] == 282 - 265 + 1
        assert "func writeSubtree(" in a["first_text"] and "fn write_subtree(" in b["first_text"]
        assert a["first_in_view"] and b["first_in_view"]
        assert a["highlighted_spans"] > 10 and b["highlighted_spans"] > 10  # pygments classes
        assert (a["number"], b["number"]) == (249, 265)
        assert "writeSubtree" in a["caption"] and "write_subtree" in b["caption"]
        assert "active" in row.get_attribute("class")

        # Click a coloured line in the submission: that fragment is selected on both sides, in the
        # same colour, and the original's pane scrolls to it.
        driver.find_element(By.XPATH, "//table[@id='fragment-table']//tr[@data-frag='1']").click()
        fa = driver.execute_script(PANE_STATE, "a", "sel")
        fb = driver.execute_script(PANE_STATE, "b", "sel")
        assert fa["marked"] > 0 and fb["marked"] > 0
        assert fa["first_in_view"] and fb["first_in_view"]
        assert fa["background"] == fb["background"] != "rgba(0, 0, 0, 0)"
        assert "fragment 2" in fa["caption"]
        driver.execute_script("document.getElementById('pane-a').querySelector('.code').scrollTop = 0")
        line = driver.find_element(By.CSS_SELECTOR, "#pane-b .chunk>div.sel")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
        line.click()
        again = driver.execute_script(PANE_STATE, "a", "sel")
        assert again["first_in_view"] and again["marked"] == fa["marked"]

        # Changing the file shows that file from its first line.
        driver.execute_script(
            "var s = document.querySelector('#pane-a select'); s.value = '2'; s.dispatchEvent(new Event('change'))"
        )
        shown = driver.execute_script(
            "var p = document.getElementById('pane-a');"
            "return [p.querySelector('select').selectedOptions[0].textContent,"
            " Array.from(p.querySelectorAll('.chunk>div'), d => d.textContent)]"
        )
        name = shown[0].split(" ")[0]
        assert name == files_a[2].split(" ")[0]
        source = (EXAMPLES / "original" / name).read_text(encoding="utf-8").splitlines()
        assert shown[1][0] == source[0]
        assert shown[1][:20] == source[:20]  # that file, not another one with the same first line

        assert _severe(driver) == []  # no script error, no CSP violation, no failed load
        shot = tmp_path / "report.png"
        row.click()
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000


# --- tools: the README screenshot and the large-input measurement ----------------------------


def screenshot(out: Path) -> None:
    """The README's picture: the example report, the writeSubtree pair clicked."""
    from selenium.webdriver.common.by import By

    out = out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(ROOT)  # the report names the trees as given: examples/original, not /home/...
        try:
            page = example_report(Path(tmp) / "report.html", relative=True)
        finally:
            os.chdir(cwd)
        with chromium(1500, 2000) as driver:
            driver.get(page.as_uri())
            bottom = driver.execute_script("return document.getElementById('viewer').getBoundingClientRect().bottom")
            inner = driver.execute_script("return window.innerHeight")
            driver.set_window_size(1500, 2000 - inner + int(bottom) + 12)  # down to the code panes
            driver.get(page.as_uri())
            driver.find_element(By.XPATH, "//table[@id='functions']//tr[td/span[@class='nm' and text()='writeSubtree']]").click()
            driver.execute_script("window.scrollTo(0, 0); document.querySelectorAll('.tablebox').forEach(b => b.scrollLeft = 0)")
            time.sleep(0.3)
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))


MEASURE = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () { setTimeout(function () {
var nav = performance.getEntriesByType("navigation")[0];
var paint = {};
performance.getEntriesByType("paint").forEach(function (e) { paint[e.name] = e.startTime; });
var ready = performance.getEntriesByName("memaudit-ready")[0];
done({first_contentful_paint: paint["first-contentful-paint"], dom_content_loaded: nav.domContentLoadedEventEnd,
      ready: ready ? ready.startTime : null});
}, 50); }); });
"""

CLICK = """
var done = arguments[arguments.length - 1];
var rows = document.querySelectorAll("#functions tr.nav");
var row = rows[rows.length - 1], t = performance.now();
row.click();
requestAnimationFrame(function () { setTimeout(function () { done(performance.now() - t); }, 0); });
"""


def measure(original: Path, submission: Path, spec: list[str], runs: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        seconds = write_report(out, original, submission, spec, f"memaudit compare {original} {submission}")
        print(f"render_html: {seconds:.1f} s, {out.stat().st_size:,} bytes")
        with chromium() as driver:
            results = []
            for _ in range(runs):
                driver.get(out.as_uri())
                r = driver.execute_async_script(MEASURE)
                r["click_to_paint"] = driver.execute_async_script(CLICK)
                results.append(r)
            for key in ("first_contentful_paint", "dom_content_loaded", "ready", "click_to_paint"):
                values = sorted(r[key] for r in results if r[key] is not None)
                if values:
                    print(f"{key}: median {values[len(values) // 2]:.0f} ms (of {len(values)} runs: {', '.join(f'{v:.0f}' for v in values)})")
            severe = _severe(driver)
            if severe:
                print("browser errors:", *severe, sep="\n  ")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["screenshot"] and len(args) == 2:
        screenshot(Path(args[1]))
    elif args[:1] == ["measure"] and len(args) >= 3:
        spec = [args[i + 1] for i, a in enumerate(args) if a == "--spec"]
        measure(Path(args[1]), Path(args[2]), spec)
    else:
        sys.exit(__doc__)
