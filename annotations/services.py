"""Writes. Every function here is keyword-only, atomic and named <entity>_<action>."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.domain.boilerplate import strip_boilerplate
from annotations.domain.spans import SpanError, quote_selector, validate_span
from annotations.domain.text import content_sha256, normalize_line, normalize_text
from annotations.domain.verdicts import Verdict
from annotations.domain.workflow import WorkflowError, check_transition
from annotations.models import (
    Annotation,
    AnnotationStatus,
    AuditEvent,
    Claim,
    ClaimOrigin,
    ClaimState,
    Document,
    EvidenceLink,
    Membership,
    Project,
    ReviewAssignment,
    Role,
    SegmentationStatus,
    Stance,
)

logger = logging.getLogger(__name__)

TITLE_MAX = Document._meta.get_field("title").max_length
AUTHOR_MAX = Document._meta.get_field("author").max_length
_validate_url = URLValidator(schemes=["http", "https"])


def _clean_url(url: str, *, what: str, required: bool) -> str:
    """Strip and validate an http(s) URL; raise Rejected naming ``what`` otherwise."""
    url = (url or "").strip()
    if not url and not required:
        return ""
    try:
        _validate_url(url)
    except ValidationError:
        raise Rejected(f"{what} {url[:200]!r} is not a valid http(s) URL") from None
    return url


def _clean_stance(stance: str) -> str:
    if stance not in Stance.values:
        raise Rejected(f"unknown stance {stance!r}; expected one of {', '.join(Stance.values)}")
    return stance


class Rejected(ValueError):
    """Bad input; the message says why and is safe to show users (HTTP 400)."""


class Conflict(Exception):
    """The object changed since the caller read it (HTTP 409); ``current`` is what is stored now."""

    def __init__(self, message: str, current: object = None):
        super().__init__(message)
        self.current = current


class DocumentRejected(Rejected):
    """The input cannot become a document."""


@dataclass(frozen=True)
class ImportOutcome:
    document: Document
    created: bool  # False: the same content already exists in the project (``document`` is that one)


@transaction.atomic
def document_import(
    *,
    project: Project,
    title: str,
    body: str,
    source_url: str = "",
    author: str = "",
    published_at: datetime | None = None,
    imported_by: AbstractBaseUser | None = None,
    metadata: dict | None = None,
) -> ImportOutcome:
    """Clean and store one article, or return the existing document with the same content.

    The body is normalised (NFC, LF, trailing spaces) and stripped of scraper boilerplate;
    the removed text is kept in ``metadata["boilerplate"]``. Duplicates are detected by the
    SHA-256 of the cleaned body within the project.
    """
    title = normalize_line(title)
    if not title:
        raise DocumentRejected("title is empty")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    author = normalize_line(author)[:AUTHOR_MAX]
    source_url = _clean_url(source_url, what="source URL", required=False)
    cleaned = strip_boilerplate(normalize_text(body), title=title)
    if not cleaned.body.strip():
        raise DocumentRejected("body is empty after cleaning")
    digest = content_sha256(cleaned.body)
    existing = Document.objects.filter(project=project, content_sha256=digest).first()
    if existing:
        return ImportOutcome(document=existing, created=False)

    metadata = dict(metadata or {})
    if cleaned.head or cleaned.tail:
        metadata["boilerplate"] = {"head": cleaned.head, "tail": cleaned.tail, "rules": cleaned.rules}
    document = Document(
        project=project,
        title=title,
        body=cleaned.body,
        source_url=source_url,
        author=author,
        published_at=published_at,
        content_sha256=digest,
        metadata=metadata,
        imported_by=imported_by,
    )
    try:
        with transaction.atomic():  # savepoint: a concurrent import of the same content may win the race
            document.save()
    except IntegrityError:
        existing = Document.objects.filter(project=project, content_sha256=digest).first()
        if existing is None:
            raise
        return ImportOutcome(document=existing, created=False)
    _enqueue_segmentation_on_commit(document.pk)
    return ImportOutcome(document=document, created=True)


@transaction.atomic
def document_update(
    *,
    document: Document,
    title: str | None = None,
    source_url: str | None = None,
    author: str | None = None,
    published_at: datetime | None = ...,  # type: ignore[assignment]
) -> Document:
    """Change a document's metadata. Its text is fixed once imported (annotation offsets index into it)."""
    if title is not None:
        title = normalize_line(title)
        if not title:
            raise DocumentRejected("title is empty")
        document.title = title[:TITLE_MAX]
    if source_url is not None:
        document.source_url = _clean_url(source_url, what="source URL", required=False)
    if author is not None:
        document.author = normalize_line(author)[:AUTHOR_MAX]
    if published_at is not ...:
        document.published_at = published_at
    document.save()
    return document


