"""Celery tasks: thin adapters that take ids and call services or selectors.

Services import these tasks at module level (``segment_document as segment_document_task``), so the tasks
import the services lazily, inside each function (HackSoft's direction).
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(name="annotations.health_check", ignore_result=False)  # its caller waits for the answer
def health_check() -> dict:
    """Report what the worker sees (database vendor and name, document count); used by ops and tests."""
    from annotations import selectors

    return selectors.health_summary()


# The document tasks: a worker that dies mid-run leaves the message to be redelivered; transient database errors
# (only those) are retried with jittered back-off.
_DOCUMENT_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(
    name="annotations.segment_document",
    soft_time_limit=90,  # raises SoftTimeLimitExceeded inside the service: the document is marked failed
    time_limit=120,  # hard kill; the document then looks stale and is reclaimed (SEGMENTATION_STALE_AFTER)
    bind=True,
    **_DOCUMENT_TASK,
)
def segment_document(self, document_id: int) -> dict:
    from annotations import services

    # The task id survives a redelivery (worker killed mid-run): the service lets that run reclaim the document.
    outcome = services.document_segment(document_id=document_id, task_id=self.request.id or "")
    return {"status": outcome.status, "created": outcome.created, "removed": outcome.removed}


@shared_task(name="annotations.segment_documents", acks_late=True, reject_on_worker_lost=True)
def segment_documents(document_ids: list[int]) -> int:
    """Fan out one segmentation task per document (a bulk import sends this one message instead of one per
    article, so its request does not wait on hundreds of broker round trips); the number sent."""
    from annotations import services

    return services.segmentation_enqueue_many(document_ids=document_ids, fan_out=False)


@shared_task(
    name="annotations.reanchor_document",
    soft_time_limit=240,  # 2,000 annotations take a few seconds; this is for a pathological text
    time_limit=300,  # hard kill; the document then looks stale and is reclaimed (SEGMENTATION_STALE_AFTER)
    bind=True,
    **_DOCUMENT_TASK,
)
def reanchor_document(self, document_id: int, version: int) -> dict:
    """Place a document's annotations and claims on its new version (``services.document_reanchor``; safe to
    run twice: it claims the document at this version and only moves what still refers to an older one)."""
    from annotations import services

    # As for segmentation, the task id survives a redelivery and lets that run reclaim the document.
    outcome = services.document_reanchor(document_id=document_id, version=version, task_id=self.request.id or "")
    return {"status": outcome.status, "placed": outcome.placed, "changed": outcome.changed,
            "orphaned": outcome.orphaned}  # fmt: skip


@shared_task(name="annotations.sweep_segmentation")
def sweep_segmentation() -> int:
    """Periodic (beat): enqueue documents left pending, e.g. when the broker was down at import (their
    segmentation, and the re-anchoring of a new version)."""
    from annotations import services

    return services.segmentation_sweep() + services.reanchoring_sweep()


_FETCH_TASK = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 60, "time_limit": 90}


@shared_task(name="annotations.import_url", **_FETCH_TASK)
def import_url(job_id: int) -> dict:
    """Fetch an article from the web into its desk (``services.url_import_run``; safe to run twice)."""
    from annotations import services

    job = services.url_import_run(job_id=job_id)
    return {"status": job.status, "document": job.document_id, "error": job.error}


@shared_task(name="annotations.check_evidence_link", **_FETCH_TASK)
def check_evidence_link(evidence_id: int) -> str:
    """Check one evidence link (``services.evidence_check_link``)."""
    from annotations import services

    link = services.evidence_check_link(evidence_id=evidence_id)
    return link.link_status if link else "deleted"


@shared_task(name="annotations.sweep_fetches")
def sweep_fetches() -> int:
    """Periodic (beat): URL imports and link checks that never ran are sent again."""
    from annotations import services

    return services.fetches_sweep()


@shared_task(name="annotations.sync_reference", **_DOCUMENT_TASK)
def sync_reference(annotation_id: int) -> str:
    """Bring one verdict's row of the reference set ("Checked before?") up to date after a review decision
    (``services.reference_sync``; safe to run twice: it compares before it writes)."""
    from annotations import services

    return services.reference_sync(annotation_id=annotation_id)


@shared_task(name="annotations.sweep_references")
def sweep_references() -> int:
    """Periodic (beat): reviewed verdicts whose reference row was never written (broker down) or is stale."""
    from annotations import services

    return services.references_sweep()
