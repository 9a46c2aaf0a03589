"""Versions of a document's text, and re-anchoring everything on the new one.

A corrected article becomes a new ``DocumentVersion`` (``document_new_version``): ``Document.body`` and
``content_sha256`` become its text, the old texts stay readable, and after commit a task
(``annotations.tasks.reanchor_document``) runs ``document_reanchor``: every annotation and every claim a
person made, decided or annotated is placed on the new text with ``domain/anchoring.anchor_detail``.

* **moved** (or left where it was): new offsets and context, ``document_version`` = the new number,
  ``anchor_state`` ok; the audit trail records from → to and the version;
* **changed** (placed, but its quoted words changed): the same, with the new words as its quote, flagged
  ``changed`` ("text changed — re-check"); a verdict waiting for review or approved goes back to its
  author as "changes requested" (``domain/workflow.status_after_text_change``), who is notified;
* **orphaned** (could not be placed with confidence): it keeps the offsets, quote and ``document_version``
  of the text it was made on and is never drawn on the new one; the annotate page lists it ("N annotations
  could not be placed") until someone places it by hand (``annotation_place``). Each later version tries
  it again.

Machine candidate claims nobody touched are not moved: they are deleted and the re-segmentation the task
requests at the end makes the new text's candidates (keeping people's claims, as ``document_segment``
always does). The task imports this module lazily; this module imports the task at the top as
``reanchor_document_task`` (services know tasks, tasks call services).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotations import access
from annotations.domain.anchoring import anchor_detail
from annotations.domain.boilerplate import CleanedText
from annotations.domain.spans import SpanError, quote_selector, validate_span
from annotations.domain.text import content_sha256
from annotations.domain.vocabulary import AnchoringStatus, AnchorState, ClaimOrigin, ClaimState
from annotations.domain.workflow import status_after_text_change
from annotations.models import Annotation, AuditEvent, Claim, Document, DocumentVersion
from annotations.services.audit import annotation_event, audit_document, audit_record, claim_event, diff, snapshot
from annotations.services.errors import AnnotationRejected, Conflict, DocumentRejected, Forbidden
from annotations.tasks import reanchor_document as reanchor_document_task

logger = logging.getLogger("annotations.services")
REASON_MAX = DocumentVersion._meta.get_field("reason").max_length


@dataclass(frozen=True)
class VersionOutcome:
    document: Document
    created: bool  # False: the text is the current version's already, nothing was stored
    version: int  # the document's current version number


def document_new_version(
    *, document: Document, body: str, user: AbstractBaseUser | None, reason: str = ""
) -> VersionOutcome:
    """Store ``body`` as the next version of ``document`` (editors and admins of its desk; None: a command).

    The text is cleaned as an import cleans it (``document_prepare``: NFC, boilerplate, HTML pages reduced
    to their article). The same cleaned text as the current version stores nothing (``created`` False); a
    text that is another document of the desk is a Conflict. Re-anchoring runs after commit."""
    from annotations.services.documents import document_prepare  # documents imports this module at its top

    if user is not None and not access.can_edit_document(user, document.project_id):
        raise Forbidden("a new version of a document's text needs an editor or admin of the desk")
    prepared = document_prepare(title=document.title, body=body)
    return version_store(document=document, cleaned=prepared.cleaned, user=user, reason=reason)


@transaction.atomic
def version_store(
    *, document: Document, cleaned: CleanedText, user: AbstractBaseUser | None, reason: str = ""
) -> VersionOutcome:
    """``document_new_version`` once the text is cleaned and the caller's rights checked (``document_import``
    calls this for a re-import of the same source URL)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    digest = content_sha256(cleaned.body)
    if digest == document.content_sha256:
        return VersionOutcome(document=document, created=False, version=document.version)
    other = Document.objects.filter(project_id=document.project_id, content_sha256=digest).exclude(pk=document.pk)
    if (other_id := other.values_list("pk", flat=True).first()) is not None:
        raise Conflict(f"this text is already document #{other_id} of the desk")
    reason = " ".join(str(reason).split())[:REASON_MAX]
    if "\x00" in reason:
        raise DocumentRejected("the reason must not contain NUL characters")
    previous = document.version
    # Documents made without a version row (bulk benchmarks) get their current text recorded first.
    DocumentVersion.objects.get_or_create(
        document=document, number=previous,
        defaults={"body": document.body, "content_sha256": document.content_sha256, "created_at": document.imported_at,
                  "created_by": document.imported_by, "reason": "imported"},
    )  # fmt: skip
    number = previous + 1
    DocumentVersion.objects.create(document=document, number=number, body=cleaned.body, content_sha256=digest,
                                   created_by=user, reason=reason)  # fmt: skip
    changes = {"version": [previous, number], "content_sha256": [document.content_sha256, digest],
               "length": [len(document.body), len(cleaned.body)]}  # fmt: skip
    metadata = dict(document.metadata or {})
    metadata.pop("boilerplate", None)
    if cleaned.head or cleaned.tail:
        metadata["boilerplate"] = {"head": cleaned.head, "tail": cleaned.tail, "rules": cleaned.rules}
    document.body, document.content_sha256, document.version, document.metadata = (
        cleaned.body, digest, number, metadata
    )  # fmt: skip
    document.anchoring_status, document.anchoring_error = AnchoringStatus.PENDING, ""
    document.anchoring_started_at = None
    if document.done_at is not None:  # a new text is not checked yet
        changes["done"] = [True, False]
        document.done_at, document.done_by = None, None
    try:
        with transaction.atomic():  # savepoint: the same text may have been imported as a document meanwhile
            document.save(update_fields=["body", "content_sha256", "version", "metadata", "anchoring_status",
                                         "anchoring_error", "anchoring_started_at", "done_at", "done_by",
                                         "updated_at"])  # fmt: skip
    except IntegrityError:
        raise Conflict("this text was just imported as another document of the desk") from None
    audit_document(document, AuditEvent.Action.UPDATE, user, changes=changes,
                   comment=f"version {number}" + (f": {reason}" if reason else ""))  # fmt: skip
    document_id = document.pk
    transaction.on_commit(lambda: reanchoring_enqueue(document_id=document_id, version=number))
    return VersionOutcome(document=document, created=True, version=number)


