"""Import a JSON Lines verdict export into a project: the adapter behind ``manage.py import_verdicts`` and
``POST /api/v1/projects/{slug}/import-verdicts``.

**The file** is exactly what ``export_verdicts --format jsonl`` / ``export?format=jsonl`` writes: one JSON
object per line, each with a ``type``:

* ``{"type": "document", "id", "title", "source_url", "author", "published_at", "sha256", "metadata", "body"}``
  once per document, before its annotations. ``sha256`` is the SHA-256 of the UTF-8 ``body``: the cleaned
  text that every offset indexes, in code points.
* ``{"type": "annotation", "id", "document": {"id", "sha256", …}, "author": {"username", …}, "claim":
  {"start", "end", …} | null, "start", "end", "quote": {"exact", …}, "verdict", "rationale", "status",
  "version", "evidence": [{"url", "title", "quoted_passage", "stance", "added_by": {"username", …}}], …}``

**What happens** (decisions, also in the README):

* Documents are matched by content: a document of the target project with the same ``sha256`` is used
  as it is; otherwise the document line is imported through ``services.document_import`` (which cleans
  the text again; the file is refused if that would change the text, since offsets would then be wrong).
  An annotation whose document is neither in the project nor on an earlier line is an error.
* Annotations are written through ``services.annotation_import`` (which checks ``quote.exact ==
  body[start:end]``, the verdict and every evidence URL and stance, and writes the AuditEvents). Ids and
  timestamps are new; in a restore everything else re-exports identically.
* Work per call is bounded: at most ``VERDICT_IMPORT_MAX_RECORDS`` records (413 above it), besides the
  byte limit of the endpoint.
* People and review states follow the rules of ``services/verdict_import.py``: a desk editor's import goes
  through the workflow (states capped, authors only from the desk's members, others recorded as "originally
  by NAME", no account created or looked up outside the desk); a site admin's restore keeps states and
  authors as they were (unknown usernames become inactive accounts).
* An annotation's claim is linked to the claim with the same span in the target document, or a
  person-made, accepted claim is created for it (machine segmentation never replaces those).
* An annotation that already existed in the project before this import (same document, author, span,
  verdict and rationale) is skipped, so importing the same file twice adds nothing.
* An annotation exported as an orphan (``anchor_state`` "orphaned": its words are not in the current text the
  file carries, its offsets are those of an older version) cannot be placed in that text: it is not imported,
  and the report counts it (``orphans_not_imported``) rather than the whole file failing on its quote.
* All or nothing: one transaction per file; the first bad line stops the import with
  ``FILE:LINE: reason`` and nothing is written.
"""

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from annotations import services
from annotations.domain.spans import SpanError, validate_span
from annotations.domain.text import content_sha256
from annotations.domain.vocabulary import AnchorState, AnnotationStatus
from annotations.models import Annotation, Document, Project

MISSING = object()
MAX_VERSION = 1_000_000  # far above any real edit count, far below the database's integer range (2**31 - 1)


class VerdictImportError(services.Invalid):
    """A bad line (or file): the message names the file and line and is safe to show (HTTP 400)."""

    def __init__(self, source: str, line: int | None, reason: str):
        self.source, self.line, self.reason = source, line, reason
        super().__init__(f"{source}:{line}: {reason}" if line else f"{source}: {reason}")


class VerdictImportTooLarge(services.TooLarge):
    """More records than one import may hold (HTTP 413)."""


