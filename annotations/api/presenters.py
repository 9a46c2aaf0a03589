"""One presenter per output shape of the API: plain dicts built straight from model rows.

Serializers (``serializers.py``) only validate input and describe these shapes for the OpenAPI schema;
``test_api`` checks each presenter's keys against its schema serializer. A serializer per row cost ~0.5 ms,
these ~20 µs (the annotate page loads thousands of annotations)."""

from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework.fields import DateTimeField
from rest_framework.settings import api_settings

from annotations import access, selectors
from annotations.api.offsets import OffsetConverters
from annotations.domain.history import describe
from annotations.domain.spans import OffsetConverter
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import EDITABLE_STATUSES, is_checkworthy
from annotations.models import (
    Annotation,
    AuditEvent,
    Claim,
    Document,
    DocumentVersion,
    EvidenceLink,
    Membership,
    Project,
    UrlImport,
)

_datetime = DateTimeField()
_ISO = (api_settings.DATETIME_FORMAT or "").lower() == ISO_8601


def stamp(value) -> str | None:
    """DRF's ``DateTimeField`` representation (ISO 8601 in the current time zone, ``Z`` for UTC), written out for
    the aware datetimes every row has: DRF's field walks its format and time-zone settings on each call, ~8 % of
    listing an article's annotations in a cProfile of that request. Anything else goes to DRF's field."""
    if value is None:
        return None
    if not _ISO or value.tzinfo is None:
        return _datetime.to_representation(value)
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def present_user(user) -> dict:
    return {"id": user.pk, "username": user.get_username()}


def present_project(project: Project, role) -> dict:
    """ProjectOut: a desk as the caller sees it, with their role."""
    return {"slug": project.slug, "name": project.name, "description": project.description,
            "guidelines": project.guidelines, "role": str(role)}  # fmt: skip


def present_member(membership: Membership, *, show_email: bool) -> dict:
    """MemberOut. E-mail addresses are for the desk's admins (who invite by them), not every member."""
    user = membership.user
    return {
        "user": present_user(user), "email": user.email if show_email else None, "role": membership.role,
        "joined_at": stamp(membership.created_at), "invitation_pending": not user.has_usable_password(),
    }  # fmt: skip


def present_evidence(link: EvidenceLink) -> dict:
    return {
        "id": link.pk, "url": link.url, "title": link.title, "quoted_passage": link.quoted_passage,
        "stance": link.stance, "added_by": present_user(link.added_by), "added_at": stamp(link.added_at),
        "link_check": None if not link.link_status else {
            "status": link.link_status, "http_status": link.link_http_status, "final_url": link.link_final_url,
            "title": link.link_title, "detail": link.link_detail, "checked_at": stamp(link.link_checked_at),
        },
    }  # fmt: skip


def present_url_import(job: UrlImport, page_url) -> dict:
    """UrlImportOut. ``page_url(document)`` links the imported (or already present) document's page."""
    document = job.document
    return {
        "id": job.pk, "url": job.url, "status": job.status, "error": job.error, "duplicate": job.duplicate,
        "document": None if document is None else {"id": document.pk, "title": document.title,
                                                   "url": page_url(document)},
        "created_at": stamp(job.created_at), "finished_at": stamp(job.finished_at),
    }  # fmt: skip


def present_annotation(
    annotation: Annotation, user, converters: OffsetConverters | None, *, evidence: list | None = None
) -> dict:
    """AnnotationOut. ``converters`` (``api.offsets``) turns offsets into UTF-16 units of the text they refer to
    (an orphan's: its older version's). ``evidence``: its links when the caller has them (default: fetched with
    the annotation, ``selectors.annotations_for_user``)."""
    start, end = annotation.start, annotation.end
    if converters is not None:
        converter = converters.for_version(annotation.document_id, annotation.document_version)
        start, end = converter.to_utf16(start), converter.to_utf16(end)
    return {
        "id": annotation.pk,
        "document": annotation.document_id,
        "author": present_user(annotation.author),
        "original_author": annotation.original_author,
        "claim": annotation.claim_id,
        "start": start,
        "end": end,
        "quote": {"exact": annotation.quote, "prefix": annotation.prefix, "suffix": annotation.suffix},
        "verdict": annotation.verdict,
        "verdict_label": Verdict(annotation.verdict).label if annotation.verdict else "",
        "rationale": annotation.rationale,
        "status": annotation.status,
        "version": annotation.version,
        "document_version": annotation.document_version,
        "anchor_state": annotation.anchor_state,
        "created_at": stamp(annotation.created_at),
        "updated_at": stamp(annotation.updated_at),
        "can_edit": access.can_edit_content(user, annotation) and annotation.status in EDITABLE_STATUSES,
        "evidence": [present_evidence(link) for link in (annotation.evidence.all() if evidence is None else evidence)],
        "reused_from": annotation.reused_from_id,
    }


