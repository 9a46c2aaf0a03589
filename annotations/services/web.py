"""What the server fetches from the web, always through ``annotations.fetching`` (SSRF-safe) and always in the
worker: articles imported from a URL, and the check of every evidence link (status, final URL, title, a text
snapshot kept as the archive copy). Requests only queue the work; a broker outage never blocks them."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotations import access
from annotations.domain.article_files import ArticleFileError, extract_html
from annotations.domain.text import normalize_line
from annotations.domain.vocabulary import LinkStatus, Role, UrlImportStatus
from annotations.fetching import HTML_TYPES, FetchRefused, fetch
from annotations.models import EvidenceLink, Project, UrlImport
from annotations.services.annotations import touch
from annotations.services.errors import AppError
from annotations.services.validation import clean_url
from annotations.tasks import check_evidence_link as check_evidence_link_task
from annotations.tasks import import_url as import_url_task

logger = logging.getLogger(__name__)
SNAPSHOT_MAX = 200_000  # characters of a page's text kept as its archive copy


def _fetch(url: str, *, accept=None):
    kwargs = {"accept": accept} if accept else {}
    return fetch(url, max_bytes=settings.FETCH_MAX_BYTES, timeout=settings.FETCH_TIMEOUT,
                 allowed_networks=settings.FETCH_ALLOWED_NETWORKS, allowed_ports=settings.FETCH_ALLOWED_PORTS,
                 **kwargs)  # fmt: skip


def _text(value: str, limit: int) -> str:
    """What a page said, safe to store: no NUL characters (PostgreSQL refuses them), at most ``limit``."""
    return value.replace("\x00", "")[:limit]  # fmt: skip


def _send(task, object_id: int, what: str) -> None:
    try:
        task.delay(object_id)
    except Exception as exc:  # kombu raises various connection errors; none may break the request
        logger.warning("could not enqueue %s %s (%s); the sweeper sends it later", what, object_id, exc)


def _enqueue(task, object_id: int, what: str) -> None:
    transaction.on_commit(lambda: _send(task, object_id, what))


# ---- import from URL ----------------------------------------------------------------------------------


@transaction.atomic
def url_import_request(*, project: Project, user: AbstractBaseUser, url: str) -> UrlImport:
    """Queue the import of the article at ``url`` into the desk (any member). The worker fetches it."""
    access.require(user, project, Role.REVIEWER)
    url = clean_url(url, what="article URL", required=True)
    job = UrlImport.objects.create(project=project, url=url, requested_by=user)
    _enqueue(import_url_task, job.pk, "the URL import")
    return job


def url_import_run(*, job_id: int) -> UrlImport:
    """Fetch, extract and import one queued URL. Safe to run twice: the job is claimed with a conditional
    UPDATE, so a second run (a redelivered message) finds it taken and does nothing."""
    from annotations.services.documents import document_import

    claimed = UrlImport.objects.filter(pk=job_id, status=UrlImportStatus.QUEUED).update(
        status=UrlImportStatus.FETCHING, started_at=timezone.now()
    )
    job = UrlImport.objects.select_related("project", "requested_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        fetched = _fetch(job.url, accept=(*HTML_TYPES, "text/plain"))
        if fetched.status >= 400:
            raise FetchRefused(f"{fetched.final_url} answered {fetched.status}")
        text = fetched.body.decode(fetched.charset or "utf-8", errors="replace")
        if fetched.content_type in HTML_TYPES:
            record = extract_html(fetched.final_url, text)
            title, body, author, published = record.title, record.body, record.author, record.published_at
            source_url = record.url or fetched.final_url
        else:
            first, _, rest = text.strip().partition("\n")
            title, body, author, published, source_url = first, rest, "", None, fetched.final_url
        if not normalize_line(title):
            title = fetched.final_url
        outcome = document_import(project=job.project, title=title, body=body, source_url=source_url, author=author,
                                  published_at=published, imported_by=job.requested_by,
                                  metadata={"source": "url", "fetched_url": fetched.final_url})  # fmt: skip
    except (FetchRefused, ArticleFileError, AppError) as exc:
        reason = exc.reason if isinstance(exc, ArticleFileError) else str(exc)
        _fail(job_id, reason)
    except Exception as exc:  # never leave a job "fetching" for ever; the worker's log has the traceback
        logger.exception("URL import %s failed", job_id)
        _fail(job_id, f"the import failed unexpectedly ({exc.__class__.__name__}); try again or upload the page")
    else:
        UrlImport.objects.filter(pk=job_id).update(
            status=UrlImportStatus.DONE,
            document=outcome.document,
            duplicate=not outcome.created,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


def _fail(job_id: int, reason: str) -> None:
    UrlImport.objects.filter(pk=job_id).update(status=UrlImportStatus.FAILED, error=_text(reason, 2000),
                                               finished_at=timezone.now())  # fmt: skip


def fetches_sweep(*, stale_after: int = 600) -> int:
    """Send again what was never fetched: URL imports still queued (the broker was down) or fetching for
    longer than a task may run (a worker died), and evidence links never checked. Returns how many."""
    now = timezone.now()
    old = now - timedelta(seconds=stale_after)
    UrlImport.objects.filter(status=UrlImportStatus.FETCHING, started_at__lt=old).update(status=UrlImportStatus.QUEUED)
    jobs = list(UrlImport.objects.filter(status=UrlImportStatus.QUEUED, created_at__lt=now - timedelta(
        seconds=60)).values_list("pk", flat=True)[:500])  # fmt: skip
    links = []
    if settings.LINK_CHECKS:
        links = list(EvidenceLink.objects.filter(link_status="", added_at__lt=old).values_list("pk", flat=True)[:500])
    for job_id in jobs:
        _send(import_url_task, job_id, "the URL import")
    for link_id in links:
        _send(check_evidence_link_task, link_id, "the check of evidence link")
    return len(jobs) + len(links)


# ---- evidence link checks --------------------------------------------------------------------------------


def evidence_link_check_enqueue(link: EvidenceLink) -> None:
    """Check the link in the background once this transaction commits (LINK_CHECKS off: never)."""
    if settings.LINK_CHECKS:
        _enqueue(check_evidence_link_task, link.pk, "the check of evidence link")


def evidence_check_link(*, evidence_id: int) -> EvidenceLink | None:
    """Fetch an evidence link and record what it answered: ok, redirected (and where), broken (the status or
    the reason) or refused (an address the server does not fetch), its page title and a text snapshot."""
    link = EvidenceLink.objects.filter(pk=evidence_id).first()
    if link is None:
        return None  # deleted meanwhile
    url = link.url
    fields = {"link_checked_at": timezone.now(), "link_http_status": None, "link_final_url": "", "link_title": "",
              "link_detail": "", "link_snapshot": ""}  # fmt: skip
    try:
        fetched = _fetch(url)
    except FetchRefused as exc:
        message = str(exc)
        refused = "not fetched" in message or "only http" in message or "user name" in message
        fields |= {"link_status": LinkStatus.REFUSED if refused else LinkStatus.BROKEN, "link_detail": message[:500]}
    except Exception as exc:  # recorded as broken rather than left unchecked for ever
        logger.exception("checking evidence link %s failed", evidence_id)
        fields |= {"link_status": LinkStatus.BROKEN, "link_detail": f"could not be checked ({exc.__class__.__name__})"}
    else:
        fields["link_http_status"] = fetched.status
        fields["link_final_url"] = fetched.final_url[:2000]
        if fetched.status >= 400:
            fields |= {"link_status": LinkStatus.BROKEN, "link_detail": f"the page answered {fetched.status}"}
        else:
            moved = fetched.final_url.rstrip("/") != url.rstrip("/")
            fields["link_status"] = LinkStatus.REDIRECTED if moved else LinkStatus.OK
            title, snapshot = _page_text(fetched)
            fields["link_title"], fields["link_snapshot"] = _text(title, 500), _text(snapshot, SNAPSHOT_MAX)
    # Only if the link still points where it did: an edit meanwhile queued a check of its own.
    if EvidenceLink.objects.filter(pk=evidence_id, url=url).update(**fields):
        touch(link.annotation_id)  # pages that sync see the outcome (the annotation's version does not change)
    return EvidenceLink.objects.filter(pk=evidence_id).first()


def _page_text(fetched) -> tuple[str, str]:
    text = fetched.body.decode(fetched.charset or "utf-8", errors="replace")
    if fetched.content_type not in HTML_TYPES:
        return "", text[:SNAPSHOT_MAX]
    try:
        record = extract_html(fetched.final_url, text)
    except ArticleFileError:
        return "", ""
    return normalize_line(record.title)[:500], record.body[:SNAPSHOT_MAX]
