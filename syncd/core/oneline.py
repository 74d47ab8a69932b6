"""Text from calendars and rosters made safe to print on one line.

An event title or a roster name is data: printed raw, its line breaks could start lines
of their own (a forged `warning:` in the terminal, a header in an email) and its
bidirectional overrides could make it read differently from what it says.
"""

from __future__ import annotations

import unicodedata

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def one_line(text: str) -> str:
    """`text` with line breaks, control characters and bidi overrides turned into spaces."""
    if text.isprintable():
        # No character of category Other or Separator but the space: none of the above
        # (bidi overrides are Cf), so nothing to replace.
        return text
    return "".join(" " if c in _BIDI or unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in text)
