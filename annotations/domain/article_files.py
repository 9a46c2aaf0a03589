"""Read article files (.txt, .json, .jsonl, .html) into plain records.

Every problem becomes an ``ArticleFileError`` whose message names the file (and line or
item) and the reason, e.g. ``news.jsonl:3: malformed JSON (Expecting ',' delimiter)``.
A file-level problem yields one error; a record-level problem (one bad JSONL line)
yields an error for that record and the other records are still read.
"""

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".json", ".jsonl", ".html", ".htm")
_BINARY_SNIFF_BYTES = 8192
EXTRACTOR = "trafilatura precision, no tables (current)"  # the configuration of research/eval_extraction in use
MIN_HTML_WORDS = 5  # fewer words extracted from a page: a menu or a stub, not an article
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class ArticleRecord:
    source: str  # "path", "path:LINE" or "path[ITEM]", for messages
    format: str
    title: str
    body: str
    url: str = ""
    author: str = ""
    published_at: datetime | None = None


class ArticleFileError(Exception):
    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def read_article_file(path: Path, *, max_bytes: int) -> Iterator[ArticleRecord | ArticleFileError]:
    """Yield the records of one file, or errors naming the file and the reason."""
    name = str(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        yield from read_article_bytes(name, b"", max_bytes=max_bytes)  # the unsupported-type error
        return
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield ArticleFileError(name, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield ArticleFileError(name, f"cannot read file ({exc.strerror or exc})")
        return
    yield from read_article_bytes(name, data, max_bytes=max_bytes)


def read_article_bytes(name: str, data: bytes, *, max_bytes: int) -> Iterator[ArticleRecord | ArticleFileError]:
    """The records of a file's content (an upload: no file on disk); its type is the suffix of ``name``."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield ArticleFileError(
            name, f"unsupported file type {suffix or '(none)'!r}; expected one of " + ", ".join(SUPPORTED_SUFFIXES)
        )
        return
    if len(data) > max_bytes:
        yield ArticleFileError(name, f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit")
        return
    transcoded = False
    for bom, encoding in _UNICODE_BOMS:  # Windows "Unicode" text: UTF-16 (or UTF-32) with a byte-order mark
        if data.startswith(bom):
            try:
                data = _decode(name, data[len(bom) :], encoding).encode("utf-8")
            except ArticleFileError as error:
                yield error
                return
            transcoded = True
            break
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        yield ArticleFileError(name, "binary file (contains NUL bytes), not a text article")
        return
    if not data.strip():
        yield ArticleFileError(name, "file is empty")
        return
    try:
        if suffix in (".html", ".htm"):
            yield from _read_html(name, data, encoding="utf-8" if transcoded else None)
            return
        text = _decode(name, data, "utf-8")
        if suffix == ".txt":
            yield _read_txt(name, text)
        elif suffix == ".json":
            yield from _read_json(name, text)
        else:
            yield from _read_jsonl(name, text)
    except ArticleFileError as error:
        yield error


_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|div|article|p|section)\b", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?(?:p|div|span|a|br|meta|script|style|li|ul|h[1-6]|article|section|nav|img)\b[^>]*>",
                       re.IGNORECASE)  # fmt: skip


def looks_like_html(text: str) -> bool:
    """Whether pasted text is an HTML page or fragment (to be extracted, never stored as markup): it starts
    with a tag of a page, or holds many tags of one.

    >>> looks_like_html("<!DOCTYPE html><html><body><p>Hi</p></body></html>"), looks_like_html("a <b> c")
    (True, False)
    """
    return bool(_HTML_START.match(_after_comments(text[:4096]))) or len(_HTML_TAG.findall(text[:200_000])) >= 10


def _after_comments(head: str) -> str:
    """``head`` without leading whitespace and <!-- comments --> (a loop, not a regex: no backtracking)."""
    head = head.lstrip()
    while head.startswith("<!--"):
        end = head.find("-->", 4)
        if end < 0:
            return ""
        head = head[end + 3 :].lstrip()
    return head


def extract_html(source: str, html: str) -> ArticleRecord:
    """The main article of an HTML page (trafilatura: text, title, author, date, canonical URL); raises
    ``ArticleFileError`` when the page holds no article text."""
    # trafilatura extracts the main article text and metadata (title, author, date, url).
    import trafilatura

    result = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if result is None or len((result.text or "").split()) < MIN_HTML_WORDS:  # "Home" from a menu is not an article
        raise ArticleFileError(source, "no article text found in HTML")
    title = (result.title or "").strip()
    body = result.text.strip()
    first_line, _, rest = body.partition("\n")
    if title and first_line.strip() == title and rest.strip():
        body = rest  # the page's <h1> repeats the title
    body = "\n\n".join(line.strip() for line in body.split("\n") if line.strip())  # one blank line per paragraph
    published = None
    if result.date:
        try:
            published = parse_published_at(source, result.date)
        except ArticleFileError:
            published = None  # an unparseable page date is not worth rejecting the article
    return ArticleRecord(source=source, format="html", title=title, body=body, url=result.url or "",
                         author=result.author or "", published_at=published)  # fmt: skip


def iter_article_paths(paths: list[Path]) -> Iterator[Path | ArticleFileError]:
    """Expand folders (recursively, sorted, hidden files ignored) into article files.

    Files named explicitly are always yielded (an unsupported type is then an error);
    inside folders only supported types are picked up.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        elif path.exists():
            yield path
        else:
            yield ArticleFileError(str(path), "no such file or folder")


# Longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
_UNICODE_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def _decode(source: str, data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleFileError(
            source, f"not valid {encoding.upper()} text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    except LookupError:
        raise ArticleFileError(source, f"unknown character encoding {encoding!r}") from None
    return text.removeprefix("\ufeff")


def _read_txt(source: str, text: str) -> ArticleRecord:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip():
            body = "\n".join(lines[index + 1 :])
            if not body.strip():
                raise ArticleFileError(source, "empty body (only a title line)")
            return ArticleRecord(source=source, format="txt", title=line.strip(), body=body)
    raise ArticleFileError(source, "file is empty")


_HUGE_NUMBER = "a number with more than 4,300 digits"


def _read_json(source: str, text: str) -> Iterator[ArticleRecord | ArticleFileError]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ArticleFileError(f"{source}:{exc.lineno}", f"malformed JSON ({exc.msg})")
        return
    except RecursionError:
        yield ArticleFileError(source, "malformed JSON (nested too deeply)")
        return
    except ValueError:  # the only other error json.loads raises: Python's limit for int()
        yield ArticleFileError(source, f"malformed JSON ({_HUGE_NUMBER})")
        return
    if isinstance(payload, dict):
        payload = payload.get("articles", payload) if "articles" in payload else [payload]
    if not isinstance(payload, list):
        yield ArticleFileError(source, "expected a JSON object or a list of objects")
        return
    if not payload:
        yield ArticleFileError(source, "no articles in file (empty list)")
        return
    label = (lambda i: f"{source}[{i}]") if len(payload) > 1 else (lambda i: source)
    for index, item in enumerate(payload):
        yield _record_or_error(label(index), "json", item)


def _read_jsonl(source: str, text: str) -> Iterator[ArticleRecord | ArticleFileError]:
    seen = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen = True
        where = f"{source}:{lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ArticleFileError(where, f"malformed JSON line ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield ArticleFileError(where, "malformed JSON line (nested too deeply)")
            continue
        except ValueError:  # the only other error json.loads raises: Python's limit for int()
            yield ArticleFileError(where, f"malformed JSON line ({_HUGE_NUMBER})")
            continue
        yield _record_or_error(where, "jsonl", item)
    if not seen:
        yield ArticleFileError(source, "file is empty")


def _record_or_error(source: str, fmt: str, item: object) -> ArticleRecord | ArticleFileError:
    if not isinstance(item, dict):
        return ArticleFileError(source, f"expected a JSON object, got {type(item).__name__}")
    try:
        title = _string_field(source, item, "title")
        body = _string_field(source, item, "body") or _string_field(source, item, "text")
        if not title.strip():
            raise ArticleFileError(source, "missing 'title'")
        if not body.strip():
            raise ArticleFileError(source, "missing or empty 'body' (or 'text')")
        return ArticleRecord(
            source=source,
            format=fmt,
            title=title,
            body=body,
            url=_string_field(source, item, "url") or _string_field(source, item, "source_url"),
            author=_string_field(source, item, "author"),
            published_at=parse_published_at(source, item.get("published_at")),
        )
    except ArticleFileError as error:
        return error


def _string_field(source: str, item: dict, key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ArticleFileError(source, f"'{key}' must be a string, got {type(value).__name__}")
    try:
        value.encode("utf-8")  # JSON's "\\ud800" escapes give lone surrogates, which are not text
    except UnicodeEncodeError:
        raise ArticleFileError(source, f"'{key}' is not valid Unicode (a lone surrogate)") from None
    return value


def parse_published_at(source: str, value: object) -> datetime | None:
    """ISO 8601 date or datetime → aware datetime (UTC when no offset is given)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ArticleFileError(source, f"'published_at' must be an ISO 8601 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ArticleFileError(source, f"'published_at' {value!r} is not an ISO 8601 date or datetime") from None
    if isinstance(parsed, date) and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _read_html(source: str, data: bytes, *, encoding: str | None = None) -> Iterator[ArticleRecord | ArticleFileError]:
    """``encoding``: already known (a byte-order mark said it); else the page's declared charset, else UTF-8."""
    match = _HTML_CHARSET.search(data[:4096])
    html = _decode(source, data, encoding or (match.group(1).decode("ascii") if match else "utf-8"))
    record = extract_html(source, html)
    if not record.title:
        yield ArticleFileError(source, "HTML has no title (<title> or <h1>)")
        return
    yield record
