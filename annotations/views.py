"""Server-rendered pages. Thin: selectors read, templates render (auto-escaped)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from annotations import selectors


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user).order_by("name")
    return render(request, "annotations/project_list.html", {"projects": projects})


@login_required
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    project = selectors.project_for_user(request.user, slug)
    documents = selectors.document_list(project)
    return render(request, "annotations/document_list.html", {"project": project, "documents": documents})


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.document_for_user(request.user, document_id)
    return render(request, "annotations/document_detail.html", {"document": document})
