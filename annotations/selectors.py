"""Reads. Permission scoping and prefetching live here; views never build querysets."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.http import Http404

from annotations.models import Annotation, Claim, ClaimState, Document, EvidenceLink, Membership, Project


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
