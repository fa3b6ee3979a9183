"""Source discovery: which files of a tree are analysed, in which language, and which are skipped.

Discovery never fails because of one bad file: binary, oversized, unreadable files and symlink
loops are skipped with a reason the report shows. It fails (``InputError``) only when the root
itself is unusable or holds no supported source file.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .core import SourceFile
from .errors import InputError
from .languages import all_specs, extension_map, spec_for

__all__ = ["DiscoveryOptions", "Discovered", "discover", "DEFAULT_SKIP_DIRS"]

#: Directories never entered unless ``--include`` names them: VCS data, dependencies, build output.
DEFAULT_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "vendor", "target", "build", "dist", "__pycache__"})

_BINARY_PROBE = 8192


@dataclass(frozen=True)
class DiscoveryOptions:
    """What to pick from a tree."""

    #: Force this language for a single file, or keep only this language's files in a directory.
    language: str | None = None
    #: Keep only files matching one of these globs (relative paths; ``**`` spans directories).
    include: tuple[str, ...] = ()
    #: Drop files matching one of these globs.
    exclude: tuple[str, ...] = ()
    #: Drop test files (each language's ``test_globs``).
    exclude_tests: bool = False
    #: Files larger than this many bytes are skipped (generated code, data dumps).
    max_file_size: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class Discovered:
    """The outcome of discovery for one root."""

    root: str
    files: tuple[SourceFile, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())


@functools.cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex: ``*`` and ``?`` stay within one path segment, ``**`` spans directories
    (``**/`` also matches no directory at all, so ``src/**/*.py`` matches ``src/a.py``)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _matches(relpath: str, patterns: tuple[str, ...]) -> bool:
    """A pattern with a ``/`` matches the whole relative path, one without matches the file name."""
    name = relpath.rsplit("/", 1)[-1]
    return any(_glob_regex(p).fullmatch(relpath if "/" in p else name) for p in patterns)


def _reaches_into(directory: str, patterns: tuple[str, ...]) -> bool:
    """Some pattern names a path inside ``directory`` (relative, ending in ``/``): then a
    directory skipped by default is entered. Name-only patterns (``*.py``) never do."""
    for p in patterns:
        if "/" not in p:
            continue
        literal = re.split(r"[*?\[]", p, maxsplit=1)[0]
        if literal.startswith(directory) or (directory.startswith(literal) and literal != ""):
            return True
    return False


def _probe(path: str, max_size: int) -> tuple[int, str | None]:
    """(size, reason to skip or None)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return 0, "symlink loop"
        return 0, f"cannot stat: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO or device would block or read forever.
        return 0, "not a regular file"
    if st.st_size > max_size:
        return st.st_size, f"larger than {max_size // (1024 * 1024)} MB (raise --max-file-size to include it)"
    try:
        with open(path, "rb") as fh:
            head = fh.read(_BINARY_PROBE)
    except OSError as exc:
        return st.st_size, f"unreadable: {exc.strerror}"
    if b"\0" in head:
        return st.st_size, "binary file"
    return st.st_size, None


def _language_of(relpath: str, forced: str | None) -> str | None:
    suffix = os.path.splitext(relpath)[1].lower()
    language = extension_map().get(suffix)
    if forced is not None and language != forced:
        return None
    return language


def discover(root: str, options: DiscoveryOptions = DiscoveryOptions()) -> Discovered:
    """Find the source files under ``root`` (a directory or one file), sorted by relative path."""
    if options.language is not None:
        spec_for(options.language)  # unknown names fail here, listing the known ones
    path = Path(root)
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise InputError(f"{root}: broken symbolic link") from None
        raise InputError(f"{root}: no such file or directory") from None
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise InputError(f"{root}: {reason}") from None

    if not path.is_dir():
        name = path.name
        language = options.language or _language_of(name, None)
        if language is None:
            known = ", ".join(sorted(extension_map()))
            raise InputError(f"{root}: unknown language for this extension (known: {known}; or pass --language)")
        size, reason = _probe(str(path), options.max_file_size)
        if reason:
            raise InputError(f"{root}: {reason}")
        return Discovered(root, (SourceFile(name, str(path.resolve()), language, size),))

    del st
    test_globs = tuple(g for s in all_specs().values() for g in s.test_globs) if options.exclude_tests else ()
    files: list[SourceFile] = []
    skipped: list[tuple[str, str]] = []
    n_seen = 0

    def on_error(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename, path) if exc.filename else root
        skipped.append((rel.replace(os.sep, "/"), f"unreadable directory: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(path, onerror=on_error, followlinks=False):
        rel_dir = os.path.relpath(dirpath, path)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        dirnames[:] = sorted(
            d for d in dirnames
            if not (d.startswith(".") or d in DEFAULT_SKIP_DIRS) or _reaches_into(rel_dir + d + "/", options.include)
        )  # fmt: skip
        for name in sorted(filenames):
            n_seen += 1
            relpath = rel_dir + name
            language = _language_of(relpath, options.language)
            if language is None:
                continue
            if options.include and not _matches(relpath, options.include):
                continue
            if _matches(relpath, options.exclude) or (test_globs and _matches(relpath, test_globs)):
                continue
            full = os.path.join(dirpath, name)
            size, reason = _probe(full, options.max_file_size)
            if reason:
                skipped.append((relpath, reason))
                continue
            files.append(SourceFile(relpath, os.path.abspath(full), language, size))

    if not files:
        what = "empty directory" if n_seen == 0 else f"no supported source files among {n_seen} files"
        if skipped:
            what += f" ({len(skipped)} skipped: {skipped[0][0]}: {skipped[0][1]}{', ...' if len(skipped) > 1 else ''})"
        raise InputError(f"{root}: {what}")
    files.sort(key=lambda f: f.relpath)
    skipped.sort()
    return Discovered(root, tuple(files), tuple(skipped))
