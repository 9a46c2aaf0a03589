"""Evidence links of an annotation: only its author adds, changes or removes them."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations import access
from annotations.domain.text import normalize_line
from annotations.domain.vocabulary import EDITABLE_STATUSES, AnnotationStatus, Role, Stance
from annotations.models import Annotation, AuditEvent, EvidenceLink
from annotations.services.annotations import touch
from annotations.services.audit import audit_record, diff, evidence_snapshot
from annotations.services.errors import Conflict, Forbidden
from annotations.services.validation import clean_stance, clean_url
from annotations.services.web import evidence_link_check_enqueue


def _lock(annotation_id: int) -> Annotation:
    """The annotation, row-locked, so its state cannot change between the check and the write."""
    return Annotation.objects.select_for_update(of=("self",)).select_related("document").get(pk=annotation_id)


def _check_author(annotation: Annotation, user: AbstractBaseUser, what: str) -> None:
    """The author changes the evidence while the annotation is open; a reviewed one is locked (a published
    verdict's evidence changes only through a correction)."""
    if not access.can_edit_content(user, annotation):
        raise Forbidden(f"only the author of the annotation can {what}")
    if annotation.status not in EDITABLE_STATUSES:
        label = AnnotationStatus(annotation.status).label.lower()
        raise Conflict(f"a {label} annotation is locked: its evidence cannot change", current=annotation)


@transaction.atomic
def evidence_add(
    *,
    annotation: Annotation,
    user: AbstractBaseUser,
    url: str,
    title: str = "",
    quoted_passage: str = "",
    stance: str = Stance.CONTEXT,
) -> EvidenceLink:
    access.require(user, annotation.document.project_id, Role.REVIEWER)
    annotation = _lock(annotation.pk)
    _check_author(annotation, user, "add evidence to it")
    link = evidence_insert(annotation=annotation, added_by=user, url=url, title=title, quoted_passage=quoted_passage,
                           stance=stance)  # fmt: skip
    evidence_link_check_enqueue(link)
    return link


def evidence_insert(
    *, annotation: Annotation, added_by: AbstractBaseUser, url: str, title: str = "", quoted_passage: str = "",
    stance: str = Stance.CONTEXT, actor: AbstractBaseUser | None = None, comment: str = "",
) -> EvidenceLink:  # fmt: skip
    """Store a checked link and its create event (``actor`` did it, default ``added_by``). No access check:
    ``evidence_add`` and the verdict import call this after theirs."""
    url = clean_url(url, what="evidence URL", required=True)
    link = EvidenceLink.objects.create(
        annotation=annotation, url=url, title=normalize_line(title)[:500], quoted_passage=quoted_passage,
        stance=clean_stance(stance), added_by=added_by,
    )  # fmt: skip
    touch(annotation.pk)
    audit_record(annotation, AuditEvent.Action.CREATE, actor or added_by, changes=diff({}, evidence_snapshot(link)),
                 evidence=link, comment=comment)  # fmt: skip
    return link


@transaction.atomic
def evidence_update(*, evidence_id: int, user: AbstractBaseUser, **changes: str) -> EvidenceLink:
    access.evidence_for_user(user, evidence_id)  # 404 for outsiders
    link = EvidenceLink.objects.select_for_update().get(pk=evidence_id)
    link.annotation = _lock(link.annotation_id)
    _check_author(link.annotation, user, "change its evidence")
    before = evidence_snapshot(link)
    if "url" in changes:
        url = clean_url(changes["url"], what="evidence URL", required=True)
        if url != link.url:  # a new address: what the old one answered says nothing about it
            link.link_status, link.link_http_status, link.link_checked_at = "", None, None
            link.link_final_url = link.link_title = link.link_detail = link.link_snapshot = ""
            evidence_link_check_enqueue(link)  # after commit
        link.url = url
    if "stance" in changes:
        link.stance = clean_stance(changes["stance"])
    if "title" in changes:
        link.title = normalize_line(changes["title"])[:500]
    if "quoted_passage" in changes:
        link.quoted_passage = changes["quoted_passage"]
    link.save()
    touch(link.annotation_id)
    if changes := diff(before, evidence_snapshot(link)):
        audit_record(link.annotation, AuditEvent.Action.UPDATE, user, changes=changes, evidence=link)
    return link


@transaction.atomic
def evidence_delete(*, evidence_id: int, user: AbstractBaseUser) -> None:
    link = access.evidence_for_user(user, evidence_id)
    link.annotation = _lock(link.annotation_id)
    _check_author(link.annotation, user, "remove its evidence")
    audit_record(
        link.annotation, AuditEvent.Action.DELETE, user, changes=diff(evidence_snapshot(link), {}), evidence=link
    )
    link.delete()
    touch(link.annotation_id)