@dataclass
class VerdictImportReport:
    restore: bool = False
    documents_created: int = 0
    documents_matched: int = 0
    annotations_created: int = 0
    annotations_skipped: int = 0
    orphans_not_imported: int = 0  # exported as orphans: their words are not in the document's text
    evidence_created: int = 0
    states_capped: int = 0  # desk import: arrived as submitted though the file gave another state
    authors_not_members: list[str] = field(default_factory=list)  # desk import: recorded as "originally by"
    users_created: list[str] = field(default_factory=list)  # restore only

    def as_dict(self) -> dict:
        data = {
            "mode": "restore" if self.restore else "desk",
            "documents_created": self.documents_created,
            "documents_matched": self.documents_matched,
            "annotations_created": self.annotations_created,
            "annotations_skipped": self.annotations_skipped,
            "orphans_not_imported": self.orphans_not_imported,
            "evidence_created": self.evidence_created,
        }
        if self.restore:
            data["users_created"] = self.users_created
        else:
            data["states_capped"] = self.states_capped
            data["authors_not_members"] = self.authors_not_members
        return data

    @property
    def summary(self) -> str:
        text = (
            f"{self.annotations_created} annotations imported ({self.evidence_created} evidence links), "
            f"{self.annotations_skipped} skipped (already present); documents: {self.documents_created} created, "
            f"{self.documents_matched} matched"
        )
        if self.orphans_not_imported:
            text += (f"; {self.orphans_not_imported} not imported: exported as orphans, their words are not in "
                     "the document's current text")  # fmt: skip
        if self.users_created:
            text += f"; {len(self.users_created)} inactive user(s) created: {', '.join(self.users_created)}"
        if self.states_capped:
            text += f"; {self.states_capped} arrived as submitted for review (a desk import carries no review decision)"
        if self.authors_not_members:
            text += f"; not members of the desk, kept as 'originally by': {', '.join(self.authors_not_members)}"
        return text


def import_verdict_lines(
    lines: Iterable[bytes | str],
    *,
    project: Project,
    source: str,
    imported_by: AbstractBaseUser | None = None,
    restore: bool | None = None,
) -> VerdictImportReport:
    """Import JSON Lines (bytes or str, one record per item; line numbers count from 1) into ``project``.

    ``imported_by`` None is the site itself (a command): a restore. A user imports into their desk under the
    desk rules unless ``restore`` (site admins only). All or nothing: raises VerdictImportError naming
    ``source`` and the line (or Forbidden/NotFound/VerdictImportTooLarge), and writes nothing."""
    restore = imported_by is None if restore is None else restore
    services.verdict_import_check(project=project, importer=imported_by, restore=restore)
    importer = _Importer(project=project, source=source, imported_by=imported_by, restore=restore)
    with transaction.atomic():
        for number, raw in enumerate(lines, start=1):
            importer.line(number, raw)
    return importer.report


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _unstorable(value: object) -> str | None:
    """Why ``value`` cannot be stored, or None: a NUL character (PostgreSQL text and jsonb refuse it), a lone
    surrogate (not Unicode), a number too large for a float (1e400 becomes infinity)."""
    if isinstance(value, float):
        return None if math.isfinite(value) else f"number {value} is out of range"
    if isinstance(value, str):
        if "\x00" in value:
            return "text contains a NUL character (\\u0000)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text contains a lone surrogate (not valid Unicode)"
        return None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            if (problem := _unstorable(item)) is not None:
                return problem
    return None


