"""The reference set ("Checked before?"): already-checked claims a new sentence is matched against.

Rows (``ReferenceClaim``) are written here only: by the worker after a review decision (``reference_sync``,
enqueued on commit with the annotation's id; safe to run twice), by the beat sweep for anything missed (broker
down), and by the ClaimReview import. A row is never edited: a changed verdict retires its row and writes a
new one, so the search index in each web process only appends (``annotations/similar.py``). Reusing a
verdict (``annotation_reuse``) copies it into a new draft through the annotation service and records its source.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from annotations import access
from annotations.domain.claimreviews import ClaimReviewError, ClaimReviewFileError, parse_claimreviews
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import REVIEWED_STATUSES, AnchorState, ReferenceSource, Role, Stance
from annotations.models import Annotation, AuditEvent, Claim, Document, Project, ReferenceClaim
from annotations.services.audit import audit_record
from annotations.services.errors import Invalid
from annotations.tasks import sync_reference as sync_reference_task

logger = logging.getLogger(__name__)


def _qualifies(annotation: Annotation | None) -> bool:
    return (
        annotation is not None and annotation.status in REVIEWED_STATUSES and bool(annotation.verdict)
        and annotation.anchor_state != AnchorState.ORPHANED
    )  # fmt: skip


@transaction.atomic
def reference_sync(*, annotation_id: int) -> str:
    """Make the reference set agree with one annotation: an approved or published verdict has one live row with
    its current quote, verdict and rationale; anything else has none. Returns what it did: ``created``,
    ``replaced``, ``retired`` or ``unchanged`` (a second run, or a duplicate delivery, changes nothing)."""
    # The annotation's row lock serialises two runs for the same annotation.
    annotation = (
        Annotation.objects.select_for_update(of=("self",)).select_related("document").filter(pk=annotation_id).first()
    )
    live = ReferenceClaim.objects.filter(annotation_id=annotation_id, retired_at__isnull=True).first()
    if not _qualifies(annotation):
        if live is None:
            return "unchanged"
        ReferenceClaim.objects.filter(pk=live.pk).update(retired_at=timezone.now())
        return "retired"
    wanted = {"text": annotation.quote, "verdict": annotation.verdict, "rationale": annotation.rationale,
              "status": annotation.status, "title": annotation.document.title[:500]}  # fmt: skip
    if live is not None and all(getattr(live, name) == value for name, value in wanted.items()):
        return "unchanged"
    if live is not None:
        ReferenceClaim.objects.filter(pk=live.pk).update(retired_at=timezone.now())
    ReferenceClaim.objects.create(
        project_id=annotation.document.project_id, source=ReferenceSource.VERDICT, annotation=annotation,
        rating_label=Verdict(annotation.verdict).label, published_at=annotation.updated_at, **wanted,
    )  # fmt: skip
    return "replaced" if live is not None else "created"


def reference_enqueue(annotation_id: int) -> None:
    """After the current transaction commits, have the worker bring the annotation's reference row up to date.
    A broker outage is logged, never raised: the beat sweep (``references_sweep``) catches up."""

    def send() -> None:
        try:
            sync_reference_task.delay(annotation_id)
        except Exception as exc:  # kombu raises various connection errors; none may break a review
            logger.warning("could not enqueue the reference sync of annotation %s (%s); the sweep will", annotation_id,
                           exc)  # fmt: skip

    transaction.on_commit(send)


def references_sweep(*, limit: int = 500) -> int:
    """Periodic (beat): reviewed verdicts with no live row, or a stale one, and live rows whose verdict no longer
    qualifies, are synced (in the worker running the sweep). Returns how many were looked at."""
    live_same = ReferenceClaim.objects.filter(
        annotation=OuterRef("pk"), retired_at__isnull=True, text=OuterRef("quote"), verdict=OuterRef("verdict"),
        status=OuterRef("status"), rationale=OuterRef("rationale"),
    )  # fmt: skip
    missing = (
        Annotation.objects.filter(status__in=REVIEWED_STATUSES).exclude(verdict="")
        .exclude(anchor_state=AnchorState.ORPHANED).filter(~Exists(live_same)).values_list("pk", flat=True)[:limit]
    )  # fmt: skip
    qualifying = (
        Q(annotation__status__in=REVIEWED_STATUSES)
        & ~Q(annotation__verdict="")
        & ~Q(annotation__anchor_state=AnchorState.ORPHANED)
    )
    stale = (
        ReferenceClaim.objects.filter(retired_at__isnull=True, annotation__isnull=False).exclude(qualifying)
        .values_list("annotation_id", flat=True)[:limit]
    )  # fmt: skip
    ids = sorted(set(missing) | set(stale))
    for annotation_id in ids:
        reference_sync(annotation_id=annotation_id)
    return len(ids)


# ---- ClaimReview import ----------------------------------------------------------------------------------


@dataclass
class ClaimReviewImportReport:
    imported: int = 0
    duplicates: int = 0
    failed: int = 0
    results: list[dict] = field(default_factory=list)  # {"item", "status", "detail", "reference"}


def claimreviews_import(*, project: Project, user: AbstractBaseUser | None, data: bytes | str,
                        source: str = "") -> ClaimReviewImportReport:  # fmt: skip
    """Read schema.org ClaimReview JSON-LD (``domain.claimreviews``: our export or a public feed) into the desk's
    reference set, deduplicated by URL within the desk (a URL seen before, in the file or the desk, is a
    duplicate). Each item is its own transaction and a bad item is one error naming its position; a file that
    is not ClaimReview at all is Invalid. ``user`` must be an editor or admin of the desk (None: a command)."""
    if user is not None:
        access.require(user, project, Role.EDITOR)
    try:
        items = parse_claimreviews(data)
    except ClaimReviewFileError as exc:
        raise Invalid(f"{source or 'file'}: {exc}") from None
    report = ClaimReviewImportReport()
    seen: set[str] = set()
    for item in items:
        if isinstance(item, ClaimReviewError):
            report.failed += 1
            report.results.append({"item": item.position, "status": "failed", "detail": item.reason, "reference": None})
            continue
        existing = ReferenceClaim.objects.filter(project=project, source=ReferenceSource.CLAIMREVIEW,
                                                 url=item.url).values_list("pk", flat=True).first()  # fmt: skip
        if item.url in seen or existing is not None:
            report.duplicates += 1
            report.results.append({"item": item.position, "status": "duplicate",
                                   "detail": f"{item.url} is in the desk already", "reference": existing})  # fmt: skip
            continue
        try:
            with transaction.atomic():
                row = ReferenceClaim.objects.create(
                    project=project, source=ReferenceSource.CLAIMREVIEW, text=item.text, title=item.title,
                    verdict=item.verdict, rating_label=item.rating_label, rationale=item.rationale, url=item.url,
                    publisher=item.publisher, published_at=item.published_at, imported_by=user,
                )  # fmt: skip
        except IntegrityError:  # a concurrent import of the same URL won the race
            report.duplicates += 1
            report.results.append({"item": item.position, "status": "duplicate",
                                   "detail": f"{item.url} is in the desk already", "reference": None})  # fmt: skip
            continue
        seen.add(item.url)
        report.imported += 1
        report.results.append({"item": item.position, "status": "imported", "detail": "", "reference": row.pk})
    logger.info("ClaimReview import into %s (%s): %s imported, %s duplicates, %s failed", project.slug, source,
                report.imported, report.duplicates, report.failed)  # fmt: skip
    return report


# ---- reuse -------------------------------------------------------------------------------------------------


@transaction.atomic
def annotation_reuse(
    *, reference_id: int, user: AbstractBaseUser, document: Document, start: int, end: int, quote: str,
    claim: Claim | None = None,
) -> Annotation:  # fmt: skip
    """A new draft of ``document[start:end]`` by ``user`` that starts from an already-checked claim: its verdict,
    rationale and evidence copied (an imported fact-check's page becomes an evidence link), and the source
    recorded (``reused_from``, and in the history). The draft is the user's to check and submit like any other;
    the same rules as ``annotation_create`` apply (one annotation per claim and author, the quote must match)."""
    from annotations.services.annotations import annotation_create

    reference = access.reference_for_user(user, reference_id)
    if not reference.verdict:
        raise Invalid("this fact-check's rating is not on our scale: annotate the claim yourself")
    evidence = []
    if reference.annotation_id is not None:
        for link in reference.annotation.evidence.all():
            evidence.append({"url": link.url, "title": link.title, "quoted_passage": link.quoted_passage,
                             "stance": link.stance})  # fmt: skip
    elif reference.url:
        title = f"Fact-check{f' by {reference.publisher}' if reference.publisher else ''}: {reference.rating_label}"
        evidence.append({"url": reference.url, "title": title[:500], "quoted_passage": reference.text[:2000],
                         "stance": Stance.CONTEXT})  # fmt: skip
    annotation = annotation_create(document=document, author=user, start=start, end=end, quote=quote,
                                   verdict=reference.verdict, rationale=reference.rationale, claim=claim,
                                   evidence=evidence)  # fmt: skip
    Annotation.objects.filter(pk=annotation.pk).update(reused_from=reference)
    annotation.reused_from = reference
    where = f"annotation #{reference.annotation_id}" if reference.annotation_id else reference.url
    audit_record(annotation, AuditEvent.Action.UPDATE, user, changes={"reused_from": [None, reference.pk]},
                 comment=f"verdict reused from {where} ({reference.project.name})")  # fmt: skip
    return annotation