@transaction.atomic
def project_create(*, name: str, slug: str) -> Project:
    project, _ = Project.objects.get_or_create(slug=slug, defaults={"name": name})
    return project


@transaction.atomic
def membership_set(*, project: Project, user: AbstractBaseUser, role: str = Role.REVIEWER) -> Membership:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


class AnnotationRejected(Rejected):
    """The annotation does not fit its document."""


@transaction.atomic
def annotation_create(
    *,
    document: Document,
    author: AbstractBaseUser,
    start: int,
    end: int,
    quote: str,
    verdict: str = "",
    rationale: str = "",
    claim: Claim | None = None,
    evidence: list[dict] | None = None,
) -> Annotation:
    """Highlight ``document.body[start:end]``. The quote must equal that text exactly (code points).
    Linking a candidate claim marks it accepted."""
    try:
        validate_span(document.body, start, end, quote)
    except SpanError as exc:
        raise AnnotationRejected(str(exc)) from None
    if verdict and verdict not in Verdict:
        raise AnnotationRejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict)}")
    if claim is not None and claim.document_id != document.pk:
        raise AnnotationRejected("the claim belongs to another document")
    selector = quote_selector(document.body, start, end)
    annotation = Annotation.objects.create(
        document=document,
        author=author,
        claim=claim,
        start=start,
        end=end,
        quote=selector.exact,
        prefix=selector.prefix,
        suffix=selector.suffix,
        verdict=verdict,
        rationale=rationale,
    )
    audit_record(annotation, AuditEvent.Action.CREATE, author, changes=_diff({}, _snapshot(annotation)))
    for item in evidence or []:
        evidence_add(annotation=annotation, user=author, **item)
    if claim is not None and claim.state != ClaimState.ACCEPTED:
        Claim.objects.filter(pk=claim.pk).update(state=ClaimState.ACCEPTED, updated_at=timezone.now())
    return annotation


EDITABLE_STATUSES = {AnnotationStatus.DRAFT, AnnotationStatus.CHANGES_REQUESTED, AnnotationStatus.SUBMITTED}


def _lock_for_author(*, annotation_id: int, user: AbstractBaseUser, version: int | None) -> Annotation:
    """Row-lock the annotation and check the caller may change it at ``version``."""
    annotation = Annotation.objects.select_for_update().select_related("document").get(pk=annotation_id)
    if annotation.author_id != user.pk:
        raise PermissionDenied("only the author can change this annotation")
    if version is not None and annotation.version != version:
        raise Conflict(
            f"this annotation was changed by someone else (you have version {version}, "
            f"the current version is {annotation.version}); reload it before saving",
            current=annotation,
        )
    if annotation.status not in EDITABLE_STATUSES:
        raise Conflict(f"a {annotation.get_status_display().lower()} annotation is locked", current=annotation)
    return annotation


@transaction.atomic
def annotation_update(
    *,
    annotation_id: int,
    user: AbstractBaseUser,
    version: int,
    verdict: str | None = None,
    rationale: str | None = None,
    span: tuple[int, int, str] | None = None,
) -> Annotation:
    """Change the author's own annotation if nobody changed it since ``version`` (optimistic lock)."""
    annotation = _lock_for_author(annotation_id=annotation_id, user=user, version=version)
    before = _snapshot(annotation)
    if verdict is not None:
        if verdict and verdict not in Verdict:
            raise AnnotationRejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict)}")
        annotation.verdict = verdict
    if rationale is not None:
        annotation.rationale = rationale
    if span is not None:
        start, end, exact = span
        try:
            validate_span(annotation.document.body, start, end, exact)
        except SpanError as exc:
            raise AnnotationRejected(str(exc)) from None
        selector = quote_selector(annotation.document.body, start, end)
        annotation.start, annotation.end = start, end
        annotation.quote, annotation.prefix, annotation.suffix = selector.exact, selector.prefix, selector.suffix
    changes = _diff(before, _snapshot(annotation))
    if not changes:
        return annotation
    annotation.version += 1
    annotation.save()
    audit_record(annotation, AuditEvent.Action.UPDATE, user, changes=changes)
    return annotation