def reanchoring_enqueue(*, document_id: int, version: int) -> bool:
    """Send the re-anchoring task; a broker outage is logged, never raised: the document stays pending and
    the sweeper sends it later (as for segmentation)."""
    try:
        reanchor_document_task.delay(document_id, version)
    except Exception as exc:  # kombu raises various connection errors; none may break the new version
        logger.warning("could not enqueue re-anchoring of document %s (%s); it stays pending", document_id, exc)
        return False
    return True


def reanchoring_sweep() -> int:
    """Enqueue every document whose re-anchoring is pending, or running for too long (a dead worker)."""
    stale = timezone.now() - timedelta(seconds=settings.SEGMENTATION_STALE_AFTER)
    rows = Document.objects.filter(
        Q(anchoring_status=AnchoringStatus.PENDING)
        | Q(anchoring_status=AnchoringStatus.RUNNING, anchoring_started_at__lt=stale)
    ).values_list("pk", "version")
    return sum(reanchoring_enqueue(document_id=pk, version=version) for pk, version in rows)


@dataclass(frozen=True)
class ReanchorOutcome:
    status: str  # "done", "failed" or "skipped" (another run has it, or a newer version came)
    placed: int = 0
    changed: int = 0
    orphaned: int = 0
    claims_placed: int = 0
    claims_orphaned: int = 0


def document_reanchor(*, document_id: int, version: int, task_id: str = "") -> ReanchorOutcome:
    """Place the document's annotations and claims on ``version`` (its current text), then ask for its
    re-segmentation. Safe to run twice and concurrently: the document is claimed with a conditional UPDATE
    (pending → running at this very version, or a stale running one), the work is one transaction with the
    document row locked, and only annotations and claims whose ``document_version`` is older than
    ``version`` are looked at, so a second run finds nothing to do. A run for a version that is no longer
    current does nothing (the newer version's run places everything, from wherever it stands).

    ``task_id``: a message whose worker was killed mid-run is redelivered with the same id, and that run
    takes the document back at once instead of waiting for the stale timeout (as segmentation does)."""
    claimed_at = timezone.now()
    stale = claimed_at - timedelta(seconds=settings.SEGMENTATION_STALE_AFTER)
    running = Q(anchoring_status=AnchoringStatus.RUNNING)
    claimable = Q(anchoring_status=AnchoringStatus.PENDING) | (running & Q(anchoring_started_at__lt=stale))
    if task_id:
        claimable |= running & Q(anchoring_task_id=task_id)
    claimed = Document.objects.filter(claimable, pk=document_id, version=version).update(
        anchoring_status=AnchoringStatus.RUNNING,
        anchoring_started_at=claimed_at,
        anchoring_task_id=task_id,
        anchoring_error="",
    )
    if claimed != 1:
        return ReanchorOutcome(status="skipped")
    ours = Document.objects.filter(pk=document_id, version=version, anchoring_status=AnchoringStatus.RUNNING,
                                   anchoring_started_at=claimed_at)  # fmt: skip
    try:
        with transaction.atomic():
            document = ours.select_for_update(of=("self",)).select_related("project").first()
            if document is None:
                return ReanchorOutcome(status="skipped")  # a newer version, or reclaimed meanwhile
            outcome = _reanchor(document)
            ours.update(anchoring_status=AnchoringStatus.DONE)
            from annotations.services.segmentation import document_request_segmentation

            document_request_segmentation(document_ids=[document_id])  # enqueued after commit
    except DatabaseError:
        # Transient database trouble: hand the document back so a retry can claim it again.
        ours.update(anchoring_status=AnchoringStatus.PENDING, anchoring_started_at=None)
        raise
    except Exception as exc:
        ours.update(anchoring_status=AnchoringStatus.FAILED, anchoring_error=f"{type(exc).__name__}: {exc}"[:2000])
        logger.exception("re-anchoring of document %s failed", document_id)
        return ReanchorOutcome(status="failed")
    return outcome


