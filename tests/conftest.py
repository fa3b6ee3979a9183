from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``memaudit`` command in a subprocess (what a user runs)."""
    return subprocess.run(
        [sys.executable, "-m", "memaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


def audit(original, *submissions, verdict: bool = False, **request):
    """The audits of ``submissions`` against ``original`` through the library entry point
    (:func:`memaudit.api.run`), in one process; no verdict unless asked for."""
    from memaudit.api import AuditRequest, run

    return run(
        AuditRequest(str(original), tuple(str(s) for s in submissions), verdict=verdict, jobs=1, **request)
    ).audits


def calc_dirs(root, languages):
    """(language, "program" | "unrelated") -> a directory holding that fixture as ``main.<ext>``
    (file names carry nothing): the calc program is the same program in every language."""
    import shutil

    dirs = {}
    for language in languages:
        for stem in ("program", "unrelated"):
            source = next((FIXTURES / "languages" / language).glob(f"{stem}.*"))
            d = Path(root) / language / stem
            d.mkdir(parents=True)
            shutil.copyfile(source, d / f"main{source.suffix}")
            dirs[(language, stem)] = d
    return dirs
