"""Writes. Every function is keyword-only, atomic and named <entity>_<action>; each module is one entity.

Call sites use ``services.x``; this package re-exports every public write and error:

* ``documents``     document_import, document_update, document_mark_done
* ``anchoring``     document_new_version, document_reanchor, annotation_place, reanchoring_sweep (versions of a
                    document's text, and placing annotations and claims on the new one)
* ``projects``      project_create, project_update, membership_invite, membership_set, membership_remove
* ``annotations``   annotation_create, annotation_update, annotation_delete, annotation_submit,
                    annotations_submit_drafts
* ``evidence``      evidence_add, evidence_update, evidence_delete
* ``claims``        claim_set_state, claim_get_or_create_accepted
* ``review``        annotation_transition, documents_assign
* ``segmentation``  document_segment, document_request_segmentation, segmentation_enqueue, segmentation_sweep
* ``verdict_import``  annotation_import and the rules of desk imports and restores
* ``web``           url_import_request/url_import_run, evidence_check_link (fetched by the worker, SSRF-safe)
* ``references``    reference_sync/reference_enqueue/references_sweep (the "Checked before?" reference set),
                    claimreviews_import, annotation_reuse
* ``audit``         audit_record (AuditEvent rows), ``tokens`` token_rotate/token_revoke, ``errors`` typed errors
"""

from annotations.services.anchoring import (
    ReanchorOutcome,
    VersionOutcome,
    annotation_place,
    document_new_version,
    document_reanchor,
    reanchoring_enqueue,
    reanchoring_sweep,
)
from annotations.services.annotations import (
    annotation_create,
    annotation_delete,
    annotation_submit,
    annotation_update,
    annotations_submit_drafts,
)
from annotations.services.audit import audit_record
from annotations.services.claims import claim_get_or_create_accepted, claim_set_state, claims_set_state_by_text
from annotations.services.documents import (
    ArticleIn,
    ImportOutcome,
    document_import,
    document_mark_done,
    document_prepare,
    document_update,
    documents_import_many,
)
from annotations.services.errors import (
    AnnotationRejected,
    AppError,
    Conflict,
    DocumentRejected,
    Forbidden,
    Invalid,
    NotFound,
    Rejected,
    TooLarge,
)
from annotations.services.evidence import evidence_add, evidence_delete, evidence_update
from annotations.services.notifications import notification_settings_set, notifications_mark_read, notify
from annotations.services.projects import (
    Invitation,
    clean_slug,
    membership_invite,
    membership_remove,
    membership_set,
    project_create,
    project_update,
)
from annotations.services.references import (
    ClaimReviewImportReport,
    annotation_reuse,
    claimreviews_import,
    reference_enqueue,
    reference_sync,
    references_sweep,
)
from annotations.services.review import annotation_comment, annotation_transition, documents_assign
from annotations.services.segmentation import (
    SegmentOutcome,
    document_request_segmentation,
    document_segment,
    documents_needing_segmentation,
    segmentation_batch,
    segmentation_enqueue,
    segmentation_enqueue_many,
    segmentation_sweep,
)
from annotations.services.tokens import token_revoke, token_rotate
from annotations.services.verdict_import import (
    annotation_import,
    imported_status,
    user_get_or_create_inactive,
    verdict_author,
    verdict_import_check,
)
from annotations.services.web import (
    evidence_check_link,
    evidence_link_check_enqueue,
    fetches_sweep,
    url_import_request,
    url_import_run,
)

__all__ = [
    "AnnotationRejected",
    "AppError",
    "ArticleIn",
    "ClaimReviewImportReport",
    "Conflict",
    "DocumentRejected",
    "Forbidden",
    "ImportOutcome",
    "Invalid",
    "Invitation",
    "NotFound",
    "ReanchorOutcome",
    "Rejected",
    "SegmentOutcome",
    "TooLarge",
    "VersionOutcome",
    "annotation_comment",
    "annotation_create",
    "annotation_delete",
    "annotation_import",
    "annotation_place",
    "annotation_reuse",
    "annotation_submit",
    "annotation_transition",
    "annotation_update",
    "annotations_submit_drafts",
    "audit_record",
    "claim_get_or_create_accepted",
    "claim_set_state",
    "claimreviews_import",
    "claims_set_state_by_text",
    "clean_slug",
    "document_import",
    "document_mark_done",
    "document_new_version",
    "document_prepare",
    "document_reanchor",
    "document_request_segmentation",
    "document_segment",
    "document_update",
    "documents_assign",
    "documents_import_many",
    "documents_needing_segmentation",
    "evidence_add",
    "evidence_check_link",
    "evidence_delete",
    "evidence_link_check_enqueue",
    "evidence_update",
    "fetches_sweep",
    "imported_status",
    "membership_invite",
    "membership_remove",
    "membership_set",
    "notification_settings_set",
    "notifications_mark_read",
    "notify",
    "project_create",
    "project_update",
    "reanchoring_enqueue",
    "reanchoring_sweep",
    "reference_enqueue",
    "reference_sync",
    "references_sweep",
    "segmentation_batch",
    "segmentation_enqueue",
    "segmentation_enqueue_many",
    "segmentation_sweep",
    "token_revoke",
    "token_rotate",
    "url_import_request",
    "url_import_run",
    "user_get_or_create_inactive",
    "verdict_author",
    "verdict_import_check",
]  # fmt: skip
