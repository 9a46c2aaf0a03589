"""Verdict export formats: export rows → JSON / JSON Lines, CSV, schema.org ClaimReview, W3C Web Annotation.

Pure Python (no Django). ``annotations.exporting.verdict_export_rows`` builds the rows; the functions here
turn one row into one record of a format, and ``iter_*`` turn a stream of rows into a stream of text.

An **annotation row** is a plain dict::

    {"id": 17, "document": {"id", "title", "source_url", "author", "published_at", "sha256", "version"},
     "author": {"id", "username"}, "claim": {"id", "start", "end"} | None,
     "start", "end", "quote", "prefix", "suffix",          # code points of version ``document_version``
     "verdict": "false" | "",  "rationale", "status", "version", "created_at", "updated_at",
     "document_version": 2, "anchor_state": "ok" | "changed" | "orphaned",
     "evidence": [{"id", "url", "title", "quoted_passage", "stance", "added_by": {"id", "username"},
                   "added_at"}]}

``document.version`` is the document's current version, ``document_version`` the version of the text the
annotation's offsets and quote refer to: the same, except for an orphan (``anchor_state`` "orphaned": its words
are not in the current text; it keeps those of the version it was made on). Rows written before versions
existed have neither: read as version 1, "ok".

and a **document row** (JSON Lines only, written once, before the first annotation of its document)::

    {"type": "document", "id", "title", "source_url", "author", "published_at", "sha256", "version", "metadata",
     "body"}  # body: the current version's text

Timestamps are ISO 8601 UTC text with microseconds and a ``Z`` (``datetime`` objects are accepted too and
formatted the same way): ``2025-03-14T10:00:00.000000Z``.

>>> cell_safe("=HYPERLINK(\\"http://x\\")"), cell_safe("-5% growth"), cell_safe("plain")
('\\'=HYPERLINK("http://x")', "'-5% growth", 'plain')
>>> rating = claimreview_rating("mostly_false")
>>> rating["alternateName"], rating["ratingValue"], rating["bestRating"], rating["worstRating"]
('Mostly false', 2, 5, 1)
>>> claimreview_rating("unverifiable")
{'@type': 'Rating', 'alternateName': 'Unverifiable', 'name': 'Unverifiable'}
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from annotations.domain.verdicts import Verdict

WEB_ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
SCHEMA_ORG_CONTEXT = "https://schema.org"
BEST_RATING = max(v.rating for v in Verdict if v.rating is not None)
WORST_RATING = min(v.rating for v in Verdict if v.rating is not None)


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    extension: str
    description: str


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in [
        ExportFormat("json", "application/json", "json", "JSON array of annotations (the JSON Lines records)"),
        ExportFormat("jsonl", "application/x-ndjson", "jsonl", "JSON Lines: document and annotation records"),
        ExportFormat("csv", "text/csv; charset=utf-8", "csv", "one row per annotation"),
        ExportFormat("claimreview", "application/ld+json", "json", "schema.org ClaimReview per published verdict"),
        ExportFormat(
            "webannotation",
            f'application/ld+json; profile="{WEB_ANNOTATION_CONTEXT}"',
            "jsonld",
            "W3C Web Annotations (JSON-LD)",
        ),
    ]
}


@dataclass(frozen=True)
class ExportLinks:
    """Absolute URLs used by the linked-data formats. Templates use ``str.format`` placeholders:
    ``annotation`` {id}, ``document`` {id}, ``review`` {document_id} and {annotation_id}."""

    annotation: str
    document: str
    review: str
    project_url: str
    project_name: str


# ---- small helpers -------------------------------------------------------------------------


def iso_datetime(value: datetime | str | None) -> str | None:
    """ISO 8601 in UTC with microseconds and a ``Z`` (PostgreSQL's ``to_char`` in the export selector writes
    the same text); naive datetimes are taken as UTC; text is taken as already formatted.

    >>> iso_datetime(datetime(2025, 3, 14, 10, 0, tzinfo=UTC))
    '2025-03-14T10:00:00.000000Z'
    >>> from datetime import timedelta, timezone
    >>> iso_datetime(datetime(2025, 3, 14, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1))))
    '2025-03-14T10:00:00.000005Z'
    """
    if value is None or isinstance(value, str):
        return value
    offset = value.utcoffset()
    if offset is None:
        value = value.replace(tzinfo=UTC)
    elif offset:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")[:-6] + "Z"  # an aware UTC datetime ends with "+00:00"


def iso_date(value: datetime | None) -> str | None:
    """The UTC calendar date (ClaimReview dates)."""
    stamp = iso_datetime(value)
    return None if stamp is None else stamp[:10]


# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection"); the
# full-width forms are converted by some spreadsheet apps too.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def cell_safe(value: object) -> object:
    """Neutralise spreadsheet formulas: a text cell starting with = + - @ tab CR or LF gets a leading ``'``."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS:
        return "'" + value
    return value


