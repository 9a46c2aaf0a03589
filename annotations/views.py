"""Server-rendered pages. Thin: selectors read, templates render (auto-escaped)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import json_script
from django.utils.safestring import mark_safe

from annotations import access, selectors, services, similar
from annotations.domain.article_files import SUPPORTED_SUFFIXES
from annotations.domain.spans import QUOTE_CONTEXT
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import REVIEWED_STATUSES, Role, SegmentationStatus
from annotations.models import AnnotationStatus, Stance


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user).order_by("name")
    context = {"projects": projects, "can_create": access.can_create_projects(request.user)}
    return render(request, "annotations/project_list.html", context)


DASHBOARD_PAGE_SIZE = 25
CLAIM_PAGE = 100  # entries of the claim list in the page; the rest comes a page at a time from the API
EXPORT_FORMATS = [("json", "JSON"), ("jsonl", "JSON Lines (lossless, re-importable)"), ("csv", "CSV"),
                  ("claimreview", "ClaimReview JSON-LD"), ("webannotation", "W3C Web Annotation")]  # fmt: skip


@login_required
def document_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The desk page: upload, search and filter the documents, see each one's progress, export."""
    project = access.project_for_user(request.user, slug)
    filters, problems = _dashboard_filters(request)
    documents = selectors.desk_documents(project, filters, threshold=selectors.checkworthy_threshold(),
                                         user=request.user)  # fmt: skip
    page = Paginator(documents, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    progress = selectors.documents_progress([d.pk for d in page])
    rows = [(document, progress[document.pk]) for document in page]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("fragment", None)
    abilities = access.desk_abilities(request.user, project)
    context = {
        "project": project, "page": page, "rows": rows, "filters": filters, "problems": problems,
        "query": query.urlencode(), "statuses": AnnotationStatus.choices, "verdict_choices": Verdict.choices,
        "members": [m.user.get_username() for m in selectors.desk_members(project)],
        "can_review": abilities.can_review, "can_manage": abilities.can_manage_members,
        "pending": any(d.segmentation_status != SegmentationStatus.DONE for d, _ in rows),
        "export_formats": EXPORT_FORMATS, "reviewed_statuses": sorted(s.value for s in REVIEWED_STATUSES),
        "desk_config": {
            "project": project.slug, "apiRoot": reverse("api-projects").removesuffix("projects/"),
            "maxBytes": settings.IMPORT_MAX_BYTES, "maxFiles": UPLOAD_MAX_FILES, "pollMs": 3000,
            "suffixes": list(SUPPORTED_SUFFIXES), "csrfToken": get_token(request),
            "documentUrl": reverse("document-detail", args=[0]),
        },
    }  # fmt: skip
    if request.GET.get("fragment"):  # the documents table alone, polled while articles are segmented
        return render(request, "annotations/_desk_documents.html", context)
    context["score_bands"] = selectors.claim_decisions_by_score(project)
    context["checkworthy_threshold"] = selectors.checkworthy_threshold()
    return render(request, "annotations/document_list.html", context)


UPLOAD_MAX_FILES = 200  # one drop; more is refused with a message before anything is sent


def _dashboard_filters(request: HttpRequest) -> tuple[selectors.DashboardFilters, list[str]]:
    """The filters of the query string; an unknown value is dropped and named (the page still answers)."""
    allowed = {"status": AnnotationStatus.values, "verdict": Verdict.values, "progress": ["done", "open", "pending"]}
    values, problems = {}, []
    for key, valid in allowed.items():
        value = request.GET.get(key, "")
        if value and value not in valid:
            problems.append(f"unknown {key} {value[:40]!r} ignored")
            value = ""
        values[key] = value
    q = " ".join(request.GET.get("q", "").replace("\x00", "").split())[:200]
    assignee = request.GET.get("assignee", "").replace("\x00", "")[:150]
    return selectors.DashboardFilters(q=q, assignee=assignee, **values), problems


def _version_param(request: HttpRequest, name: str) -> int | None:
    """A version number from the query string (absent or empty: None); Invalid naming ``name`` otherwise."""
    value = request.GET.get(name, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9) or int(value) < 1:
        raise services.Invalid(f"{name}: must be a version number (1, 2, …)")
    return int(value)


def _bad_request(exc: services.AppError) -> HttpResponse:
    return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


@login_required
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """The annotate page: the text as one node, candidate claims, and a JSON config for annotate.js. With
    ``?version=N`` of an older version: that text, read-only."""
    document = access.document_for_user(request.user, document_id)
    try:
        number = _version_param(request, "version")
        if number is not None and number != document.version:
            version = selectors.document_version(document, number)
            return render(request, "annotations/document_version.html", {"document": document, "version": version})
    except services.Invalid as exc:
        return _bad_request(exc)
    order = "position" if request.GET.get("order") == "position" else "score"
    threshold = selectors.checkworthy_threshold()
    claims = list(selectors.document_claims(document, order=order, threshold=threshold, distinct=True,
                                            user=request.user)[: CLAIM_PAGE + 1])  # fmt: skip
    claims_more = len(claims) > CLAIM_PAGE
    claims = selectors.with_occurrences(document, claims[:CLAIM_PAGE])
    api_root = reverse("api-projects").removesuffix("projects/")  # "/api/v1/": every endpoint hangs off it
    abilities = access.desk_abilities(request.user, document.project, fetched=document)
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
        "segmentation": {"status": document.segmentation_status, "labels": dict(SegmentationStatus.choices)},
        "canReview": abilities.can_review,
        "user": {"id": request.user.pk, "username": request.user.get_username()},
        "verdicts": verdicts,
        "stances": [{"value": value, "label": label} for value, label in Stance.choices],
        "statuses": [{"value": value, "label": label} for value, label in AnnotationStatus.choices],
        "apiRoot": api_root,
        "pollMs": 5000,
        "pageSize": 2500,
        "quoteContext": QUOTE_CONTEXT,
        "evidenceArchiveUrl": reverse("evidence-archive", args=[0]),  # …/0/archive/: the id goes in place of 0
        "factCheckUrl": reverse("fact-check", args=[0]),  # the public page of a published verdict
        "reviewUrl": reverse("review-screen", args=[0]),  # editors: the review screen of an annotation
        "csrfToken": get_token(request),  # also makes sure the csrftoken cookie is set
        "version": document.version,  # annotations on another version's text (orphans) are never drawn
    }
    anchoring = selectors.anchoring_summary(request.user, document)
    placeable = {a.pk for a in anchoring.orphaned if access.can_place_annotation(request.user, a, role=abilities.role)}
    context = {
        "document": document,
        "set_aside": selectors.set_aside(document),
        "claims": claims,
        "claims_more": claims_more,
        "claims_count": f"{CLAIM_PAGE}+" if claims_more else len(claims),
        "order": order,
        "threshold": threshold,
        "verdicts": verdicts,
        "annotate_config": config,
        "anchoring": anchoring,
        "can_place": placeable,
        "can_edit_text": abilities.can_edit_documents,
        "older_versions": range(document.version - 1, 0, -1),
    }
    return render(request, "annotations/document_detail.html", context)


