"""Errors and exit codes, documented in one place (see docs/cli.md).

Every failure the user can cause ends in a one-line message and one of these codes, never a
traceback. Problems with single files (binary, too large, unreadable) are warnings: the file is
skipped and the run goes on.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "MemauditError", "InputError", "GrammarError", "OutputError"]


class ExitCode(IntEnum):
    """Process exit codes of the ``memaudit`` command."""

    OK = 0
    #: ``--fail-on`` was given and the verdict reached it.
    GATE = 1
    #: Bad command line (unknown option, bad value); reported by the CLI parser.
    USAGE = 2
    #: The inputs cannot be analysed: missing path, no supported source files, unreadable tree.
    INPUT = 3
    #: A grammar file or stored data file is invalid.
    CONFIG = 4
    #: A report could not be written (unwritable path, full disk); nothing partial is left.
    OUTPUT = 5
    #: A bug in memaudit: an unexpected exception (set MEMAUDIT_DEBUG=1 for the traceback).
    INTERNAL = 70


class MemauditError(Exception):
    """An error with a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL


class InputError(MemauditError):
    """The inputs cannot be analysed."""

    exit_code = ExitCode.INPUT


class GrammarError(MemauditError):
    """A grammar file (or other stored configuration) is invalid."""

    exit_code = ExitCode.CONFIG


class OutputError(MemauditError):
    """A report could not be written."""

    exit_code = ExitCode.OUTPUT