_LABELS = {"": "", **{v.value: v.label for v in Verdict}}
_RATINGS = {v.value: v.rating for v in Verdict}


def verdict_label(verdict: str) -> str:
    return _LABELS[verdict]


def verdict_rating(verdict: str) -> int | None:
    return _RATINGS.get(verdict)


def claimreview_rating(verdict: str) -> dict:
    """schema.org Rating for a verdict: the label as ``alternateName`` (what Google shows) and, on the
    numeric scale 5 (true) … 1 (false), ``ratingValue``/``bestRating``/``worstRating``. A verdict
    without a place on the scale (unverifiable) carries only the text."""
    scale = Verdict(verdict)
    rating = {"@type": "Rating", "alternateName": scale.label, "name": scale.label}
    if scale.rating is not None:
        rating.update(ratingValue=scale.rating, bestRating=BEST_RATING, worstRating=WORST_RATING)
    return rating


# ---- JSON / JSON Lines ---------------------------------------------------------------------


def _user(user: dict) -> dict:
    return {"id": user["id"], "username": user["username"]}


def annotation_record(row: dict) -> dict:
    """The JSON (and JSON Lines) object of one annotation: everything needed to re-create it."""
    document = row["document"]
    return {
        "type": "annotation",
        "id": row["id"],
        "document": {
            "id": document["id"],
            "title": document["title"],
            "source_url": document["source_url"],
            "author": document["author"],
            "published_at": iso_datetime(document["published_at"]),
            "sha256": document["sha256"],
            "version": document.get("version", 1),
        },
        "author": _user(row["author"]),
        "original_author": row.get("original_author", ""),
        "claim": row["claim"],
        "start": row["start"],
        "end": row["end"],
        "quote": {"exact": row["quote"], "prefix": row["prefix"], "suffix": row["suffix"]},
        "verdict": row["verdict"],
        "verdict_label": verdict_label(row["verdict"]),
        "rating": verdict_rating(row["verdict"]),
        "rationale": row["rationale"],
        "status": row["status"],
        "version": row["version"],
        "document_version": row.get("document_version", 1),
        "anchor_state": row.get("anchor_state", "ok"),
        "created_at": iso_datetime(row["created_at"]),
        "updated_at": iso_datetime(row["updated_at"]),
        "evidence": [
            {
                "id": item["id"],
                "url": item["url"],
                "title": item["title"],
                "quoted_passage": item["quoted_passage"],
                "stance": item["stance"],
                "added_by": _user(item["added_by"]),
                "added_at": iso_datetime(item["added_at"]),
            }
            for item in row["evidence"]
        ],
    }


def document_record(document: dict) -> dict:
    """The JSON Lines record that carries a document's text, so an import can re-create it."""
    return {
        "type": "document",
        "id": document["id"],
        "title": document["title"],
        "source_url": document["source_url"],
        "author": document["author"],
        "published_at": iso_datetime(document["published_at"]),
        "sha256": document["sha256"],
        "version": document.get("version", 1),
        "metadata": document["metadata"],
        "body": document["body"],
    }


# ---- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "annotation_id",
    "document_id",
    "document_title",
    "document_url",
    "start",
    "end",
    "quote",
    "verdict",
    "verdict_label",
    "rating",
    "rationale",
    "evidence_urls",
    "author",
    "status",
    "created_at",
    "updated_at",
    "document_version",
    "anchor_state",
]
EVIDENCE_URL_SEPARATOR = " "  # URLs never contain a raw space


def csv_row(row: dict) -> list:
    """One CSV line per annotation; every text cell is formula-safe."""
    document = row["document"]
    values = [
        row["id"],
        document["id"],
        document["title"],
        document["source_url"],
        row["start"],
        row["end"],
        row["quote"],
        row["verdict"],
        verdict_label(row["verdict"]),
        verdict_rating(row["verdict"]) or "",
        row["rationale"],
        EVIDENCE_URL_SEPARATOR.join(item["url"] for item in row["evidence"]),
        row["author"]["username"],
        row["status"],
        iso_datetime(row["created_at"]),
        iso_datetime(row["updated_at"]),
        row.get("document_version", 1),
        row.get("anchor_state", "ok"),
    ]
    return [cell_safe(value) for value in values]


# ---- schema.org ClaimReview ----------------------------------------------------------------


