"""Text normalisation shared by every import path.

>>> normalize_text("Caf\\u0065\\u0301  \\r\\nline two\\t\\r\\n\\r\\n\\r\\n\\r\\nend")
'Café\\nline two\\n\\n\\nend'
"""

import hashlib
import re
import unicodedata

# C0/C1 control characters other than tab and newline carry no meaning in an article
# and confuse offsets in the browser, so they are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0\u3000]+$", re.MULTILINE)
_MANY_BLANK_LINES = re.compile(r"\n{4,}")


def normalize_text(text: str) -> str:
    """Unicode NFC, LF line endings, no trailing spaces, at most two blank lines in a row,
    no leading/trailing blank lines. Offsets of every annotation refer to this form."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _TRAILING_SPACE.sub("", text)
    text = _MANY_BLANK_LINES.sub("\n\n\n", text)
    return text.strip("\n").rstrip()


def normalize_line(text: str) -> str:
    """A one-line field (title, author): NFC and collapsed whitespace."""
    return " ".join(unicodedata.normalize("NFC", _CONTROL.sub("", text)).split())


def content_sha256(body: str) -> str:
    """Fingerprint used to de-duplicate documents within a project (body only, after cleaning)."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def fold(text: str) -> str:
    """Case- and accent-insensitive form for search: ``fold("Nicolás") == fold("NICOLAS") == "nicolas"``.
    SQLite's ``unaccent`` (``annotations/db.py``); PostgreSQL uses its ``unaccent`` extension.

    >>> fold("Nicolás Maduro"), fold("ÉCOLE")
    ('nicolas maduro', 'ecole')
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
