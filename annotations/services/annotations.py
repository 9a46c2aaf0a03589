"""Annotations: create, change, move, delete and submit. Authors change their own annotations while they
are open (draft, submitted, changes requested); the optimistic lock (``version``) refuses lost updates."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotations import access
from annotations.db import insert_with_dependents
from annotations.domain.spans import SpanError, quote_selector, validate_span
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import EDITABLE_STATUSES, AnchorState, AnnotationStatus, ClaimState, Role
from annotations.models import Annotation, AuditEvent, Claim, Document
from annotations.services.audit import annotation_event, audit_record, claim_event, diff, snapshot
from annotations.services.claims import claim_of_document_locked, placed_claim_at
from annotations.services.errors import AnnotationRejected, Conflict, Forbidden


def check_verdict(verdict: str) -> str:
    if verdict and verdict not in Verdict.values:
        raise AnnotationRejected(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict.values)}")
    return verdict


def annotation_insert(
    *, document: Document, author: AbstractBaseUser, start: int, end: int, quote: str, verdict: str = "",
    rationale: str = "", claim: Claim | None = None, actor: AbstractBaseUser | None = None, comment: str = "",
    original_author: str = "", imported_by: AbstractBaseUser | None = None,
) -> Annotation:  # fmt: skip
    """Store a checked span and its create event (``actor`` did it, default the author). No access check:
    ``annotation_create`` and the verdict import call this after theirs."""
    try:
        validate_span(document.body, start, end, quote)
    except SpanError as exc:
        raise AnnotationRejected(str(exc)) from None
    check_verdict(verdict)
    if claim is not None and claim.document_id != document.pk:
        raise AnnotationRejected("the claim belongs to another document")
    selector = quote_selector(document.body, start, end)
    annotation = Annotation(
        document=document, author=author, claim=claim, start=start, end=end, quote=selector.exact,
        prefix=selector.prefix, suffix=selector.suffix, verdict=verdict, rationale=rationale,
        original_author=original_author, imported_by=imported_by, document_version=document.version,
    )  # fmt: skip
    created = annotation_event(annotation, AuditEvent.Action.CREATE, actor or author,
                               changes=diff({}, snapshot(annotation)), comment=comment)  # fmt: skip
    events = [(created, ("annotation_id", "object_id"))]  # the event takes the new annotation's id
    accept = None
    if claim is not None and claim.state != ClaimState.ACCEPTED:  # linking a candidate accepts it, audited
        now = timezone.now()
        accept = (Claim, claim.pk, {"state": ClaimState.ACCEPTED, "decided_by": actor or author, "decided_at": now,
                                    "updated_at": now})  # fmt: skip
        events.append((claim_event(claim, document.project_id, actor or author,
                                   changes={"state": [claim.state, ClaimState.ACCEPTED]}), ()))  # fmt: skip
    # The span, the claim's acceptance and both audit rows: one statement on PostgreSQL (a span write's hot path).
    insert_with_dependents(annotation, events, update=accept)
    return annotation


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
    """Highlight ``document.body[start:end]`` as ``author`` (a member of the document's desk). The quote must
    equal that text exactly (code points). Linking a candidate claim marks it accepted; a span that is exactly a
    candidate claim's is linked to it. One annotation per claim and author: a second is a Conflict whose
    ``current`` is the first (open it instead of making a duplicate)."""
    from annotations.services.evidence import evidence_add

    access.require_on(author, document, Role.REVIEWER)
    # The claim is row-locked by the query that finds it: two tabs at once, one waits, then sees the other's span.
    if claim is None:
        claim = placed_claim_at(document, start, end, author=author)
    else:
        claim = claim_of_document_locked(document, claim.pk, author=author)
        if claim is None:
            raise AnnotationRejected("the claim belongs to another document")
    if claim is not None:
        mine = claim._own_annotation  # the author's own annotation of it, read with the claim
        if mine is not None:
            raise Conflict(f"you have annotated this claim already (annotation #{mine}): open it instead",
                           current=Annotation.objects.get(pk=mine))  # fmt: skip
    annotation = annotation_insert(document=document, author=author, start=start, end=end, quote=quote,
                                   verdict=verdict, rationale=rationale, claim=claim)  # fmt: skip
    for item in evidence or []:
        evidence_add(annotation=annotation, user=author, **item)
    return annotation


def lock_for_author(
    *, annotation_id: int, user: AbstractBaseUser, version: int | None, deleting: bool = False
) -> Annotation:
    """Row-lock the annotation and check the caller may change it at ``version`` (inside a transaction).
    An imported verdict's words are not edited here; whoever holds it may still delete it while it is open."""
    annotation = access.annotation_for_user(user, annotation_id, for_update=True)
    if not (annotation.author_id == user.pk if deleting else access.can_edit_content(user, annotation)):
        if annotation.original_author and annotation.author_id == user.pk:
            raise Forbidden(f"this verdict was imported (originally by {annotation.original_author}): it is reviewed "
                            "here, not edited")  # fmt: skip
        raise Forbidden("only the author can change this annotation")
    if version is not None and annotation.version != version:
        raise Conflict(
            f"this annotation was changed by someone else (you have version {version}, "
            f"the current version is {annotation.version}); reload it before saving",
            current=annotation,
        )
    if annotation.status not in EDITABLE_STATUSES:
        label = AnnotationStatus(annotation.status).label.lower()
        raise Conflict(f"a {label} annotation is locked", current=annotation)
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
    annotation = lock_for_author(annotation_id=annotation_id, user=user, version=version)
    before = {**snapshot(annotation), "document_version": annotation.document_version,
              "anchor_state": annotation.anchor_state}  # fmt: skip
    if verdict is not None:
        annotation.verdict = check_verdict(verdict)
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
        # Its author put it on the current text: placed (an orphan no more) and re-checked.
        annotation.document_version, annotation.anchor_state = annotation.document.version, AnchorState.OK
    changes = diff(before, {**snapshot(annotation), "document_version": annotation.document_version,
                            "anchor_state": annotation.anchor_state})  # fmt: skip
    if not changes:
        return annotation
    annotation.version += 1
    annotation.save()
    audit_record(annotation, AuditEvent.Action.UPDATE, user, changes=changes)
    return annotation


@transaction.atomic
def annotation_delete(*, annotation_id: int, user: AbstractBaseUser, version: int | None) -> None:
    annotation = lock_for_author(annotation_id=annotation_id, user=user, version=version, deleting=True)
    audit_record(annotation, AuditEvent.Action.DELETE, user, changes=diff(snapshot(annotation), {}))
    annotation.delete()


def annotation_submit(*, annotation_id: int, user: AbstractBaseUser, version: int | None = None) -> Annotation:
    """Send the author's draft (or an annotation sent back for changes) to the review queue."""
    from annotations.services.review import annotation_transition

    annotation = access.annotation_for_user(user, annotation_id)
    if annotation.status == AnnotationStatus.SUBMITTED and annotation.author_id == user.pk:
        return annotation  # submitting twice is harmless
    return annotation_transition(annotation_id=annotation_id, user=user, action="submit", version=version)


def annotations_submit_drafts(*, document: Document, user: AbstractBaseUser) -> int:
    """Submit all of the user's drafts with a verdict in ``document``; returns how many."""
    from annotations.services.review import annotation_transition

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


def touch(annotation_id: int) -> None:
    """Evidence changes make the annotation show up in incremental syncs."""
    Annotation.objects.filter(pk=annotation_id).update(updated_at=timezone.now())
