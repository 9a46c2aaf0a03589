"""Reads. Permission scoping and prefetching live here; views never build querysets."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.http import Http404

from annotations.models import (
    Annotation,
    AuditEvent,
    Claim,
    ClaimState,
    Document,
    EvidenceLink,
    Membership,
    Project,
    ReviewAssignment,
)


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    """Projects the user is a member of, with their document counts."""
    if not user.is_authenticated:
        return Project.objects.none()
    return Project.objects.filter(memberships__user=user).annotate(document_count=Count("documents", distinct=True))


def project_for_user(user: AbstractBaseUser, slug: str) -> Project:
    """The project with ``slug`` if the user belongs to it; 404 otherwise (outsiders learn nothing)."""
    project = projects_for_user(user).filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    return project


def documents_for_user(user: AbstractBaseUser) -> QuerySet[Document]:
    """The one permission accessor for documents: only documents of the user's projects."""
    if not user.is_authenticated:
        return Document.objects.none()
    return Document.objects.filter(project__memberships__user=user)


def document_for_user(user: AbstractBaseUser, document_id: int) -> Document:
    document = documents_for_user(user).select_related("project").filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document.")
    return document


def checkworthy_q(threshold: float, prefix: str = "") -> Q:
    """Claims worth a reviewer's look: accepted, or undecided candidates scoring at least ``threshold``."""
    return Q(**{f"{prefix}state": ClaimState.ACCEPTED}) | Q(
        **{f"{prefix}state": ClaimState.CANDIDATE, f"{prefix}score__gte": threshold}
    )


def document_list_annotations(threshold: float) -> dict:
    """SQL-computed columns of document lists: length and the number of check-worthy claims."""
    return {
        "body_length": Length("body"),
        "claim_count": Count("claims", filter=checkworthy_q(threshold, prefix="claims__")),
    }


def document_list(project: Project, *, threshold: float) -> QuerySet[Document]:
    """Documents of a project for list pages: length and claim counts computed in SQL, body not loaded."""
    return (
        Document.objects.filter(project=project)
        .defer("body", "metadata")
        .annotate(**document_list_annotations(threshold))
    )


def document_claims(document: Document, *, order: str = "score", include_dismissed: bool = False) -> QuerySet[Claim]:
    """Candidate claims of a document, best first (``order="score"``) or in reading order."""
    ordering = ["start", "end"] if order == "position" else [F("score").desc(nulls_last=True), "start"]
    claims = document.claims.all() if include_dismissed else document.claims.exclude(state=ClaimState.DISMISSED)
    return claims.order_by(*ordering)


def health_summary() -> dict:
    from django.db import connection

    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "documents": Document.objects.count(),
    }


def annotations_for_user(user: AbstractBaseUser) -> QuerySet[Annotation]:
    """Annotations of the user's projects, with what the API shows (author, evidence) fetched up front."""
    if not user.is_authenticated:
        return Annotation.objects.none()
    return (
        Annotation.objects.filter(document__project__memberships__user=user)
        .select_related("author")
        .prefetch_related(Prefetch("evidence", queryset=EvidenceLink.objects.select_related("added_by")))
    )


def claims_for_user(user: AbstractBaseUser) -> QuerySet[Claim]:
    if not user.is_authenticated:
        return Claim.objects.none()
    return Claim.objects.filter(document__project__memberships__user=user)


def evidence_for_user(user: AbstractBaseUser) -> QuerySet[EvidenceLink]:
    if not user.is_authenticated:
        return EvidenceLink.objects.none()
    return EvidenceLink.objects.filter(annotation__document__project__memberships__user=user).select_related("added_by")


