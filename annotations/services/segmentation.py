"""Pre-segmentation: documents are split into scored candidate claims by a Celery task.

The task (``annotations.tasks.segment_document``) imports this module lazily; this module imports the task
at the top as ``segment_document_task`` (HackSoft's direction: services know tasks, tasks call services).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations import access
from annotations.domain.vocabulary import (
    AnchoringStatus,
    AnchorState,
    ClaimOrigin,
    ClaimState,
    Role,
    SegmentationStatus,
)
from annotations.models import Claim, Document
from annotations.tasks import segment_document as segment_document_task
from annotations.tasks import segment_documents as segment_documents_task

logger = logging.getLogger("annotations.services")


_BATCH: ContextVar["_Batch | None"] = ContextVar("segmentation_batch", default=None)


class _Batch(list):
    """Ids of committed documents waiting to be sent; sent every ``flush_every`` (0: only at the end)."""

    def __init__(self, flush_every: int):
        super().__init__()
        self.flush_every = flush_every

    def add(self, document_id: int) -> None:
        self.append(document_id)
        if self.flush_every and len(self) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        ids = list(self)
        self.clear()
        segmentation_enqueue_many(document_ids=ids)


def enqueue_segmentation_on_commit(document_id: int) -> None:
    """Send the document's segmentation once its transaction commits (inside ``segmentation_batch``: with the
    batch's other documents)."""
    batch = _BATCH.get()
    if batch is not None:
        transaction.on_commit(lambda: batch.add(document_id))  # only documents that were committed
        return
    transaction.on_commit(lambda: segmentation_enqueue(document_id=document_id))


@contextmanager
def segmentation_batch(*, flush_every: int = 0) -> Iterator[list[int]]:
    """Collect the segmentations that imports within ask for and send them over one broker connection per round
    — every ``flush_every`` documents (a long CLI import: the worker starts early), else all at the end (a bulk
    request) — instead of one connection checkout per article. Inside an outer transaction the last round is
    sent when it commits."""
    batch = _Batch(flush_every)
    token = _BATCH.set(batch)
    try:
        yield batch
    finally:
        _BATCH.reset(token)
        transaction.on_commit(batch.flush)  # at once outside a transaction


def segmentation_enqueue_many(*, document_ids: list[int], fan_out: bool = True) -> int:
    """Send the segmentation task of every document; a broker outage is logged, never raised (the documents not
    sent stay pending for the sweeper). With ``fan_out`` and more than one document, one message carries them all
    and the worker sends the per-document tasks (``segment_documents``). The number of messages sent."""
    sent = 0
    if not document_ids:
        return sent
    try:
        if fan_out and len(document_ids) > 1:
            segment_documents_task.delay(list(document_ids))
            return 1
        with segment_document_task.app.producer_or_acquire() as producer:
            for document_id in document_ids:
                segment_document_task.apply_async((document_id,), producer=producer)
                sent += 1
    except Exception as exc:  # kombu raises various connection errors; none may break an import
        left = len(document_ids) - sent
        logger.warning("could not enqueue the segmentation of %s documents (%s); they stay pending", left, exc)
    return sent


def segmentation_enqueue(*, document_id: int) -> bool:
    """Send the segmentation task; a broker outage is logged, never raised: the document stays
    pending and the sweeper (beat task / ``manage.py segment --pending``) enqueues it later."""
    try:
        segment_document_task.delay(document_id)
    except Exception as exc:  # kombu raises various connection errors; none may break an import
        logger.warning("could not enqueue segmentation of document %s (%s); it stays pending", document_id, exc)
        return False
    return True


@transaction.atomic
def document_request_segmentation(
    *, document_ids: list[int], enqueue: bool = True, user: AbstractBaseUser | None = None
) -> int:
    """Mark documents for (re-)segmentation and (unless the caller runs them itself) enqueue them
    after commit. Documents being segmented right now are left alone. With ``user``, only documents of
    desks where they are an editor or admin count (None: a command)."""
    documents = Document.objects.all() if user is None else access.documents_visible(user, need=Role.EDITOR)
    ids = list(
        documents.filter(pk__in=document_ids)
        .exclude(segmentation_status=SegmentationStatus.RUNNING)
        .values_list("pk", flat=True)
    )
    Document.objects.filter(pk__in=ids).update(
        segmentation_status=SegmentationStatus.PENDING, segmentation_error="", segmentation_started_at=None
    )
    if enqueue:
        for document_id in ids:
            enqueue_segmentation_on_commit(document_id)
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


