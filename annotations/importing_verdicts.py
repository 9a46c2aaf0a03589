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
* Annotations are written through ``services.annotation_create`` (which checks ``quote.exact ==
  body[start:end]``, the verdict and every evidence URL and stance), then their review status and
  version are restored. Ids and timestamps are new; everything else re-exports identically.
* People are matched by username. A username the site does not know becomes an **inactive** user with no
  usable password: authorship survives the trip, nobody can log in as that account until an admin
  activates it (and sets a password), and it is not made a member of any project.
* An annotation's claim is linked to the claim with the same span in the target document, or a
  person-made, accepted claim is created for it (machine segmentation never replaces those).
* An annotation that already existed in the project before this import (same document, author, span,
  verdict and rationale) is skipped, so importing the same file twice adds nothing.
* All or nothing: one transaction per file; the first bad line stops the import with
  ``FILE:LINE: reason`` and nothing is written.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from annotations import services
from annotations.domain.spans import SpanError, validate_span
from annotations.domain.text import content_sha256
from annotations.models import (
    Annotation,
    AnnotationStatus,
    AuditEvent,
    Claim,
    ClaimOrigin,
    ClaimState,
    Document,
    EvidenceLink,
    Project,
)

MISSING = object()


class VerdictImportError(services.Rejected):
    """A bad line (or file): the message names the file and line and is safe to show (HTTP 400)."""

    def __init__(self, source: str, line: int | None, reason: str):
        self.source, self.line, self.reason = source, line, reason
        super().__init__(f"{source}:{line}: {reason}" if line else f"{source}: {reason}")


@dataclass
class VerdictImportReport:
    documents_created: int = 0
    documents_matched: int = 0
    annotations_created: int = 0
    annotations_skipped: int = 0
    evidence_created: int = 0
    users_created: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "documents_created": self.documents_created,
            "documents_matched": self.documents_matched,
            "annotations_created": self.annotations_created,
            "annotations_skipped": self.annotations_skipped,
            "evidence_created": self.evidence_created,
            "users_created": self.users_created,
        }

    @property
    def summary(self) -> str:
        text = (
            f"{self.annotations_created} annotations imported ({self.evidence_created} evidence links), "
            f"{self.annotations_skipped} skipped (already present); documents: {self.documents_created} created, "
            f"{self.documents_matched} matched"
        )
        if self.users_created:
            text += f"; {len(self.users_created)} inactive user(s) created: {', '.join(self.users_created)}"
        return text


def import_verdict_lines(
    lines: Iterable[bytes | str],
    *,
    project: Project,
    source: str,
    imported_by: AbstractBaseUser | None = None,
) -> VerdictImportReport:
    """Import JSON Lines (bytes or str, one record per item; line numbers count from 1) into ``project``.
    All or nothing: raises VerdictImportError naming ``source`` and the line, and writes nothing."""
    importer = _Importer(project=project, source=source, imported_by=imported_by)
    with transaction.atomic():
        for number, raw in enumerate(lines, start=1):
            importer.line(number, raw)
    return importer.report


