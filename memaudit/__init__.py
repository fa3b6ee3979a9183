"""memaudit: audit program reimplementations for memorization of the original's source code.

The package reads as the pipeline:

    discover -> parse -> fingerprint -> index/match -> sketch -> compare -> report

with the command-line interface (:mod:`memaudit.cli`) as a thin layer on top of
:func:`memaudit.audit.audit_trees` and :func:`memaudit.verdict.decide`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
