"""The ``memaudit`` command: options -> :func:`memaudit.api.run` -> a renderer -> an exit code.

No pipeline logic lives here. Only typer is imported at start-up; numpy, tree-sitter and
datasketch are imported inside the commands that need them, so ``memaudit --help`` answers at once.
"""

from __future__ import annotations

import os
import shlex
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence

import typer

from . import __version__
from .errors import ExitCode, MemauditError

if TYPE_CHECKING:
    from .api import InputWarning

app = typer.Typer(
    name="memaudit",
    help="Audit a reimplementation for memorization of the original's source code.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
debug_app = typer.Typer(help="Show what each stage of the pipeline sees.", no_args_is_help=True)
app.add_typer(debug_app, name="debug")

_MAX_WARNINGS = 10


def _err(message: str) -> None:
    sys.stderr.write(f"memaudit: {message}\n")


@contextmanager
def _guard() -> Iterator[None]:
    """Turn every failure into one line on stderr and a documented exit code (docs/cli.md)."""
    try:
        yield
    except MemauditError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(int(exc.exit_code)) from None
    except KeyboardInterrupt:
        _err("interrupted")
        raise typer.Exit(130) from None
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing left to report to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except typer.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        if os.environ.get("MEMAUDIT_DEBUG"):
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (set MEMAUDIT_DEBUG=1 for the traceback)")
        raise typer.Exit(int(ExitCode.INTERNAL)) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"memaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Audit a reimplementation for memorization of the original's source code."""


def _warn_inputs(warnings: Sequence["InputWarning"], quiet: bool, limit: int | None = _MAX_WARNINGS) -> None:
    if quiet:
        return
    lines = [f"warning: {w.path}: {w.message}" for w in warnings]
    printed = lines if limit is None else lines[:limit]
    for line in printed:
        _err(line)
    if len(lines) > len(printed):
        _err(f"warning: ... and {len(lines) - len(printed)} more (see the JSON report, or --verbose)")


@contextmanager
def _progress(enabled: bool) -> Iterator[object]:
    """A progress bar on stderr, only for an interactive terminal and more than a moment's work."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("parsing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("parse", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command()
def compare(
    original: str = typer.Argument(..., help="The original program: a directory or a file."),
    submissions: List[str] = typer.Argument(
        ..., metavar="SUBMISSION...", help="The reimplementation(s) to audit: directories or files."
    ),
    json_out: Optional[str] = typer.Option(None, "--json", metavar="PATH|-", help="Write the JSON report to PATH ('-': stdout)."),
    html_out: Optional[str] = typer.Option(None, "--html", metavar="PATH", help="Write the self-contained HTML report to PATH (one SUBMISSION only)."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Only this language (forces it for a single file)."),
    include: List[str] = typer.Option([], "--include", metavar="GLOB", help="Only files matching GLOB (repeatable)."),
    exclude: List[str] = typer.Option([], "--exclude", metavar="GLOB", help="Skip files matching GLOB (repeatable)."),
    exclude_tests: bool = typer.Option(False, "--exclude-tests", help="Skip test files (each language's test_globs)."),
    k: Optional[int] = typer.Option(None, "--k", min=2, max=100, help="k-gram length in tokens [default: per language]."),
    window: Optional[int] = typer.Option(None, "--window", min=1, max=100, help="Winnowing window [default: per language]."),
    min_fragment: Optional[int] = typer.Option(None, "--min-fragment", min=1, help="Shortest fragment in tokens [default: k+window-1]."),
    max_file_size: float = typer.Option(10.0, "--max-file-size", min=0.001, metavar="MB", help="Skip larger files."),
    top: int = typer.Option(10, "--top", min=0, help="Fragments shown in the terminal."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Worker processes for parsing [default: one per core]."),
    spec: List[str] = typer.Option(
        [], "--spec", metavar="PATH",
        help="What the submitter could observe (docs, tests, help text, transcript JSON/JSONL); repeatable. "
        "Items found there are listed as observable and not counted.",
    ),  # fmt: skip
    base: Optional[str] = typer.Option(None, "--base", metavar="PATH", help="Template/starter code given to the submitter: removed from both sides."),
    keep_boilerplate: bool = typer.Option(False, "--keep-boilerplate", help="Do not exclude generated files and literal data tables."),
    null: List[str] = typer.Option(
        [], "--null", metavar="PATH",
        help="An independent implementation of the same behaviour (repeatable): the null band the "
        "submission is placed in [default: the independent benchmark pairs].",
    ),  # fmt: skip
    fail_on: Optional[str] = typer.Option(
        None, "--fail-on", metavar="LABEL", help="Exit with code 1 if any verdict is LABEL or worse (memorized|suspicious), or with 'recalled' if any submission holds a recalled region."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No terminal report or warnings."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="More evidence items, every file's statistics, every exclusion and warning."),
) -> None:
    """Compare an ORIGINAL program with one or more SUBMISSIONs and report the shared structure.

    With several submissions the original is indexed once and each submission is compared with it
    (never all pairs)."""
    if fail_on is not None and fail_on not in ("memorized", "suspicious", "recalled"):
        raise typer.BadParameter("must be 'memorized', 'suspicious' or 'recalled'", param_hint="--fail-on")
    if html_out is not None and len(submissions) != 1:
        raise typer.BadParameter("needs exactly one SUBMISSION", param_hint="--html")
    with _guard():
        from .api import AuditRequest, run
        from .compare import CompareOptions
        from .discover import DiscoveryOptions
        from .report import RenderOptions, renderer, write_atomically
        from .verdict import LABELS

        request = AuditRequest(
            original=original,
            submissions=tuple(submissions),
            spec=tuple(spec),
            base=base,
            null=tuple(null),
            options=CompareOptions(
                discovery=DiscoveryOptions(
                    language=language,
                    include=tuple(include),
                    exclude=tuple(exclude),
                    exclude_tests=exclude_tests,
                    max_file_size=int(max_file_size * 1024 * 1024),
                ),
                k=k,
                window=window,
                min_fragment_tokens=min_fragment,
            ),
            keep_boilerplate=keep_boilerplate,
            jobs=jobs or None,
        )
        with _progress(not quiet) as progress:
            report = run(request, progress=progress)  # type: ignore[arg-type]
        _warn_inputs(report.warnings, quiet, limit=None if verbose else _MAX_WARNINGS)

        render_options = RenderOptions(
            top=top, verbose=verbose, command=shlex.join(["memaudit", *sys.argv[1:]]),
        )  # fmt: skip
        to_stdout = json_out == "-"
        for name, dest in (("json", json_out), ("html", html_out)):
            if dest is None:
                continue
            out = renderer(name)
            if dest == "-":
                out.render(report, sys.stdout, render_options)
            else:
                write_atomically(dest, lambda fh, out=out: out.render(report, fh, render_options))  # type: ignore[misc]
        if not quiet:
            # With the JSON on stdout, the human report goes to stderr so both can be captured.
            stream = sys.stderr if to_stdout else sys.stdout
            renderer("terminal").render(report, stream, replace(render_options, color=stream.isatty()))
        if fail_on is not None:
            # Fails closed: a submission without a verdict fails every gate.
            if fail_on == "recalled":
                failing = [
                    a.comparison.submission.root
                    for a in report.audits
                    if a.verdict is None or any("recalled" in c.flags for c in a.channels)
                ]
            else:
                worst = LABELS.index(fail_on)
                failing = [
                    a.comparison.submission.root
                    for a in report.audits
                    if a.verdict is None or LABELS.index(a.verdict.label) <= worst
                ]
            if failing:
                _err(f"--fail-on {fail_on}: {', '.join(failing)}")
                raise typer.Exit(int(ExitCode.GATE))


@app.command()
def languages(
    categories: bool = typer.Option(False, "--categories", help="List the language-neutral token categories instead."),
) -> None:
    """List the supported languages, their extensions and grammar versions."""
    with _guard():
        from rich.console import Console
        from rich.table import Table

        console = Console()
        if categories:
            from .categories import CATEGORY_CODES, DESCRIPTIONS

            table = Table("code", "category", "meaning")
            for name, code in CATEGORY_CODES.items():
                table.add_row(str(code), name, DESCRIPTIONS[name])
            console.print(table)
            return
        from .languages import all_specs
        from .parse import grammar_version, load_grammar

        table = Table("language", "name", "extensions", "grammar package", "k", "window")
        for spec in all_specs().values():
            load_grammar(spec.name)  # checks node kinds and queries
            table.add_row(
                spec.name, spec.display_name, " ".join(spec.extensions),
                f"{spec.module.replace('_', '-')} {grammar_version(spec)}", str(spec.k), str(spec.window),
            )  # fmt: skip
        console.print(table)


def _debug_file(file: str, language: Optional[str]) -> tuple[object, bytes]:
    from .discover import DiscoveryOptions, discover
    from .parse import parse_source_file

    found = discover(file, DiscoveryOptions(language=language))
    source = found.files[0]
    return parse_source_file(source), Path(source.path).read_bytes()


def _print_lines(lines: Iterator[str]) -> None:
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")


@debug_app.command("tokens")
def debug_tokens(
    file: str = typer.Argument(..., help="A source file."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force the language."),
) -> None:
    """The tokens of FILE: index, lines, category, node kind, text."""
    with _guard():
        from .debug import dump_tokens

        parsed, data = _debug_file(file, language)
        _print_lines(dump_tokens(parsed, data))  # type: ignore[arg-type]


@debug_app.command("functions")
def debug_functions(
    file: str = typer.Argument(..., help="A source file."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force the language."),
) -> None:
    """The functions of FILE with the signatures the function channel aligns."""
    with _guard():
        from .debug import dump_functions

        parsed, _ = _debug_file(file, language)
        _print_lines(dump_functions(parsed))  # type: ignore[arg-type]


@debug_app.command("fingerprints")
def debug_fingerprints(
    file: str = typer.Argument(..., help="A source file."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Force the language."),
    k: Optional[int] = typer.Option(None, "--k", min=2, max=100, help="k-gram length [default: the language's]."),
    window: Optional[int] = typer.Option(None, "--window", min=1, max=100, help="Winnowing window [default: the language's]."),
) -> None:
    """The winnowed fingerprints of FILE: hash, first token, lines."""
    with _guard():
        from .debug import dump_fingerprints
        from .languages import spec_for

        parsed, _ = _debug_file(file, language)
        spec = spec_for(parsed.file.language)  # type: ignore[attr-defined]
        _print_lines(dump_fingerprints(parsed, k or spec.k, window or spec.window))  # type: ignore[arg-type]


@debug_app.command("channels")
def debug_channels(
    original: str = typer.Argument(..., help="The original program."),
    submission: str = typer.Argument(..., help="The submission."),
    channel: Optional[str] = typer.Option(None, "--channel", "-c", help="Only this channel."),
    spec: List[str] = typer.Option([], "--spec", metavar="PATH", help="Spec material (as for compare)."),
) -> None:
    """Every item of every evidence channel for a pair (no verdict)."""
    with _guard():
        from .api import AuditRequest, run
        from .debug import dump_channels
        from .errors import InputError
        from .evidence.registry import default_registry

        registry = default_registry()
        if channel is not None and registry.get(channel) is None:
            raise InputError(f"unknown channel {channel!r} (known: {', '.join(registry.names)})")
        report = run(AuditRequest(original, (submission,), spec=tuple(spec), verdict=False))
        _print_lines(dump_channels(report, channel))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