def present_claim(claim: Claim, threshold: float, converter: OffsetConverter | None) -> dict:
    """ClaimOut. ``checkworthy`` is the SQL column of ``selectors.document_claims`` when present, else the
    same rule in Python."""
    start, end = claim.start, claim.end
    if converter is not None:
        start, end = converter.to_utf16(start), converter.to_utf16(end)
    checkworthy = getattr(claim, "checkworthy", None)
    if checkworthy is None:
        checkworthy = is_checkworthy(state=claim.state, score=claim.score, threshold=threshold)
    decided_by = claim.decided_by.get_username() if claim.decided_by_id and claim.decided_by else None
    return {
        "id": claim.pk, "document": claim.document_id, "start": start, "end": end, "text": claim.text,
        "score": claim.score, "origin": claim.origin, "state": claim.state, "checkworthy": bool(checkworthy),
        "anchor_state": claim.anchor_state,
        "occurrences": getattr(claim, "occurrences", 1), "decided_by": decided_by,
        "decided_at": stamp(claim.decided_at), "my_annotation": getattr(claim, "my_annotation", None),
    }  # fmt: skip


def present_document(document: Document, *, with_body: bool = True) -> dict:
    """DocumentOut (``with_body``) or DocumentSummaryOut (length from the SQL column ``body_length``)."""
    data = {
        "id": document.pk,
        "project": document.project.slug,
        "title": document.title,
        "source_url": document.source_url,
        "author": document.author,
        "published_at": stamp(document.published_at),
        "segmentation_status": document.segmentation_status,
        "segmenter_version": document.segmenter_version,
        "done_at": stamp(document.done_at),
        "imported_at": stamp(document.imported_at),
        "updated_at": stamp(document.updated_at),
        "version": document.version,
        "current_version": document.version,
        "anchoring_status": document.anchoring_status,
    }
    if with_body:
        data["body"] = document.body
        data["length"] = len(document.body)
        data["set_aside"] = set_aside_chars(document)
    else:
        data["length"] = document.body_length
    return data


def present_document_at(document: Document, version: DocumentVersion) -> dict:
    """DocumentOut with the text of one (perhaps older) version: ``version`` is that one's number."""
    data = present_document(document)
    body = version.body
    data.update(body=body, length=len(body), version=version.number)
    return data


def present_version(version: DocumentVersion, current: int) -> dict:
    """DocumentVersionOut: one stored text of a document (``length`` from the SQL column when present)."""
    length = getattr(version, "length", None)
    return {
        "number": version.number, "created_at": stamp(version.created_at), "reason": version.reason,
        "created_by": version.created_by.get_username() if version.created_by_id and version.created_by else None,
        "length": length if length is not None else len(version.body), "sha256": version.content_sha256,
        "current": version.number == current,
    }  # fmt: skip


def present_diff(document: Document, diff: dict) -> dict:
    """DocumentDiffOut: word-level operations from one version to another."""
    return {
        "document": document.pk, "from": diff["from"].number, "to": diff["to"].number, **diff["stats"],
        "ops": [{"op": op, "text": text} for op, text in diff["ops"]],
    }  # fmt: skip


def set_aside_chars(document: Document) -> int:
    """How many characters of the imported text the boilerplate rules set aside (kept in metadata)."""
    return selectors.set_aside(document)["chars"]


def present_upload_result(result, page_url) -> dict:
    """UploadResultOut: one article of an uploaded file. ``page_url(document)`` links its annotate page."""
    document = result.document
    return {
        "source": result.source, "status": result.status, "detail": result.detail,
        "document": None if document is None else {
            "id": document.pk, "title": document.title, "url": page_url(document), "length": len(document.body),
            "set_aside": set_aside_chars(document), "segmentation_status": document.segmentation_status,
        },
    }  # fmt: skip


def present_audit_event(event: AuditEvent) -> dict:
    return {
        "id": event.pk, "at": stamp(event.at), "actor": event.actor.get_username() if event.actor else None,
        "action": event.action, "object_type": event.object_type, "object_id": event.object_id,
        "annotation": event.annotation_id, "document": event.document_id, "from_status": event.from_status,
        "to_status": event.to_status, "changes": event.changes, "comment": event.comment,
        "summary": describe(event.action, event.object_type, event.changes, event.from_status, event.to_status),
    }  # fmt: skip


def present_thread_entry(event: AuditEvent) -> dict:
    """ThreadEntryOut: one message of an annotation's review thread (a review action's comment, or a reply)."""
    return {
        "id": event.pk, "at": stamp(event.at), "author": event.actor.get_username() if event.actor else None,
        "kind": "comment" if event.action == AuditEvent.Action.COMMENT else "review",
        "from_status": event.from_status, "to_status": event.to_status, "text": event.comment,
    }  # fmt: skip


def present_similar(match, *, for_project_id: int | None, annotation_url) -> dict:
    """SimilarOut: one already-checked claim a text matches (``similar.Match``). ``annotation_url(annotation)``
    links the verdict in its text; ``for_project_id``: the desk of what was matched (``same_desk``)."""
    row = match.reference
    annotation = row.annotation
    document = annotation.document if annotation is not None else None
    return {
        "id": row.pk, "score": match.score, "likely": match.likely, "duplicate": match.duplicate, "text": row.text,
        "source": row.source, "verdict": row.verdict,
        "verdict_label": Verdict(row.verdict).label if row.verdict else row.rating_label,
        "rationale": row.rationale, "status": row.status,
        "desk": {"slug": row.project.slug, "name": row.project.name},
        "same_desk": for_project_id is not None and row.project_id == for_project_id,
        "annotation": row.annotation_id,
        "document": None if document is None else {"id": document.pk, "title": document.title},
        "url": annotation_url(annotation) if annotation is not None else row.url,
        "publisher": row.publisher or (row.project.publisher_name or row.project.name if annotation else ""),
        "published_at": stamp(row.published_at),
    }  # fmt: skip