@transaction.atomic
def annotation_delete(*, annotation_id: int, user: AbstractBaseUser, version: int | None) -> None:
    annotation = _lock_for_author(annotation_id=annotation_id, user=user, version=version)
    audit_record(annotation, AuditEvent.Action.DELETE, user, changes=_diff(_snapshot(annotation), {}))
    annotation.delete()


def annotation_submit(*, annotation_id: int, user: AbstractBaseUser, version: int | None = None) -> Annotation:
    """Send the author's draft (or an annotation sent back for changes) to the review queue."""
    annotation = Annotation.objects.get(pk=annotation_id)
    if annotation.status == AnnotationStatus.SUBMITTED and annotation.author_id == user.pk:
        return annotation  # submitting twice is harmless
    return annotation_transition(annotation_id=annotation_id, user=user, action="submit", version=version)


def annotations_submit_drafts(*, document: Document, user: AbstractBaseUser) -> int:
    """Submit all of the user's drafts with a verdict in ``document``; returns how many."""
    ids = list(
        Annotation.objects.filter(
            document=document, author=user, status__in=[AnnotationStatus.DRAFT, AnnotationStatus.CHANGES_REQUESTED]
        )
        .exclude(verdict="")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for annotation_id in ids:
            annotation_transition(annotation_id=annotation_id, user=user, action="submit")
    return len(ids)


def _touch(annotation_id: int) -> None:
    """Evidence changes make the annotation show up in incremental syncs."""
    Annotation.objects.filter(pk=annotation_id).update(updated_at=timezone.now())


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
    if annotation.author_id != user.pk:
        raise PermissionDenied("only the author can add evidence to this annotation")
    url = _clean_url(url, what="evidence URL", required=True)
    link = EvidenceLink.objects.create(
        annotation=annotation, url=url, title=normalize_line(title)[:500], quoted_passage=quoted_passage,
        stance=_clean_stance(stance), added_by=user,
    )  # fmt: skip
    _touch(annotation.pk)
    audit_record(annotation, AuditEvent.Action.CREATE, user, changes=_diff({}, _evidence_snapshot(link)), evidence=link)
    return link


@transaction.atomic
def evidence_update(*, evidence_id: int, user: AbstractBaseUser, **changes: str) -> EvidenceLink:
    link = EvidenceLink.objects.select_for_update().select_related("annotation__document").get(pk=evidence_id)
    if link.annotation.author_id != user.pk:
        raise PermissionDenied("only the author of the annotation can change its evidence")
    before = _evidence_snapshot(link)
    if "url" in changes:
        link.url = _clean_url(changes["url"], what="evidence URL", required=True)
    if "stance" in changes:
        link.stance = _clean_stance(changes["stance"])
    if "title" in changes:
        link.title = normalize_line(changes["title"])[:500]
    if "quoted_passage" in changes:
        link.quoted_passage = changes["quoted_passage"]
    link.save()
    _touch(link.annotation_id)
    if changes := _diff(before, _evidence_snapshot(link)):
        audit_record(link.annotation, AuditEvent.Action.UPDATE, user, changes=changes, evidence=link)
    return link


@transaction.atomic
def evidence_delete(*, evidence_id: int, user: AbstractBaseUser) -> None:
    link = EvidenceLink.objects.select_related("annotation__document").get(pk=evidence_id)
    if link.annotation.author_id != user.pk:
        raise PermissionDenied("only the author of the annotation can remove its evidence")
    audit_record(
        link.annotation, AuditEvent.Action.DELETE, user, changes=_diff(_evidence_snapshot(link), {}), evidence=link
    )
    link.delete()
    _touch(link.annotation_id)


@transaction.atomic
def claim_set_state(*, claim_id: int, state: str) -> Claim:
    """Accept or dismiss a candidate claim (any project member may)."""
    if state not in ClaimState.values:
        raise Rejected(f"unknown claim state {state!r}")
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    claim.state = state
    claim.save(update_fields=["state", "updated_at"])
    return claim


# ---- segmentation ---------------------------------------------------------------------------


def _enqueue_segmentation_on_commit(document_id: int) -> None:
    transaction.on_commit(lambda: segmentation_enqueue(document_id=document_id))


def segmentation_enqueue(*, document_id: int) -> bool:
    """Send the segmentation task; a broker outage is logged, never raised: the document stays
    pending and the sweeper (beat task / ``manage.py segment --pending``) enqueues it later."""
    from annotations.tasks import segment_document as segment_document_task

    try:
        segment_document_task.delay(document_id)
    except Exception as exc:  # kombu raises various connection errors; none may break an import
        logger.warning("could not enqueue segmentation of document %s (%s); it stays pending", document_id, exc)
        return False
    return True


@transaction.atomic
def document_request_segmentation(*, document_ids: list[int], enqueue: bool = True) -> int:
    """Mark documents for (re-)segmentation and (unless the caller runs them itself) enqueue them
    after commit. Documents being segmented right now are left alone."""
    ids = list(
        Document.objects.filter(pk__in=document_ids)
        .exclude(segmentation_status=SegmentationStatus.RUNNING)
        .values_list("pk", flat=True)
    )
    Document.objects.filter(pk__in=ids).update(
        segmentation_status=SegmentationStatus.PENDING, segmentation_error="", segmentation_started_at=None
    )
    if enqueue:
        for document_id in ids:
            _enqueue_segmentation_on_commit(document_id)
    return len(ids)


def documents_needing_segmentation(*, include_stale_running: bool = True) -> list[int]:
    """Ids of pending documents, plus running ones whose worker seems to have died."""
    condition = Q(segmentation_status=SegmentationStatus.PENDING)
    if include_stale_running:
        condition |= Q(segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at__lt=_stale_before())
    return list(Document.objects.filter(condition).order_by("pk").values_list("pk", flat=True))


def segmentation_sweep() -> int:
    """Enqueue every document left pending (e.g. the broker was down at import) or stuck running."""
    ids = documents_needing_segmentation()
    return sum(segmentation_enqueue(document_id=document_id) for document_id in ids)


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.SEGMENTATION_STALE_AFTER)


