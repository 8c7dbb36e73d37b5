"""Text for the user's terminal with control characters made visible.

Names come from the user's files: an ESC in an estate name would otherwise recolour or rewrite the
terminal, a bidi override (U+202E) would reverse what follows, a carriage return would overwrite the
line. ``visible`` writes each such character as an escape (``\\x1b``, ``\\u202e``) and leaves every other
character (Chinese included) as it is. The CLI uses it for what it prints and, through
``VisibleFormatter``, for every log line.
"""
from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache

# control (Cc), format (Cf: bidi embeddings/overrides/isolates, marks, zero-width), line and paragraph
# separators (Zl, Zp), unassigned and surrogates: nothing a name needs shown raw
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


@lru_cache(maxsize=4096)
def _shown(char: str) -> str:
    if unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: object, *, keep: str = "") -> str:
    """``text`` with control and invisible formatting characters escaped, except those in ``keep``."""
    text = str(text)
    return "".join(c if c in keep else _shown(c) for c in text)


class VisibleFormatter(logging.Formatter):
    """Formats log records with every text argument fully escaped (a newline in a name shows as ``\\n``)
    and then the whole line escaped except the newlines the program itself writes (tracebacks)."""

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.args, tuple) and any(isinstance(a, str) for a in record.args):
            record = logging.makeLogRecord(record.__dict__)
            record.args = tuple(visible(a) if isinstance(a, str) else a for a in record.args)
        return visible(super().format(record), keep="\n")
