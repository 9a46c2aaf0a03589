"""Server-rendered pages. Thin: selectors read, templates render (auto-escaped)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import selectors
from annotations.domain.checkworthiness import load_default as load_checkworthiness


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user).order_by("name")
    return render(request, "annotations/project_list.html", {"projects": projects})


@login_required
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_user(request.user, slug)
    documents = selectors.document_list(project, threshold=load_checkworthiness().threshold)
    return render(request, "annotations/document_list.html", {"project": project, "documents": documents})


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.document_for_user(request.user, document_id)
    order = "position" if request.GET.get("order") == "position" else "score"
    claims = selectors.document_claims(document, order=order)
    threshold = load_checkworthiness().threshold
    context = {"document": document, "claims": claims, "order": order, "threshold": threshold}
    return render(request, "annotations/document_detail.html", context)
