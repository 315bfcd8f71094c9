"""Voice Draft's training engine.

Spoken to over JSON lines: one event object per line on stdout, logs on stderr
(docs/contracts.md). Run as `python -m voice_draft_engine <command> ...`.
"""

PROTOCOL_VERSION = 1
__version__ = "0.1.0"
