"""Span maths on code-point offsets, plus the single UTF-16 ↔ code-point converter.

Offsets everywhere in the database are Unicode code points of ``Document.body``.
Browsers count UTF-16 code units; convert at the boundary with these two functions only.

>>> utf16_to_codepoint("a😀b", 3)
2
>>> codepoint_to_utf16("a😀b", 2)
3
"""

import re
from bisect import bisect_left
from dataclasses import dataclass

QUOTE_CONTEXT = 32  # characters of prefix/suffix kept with a quote selector


class SpanError(ValueError):
    """A span that does not fit its text; the message is safe to show to users."""


@dataclass(frozen=True)
class QuoteSelector:
    exact: str
    prefix: str
    suffix: str


def validate_span(text: str, start: int, end: int, exact: str | None = None) -> None:
    """Raise SpanError unless 0 <= start < end <= len(text) and text[start:end] == exact."""
    if not (isinstance(start, int) and isinstance(end, int)):
        raise SpanError("start and end must be integers")
    if start < 0:
        raise SpanError(f"start ({start}) must not be negative")
    if end <= start:
        raise SpanError(f"end ({end}) must be greater than start ({start})")
    if end > len(text):
        raise SpanError(f"end ({end}) is beyond the end of the text ({len(text)} characters)")
    if exact is not None and text[start:end] != exact:
        raise SpanError(f"quote does not match the text at {start}–{end}: expected {text[start:end]!r}")


def quote_selector(text: str, start: int, end: int, context: int = QUOTE_CONTEXT) -> QuoteSelector:
    validate_span(text, start, end)
    return QuoteSelector(
        exact=text[start:end],
        prefix=text[max(0, start - context) : start],
        suffix=text[end : end + context],
    )


def utf16_to_codepoint(text: str, offset: int) -> int:
    """Convert a UTF-16 code-unit offset into a code-point offset of ``text``."""
    return OffsetConverter(text).to_codepoint(offset)


def codepoint_to_utf16(text: str, offset: int) -> int:
    """Convert a code-point offset of ``text`` into a UTF-16 code-unit offset."""
    return OffsetConverter(text).to_utf16(offset)


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # characters that take two UTF-16 code units


class OffsetConverter:
    """Fast conversions for one text: O(log n) per offset after an O(n) index of astral characters.

    >>> c = OffsetConverter("a😀b😀c")
    >>> c.to_utf16(3), c.to_codepoint(4)
    (4, 3)
    """

    def __init__(self, text: str):
        self.text = text
        self._astral = [match.start() for match in _ASTRAL.finditer(text)]  # code-point positions (C speed)
        self._astral_utf16 = [i + n for n, i in enumerate(self._astral)]  # their UTF-16 positions

    def to_utf16(self, offset: int) -> int:
        if not 0 <= offset <= len(self.text):
            raise SpanError(f"offset ({offset}) is outside the text (0–{len(self.text)})")
        return offset + bisect_left(self._astral, offset)

    def to_codepoint(self, offset: int) -> int:
        if offset < 0:
            raise SpanError(f"offset ({offset}) must not be negative")
        before = bisect_left(self._astral_utf16, offset)
        if before < len(self._astral_utf16) and self._astral_utf16[before] + 1 == offset:
            raise SpanError(f"UTF-16 offset {offset} falls inside a surrogate pair")
        if before and self._astral_utf16[before - 1] + 1 == offset:
            raise SpanError(f"UTF-16 offset {offset} falls inside a surrogate pair")
        codepoint = offset - before
        if codepoint > len(self.text):
            raise SpanError(f"UTF-16 offset {offset} is beyond the end of the text")
        return codepoint