class _Importer:
    def __init__(self, *, project: Project, source: str, imported_by: AbstractBaseUser | None):
        self.project, self.source, self.imported_by = project, source, imported_by
        self.report = VerdictImportReport()
        self.documents: dict[str, Document] = {}  # sha256 → document of the target project
        self.users: dict[str, AbstractBaseUser] = {}
        self.number = 0
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
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise self.fail(f"malformed JSON line ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise self.fail("expected a JSON object")
        kind = record.get("type")
        if kind == "document":
            self.document(record)
        elif kind == "annotation":
            self.annotation(record)
        else:
            raise self.fail(f"unknown record type {kind!r}; expected 'document' or 'annotation' (a JSON Lines export)")

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
        except services.DocumentRejected as exc:
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

    def user(self, reference: object, name: str) -> AbstractBaseUser:
        if not isinstance(reference, dict):
            raise self.fail(f"field {name!r} must be an object with a username")
        username = self.get(reference, "username", str)
        user = self.users.get(username)
        if user is None:
            user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
            if user is None:
                try:
                    user = user_create_inactive(username=username)
                except ValidationError as exc:
                    raise self.fail(f"invalid username {username!r}: {' '.join(exc.messages)}") from None
                self.report.users_created.append(username)
            self.users[username] = user
        return user

    def annotation(self, record: dict) -> None:
        reference = self.get(record, "document", dict)
        document = self.find_document(reference)
        author = self.user(record.get("author"), "author")
        start, end = self.get(record, "start", int), self.get(record, "end", int)
        exact = self.get(self.get(record, "quote", dict), "exact", str)
        verdict = self.get(record, "verdict", str, "")
        rationale = self.get(record, "rationale", str, "")
        status = self.get(record, "status", str, AnnotationStatus.DRAFT)
        if status not in AnnotationStatus.values:
            raise self.fail(f"unknown status {status!r}; expected one of {', '.join(AnnotationStatus.values)}")
        version = self.get(record, "version", int, 1)
        if version < 1:
            raise self.fail(f"version must be at least 1, not {version}")
        evidence, added_by = [], []
        for item in self.get(record, "evidence", list, []):
            if not isinstance(item, dict):
                raise self.fail("every evidence item must be an object")
            evidence.append(
                {
                    "url": self.get(item, "url", str),
                    "title": self.get(item, "title", str, ""),
                    "quoted_passage": self.get(item, "quoted_passage", str, ""),
                    "stance": self.get(item, "stance", str, "context"),
                }
            )
            added_by.append(self.user(item.get("added_by", {"username": author.get_username()}), "added_by"))
        claim_span = self.get(record, "claim", (dict, type(None)), None)

        duplicate = Annotation.objects.filter(
            document=document, author=author, start=start, end=end, verdict=verdict, rationale=rationale,
            pk__lte=self.existing_max_id,
        ).exists()  # fmt: skip
        if duplicate:
            self.report.annotations_skipped += 1
            return
        claim = None
        if claim_span is not None:
            claim = self.claim(document, self.get(claim_span, "start", int), self.get(claim_span, "end", int))
        try:
            annotation = services.annotation_create(
                document=document, author=author, start=start, end=end, quote=exact, verdict=verdict,
                rationale=rationale, claim=claim, evidence=evidence,
            )  # fmt: skip
        except (services.Rejected, PermissionDenied) as exc:
            raise self.fail(str(exc)) from None
        annotation_restore_review_state(
            annotation=annotation, status=status, version=version, evidence_added_by=added_by,
            imported_by=self.imported_by, source=self.source,
        )  # fmt: skip
        self.report.annotations_created += 1
        self.report.evidence_created += len(evidence)

    def claim(self, document: Document, start: int, end: int) -> Claim:
        try:
            validate_span(document.body, start, end)
        except SpanError as exc:
            raise self.fail(f"claim: {exc}") from None
        claim = Claim.objects.filter(document=document, start=start, end=end).first()
        return claim or claim_create_for_import(document=document, start=start, end=end)


# ---- writes the import needs that services.py does not offer -------------------------------------


@transaction.atomic
def user_create_inactive(*, username: str) -> AbstractBaseUser:
    """A placeholder account for an imported author: inactive, no usable password, no memberships."""
    user_model = get_user_model()
    user = user_model(**{user_model.USERNAME_FIELD: username}, is_active=False)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def claim_create_for_import(*, document: Document, start: int, end: int) -> Claim:
    """The claim an imported annotation was linked to: person-made and accepted, so re-segmentation keeps it."""
    return Claim.objects.create(
        document=document, start=start, end=end, text=document.body[start:end], origin=ClaimOrigin.PERSON,
        state=ClaimState.ACCEPTED,
    )  # fmt: skip


@transaction.atomic
def annotation_restore_review_state(
    *,
    annotation: Annotation,
    status: str,
    version: int,
    evidence_added_by: list[AbstractBaseUser],
    imported_by: AbstractBaseUser | None = None,
    source: str = "",
) -> None:
    """Give a freshly imported annotation the status and version it had in the export, and its evidence
    the people who added it (``services.evidence_add`` records the annotation's author)."""
    if status not in AnnotationStatus.values:
        raise services.Rejected(f"unknown status {status!r}")
    if (annotation.status, annotation.version) != (status, version):
        previous = annotation.status
        Annotation.objects.filter(pk=annotation.pk).update(status=status, version=version)
        annotation.status, annotation.version = status, version
        if previous != status:  # the history says who imported the review state, and from where
            services.audit_record(
                annotation, AuditEvent.Action.TRANSITION, imported_by, changes={"status": [previous, status]},
                comment=f"imported from {source}" if source else "imported", from_status=previous, to_status=status,
            )  # fmt: skip
    if any(user.pk != annotation.author_id for user in evidence_added_by):
        links = list(annotation.evidence.order_by("added_at", "id").values_list("pk", flat=True))
        for pk, user in zip(links, evidence_added_by, strict=True):
            if user.pk != annotation.author_id:
                EvidenceLink.objects.filter(pk=pk).update(added_by=user)
