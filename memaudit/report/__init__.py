"""Renderers of a :class:`memaudit.api.Report`: terminal, JSON and HTML, one module each.

Every renderer implements :class:`Renderer` and reads only the Report: none reloads a model,
re-reads a tree behind the Report's back or re-runs a stage. :func:`renderer` finds one by name;
a new one (CSV, a summary) is a module here that defines ``RENDERER``.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, TextIO

from ..errors import MemauditError, OutputError

if TYPE_CHECKING:
    from ..api import Report

__all__ = ["Renderer", "RenderOptions", "renderer", "renderer_names", "write_atomically"]


@dataclass(frozen=True)
class RenderOptions:
    """How much to show; never what was computed."""

    #: Fragments listed in the terminal.
    top: int = 10
    #: More items, every file's statistics, every exclusion.
    verbose: bool = False
    #: The command line that produced the report (the HTML report's "reproduce" section).
    command: str = ""
    #: Colour and styles (the terminal renderer), when the output is a terminal.
    color: bool = False


class Renderer(ABC):
    """One output format."""

    #: The name used on the command line and by :func:`renderer`.
    name: ClassVar[str]
    #: Renders one submission only (the HTML page), or any number.
    single_only: ClassVar[bool] = False

    @abstractmethod
    def render(self, report: "Report", out: TextIO, options: RenderOptions = RenderOptions()) -> None:
        """Write the report to ``out``."""


@functools.cache
def _registry() -> dict[str, Renderer]:
    found: dict[str, Renderer] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        r = getattr(importlib.import_module(f"{__name__}.{module}"), "RENDERER", None)
        if isinstance(r, Renderer):
            found[r.name] = r
    return found


def renderer_names() -> tuple[str, ...]:
    return tuple(sorted(_registry()))


def renderer(name: str) -> Renderer:
    """The renderer called ``name`` (``terminal``, ``json``, ``html``)."""
    r = _registry().get(name)
    if r is None:
        raise MemauditError(f"unknown report format {name!r} (known: {', '.join(renderer_names())})")
    return r


def write_atomically(path: str, render: Callable[[TextIO], None]) -> None:
    """Render into a temporary file beside ``path``, then rename it over ``path``: a failed or
    concurrent run never leaves a partial report."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".memaudit-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            render(fh)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