@dataclass(frozen=True)
class SegmentOutcome:
    status: str  # "done", "failed" or "skipped" (someone else has it, or nothing to do)
    created: int = 0
    removed: int = 0


def document_segment(*, document_id: int) -> SegmentOutcome:
    """Split a document into sentences, score them and store them as machine candidate claims.

    Safe to run twice and concurrently: the document is claimed with a conditional UPDATE
    (pending → running, or a running one older than SEGMENTATION_STALE_AFTER); a run that
    cannot claim it does nothing. Claims people made, accepted or dismissed, and claims an
    annotation points to, are never touched; the other machine candidates are replaced.
    """
    from annotations.domain.checkworthiness import load_default
    from annotations.domain.segmentation import SEGMENTER_VERSION, segment

    claimed_at = timezone.now()
    claimable = Q(segmentation_status=SegmentationStatus.PENDING) | Q(
        segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at__lt=_stale_before()
    )
    claimed = Document.objects.filter(claimable, pk=document_id).update(
        segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at=claimed_at, segmentation_error=""
    )
    if claimed != 1:
        return SegmentOutcome(status="skipped")
    ours = Document.objects.filter(
        pk=document_id, segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at=claimed_at
    )
    try:
        body = Document.objects.values_list("body", flat=True).get(pk=document_id)
        model = load_default()
        segments = [s for s in segment(body) if any(c.isalpha() for c in s.text)]
        scores = model.score([s.text for s in segments])
        with transaction.atomic():
            if not ours.select_for_update().exists():
                return SegmentOutcome(status="skipped")  # reclaimed by another run meanwhile
            removed, _ = (
                Claim.objects.filter(document_id=document_id, origin=ClaimOrigin.MACHINE, state=ClaimState.CANDIDATE)
                .filter(annotations__isnull=True)
                .delete()
            )
            kept = set(Claim.objects.filter(document_id=document_id).values_list("start", "end"))
            created = Claim.objects.bulk_create(
                [
                    Claim(document_id=document_id, start=s.start, end=s.end, text=s.text, score=round(score, 6))
                    for s, score in zip(segments, scores, strict=True)
                    if (s.start, s.end) not in kept  # a person's claim on the same span wins
                ],
                ignore_conflicts=True,
                batch_size=500,
            )
            ours.update(
                segmentation_status=SegmentationStatus.DONE,
                segmenter_version=f"{SEGMENTER_VERSION}+{model.version}",
            )
    except DatabaseError:
        # Transient database trouble: hand the document back so a retry can claim it again.
        ours.update(segmentation_status=SegmentationStatus.PENDING, segmentation_started_at=None)
        raise
    except Exception as exc:
        ours.update(segmentation_status=SegmentationStatus.FAILED, segmentation_error=f"{type(exc).__name__}: {exc}")
        logger.exception("segmentation of document %s failed", document_id)
        return SegmentOutcome(status="failed")
    return SegmentOutcome(status="done", created=len(created), removed=removed)


