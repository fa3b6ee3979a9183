from __future__ import annotations

import os

import pytest

from memaudit.discover import DiscoveryOptions, discover
from memaudit.errors import InputError


def write(path, text="int main(void) { return 0; }\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def rels(found):
    return [f.relpath for f in found.files]


def test_languages_by_extension_sorted_and_default_skips(tmp_path):
    write(tmp_path / "b.go", "package main\n")
    write(tmp_path / "a.c")
    write(tmp_path / "src" / "x.rs", "fn main() {}\n")
    write(tmp_path / "README.md", "# hi\n")
    for skipped in (".git", "node_modules", "vendor", "target", "build", "dist", ".hidden"):
        write(tmp_path / skipped / "y.c")
    found = discover(str(tmp_path))
    assert rels(found) == ["a.c", "b.go", "src/x.rs"]
    assert [f.language for f in found.files] == ["c", "go", "rust"]


def test_include_exclude_and_tests(tmp_path):
    write(tmp_path / "lib" / "a.go", "package a\n")
    write(tmp_path / "lib" / "a_test.go", "package a\n")
    write(tmp_path / "cmd" / "main.go", "package main\n")
    assert rels(discover(str(tmp_path), DiscoveryOptions(include=("lib/**",)))) == ["lib/a.go", "lib/a_test.go"]
    assert rels(discover(str(tmp_path), DiscoveryOptions(exclude=("cmd/*",)))) == ["lib/a.go", "lib/a_test.go"]
    assert rels(discover(str(tmp_path), DiscoveryOptions(exclude_tests=True))) == ["cmd/main.go", "lib/a.go"]
    # include can reach into a directory skipped by default
    write(tmp_path / "vendor" / "v.go", "package v\n")
    assert "vendor/v.go" in rels(discover(str(tmp_path), DiscoveryOptions(include=("vendor/**",))))


def test_language_option_filters_directories_and_forces_single_files(tmp_path):
    write(tmp_path / "a.c")
    write(tmp_path / "b.go", "package main\n")
    assert rels(discover(str(tmp_path), DiscoveryOptions(language="go"))) == ["b.go"]
    odd = write(tmp_path / "prog.inc")
    assert discover(str(odd), DiscoveryOptions(language="c")).files[0].language == "c"
    with pytest.raises(InputError, match="unknown language"):
        discover(str(odd))


def test_missing_empty_and_unsupported_roots_fail_with_one_line(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        discover(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty directory"):
        discover(str(tmp_path / "empty"))
    write(tmp_path / "docs" / "a.txt", "hello\n")
    with pytest.raises(InputError, match="no supported source files among 1 files"):
        discover(str(tmp_path / "docs"))


def test_bad_files_are_skipped_with_reasons(tmp_path):
    write(tmp_path / "good.c")
    write(tmp_path / "bin.c", b"\x7fELF\x00\x00\x01")
    big = tmp_path / "big.c"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024 * 1024)  # sparse; the size check happens before reading
    os.symlink("loop2.c", tmp_path / "loop1.c")
    os.symlink("loop1.c", tmp_path / "loop2.c")
    os.symlink("..", tmp_path / "up")  # a directory loop: directory symlinks are not followed
    os.mkfifo(tmp_path / "pipe.c")
    found = discover(str(tmp_path), DiscoveryOptions(max_file_size=1024 * 1024))
    assert rels(found) == ["good.c"]
    reasons = dict(found.skipped)
    assert reasons["bin.c"] == "binary file"
    assert reasons["big.c"].startswith("larger than 1 MB")
    assert reasons["loop1.c"] == "symlink loop"
    assert reasons["pipe.c"] == "not a regular file"


def test_symlink_loop_as_root_fails_cleanly(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(InputError, match="symlink loop"):
        discover(str(tmp_path / "a"))


def test_single_binary_file_fails(tmp_path):
    path = write(tmp_path / "x.c", b"\x00\x01\x02")
    with pytest.raises(InputError, match="binary file"):
        discover(str(path))


def test_globs_cross_directories_only_with_double_star(tmp_path):
    write(tmp_path / "src" / "a.py", "x = 1\n")
    write(tmp_path / "src" / "deep" / "b.py", "y = 2\n")
    write(tmp_path / ".hid" / "c.py", "z = 3\n")
    write(tmp_path / "node_modules" / "m.js", "var q = 1;\n")
    assert rels(discover(str(tmp_path), DiscoveryOptions(include=("src/*.py",)))) == ["src/a.py"]
    assert rels(discover(str(tmp_path), DiscoveryOptions(include=("src/**/*.py",)))) == ["src/a.py", "src/deep/b.py"]
    assert rels(discover(str(tmp_path), DiscoveryOptions(include=(".hid/*.py",)))) == [".hid/c.py"]
    # A name-only pattern does not pull in directories skipped by default.
    assert rels(discover(str(tmp_path), DiscoveryOptions(include=("*.js", "*.py")))) == ["src/a.py", "src/deep/b.py"]
    assert rels(discover(str(tmp_path), DiscoveryOptions(exclude=("**/deep/**",)))) == ["src/a.py"]
