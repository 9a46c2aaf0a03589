"""The audit trail: every service that changes an annotation, its evidence, a claim's state or a
document's metadata appends an AuditEvent here (who, when, field from → to, comment). Never edited."""

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from annotations.db import insert_models
from annotations.models import Annotation, AuditEvent, Claim, Document, EvidenceLink

AUDITED_FIELDS = ("start", "end", "quote", "verdict", "rationale", "status", "claim_id")
DOCUMENT_FIELDS = ("title", "source_url", "author", "published_at")


def snapshot(annotation: Annotation) -> dict:
    return {field: getattr(annotation, field) for field in AUDITED_FIELDS}


def evidence_snapshot(link: EvidenceLink) -> dict:
    return {"url": link.url, "title": link.title, "quoted_passage": link.quoted_passage, "stance": link.stance}


def document_snapshot(document: Document) -> dict:
    values = {field: getattr(document, field) for field in DOCUMENT_FIELDS}
    values["published_at"] = values["published_at"].isoformat() if values["published_at"] else None
    return values


def diff(before: dict, after: dict) -> dict:
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def audit_record(
    annotation: Annotation,
    action: str,
    actor: AbstractBaseUser | None,
    *,
    changes: dict,
    comment: str = "",
    from_status: str = "",
    to_status: str = "",
    evidence: EvidenceLink | None = None,
) -> AuditEvent:
    """An event about an annotation (or, with ``evidence``, one of its evidence links)."""
    event = annotation_event(annotation, action, actor, changes=changes, comment=comment, from_status=from_status,
                             to_status=to_status, evidence=evidence)  # fmt: skip
    insert_models(event)
    return event


def annotation_event(
    annotation: Annotation,
    action: str,
    actor: AbstractBaseUser | None,
    *,
    changes: dict,
    comment: str = "",
    from_status: str = "",
    to_status: str = "",
    evidence: EvidenceLink | None = None,
) -> AuditEvent:
    """``audit_record``'s event, not saved yet: for writers of many at once (``bulk_create``)."""
    return AuditEvent(
        project_id=annotation.document.project_id,
        document_id=annotation.document_id,
        annotation_id=annotation.pk,
        object_type=AuditEvent.ObjectType.EVIDENCE if evidence else AuditEvent.ObjectType.ANNOTATION,
        object_id=evidence.pk if evidence else annotation.pk,
        action=action,
        actor=actor,
        at=timezone.now(),
        changes=changes,
        comment=comment,
        from_status=from_status,
        to_status=to_status,
    )


def audit_document(document: Document, action: str, actor: AbstractBaseUser | None, *, changes: dict,
                   comment: str = "") -> AuditEvent:  # fmt: skip
    event = document_event(document, action, actor, changes=changes, comment=comment)
    event.save()
    return event


def document_event(document: Document, action: str, actor: AbstractBaseUser | None, *, changes: dict,
                   comment: str = "") -> AuditEvent:  # fmt: skip
    """``audit_document``'s event, not saved yet: for writers of many at once (``bulk_create``)."""
    return AuditEvent(
        project_id=document.project_id, document_id=document.pk, annotation_id=None,
        object_type=AuditEvent.ObjectType.DOCUMENT, object_id=document.pk, action=action, actor=actor,
        at=timezone.now(), changes=changes, comment=comment,
    )  # fmt: skip


def audit_desk(project_id: int, object_type: str, object_id: int, action: str, actor: AbstractBaseUser | None, *,
               changes: dict, document_id: int | None = None) -> AuditEvent:  # fmt: skip
    """An event about the desk itself, one of its memberships or review assignments."""
    return AuditEvent.objects.create(
        project_id=project_id, document_id=document_id, annotation_id=None, object_type=object_type,
        object_id=object_id, action=action, actor=actor, at=timezone.now(), changes=changes,
    )  # fmt: skip


def audit_claim(claim: Claim, project_id: int, actor: AbstractBaseUser | None, *, changes: dict) -> AuditEvent:
    event = claim_event(claim, project_id, actor, changes=changes)
    insert_models(event)
    return event


def claim_event(claim: Claim, project_id: int, actor: AbstractBaseUser | None, *, changes: dict,
                comment: str = "") -> AuditEvent:  # fmt: skip
    """``audit_claim``'s event, not saved yet."""
    return AuditEvent(
        project_id=project_id, document_id=claim.document_id, annotation_id=None,
        object_type=AuditEvent.ObjectType.CLAIM, object_id=claim.pk, action=AuditEvent.Action.UPDATE, actor=actor,
        at=timezone.now(), changes=changes, comment=comment,
    )  # fmt: skip