@login_required
def document_diff(request: HttpRequest, document_id: int) -> HttpResponse:
    """What changed between two versions of a document's text, word by word (``?from=&to=``; default: the
    current version and the one before it)."""
    document = access.document_for_user(request.user, document_id)
    try:
        new = _version_param(request, "to") or document.version
        old = _version_param(request, "from") or max(1, new - 1)
        diff = selectors.document_diff(document, old, new)
    except services.Invalid as exc:
        return _bad_request(exc)
    versions = selectors.document_versions(document)
    return render(request, "annotations/document_diff.html", {"document": document, "diff": diff,
                                                              "versions": versions})  # fmt: skip


@login_required
def evidence_archive(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """The archive copy of an evidence link: the page's text when the worker checked it."""
    link = access.evidence_for_user(request.user, evidence_id)
    return render(request, "annotations/evidence_archive.html", {"link": link})


def fact_check(request: HttpRequest, annotation_id: int) -> HttpResponse:
    """The public page of a published verdict (no login): the claim, the verdict, the reasoning, the evidence
    and its correction history, with its ClaimReview JSON-LD for search engines. Retracted: says so."""
    from annotations.domain.export_formats import claim_review
    from annotations.exporting import export_links, export_row

    annotation = selectors.public_fact_check(annotation_id)
    project = annotation.document.project
    links = export_links(project, settings.SITE_URL or request.build_absolute_uri("/"))
    review = None
    if annotation.status == AnnotationStatus.PUBLISHED:  # a retracted verdict is no ClaimReview any more
        data = json_script(claim_review(export_row(annotation.pk), links))  # <, >, & escaped for a <script>
        review = mark_safe(data.replace('type="application/json"', 'type="application/ld+json"', 1))  # noqa: S308
    history = []
    for event in selectors.public_history(annotation):
        verdicts = event.changes.get("verdict") if isinstance(event.changes, dict) else None
        history.append({
            "at": event.at, "to": event.to_status, "comment": event.comment,
            "corrected": event.from_status == event.to_status == AnnotationStatus.PUBLISHED,
            "before": Verdict(verdicts[0]).label if verdicts and verdicts[0] in Verdict.values else "",
            "after": Verdict(verdicts[1]).label if verdicts and verdicts[1] in Verdict.values else "",
        })  # fmt: skip
    context = {
        "annotation": annotation, "document": annotation.document, "project": project,
        "publisher": links.project_name, "publisher_url": links.project_url,
        "verdict": Verdict(annotation.verdict), "history": history, "review_json": review,
        "retracted": annotation.status == AnnotationStatus.RETRACTED,
    }  # fmt: skip
    return render(request, "annotations/fact_check.html", context)


REVIEW_CONTEXT = 240  # characters of the article shown around the claim on the review screen


@login_required
def review_screen(request: HttpRequest, annotation_id: int) -> HttpResponse:
    """An editor's review of one claim: its text in context, every verdict on it side by side (reviewer,
    verdict, rationale, evidence, thread), whether they agree, and the actions the state table allows each."""
    from annotations.domain.agreement import is_disagreement
    from annotations.domain.workflow import allowed_actions

    annotation = access.annotation_for_user(request.user, annotation_id, need=Role.EDITOR)
    document = annotation.document
    role = access.role_in(request.user, document.project_id)
    verdicts_on_claim = selectors.review_screen(annotation)
    threads: dict[int, list] = {}
    for event in selectors.annotation_threads([a.pk for a in verdicts_on_claim]):  # one query for every card
        threads.setdefault(event.annotation_id, []).append(event)
    cards = []
    for a in verdicts_on_claim:
        actions = allowed_actions(a.status, role=role, is_author=access.is_author(request.user, a))
        thread = threads.get(a.pk, [])
        cards.append({"annotation": a, "writer": selectors.writer(a), "actions": actions, "thread": thread,
                      "verdict": Verdict(a.verdict) if a.verdict else None})  # fmt: skip
    verdicts = [c["annotation"].verdict for c in cards if c["annotation"].verdict]
    contradicting = [_similar_entry(m) for m in similar.contradictions(request.user, [annotation])[annotation.pk]]
    body = document.body
    if annotation.document_version != document.version:  # an orphan: its words in the text it was made on
        body = selectors.document_version(document, annotation.document_version).body
    context = {
        "annotation": annotation, "document": document, "cards": cards,
        "before": body[max(0, annotation.start - REVIEW_CONTEXT) : annotation.start],
        "after": body[annotation.end : annotation.end + REVIEW_CONTEXT],
        "agreement": "disagree" if is_disagreement(verdicts) else ("agree" if len(verdicts) > 1 else "single"),
        "verdict_choices": Verdict.choices, "labels": ACTION_LABELS, "contradictions": contradicting,
        "review_config": {"apiRoot": reverse("api-projects").removesuffix("projects/"),
                          "csrfToken": get_token(request)},
    }  # fmt: skip
    return render(request, "annotations/review_screen.html", context)


def _similar_entry(match) -> dict:
    """An already-checked claim as the review screen and the queue show it (``similar.Match``)."""
    row = match.reference
    if row.annotation_id is not None:
        url = reverse("document-detail", args=[row.annotation.document_id]) + f"?annotation={row.annotation_id}"
    else:
        url = row.url
    label = Verdict(row.verdict).label if row.verdict else row.rating_label
    return {"text": row.text, "label": label, "desk": row.project.name, "score": match.score, "url": url,
            "source": row.source, "publisher": row.publisher}  # fmt: skip


ACTION_LABELS = {
    "approve": "Approve", "request_changes": "Request changes", "reject": "Reject", "publish": "Publish",
    "retract": "Retract", "correct": "Correct",
}  # fmt: skip


@login_required
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    """How much the desk's reviewers agree, with what each number means and when there is too little data."""
    project = access.project_for_user(request.user, slug)
    if not access.can_see_agreement(request.user, project):
        raise services.Forbidden("in a blind desk the agreement statistics are for its editors")
    return render(request, "annotations/agreement.html", {"project": project,
                                                          "report": selectors.agreement_report(project)})  # fmt: skip


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and the container: the database answers, and the broker when one is
    configured (each within about a second). 200 when both do, 503 naming what failed. No login, no data."""
    from django.http import JsonResponse

    checks = selectors.service_health()
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)