# ---- API tokens ------------------------------------------------------------------------------------


@transaction.atomic
def token_rotate(*, user: AbstractBaseUser) -> str:
    """Create the user's API token, replacing any previous one (which stops working at once)."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user).key


@transaction.atomic
def token_revoke(*, user: AbstractBaseUser) -> bool:
    from rest_framework.authtoken.models import Token

    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


# ---- review workflow ---------------------------------------------------------------------------------


def _role(user: AbstractBaseUser, project_id: int) -> str | None:
    return Membership.objects.filter(user=user, project_id=project_id).values_list("role", flat=True).first()


@transaction.atomic
def annotation_transition(
    *,
    annotation_id: int,
    user: AbstractBaseUser,
    action: str,
    comment: str = "",
    version: int | None = None,
    verdict: str | None = None,
    rationale: str | None = None,
) -> Annotation:
    """Move an annotation through the review workflow (state table: ``annotations/domain/workflow.py``).

    Reviewing is for editors/admins of the project, never on their own annotations; approving a verdict
    that disagrees with another reviewer's on the same claim needs a comment. ``correct`` (published
    only) replaces the verdict/rationale; the previous ones stay in the audit history.
    """
    from annotations.selectors import annotation_has_disagreement

    annotation = Annotation.objects.select_for_update().select_related("document").get(pk=annotation_id)
    if version is not None and annotation.version != version:
        raise Conflict(
            f"this annotation changed since you loaded it (version {version}, now {annotation.version})",
            current=annotation,
        )
    needs_comment = action == "approve" and annotation_has_disagreement(annotation)
    try:
        target = check_transition(
            action, annotation.status, role=_role(user, annotation.document.project_id),
            is_author=annotation.author_id == user.pk, comment=comment, needs_comment=needs_comment,
        )  # fmt: skip
    except WorkflowError as exc:
        if "only" in str(exc) or "nobody" in str(exc):
            raise PermissionDenied(str(exc)) from None
        raise Rejected(str(exc)) from None
    if action == "submit" and not annotation.verdict:
        raise Rejected("give the annotation a verdict before submitting it for review")
    before = _snapshot(annotation)
    if action == "correct":
        if verdict is None and rationale is None:
            raise Rejected("a correction needs a new verdict or rationale")
        if verdict is not None:
            if verdict not in Verdict:
                raise Rejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict)}")
            annotation.verdict = verdict
        if rationale is not None:
            annotation.rationale = rationale
    previous = annotation.status
    annotation.status = target
    annotation.version += 1
    annotation.save()
    changes = _diff(before, _snapshot(annotation))
    audit_record(annotation, AuditEvent.Action.TRANSITION, user, changes=changes, comment=comment.strip(),
           from_status=previous, to_status=target)  # fmt: skip
    return annotation


@transaction.atomic
def documents_assign(*, document_ids: list[int], reviewer: AbstractBaseUser, assigned_by: AbstractBaseUser) -> int:
    """Put documents in a reviewer's queue. The reviewer must belong to each document's project."""
    documents = list(Document.objects.filter(pk__in=document_ids))
    member_of = set(Membership.objects.filter(user=reviewer).values_list("project_id", flat=True))
    outside = [d for d in documents if d.project_id not in member_of]
    if outside:
        raise Rejected(f"{reviewer} is not a member of the project of: {', '.join(d.title for d in outside[:5])}")
    created = 0
    for document in documents:
        _, was_created = ReviewAssignment.objects.get_or_create(
            document=document, reviewer=reviewer, defaults={"assigned_by": assigned_by}
        )
        created += was_created
    return created


# ---- audit trail -------------------------------------------------------------------------------------

_AUDITED_FIELDS = ("start", "end", "quote", "verdict", "rationale", "status", "claim_id")


def _snapshot(annotation: Annotation) -> dict:
    return {field: getattr(annotation, field) for field in _AUDITED_FIELDS}


def _evidence_snapshot(link: EvidenceLink) -> dict:
    return {"url": link.url, "title": link.title, "quoted_passage": link.quoted_passage, "stance": link.stance}


def _diff(before: dict, after: dict) -> dict:
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
    return AuditEvent.objects.create(
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