def _anchored_snapshot(item) -> dict:
    values = snapshot(item) if isinstance(item, Annotation) else {"start": item.start, "end": item.end,
                                                                   "text": item.text}  # fmt: skip
    return {**values, "document_version": item.document_version, "anchor_state": item.anchor_state}


def _reanchor(document: Document) -> ReanchorOutcome:
    body, version, now = document.body, document.version, timezone.now()
    annotations = list(
        Annotation.objects.select_for_update(of=("self",)).select_related("author")
        .filter(document=document, document_version__lt=version).order_by("pk")
    )  # fmt: skip
    events, sent_back, changed_rows = [], [], []
    counts = {"placed": 0, "changed": 0, "orphaned": 0}
    for annotation in annotations:
        annotation.document = document  # the events and notifications read its desk
        before = _anchored_snapshot(annotation)
        was_flagged = annotation.anchor_state != AnchorState.OK
        found = anchor_detail(body, exact=annotation.quote, prefix=annotation.prefix, suffix=annotation.suffix,
                              start=annotation.start)  # fmt: skip
        if found is None:
            annotation.anchor_state = AnchorState.ORPHANED
            comment = f"could not be placed on version {version}: its words are not in the new text"
            counts["orphaned"] += 1
        else:
            selector = quote_selector(body, found.start, found.end)
            annotation.start, annotation.end = found.start, found.end
            annotation.quote, annotation.prefix, annotation.suffix = selector.exact, selector.prefix, selector.suffix
            annotation.document_version = version
            # Still flagged until someone re-checks it, even if this version has its words verbatim again.
            still_changed = annotation.anchor_state == AnchorState.CHANGED
            changed = found.quote_changed or still_changed
            annotation.anchor_state = AnchorState.CHANGED if changed else AnchorState.OK
            counts["changed" if changed else "placed"] += 1
            if found.quote_changed:
                comment = f"the quoted words changed in version {version}: re-check the verdict"
            else:
                comment = f"placed on version {version} ({found.method}, score {found.score:.2f})"
        from_status = annotation.status
        if annotation.anchor_state != AnchorState.OK and not was_flagged:
            annotation.status = status_after_text_change(annotation.status)
        after = _anchored_snapshot(annotation)
        changes = diff(before, after)
        if not changes:
            continue  # an orphan again: nothing new to record
        annotation.version += 1
        annotation.updated_at = now  # incremental syncs see the move
        changed_rows.append(annotation)
        moved = annotation.status != from_status
        events.append(annotation_event(
            annotation, AuditEvent.Action.TRANSITION if moved else AuditEvent.Action.UPDATE, None, changes=changes,
            comment=comment, from_status=from_status if moved else "", to_status=annotation.status if moved else "",
        ))  # fmt: skip
        if moved:
            sent_back.append(annotation)
    Annotation.objects.bulk_update(
        changed_rows,
        ["start", "end", "quote", "prefix", "suffix", "document_version", "anchor_state", "status", "version",
         "updated_at"],
        batch_size=500,
    )  # fmt: skip
    claims_placed, claims_orphaned = _reanchor_claims(document, events, now)
    AuditEvent.objects.bulk_create(events, batch_size=500)
    _notify_sent_back(document, sent_back, version)
    return ReanchorOutcome(status="done", claims_placed=claims_placed, claims_orphaned=claims_orphaned, **counts)