def claim_review(row: dict, links: ExportLinks) -> dict:
    """schema.org ClaimReview for one annotation with a verdict (Google's required fields: ``claimReviewed``,
    ``reviewRating.alternateName``, ``url``). ``itemReviewed`` is the Claim as it appeared in the article:
    its URL, and the article's author and date when known."""
    document = row["document"]
    claim: dict = {"@type": "Claim"}
    if document["source_url"]:
        claim["appearance"] = {"@type": "CreativeWork", "url": document["source_url"], "headline": document["title"]}
    if document["author"]:
        claim["author"] = {"@type": "Person", "name": document["author"]}
    if document["published_at"] is not None:
        claim["datePublished"] = iso_date(document["published_at"])
    review = {
        "@context": SCHEMA_ORG_CONTEXT,
        "@type": "ClaimReview",
        "url": links.review.format(document_id=document["id"], annotation_id=row["id"]),
        "claimReviewed": row["quote"],
        "datePublished": iso_date(row["updated_at"]),
        "author": {"@type": "Organization", "name": links.project_name, "url": links.project_url},
        "itemReviewed": claim,
        "reviewRating": claimreview_rating(row["verdict"]),
    }
    if row["rationale"]:
        review["reviewBody"] = row["rationale"]
    return review


# ---- W3C Web Annotation --------------------------------------------------------------------


def web_annotation(row: dict, links: ExportLinks) -> dict:
    """W3C Web Annotation (JSON-LD, context ``http://www.w3.org/ns/anno.jsonld``).

    Target: the document with a TextQuoteSelector (exact/prefix/suffix) and a TextPositionSelector
    (start/end in code points, as the model counts); after the document's text changed (``document.version``
    above 1), its source names the version the selectors refer to (``…/documents/ID/?version=N``). Bodies:
    the verdict label and the rationale as TextualBodies with purpose ``assessing`` (in that order), each
    evidence URL as a SpecificResource
    body (``source`` = the URL) with purpose ``linking``. Motivation: ``assessing`` when there is a
    verdict or rationale, else ``linking`` (evidence only) or ``highlighting``.
    """
    document = row["document"]
    bodies: list[dict] = []
    if row["verdict"]:
        bodies.append(_textual_body(Verdict(row["verdict"]).label))
    if row["rationale"]:
        bodies.append(_textual_body(row["rationale"]))
    # A purpose may only sit on a SpecificResource or a TextualBody (model §3.3.5), so evidence is a
    # SpecificResource whose source is the evidence URL.
    bodies.extend({"type": "SpecificResource", "purpose": "linking", "source": item["url"]} for item in row["evidence"])
    motivation = "assessing" if (row["verdict"] or row["rationale"]) else "linking" if bodies else "highlighting"
    source = links.document.format(id=document["id"])
    if document.get("version", 1) > 1:
        source += f"?version={row.get('document_version', 1)}"
    target: dict = {
        "type": "SpecificResource",
        "source": source,
        "selector": [
            {"type": "TextQuoteSelector", "exact": row["quote"], "prefix": row["prefix"], "suffix": row["suffix"]},
            {"type": "TextPositionSelector", "start": row["start"], "end": row["end"]},
        ],
    }
    if document["source_url"]:
        target["scope"] = document["source_url"]  # the web page the article text was taken from
    annotation = {
        "@context": WEB_ANNOTATION_CONTEXT,
        "id": links.annotation.format(id=row["id"]),
        "type": "Annotation",
        "motivation": motivation,
        "created": iso_datetime(row["created_at"]),
        "modified": iso_datetime(row["updated_at"]),
        "creator": {"type": "Person", "nickname": row["author"]["username"]},
    }
    if bodies:
        annotation["body"] = bodies
    annotation["target"] = target
    return annotation


def _textual_body(value: str) -> dict:
    return {"type": "TextualBody", "purpose": "assessing", "value": value, "format": "text/plain"}


# ---- streaming writers: rows in, text chunks out ---------------------------------------------

FLUSH_CHARS = 64 * 1024

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _batched(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into ~64 KB chunks (one write per chunk for the HTTP server / file)."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= FLUSH_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def iter_json_array(records: Iterable[dict]) -> Iterator[str]:
    """A JSON array, one element per line: ``[`` … ``]``."""
    yield "["
    separator = "\n"
    for record in records:
        yield separator + _dumps(record)
        separator = ",\n"
    yield "\n]\n"


def iter_json_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield _dumps(record) + "\n"


def iter_csv(rows: Iterable[dict]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends) with a header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(csv_row(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def render(name: str, rows: Iterable[dict], links: ExportLinks) -> Iterator[str]:
    """Stream export ``name`` of ``rows`` as text chunks of about 64 KB. Only JSON Lines expects document
    rows (``type == "document"``) among the annotation rows."""
    if name == "json":
        pieces = iter_json_array(annotation_record(row) for row in rows)
    elif name == "jsonl":
        pieces = iter_json_lines(
            document_record(row) if row.get("type") == "document" else annotation_record(row) for row in rows
        )
    elif name == "csv":
        pieces = iter_csv(rows)
    elif name == "claimreview":
        pieces = iter_json_array(claim_review(row, links) for row in rows)
    elif name == "webannotation":
        pieces = iter_json_array(web_annotation(row, links) for row in rows)
    else:
        raise ValueError(f"unknown export format {name!r}; expected one of {', '.join(FORMATS)}")
    return _batched(pieces)