def memberships_for_user(user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("project").order_by("project__name")


# ---- review & agreement ------------------------------------------------------------------------------

JUDGED_STATUSES = ("submitted", "approved", "changes_requested", "published")


def _judged(document_ids) -> list[Annotation]:
    return list(
        Annotation.objects.filter(document_id__in=document_ids, status__in=JUDGED_STATUSES)
        .exclude(verdict="")
        .select_related("author")
        .only("id", "document_id", "author_id", "author__username", "claim_id", "start", "end", "verdict")
    )


def units_of(annotations: list[Annotation]) -> dict[int, tuple]:
    """Which annotations judge the same thing: the same Claim, or spans overlapping ≥ 50 %."""
    from annotations.domain.agreement import group_spans

    units: dict[int, tuple] = {}
    loose: dict[int, list[tuple[int, int, int]]] = {}
    for a in annotations:
        if a.claim_id:
            units[a.pk] = ("claim", a.claim_id)
        else:
            loose.setdefault(a.document_id, []).append((a.pk, a.start, a.end))
    for document_id, spans in loose.items():
        for pk, unit in group_spans(spans).items():
            units[pk] = ("span", document_id, unit)
    return units


def review_context(annotations: list[Annotation]) -> dict[int, dict]:
    """For each annotation: how many independent verdicts judge the same unit, and whether they disagree.
    Two queries whatever the number of annotations (used by the review queue page)."""
    from annotations.domain.agreement import is_disagreement

    judged = _judged({a.document_id for a in annotations})
    by_id = {a.pk: a for a in judged}
    for a in annotations:  # the annotations asked about count even if not judged yet
        by_id.setdefault(a.pk, a)
    units = units_of(list(by_id.values()))
    members: dict[tuple, list[Annotation]] = {}
    for pk, unit in units.items():
        members.setdefault(unit, []).append(by_id[pk])
    context = {}
    for a in annotations:
        peers = [p for p in members.get(units.get(a.pk), []) if p.author_id != a.author_id and p.verdict]
        verdicts = [a.verdict, *(p.verdict for p in peers)] if a.verdict else [p.verdict for p in peers]
        context[a.pk] = {
            "independent": len({p.author_id for p in peers}),
            "disagreement": bool(peers) and is_disagreement(verdicts),
            "peers": peers,
        }
    return context


def annotation_has_disagreement(annotation: Annotation) -> bool:
    return review_context([annotation])[annotation.pk]["disagreement"]


def agreement_report(project: Project) -> dict:
    """Agreement statistics over every unit judged by two or more reviewers in the project."""
    from annotations.domain.agreement import Judgement, project_report

    judged = _judged(Document.objects.filter(project=project).values("pk"))
    units = units_of(judged)
    usernames = dict(Membership.objects.filter(project=project).values_list("user_id", "user__username"))
    judgements = [Judgement(unit=units[a.pk], rater=usernames.get(a.author_id, str(a.author_id)), verdict=a.verdict)
                  for a in judged]  # fmt: skip
    return project_report(judgements)


def review_queue(user: AbstractBaseUser) -> QuerySet[Annotation]:
    """Submitted annotations of the projects where the user is an editor or admin (never their own)."""
    return (
        Annotation.objects.filter(
            status="submitted",
            document__project__memberships__user=user,
            document__project__memberships__role__in=["editor", "admin"],
        )
        .exclude(author=user)
        .select_related("document", "author")
    )


def my_queue(user: AbstractBaseUser) -> dict:
    """A reviewer's work: documents assigned to them and their annotations sent back for changes."""
    return {
        "assignments": ReviewAssignment.objects.filter(
            reviewer=user, document__project__memberships__user=user
        ).select_related("document", "document__project", "assigned_by"),
        "changes_requested": Annotation.objects.filter(author=user, status="changes_requested").select_related(
            "document"
        ),
    }


def corrections_feed(project: Project) -> QuerySet:
    return AuditEvent.objects.filter(project=project).select_related("actor")


def deletions_since(user: AbstractBaseUser, since) -> QuerySet:
    """Annotation deletions after ``since`` in the user's projects (for incremental sync)."""
    return AuditEvent.objects.filter(
        object_type="annotation", action="delete", at__gt=since, project__memberships__user=user
    ).order_by("at", "id")
