"""Writes. Every function here is keyword-only, atomic and named <entity>_<action>."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.domain.boilerplate import strip_boilerplate
from annotations.domain.spans import SpanError, quote_selector, validate_span
from annotations.domain.text import content_sha256, normalize_line, normalize_text
from annotations.domain.verdicts import Verdict
from annotations.models import (
    Annotation,
    Claim,
    ClaimOrigin,
    ClaimState,
    Document,
    Membership,
    Project,
    Role,
    SegmentationStatus,
)

logger = logging.getLogger(__name__)

TITLE_MAX = Document._meta.get_field("title").max_length
AUTHOR_MAX = Document._meta.get_field("author").max_length
_validate_url = URLValidator(schemes=["http", "https"])


class DocumentRejected(ValueError):
    """The input cannot become a document; the message says why (safe to show users)."""


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
    source_url = source_url.strip()
    if source_url:
        try:
            _validate_url(source_url)
        except ValidationError:
            raise DocumentRejected(f"source URL {source_url[:200]!r} is not a valid http(s) URL") from None

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
def project_create(*, name: str, slug: str) -> Project:
    project, _ = Project.objects.get_or_create(slug=slug, defaults={"name": name})
    return project


@transaction.atomic
def membership_set(*, project: Project, user: AbstractBaseUser, role: str = Role.REVIEWER) -> Membership:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


class AnnotationRejected(ValueError):
    """The annotation does not fit its document; the message says why (HTTP 400 material)."""


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
) -> Annotation:
    """Highlight ``document.body[start:end]``. The quote must equal that text exactly (code points)."""
    try:
        validate_span(document.body, start, end, quote)
    except SpanError as exc:
        raise AnnotationRejected(str(exc)) from None
    if verdict and verdict not in Verdict:
        raise AnnotationRejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict)}")
    if claim is not None and claim.document_id != document.pk:
        raise AnnotationRejected("the claim belongs to another document")
    selector = quote_selector(document.body, start, end)
    return Annotation.objects.create(
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
