"""The review workflow (state table: ``domain/workflow.py``), its comment thread and review assignments."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations import access
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import REVIEWED_STATUSES, Role
from annotations.domain.workflow import TransitionConflict, check_transition
from annotations.models import Annotation, AuditEvent, Membership, ReviewAssignment
from annotations.services.anchoring import clear_text_change_flag
from annotations.services.audit import audit_desk, audit_record, diff, snapshot
from annotations.services.errors import Conflict, Forbidden, Invalid
from annotations.services.references import reference_enqueue


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
    supersede: bool = False,
) -> Annotation:
    """Move an annotation through the review workflow.

    Publishing a verdict that contradicts one already published on the same claim (the one rule of
    ``selectors.units_of``) is a Conflict unless the editor decides explicitly (``supersede``): this one wins and
    the other is retracted, "superseded by #N", in its history. ClaimReview then carries one rating per claim.

    Reviewing is for editors/admins of the desk, never on their own annotations; approving a verdict
    that disagrees with another reviewer's on the same claim needs a comment. ``correct`` (published
    only) replaces the verdict/rationale; the previous ones stay in the audit history. Errors are typed:
    NotFound (not the user's desk), Forbidden (role, four-eyes), Conflict (stale version, or not in a state
    the action starts from), Invalid (missing comment or verdict).
    """
    from annotations.selectors import annotation_has_disagreement

    annotation = access.annotation_for_user(user, annotation_id, for_update=True)
    if version is not None and annotation.version != version:
        raise Conflict(
            f"this annotation changed since you loaded it (version {version}, now {annotation.version})",
            current=annotation,
        )
    needs_comment = action == "approve" and annotation_has_disagreement(annotation)
    try:
        target = check_transition(
            action, annotation.status, role=access.role_in(user, annotation.document.project_id),
            is_author=access.is_author(user, annotation), comment=comment, needs_comment=needs_comment,
        )  # fmt: skip
    except TransitionConflict as exc:
        exc.current = annotation
        raise
    if action == "submit" and not annotation.verdict:
        raise Invalid("give the annotation a verdict before submitting it for review")
    before = snapshot(annotation)
    if action == "correct":
        if verdict is None and rationale is None:
            raise Invalid("a correction needs a new verdict or rationale")
        if verdict is not None:
            if verdict not in Verdict.values:
                raise Invalid(f"unknown verdict {verdict!r}; expected one of {', '.join(Verdict.values)}")
            annotation.verdict = verdict
        if rationale is not None:
            annotation.rationale = rationale
    if action in ("publish", "correct"):
        _settle_contradictions(annotation, verdict if verdict is not None else annotation.verdict, user, supersede)
    previous = annotation.status
    annotation.status = target
    annotation.version += 1
    # Submitting it again or reviewing it is the re-check a "text changed" flag asks for; asking for changes
    # hands the re-check to the author.
    recheck = clear_text_change_flag(annotation) if action != "request_changes" else {}
    annotation.save()
    changes = {**diff(before, snapshot(annotation)), **recheck}
    audit_record(annotation, AuditEvent.Action.TRANSITION, user, changes=changes, comment=comment.strip(),
                 from_status=previous, to_status=target)  # fmt: skip
    if REVIEWED_STATUSES & {previous, target}:  # the reference set ("Checked before?") follows, by the worker
        reference_enqueue(annotation.pk)
    _notify_transition(annotation, action, user, comment.strip())
    return annotation


def _notify_transition(annotation: Annotation, action: str, user: AbstractBaseUser, comment: str) -> None:
    from annotations.selectors import review_context
    from annotations.services.notifications import Kind, notify

    quote = f"“{annotation.quote[:100]}”"
    if action in ("request_changes", "reject"):
        kind = Kind.SENT_BACK if action == "request_changes" else Kind.REJECTED
        what = "asked for changes on" if action == "request_changes" else "rejected"
        notify([annotation.author], kind, actor=user, annotation=annotation,
               text=f"{user.get_username()} {what} your annotation {quote}: {comment}")  # fmt: skip
    elif action == "submit":
        context = review_context([annotation])[annotation.pk]
        if context["disagreement"]:
            peers = [p.author for p in context["peers"] if not p.original_author]
            notify(peers, Kind.DISAGREEMENT, actor=user, annotation=annotation,
                   text=f"{user.get_username()}'s verdict on {quote} disagrees with yours.")  # fmt: skip


@transaction.atomic
def documents_assign(*, document_ids: list[int], reviewer: AbstractBaseUser, assigned_by: AbstractBaseUser) -> int:
    """Put documents in a reviewer's queue. ``assigned_by`` must be an editor or admin of each document's
    desk, and the reviewer a member of it."""
    documents = list(access.documents_visible(assigned_by, need=Role.EDITOR).filter(pk__in=document_ids))
    if len(documents) != len(set(document_ids)):
        raise Invalid("you can only assign documents of desks where you are an editor or admin")
    member_of = set(Membership.objects.filter(user=reviewer).values_list("project_id", flat=True))
    outside = [d for d in documents if d.project_id not in member_of]
    if outside:
        raise Invalid(f"{reviewer} is not a member of the project of: {', '.join(d.title for d in outside[:5])}")
    created = 0
    for document in documents:
        assignment, was_created = ReviewAssignment.objects.get_or_create(
            document=document, reviewer=reviewer, defaults={"assigned_by": assigned_by}
        )
        if was_created:
            audit_desk(
                document.project_id, AuditEvent.ObjectType.ASSIGNMENT, assignment.pk, AuditEvent.Action.CREATE,
                assigned_by, changes={"reviewer": [None, reviewer.get_username()]}, document_id=document.pk,
            )  # fmt: skip
        created += was_created
        if was_created:
            from annotations.services.notifications import Kind, notify

            notify([reviewer], Kind.ASSIGNED, actor=assigned_by, document=document,
                   text=f"{assigned_by.get_username()} assigned you “{document.title[:100]}”.")  # fmt: skip
    return created


def _settle_contradictions(annotation: Annotation, verdict: str, user: AbstractBaseUser, supersede: bool) -> None:
    from annotations.domain.agreement import is_disagreement
    from annotations.domain.vocabulary import AnnotationStatus
    from annotations.selectors import published_on_same_claim

    rivals = [other for other in published_on_same_claim(annotation) if is_disagreement([verdict, other.verdict])]
    if not rivals:
        return
    if not supersede:
        names = "; ".join(f"#{o.pk} {Verdict(o.verdict).label}" for o in rivals)
        raise Conflict(f"a contradicting verdict on this claim is published ({names}): publish this one with "
                       "supersede to retract that one, or retract it first")  # fmt: skip
    for other in rivals:
        before = snapshot(other)
        other.status = AnnotationStatus.RETRACTED
        other.version += 1
        other.save(update_fields=["status", "version", "updated_at"])
        audit_record(other, AuditEvent.Action.TRANSITION, user, changes=diff(before, snapshot(other)),
                     comment=f"superseded by #{annotation.pk}", from_status=AnnotationStatus.PUBLISHED,
                     to_status=AnnotationStatus.RETRACTED)  # fmt: skip
        reference_enqueue(other.pk)


COMMENT_MAX = 5000


@transaction.atomic
def annotation_comment(*, annotation_id: int, user: AbstractBaseUser, text: str) -> AuditEvent:
    """A message on the annotation's review thread (where request-changes and reject comments land too): its
    author answers an editor, an editor explains. Other reviewers do not take part (blind review)."""
    annotation = access.annotation_for_user(user, annotation_id)
    if not (access.is_author(user, annotation) or access.can_review(user, annotation.document.project_id)):
        raise Forbidden("only the annotation's author and the desk's editors write on its review thread")
    text = str(text).replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("the message is empty")
    if "\x00" in text or len(text) > COMMENT_MAX:
        raise Invalid(f"a message has at most {COMMENT_MAX:,} characters and no NUL")
    event = audit_record(annotation, AuditEvent.Action.COMMENT, user, changes={}, comment=text)
    _notify_reply(annotation, user, text)
    return event


def _notify_reply(annotation: Annotation, user: AbstractBaseUser, text: str) -> None:
    """A reply reaches the other side of the thread: the author, and the editors who spoke on it."""
    from django.contrib.auth import get_user_model

    from annotations.services.notifications import Kind, notify

    speakers = set(AuditEvent.objects.filter(annotation_id=annotation.pk).exclude(comment="").values_list(
        "actor_id", flat=True))  # fmt: skip
    people = list(get_user_model().objects.filter(pk__in=speakers | {annotation.author_id}))
    notify(people, Kind.REPLY, actor=user, annotation=annotation,
           text=f"{user.get_username()} replied on “{annotation.quote[:100]}”: {text[:500]}")  # fmt: skip
