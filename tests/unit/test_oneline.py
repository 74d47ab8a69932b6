"""Text printed on one line: nothing in it starts a line or reorders what follows."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from syncd.core.oneline import one_line

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _slowly(text: str) -> str:
    return "".join(" " if c in BIDI or unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
                   for c in text)


@given(st.text() | st.text(alphabet=st.sampled_from(f"ab \t\n\r\x85\u2028\u2029é{BIDI}")))
def test_every_break_control_and_bidi_override_becomes_a_space(text: str) -> None:
    # A title printed as-is (the shortcut for text with nothing to replace) must read the
    # same as one checked character by character.
    assert one_line(text) == _slowly(text)
    assert len(one_line(text).splitlines()) <= 1


def test_a_forged_warning_line_stays_on_the_title_line() -> None:
    assert one_line("1:1\nwarning: all series deleted\u202e") == \
        "1:1 warning: all series deleted "