def document_segment(*, document_id: int, task_id: str = "") -> SegmentOutcome:
    """Split a document into sentences, score them and store them as machine candidate claims.

    Safe to run twice and concurrently: the document is claimed with a conditional UPDATE
    (pending → running, or a running one older than SEGMENTATION_STALE_AFTER, or one held by this same
    ``task_id``: the broker redelivers a message whose worker was killed mid-run, and that redelivery
    takes the document back at once instead of waiting for the stale timeout); a run that cannot claim
    it does nothing. Claims people made, accepted or dismissed, and claims an
    annotation points to, are never touched; the other machine candidates are replaced.
    """
    from annotations.domain import claim_ranking
    from annotations.domain.checkworthiness import model_for
    from annotations.domain.segmentation import SEGMENTER_VERSION, segment

    claimed_at = timezone.now()
    running = Q(segmentation_status=SegmentationStatus.RUNNING)
    claimable = Q(segmentation_status=SegmentationStatus.PENDING) | (
        running & Q(segmentation_started_at__lt=_stale_before())
    )
    if task_id:
        claimable |= running & Q(segmentation_task_id=task_id)
    # While a new version's annotations and claims are being placed, the text's claims are not settled: the
    # re-anchoring asks for segmentation when it is done.
    settled = ~Q(anchoring_status__in=[AnchoringStatus.PENDING, AnchoringStatus.RUNNING])
    claimed = Document.objects.filter(claimable, settled, pk=document_id).update(
        segmentation_status=SegmentationStatus.RUNNING,
        segmentation_started_at=claimed_at,
        segmentation_task_id=task_id,
        segmentation_error="",
    )
    if claimed != 1:
        return SegmentOutcome(status="skipped")
    ours = Document.objects.filter(
        pk=document_id, segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at=claimed_at
    )
    try:
        body, version, title = Document.objects.values_list("body", "version", "title").get(pk=document_id)
        segments = [s for s in segment(body) if any(c.isalpha() for c in s.text)]
        model = model_for(len(segments))
        texts = [s.text for s in segments]
        # Article-shaped: boilerplate-like lines and repeats demoted, headline context (domain/claim_ranking.py).
        bullets = claim_ranking.in_bullet_items(body, [s.start for s in segments])
        scores = [r.score for r in claim_ranking.rank(texts, model.score(texts), title=title, bullets=bullets)]
        with transaction.atomic():
            if not ours.select_for_update().exists():
                return SegmentOutcome(status="skipped")  # reclaimed by another run meanwhile
            if ours.exclude(version=version).update(segmentation_status=SegmentationStatus.PENDING,
                                                    segmentation_started_at=None):  # fmt: skip
                # A new version of the text arrived while this one was being split: split it again (after its
                # re-anchoring, which asks for segmentation too: whichever comes second runs).
                enqueue_segmentation_on_commit(document_id)
                return SegmentOutcome(status="skipped")
            removed, _ = (
                Claim.objects.filter(document_id=document_id, origin=ClaimOrigin.MACHINE, state=ClaimState.CANDIDATE)
                .filter(annotations__isnull=True)
                .delete()
            )
            kept = set(Claim.objects.filter(document_id=document_id).exclude(anchor_state=AnchorState.ORPHANED)
                       .values_list("start", "end"))  # fmt: skip
            created = Claim.objects.bulk_create(
                [
                    Claim(
                        document_id=document_id,
                        document_version=version,
                        start=s.start,
                        end=s.end,
                        text=s.text,
                        score=score,
                    )
                    for s, score in zip(segments, scores, strict=True)
                    if (s.start, s.end) not in kept  # a person's claim on the same span wins
                ],
                ignore_conflicts=True,
                batch_size=500,
            )
            ours.update(
                segmentation_status=SegmentationStatus.DONE,
                segmenter_version=f"{SEGMENTER_VERSION}+{model.version}+{claim_ranking.RANKING_VERSION}",
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
