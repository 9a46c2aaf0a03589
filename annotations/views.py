"""Server-rendered pages. Thin: selectors read, templates render (auto-escaped)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from annotations import access, selectors
from annotations.domain.spans import QUOTE_CONTEXT
from annotations.domain.verdicts import Verdict
from annotations.models import AnnotationStatus, Stance


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user).order_by("name")
    context = {"projects": projects, "can_create": access.can_create_projects(request.user)}
    return render(request, "annotations/project_list.html", context)


@login_required
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.project_for_user(request.user, slug)
    documents = selectors.document_list(project, threshold=selectors.checkworthy_threshold())
    return render(request, "annotations/document_list.html", {"project": project, "documents": documents})


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """The annotate page: the text as one node, candidate claims, and a JSON config for annotate.js."""
    document = access.document_for_user(request.user, document_id)
    order = "position" if request.GET.get("order") == "position" else "score"
    threshold = selectors.checkworthy_threshold()
    claims = selectors.document_claims(document, order=order, threshold=threshold)
    api_root = reverse("api-projects").removesuffix("projects/")  # "/api/v1/": every endpoint hangs off it
    verdicts = [
        {
            "value": v.value,
            "label": v.label,
            "key": "U" if v.rating is None else str(n),
            "altKeys": ["6"] if v.rating is None else [],
        }
        for n, v in enumerate(Verdict, start=1)
    ]
    config = {
        "documentId": document.pk,
        "user": {"id": request.user.pk, "username": request.user.get_username()},
        "verdicts": verdicts,
        "stances": [{"value": value, "label": label} for value, label in Stance.choices],
        "statuses": [{"value": value, "label": label} for value, label in AnnotationStatus.choices],
        "apiRoot": api_root,
        "pollMs": 5000,
        "pageSize": 2500,
        "quoteContext": QUOTE_CONTEXT,
        "csrfToken": get_token(request),  # also makes sure the csrftoken cookie is set
    }
    context = {
        "document": document,
        "claims": claims,
        "order": order,
        "threshold": threshold,
        "verdicts": verdicts,
        "annotate_config": config,
    }
    return render(request, "annotations/document_detail.html", context)
