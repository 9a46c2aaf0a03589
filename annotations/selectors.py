"""Reads. Permission scoping and prefetching live here; views never build querysets."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Length
from django.http import Http404

from annotations.models import Claim, ClaimState, Document, Project


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


def document_list(project: Project, *, threshold: float) -> QuerySet[Document]:
    """Documents of a project for list pages: length and claim counts computed in SQL, body not loaded."""
    return (
        Document.objects.filter(project=project)
        .defer("body", "metadata")
        .annotate(
            body_length=Length("body"),
            claim_count=Count("claims", filter=checkworthy_q(threshold, prefix="claims__")),
        )
    )


def document_claims(document: Document, *, order: str = "score") -> QuerySet[Claim]:
    """Candidate claims of a document, best first (``order="score"``) or in reading order."""
    ordering = ["start", "end"] if order == "position" else [F("score").desc(nulls_last=True), "start"]
    return document.claims.exclude(state=ClaimState.DISMISSED).order_by(*ordering)


def health_summary() -> dict:
    from django.db import connection

    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "documents": Document.objects.count(),
    }
