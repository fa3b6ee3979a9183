"""Evidence channels: each yields a score in [0, 1] and the concrete items behind it.

One module per channel (structure, functions, identifiers, comments, literals, layout); the
shared types live in :mod:`memaudit.evidence.model`, text normalization in
:mod:`memaudit.evidence.text`, what the submitter could observe in
:mod:`memaudit.evidence.observable`.
"""
