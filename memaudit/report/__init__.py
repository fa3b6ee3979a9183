"""Renderings of a :class:`memaudit.compare.Comparison`: JSON (``json_report``) and terminal
(``terminal``)."""