def _reanchor_claims(document: Document, events: list[AuditEvent], now: datetime) -> tuple[int, int]:
    """People's claims (made, accepted or dismissed by someone, or annotated) are placed like annotations, their
    context taken from the text they were made on; untouched machine candidates make way for re-segmentation."""
    version, body = document.version, document.body
    stale = Claim.objects.select_for_update(of=("self",)).filter(document=document, document_version__lt=version)
    untouched = Q(origin=ClaimOrigin.MACHINE, state=ClaimState.CANDIDATE, annotations__isnull=True)
    Claim.objects.filter(pk__in=stale.filter(untouched).values("pk")).delete()
    kept = list(stale.exclude(untouched).order_by("pk"))
    if not kept:
        return 0, 0
    texts = dict(
        DocumentVersion.objects.filter(document=document, number__in={c.document_version for c in kept})
        .values_list("number", "body")
    )  # fmt: skip
    # Out of the unique span index while they move (an orphan's span is not reserved), so that two claims
    # trading places never collide half-way.
    Claim.objects.filter(pk__in=[c.pk for c in kept]).update(anchor_state=AnchorState.ORPHANED)
    taken = set(Claim.objects.filter(document=document).exclude(anchor_state=AnchorState.ORPHANED)
                .values_list("start", "end"))  # fmt: skip
    placed = orphaned = 0
    for claim in kept:
        before = _anchored_snapshot(claim)
        old_text = texts.get(claim.document_version, "")
        prefix = suffix = ""
        if old_text[claim.start : claim.end] == claim.text:
            selector = quote_selector(old_text, claim.start, claim.end)
            prefix, suffix = selector.prefix, selector.suffix
        found = anchor_detail(body, exact=claim.text, prefix=prefix, suffix=suffix, start=claim.start)
        if found is not None and (found.start, found.end) not in taken:
            claim.start, claim.end, claim.text = found.start, found.end, body[found.start : found.end]
            claim.document_version = version
            claim.anchor_state = AnchorState.CHANGED if found.quote_changed else AnchorState.OK
            taken.add((found.start, found.end))
            placed += 1
        else:
            claim.anchor_state = AnchorState.ORPHANED
            orphaned += 1
        claim.updated_at = now
        changes = diff(before, _anchored_snapshot(claim))
        if changes:
            events.append(claim_event(claim, document.project_id, None, changes=changes,
                                      comment=f"re-anchored on version {version}"))  # fmt: skip
    Claim.objects.bulk_update(kept, ["start", "end", "text", "document_version", "anchor_state", "updated_at"],
                              batch_size=500)  # fmt: skip
    return placed, orphaned


def _notify_sent_back(document: Document, annotations: list[Annotation], version: int) -> None:
    from annotations.services.notifications import Kind, notify

    for annotation in annotations:
        what = "could not be placed on" if annotation.anchor_state == AnchorState.ORPHANED else "changed words in"
        notify([annotation.author], Kind.SENT_BACK, actor=None, annotation=annotation,
               text=f"“{document.title[:80]}” has a new version ({version}); your annotation "
                    f"“{annotation.quote[:100]}” {what} it: re-check it and submit it again.")  # fmt: skip


@transaction.atomic
def annotation_place(*, annotation_id: int, user: AbstractBaseUser, start: int, end: int, exact: str) -> Annotation:
    """Place an annotation by hand on the current text: an orphan re-anchoring could not place, or one whose
    words changed. Its author (while it is theirs to edit) or an editor of the desk. The quote must equal
    ``body[start:end]``; the audit trail records from → to and the version. Placed on the same words it
    quoted, it is in order again; on other words it stays flagged "changed" for the review to re-check."""
    annotation = access.annotation_for_user(user, annotation_id, for_update=True)
    document = Document.objects.get(pk=annotation.document_id)
    annotation.document = document
    if not access.can_place_annotation(user, annotation):
        raise Forbidden("only its author (while it is open) or an editor of the desk places an annotation")
    if document.anchoring_status in (AnchoringStatus.PENDING, AnchoringStatus.RUNNING):
        raise Conflict("the annotations are being placed on the new version right now; try again in a moment")
    try:
        validate_span(document.body, start, end, exact)
    except SpanError as exc:
        raise AnnotationRejected(str(exc)) from None
    before = _anchored_snapshot(annotation)
    old_quote = annotation.quote
    selector = quote_selector(document.body, start, end)
    annotation.start, annotation.end = start, end
    annotation.quote, annotation.prefix, annotation.suffix = selector.exact, selector.prefix, selector.suffix
    annotation.document_version = document.version
    annotation.anchor_state = AnchorState.OK if selector.exact == old_quote else AnchorState.CHANGED
    changes = diff(before, _anchored_snapshot(annotation))
    if not changes:
        return annotation
    annotation.version += 1
    annotation.save()
    audit_record(annotation, AuditEvent.Action.UPDATE, user, changes=changes,
                 comment=f"placed by hand on version {document.version}")  # fmt: skip
    return annotation


def clear_text_change_flag(annotation: Annotation) -> dict:
    """Someone re-checked an annotation flagged "changed" (its author submitted it again, an editor reviewed
    it): the flag goes; returns the change for the audit trail (empty if there was none)."""
    if annotation.anchor_state != AnchorState.CHANGED:
        return {}
    annotation.anchor_state = AnchorState.OK
    return {"anchor_state": [AnchorState.CHANGED.value, AnchorState.OK.value]}
