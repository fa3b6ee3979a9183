"""The wheel carries the whole package and its data: grammar files, the rarity table, the model.
(An editable install hides missing package data; a wheel install does not.)"""

from __future__ import annotations

import subprocess
import sys
import zipfile

from memaudit.languages import all_specs

from .conftest import ROOT


def test_wheel_contains_every_module_and_data_file(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("memaudit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "memaudit").rglob("*.py")}
    assert modules <= names, modules - names
    for spec in all_specs().values():
        assert f"memaudit/grammars/{spec.name}.toml" in names
    for data in ("identifier-rarity.json", "verdict-model.json"):
        assert f"memaudit/fingerprints/{data}" in names