class _Importer:
    def __init__(self, *, project: Project, source: str, imported_by: AbstractBaseUser | None, restore: bool):
        self.project, self.source, self.imported_by, self.restore = project, source, imported_by, restore
        self.report = VerdictImportReport(restore=restore)
        self.documents: dict[str, Document] = {}  # sha256 → document of the target project
        self.people: dict[str, tuple[AbstractBaseUser, str]] = {}  # username → (account, original author)
        self.number = 0
        self.records = 0
        # A user's import is bounded; the site's own restore (a command, no importer) is not.
        self.max_records = settings.VERDICT_IMPORT_MAX_RECORDS if imported_by is not None else None
        # Annotations with a larger id were created by this import: never "already present".
        self.existing_max_id = Annotation.objects.aggregate(top=Max("id"))["top"] or 0

    def fail(self, reason: str) -> VerdictImportError:
        return VerdictImportError(self.source, self.number, reason)

    # ---- parsing ------------------------------------------------------------------------------

    def line(self, number: int, raw: bytes | str) -> None:
        self.number = number
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.fail(f"not UTF-8 text (byte {exc.start})") from None
        if number == 1:
            raw = raw.removeprefix("\ufeff")
        if not raw.strip():
            return
        try:
            record = json.loads(raw, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise self.fail(f"malformed JSON line ({exc.msg} at column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # NaN/Infinity, or nesting deeper than Python's stack
            reason = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
            raise self.fail(f"malformed JSON line ({reason})") from None
        if not isinstance(record, dict):
            raise self.fail("expected a JSON object")
        try:
            problem = _unstorable(record)
        except RecursionError:
            problem = "malformed JSON line (nested too deeply)"
        if problem is not None:
            raise self.fail(problem)
        evidence = record.get("evidence")
        self.count(1 + (len(evidence) if isinstance(evidence, list) else 0))
        kind = record.get("type")
        if kind == "document":
            self.document(record)
        elif kind == "annotation":
            self.annotation(record)
        else:
            raise self.fail(f"unknown record type {kind!r}; expected 'document' or 'annotation' (a JSON Lines export)")

    def count(self, records: int) -> None:
        """Bounded work per call: documents, annotations and evidence links all count."""
        self.records += records
        if self.max_records is not None and self.records > self.max_records:
            raise VerdictImportTooLarge(
                f"{self.source}: more than {self.max_records:,} records (documents, annotations and evidence "
                "links; VERDICT_IMPORT_MAX_RECORDS): split the file"
            )

    def get(self, record: dict, name: str, kind: type | tuple[type, ...], default: object = MISSING) -> object:
        value = record.get(name, default)
        if value is MISSING:
            raise self.fail(f"missing field {name!r}")
        if value is default and default is not MISSING:
            return value
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.fail(f"field {name!r} must be {expected.replace('NoneType', 'null')}, not {value!r:.60}")
        return value

    def get_datetime(self, record: dict, name: str) -> datetime | None:
        value = self.get(record, name, (str, type(None)), None)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(f"field {name!r} is not an ISO 8601 date-time: {value!r:.60}") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # our exports always say Z

    # ---- records --------------------------------------------------------------------------------

    def document(self, record: dict) -> None:
        body = self.get(record, "body", str)
        digest = self.get(record, "sha256", str)
        if content_sha256(body) != digest:
            raise self.fail("the document body does not match its sha256 (was the file edited?)")
        if digest in self.documents:
            return
        existing = Document.objects.filter(project=self.project, content_sha256=digest).first()
        if existing is not None:
            self.documents[digest] = existing
            self.report.documents_matched += 1
            return
        try:
            outcome = services.document_import(
                project=self.project,
                title=self.get(record, "title", str),
                body=body,
                source_url=self.get(record, "source_url", str, ""),
                author=self.get(record, "author", str, ""),
                published_at=self.get_datetime(record, "published_at"),
                imported_by=self.imported_by,
                metadata=self.get(record, "metadata", dict, None),
            )
        except services.Invalid as exc:
            raise self.fail(f"document rejected: {exc}") from None
        if outcome.document.content_sha256 != digest:
            raise self.fail(
                "the document text changes when it is cleaned again, so its offsets would not match; "
                "import it with import_articles and annotate it afresh"
            )
        self.documents[digest] = outcome.document
        if outcome.created:
            self.report.documents_created += 1
        else:
            self.report.documents_matched += 1

    def find_document(self, reference: dict) -> Document:
        digest = self.get(reference, "sha256", str)
        document = self.documents.get(digest)
        if document is None:
            document = Document.objects.filter(project=self.project, content_sha256=digest).first()
            if document is None:
                raise self.fail(
                    f"document {digest[:12]}… is not in project {self.project.slug!r} and no document line "
                    "for it comes before this line"
                )
            self.documents[digest] = document
        return document

    def person(self, reference: object, name: str) -> tuple[AbstractBaseUser, str]:
        """(account, original author name) for a username in the file; see services/verdict_import.py."""
        if not isinstance(reference, dict):
            raise self.fail(f"field {name!r} must be an object with a username")
        username = self.get(reference, "username", str)
        if username not in self.people:
            self.people[username] = self._resolve(username)
        return self.people[username]

    def _resolve(self, username: str) -> tuple[AbstractBaseUser, str]:
        try:
            user, original, created = services.verdict_author(
                project=self.project, importer=self.imported_by, username=username, restore=self.restore
            )
        except ValidationError as exc:
            raise self.fail(f"invalid username {username!r}: {' '.join(exc.messages)}") from None
        except services.Invalid as exc:
            raise self.fail(str(exc)) from None
        if created:
            self.report.users_created.append(username)
        if original:
            self.report.authors_not_members.append(username)
        return user, original

    def annotation(self, record: dict) -> None:
        reference = self.get(record, "document", dict)
        document = self.find_document(reference)
        if record.get("anchor_state") == AnchorState.ORPHANED:
            self.report.orphans_not_imported += 1
            return
        author, original_author = self.person(record.get("author"), "author")
        if self.restore:  # an annotation that came from elsewhere keeps saying so
            original_author = self.get(record, "original_author", str, "")[:300]
        start, end = self.get(record, "start", int), self.get(record, "end", int)
        exact = self.get(self.get(record, "quote", dict), "exact", str)
        verdict = self.get(record, "verdict", str, "")
        rationale = self.get(record, "rationale", str, "")
        status = self.get(record, "status", str, AnnotationStatus.DRAFT.value)
        if status not in AnnotationStatus.values:
            raise self.fail(f"unknown status {status!r}; expected one of {', '.join(AnnotationStatus.values)}")
        version = self.get(record, "version", int, 1)
        if not 1 <= version <= MAX_VERSION:
            raise self.fail(f"version must be between 1 and {MAX_VERSION}, not {version}")
        evidence = []
        for item in self.get(record, "evidence", list, []):
            if not isinstance(item, dict):
                raise self.fail("every evidence item must be an object")
            added_by, _ = self.person(item.get("added_by", {"username": self._username(record)}), "added_by")
            fields = {
                "url": self.get(item, "url", str),
                "title": self.get(item, "title", str, ""),
                "quoted_passage": self.get(item, "quoted_passage", str, ""),
                "stance": self.get(item, "stance", str, "context"),
            }
            evidence.append((fields, added_by))
        claim_span = self.get(record, "claim", (dict, type(None)), None)

        duplicate = Annotation.objects.filter(
            document=document, author=author, start=start, end=end, verdict=verdict, rationale=rationale,
            original_author=original_author, pk__lte=self.existing_max_id,
        ).exists()  # fmt: skip
        if duplicate:
            self.report.annotations_skipped += 1
            return
        claim = None
        if claim_span is not None:
            claim = self.claim(document, self.get(claim_span, "start", int), self.get(claim_span, "end", int))
        try:
            annotation = services.annotation_import(
                document=document, author=author, original_author=original_author, start=start, end=end,
                quote=exact, verdict=verdict, rationale=rationale, claim=claim, evidence=evidence, status=status,
                version=version, importer=self.imported_by, source=self.source, restore=self.restore,
            )  # fmt: skip
        except services.Invalid as exc:
            raise self.fail(str(exc)) from None
        self.report.annotations_created += 1
        self.report.evidence_created += len(evidence)
        self.report.states_capped += annotation.status != status

    def _username(self, record: dict) -> str:
        author = record.get("author")
        return author.get("username") if isinstance(author, dict) else ""

    def claim(self, document: Document, start: int, end: int):
        try:
            validate_span(document.body, start, end)
        except SpanError as exc:
            raise self.fail(f"claim: {exc}") from None
        return services.claim_get_or_create_accepted(document=document, start=start, end=end)
