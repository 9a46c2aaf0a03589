"""Span maths on code-point offsets, plus the single UTF-16 ↔ code-point converter.

Offsets everywhere in the database are Unicode code points of ``Document.body``.
Browsers count UTF-16 code units; convert at the boundary with these two functions only.

>>> utf16_to_codepoint("a😀b", 3)
2
>>> codepoint_to_utf16("a😀b", 2)
3
"""

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
    if offset < 0:
        raise SpanError(f"offset ({offset}) must not be negative")
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise SpanError(f"UTF-16 offset {offset} falls inside a surrogate pair")
    if units == offset:
        return len(text)
    raise SpanError(f"UTF-16 offset {offset} is beyond the end of the text")


def codepoint_to_utf16(text: str, offset: int) -> int:
    """Convert a code-point offset of ``text`` into a UTF-16 code-unit offset."""
    if not 0 <= offset <= len(text):
        raise SpanError(f"offset ({offset}) is outside the text (0–{len(text)})")
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)
