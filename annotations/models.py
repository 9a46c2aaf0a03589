"""Data model. Offsets (start, end) are Unicode code points of ``Document.body``.

Integrity rules that the database can enforce live in ``Meta.constraints``; rules that
need other rows (a quote must equal ``body[start:end]``) are checked in ``services.py``.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone

from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import (  # re-exported: models.X keeps working
    AnchoringStatus,
    AnchorState,
    AnnotationStatus,
    ClaimOrigin,
    ClaimState,
    LinkStatus,
    ReferenceSource,
    Role,
    SegmentationStatus,
    Stance,
    UrlImportStatus,
)

__all__ = [
    "AnchorState", "AnchoringStatus", "Annotation", "AnnotationStatus", "AuditEvent", "Claim", "ClaimOrigin",
    "ClaimState", "Document", "DocumentVersion", "EvidenceLink", "LinkStatus", "Membership", "Notification",
    "NotificationSettings", "Project", "ReferenceClaim", "ReferenceSource",
    "ReviewAssignment", "ReviewItem", "Role", "SegmentationStatus", "Stance",
    "UrlImport", "UrlImportStatus", "Verdict",
]  # fmt: skip


class Project(models.Model):
    """A fact-checking desk. Every document (and so every annotation) belongs to one."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="What the desk covers (shown on its page).")
    guidelines = models.TextField(blank=True, help_text="How this desk decides verdicts (shown to its reviewers).")
    publisher_name = models.CharField(
        max_length=200, blank=True, help_text="The organisation that publishes the verdicts (ClaimReview author)."
    )
    publisher_url = models.URLField(max_length=500, blank=True, help_text="Its public web site.")
    blind_review = models.BooleanField(
        default=False, help_text="Reviewers see others' verdicts on a claim only once they have submitted their own."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_unique_user_project"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=500)
    body = models.TextField(help_text="Normalised text (NFC, LF, boilerplate removed). Offsets index into this.")
    source_url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, editable=False)
    metadata = models.JSONField(default=dict, blank=True, help_text="Import details, removed boilerplate.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    segmentation_status = models.CharField(
        max_length=10, choices=SegmentationStatus.choices, default=SegmentationStatus.PENDING
    )
    segmentation_error = models.TextField(blank=True)
    segmentation_started_at = models.DateTimeField(null=True, blank=True)
    segmentation_task_id = models.CharField(
        max_length=64, blank=True, help_text="The task run that holds the document while it is running."
    )
    segmenter_version = models.CharField(max_length=50, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, help_text="Marked done by an editor: fully checked.")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # fmt: skip
    version = models.PositiveIntegerField(default=1, help_text="Number of the current DocumentVersion (its body).")
    anchoring_status = models.CharField(
        max_length=10, choices=AnchoringStatus.choices, default=AnchoringStatus.DONE,
        help_text="Placing the annotations and claims on the current version (pending after a new one).",
    )  # fmt: skip
    anchoring_error = models.TextField(blank=True)
    anchoring_started_at = models.DateTimeField(null=True, blank=True)
    anchoring_task_id = models.CharField(
        max_length=64, blank=True, help_text="The re-anchoring task run that holds the document while it is running."
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "content_sha256"], name="document_unique_content_per_project"),
            models.CheckConstraint(condition=~Q(body=""), name="document_body_not_empty"),
            models.CheckConstraint(
                condition=Q(segmentation_status__in=SegmentationStatus.values),
                name="document_segmentation_status_valid",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="document_version_positive"),
            models.CheckConstraint(
                condition=Q(anchoring_status__in=AnchoringStatus.values), name="document_anchoring_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["project", "-imported_at"], name="document_project_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def length(self) -> int:
        return len(self.body)


class DocumentVersion(models.Model):
    """One text of a document, kept for good: version 1 is the imported text, each later one a correction
    (a re-import of the same source URL with other content, or a new version through the API or the CLI).
    ``Document.body`` is always the text of ``Document.version``; annotations say which version their
    offsets refer to (``document_version``)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    reason = models.CharField(max_length=500, blank=True, help_text="Why the text changed (shown in the history).")

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="document_version_number_positive"),
            models.CheckConstraint(condition=~Q(body=""), name="document_version_body_not_empty"),
        ]
        # An import looks its text up among the desk's earlier versions: without this, a scan of every version.
        indexes = [models.Index(fields=["content_sha256"], name="document_version_sha256")]

    def __str__(self) -> str:
        return f"{self.document} (version {self.number})"


def _span_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(start__gte=0), name=f"{prefix}_start_not_negative"),
        models.CheckConstraint(condition=Q(start__lt=F("end")), name=f"{prefix}_start_before_end"),
    ]


def _anchoring_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(condition=Q(anchor_state__in=AnchorState.values), name=f"{prefix}_anchor_state_valid"),
        models.CheckConstraint(condition=Q(document_version__gte=1), name=f"{prefix}_document_version_positive"),
    ]


class AnchoredFields(models.Model):
    """Which text the offsets refer to, and whether they could be placed on the current one."""

    document_version = models.PositiveIntegerField(default=1, help_text="The document version start/end index.")
    anchor_state = models.CharField(max_length=10, choices=AnchorState.choices, default=AnchorState.OK)

    class Meta:
        abstract = True


class Claim(AnchoredFields):
    """A candidate check-worthy span of a document (machine pre-segmentation or a person)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="claims")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    score = models.FloatField(null=True, blank=True, help_text="Check-worthiness, 0–1.")
    origin = models.CharField(max_length=10, choices=ClaimOrigin.choices, default=ClaimOrigin.MACHINE)
    state = models.CharField(max_length=10, choices=ClaimState.choices, default=ClaimState.CANDIDATE)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Who accepted or dismissed it.")  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document", "start"]
        constraints = [
            # An orphan keeps the span of an old version: it must not block a claim of the current text there.
            models.UniqueConstraint(
                fields=["document", "start", "end"],
                name="claim_unique_placed_span",
                condition=~Q(anchor_state=AnchorState.ORPHANED),
            ),
            *_span_constraints("claim"),
            *_anchoring_constraints("claim"),
            models.CheckConstraint(condition=Q(end=F("start") + Length("text")), name="claim_text_matches_span"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1), name="claim_score_in_unit_range"
            ),
            models.CheckConstraint(condition=Q(origin__in=ClaimOrigin.values), name="claim_origin_valid"),
            models.CheckConstraint(condition=Q(state__in=ClaimState.values), name="claim_state_valid"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Annotation(AnchoredFields):
    """A reviewer's highlighted span with a verdict, a rationale and evidence."""

    # Indexed by annotation_document_status (its first column); the sparse links below by partial indexes: a span
    # write maintains no index that another one already covers, nor entries for links it does not have.
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations", db_index=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField(help_text="Exact text, body[start:end].")
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    rationale = models.TextField(blank=True)
    original_author = models.CharField(
        max_length=300, blank=True, help_text="Imported from another desk: who wrote it there (not an account here)."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        help_text="Who brought it in with a desk import: they count as its author for the four-eyes rule.",
    )
    status = models.CharField(max_length=20, choices=AnnotationStatus.choices, default=AnnotationStatus.DRAFT)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: incremented on every write.")
    reused_from = models.ForeignKey(
        "ReferenceClaim", null=True, blank=True, on_delete=models.SET_NULL, related_name="reuses", db_index=False,
        help_text="The already-checked claim whose verdict, rationale and evidence this one started from.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document", "start", "id"]
        constraints = [
            *_span_constraints("annotation"),
            models.CheckConstraint(condition=Q(end=F("start") + Length("quote")), name="annotation_quote_matches_span"),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=[v.value for v in Verdict]), name="annotation_verdict_valid"
            ),
            models.CheckConstraint(condition=Q(status__in=AnnotationStatus.values), name="annotation_status_valid"),
            models.CheckConstraint(condition=Q(version__gte=1), name="annotation_version_positive"),
            *_anchoring_constraints("annotation"),
        ]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="annotation_sync_cursor"),
            models.Index(fields=["document", "status"], name="annotation_document_status"),
            models.Index(fields=["imported_by"], condition=Q(imported_by__isnull=False), name="annotation_imported_by"),
            models.Index(fields=["reused_from"], condition=Q(reused_from__isnull=False), name="annotation_reused_from"),
        ]

    def __str__(self) -> str:
        return f"{self.quote[:60]} ({self.verdict or 'no verdict'})"


class ReferenceClaim(models.Model):
    """One already-checked claim of a desk's reference set ("Checked before?"): an approved or published verdict
    of the desk (``annotation``), or a fact-check imported from ClaimReview JSON-LD (``url``).

    Rows are never edited: when the verdict behind one changes (corrected, retracted, re-worded) the row is
    retired (``retired_at``) and, if it still qualifies, a new one is written. So the per-process search index
    only ever appends rows with a higher id, and reads drop retired rows (``services.references``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="references")
    source = models.CharField(max_length=12, choices=ReferenceSource.choices)
    annotation = models.ForeignKey(
        "Annotation", null=True, blank=True, on_delete=models.CASCADE, related_name="reference_rows"
    )
    text = models.TextField(help_text="The claim as checked (the verdict's quote, or claimReviewed).")
    title = models.CharField(max_length=500, blank=True, help_text="The article or fact-check it appeared in.")
    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True)
    rating_label = models.CharField(max_length=200, blank=True, help_text="The rating as its publisher wrote it.")
    rationale = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True, help_text="A ClaimReview's own address (deduplicated).")
    publisher = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, blank=True, help_text="The verdict's status when written.")
    published_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(source__in=ReferenceSource.values), name="reference_source_valid"),
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=[v.value for v in Verdict]), name="reference_verdict_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="reference_text_not_empty"),
            models.UniqueConstraint(fields=["annotation"],
                                    condition=Q(retired_at__isnull=True, annotation__isnull=False),
                                    name="reference_one_live_row_per_annotation"),
            models.UniqueConstraint(fields=["project", "url"], condition=Q(source=ReferenceSource.CLAIMREVIEW),
                                    name="reference_claimreview_unique_url"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.text[:80]


class EvidenceLink(models.Model):
    annotation = models.ForeignKey(Annotation, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=500, blank=True)
    quoted_passage = models.TextField(blank=True)
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.CONTEXT)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # The background link check (``services.evidence_check_link``): what the link answered, and a text snapshot
    # of the page kept as the archive copy.
    link_status = models.CharField(max_length=10, choices=LinkStatus.choices, blank=True)
    link_http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    link_final_url = models.URLField(max_length=2000, blank=True)
    link_title = models.CharField(max_length=500, blank=True)
    link_detail = models.CharField(max_length=500, blank=True, help_text="Why the link is broken or was refused.")
    link_checked_at = models.DateTimeField(null=True, blank=True)
    link_snapshot = models.TextField(blank=True, help_text="The page's text when it was checked (archive copy).")

    class Meta:
        ordering = ["annotation", "added_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stance__in=Stance.values), name="evidence_stance_valid"),
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"), name="evidence_url_http"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url


class AuditEvent(models.Model):
    """Append-only history of a desk, written by the services (never edited): annotations and their
    evidence, claims, documents (import, metadata), review assignments, the desk and its members.

    ``document_id`` and ``annotation_id`` are plain integers, not foreign keys, so the history outlives a
    deleted annotation; they are empty for events that concern neither (a membership, the desk).
    """

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        TRANSITION = "transition", "Status changed"
        COMMENT = "comment", "Commented"

    class ObjectType(models.TextChoices):
        ANNOTATION = "annotation", "Annotation"
        EVIDENCE = "evidence", "Evidence"
        DOCUMENT = "document", "Document"
        CLAIM = "claim", "Claim"
        PROJECT = "project", "Desk"
        MEMBERSHIP = "membership", "Membership"
        ASSIGNMENT = "assignment", "Assignment"

    # project: indexed by audit_project_feed (its first column); annotation_id, empty on most other events, by a
    # partial index.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_events", db_index=False)
    document_id = models.BigIntegerField(db_index=True, null=True, blank=True)
    annotation_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=12, choices=ObjectType.choices, default=ObjectType.ANNOTATION)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(db_index=True)
    changes = models.JSONField(default=dict, blank=True, help_text='{"field": [from, to]}')
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["project", "at", "id"], name="audit_project_feed"),
            models.Index(fields=["annotation_id"], condition=Q(annotation_id__isnull=False), name="audit_annotation"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["create", "update", "delete", "transition", "comment"]),
                                   name="audit_action_valid_with_comments"),
        ]  # fmt: skip

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{self.get_action_display()} {self.object_type} #{self.object_id} by {self.actor} at {when}"


class ReviewAssignment(models.Model):
    """An editor asks a reviewer to work on a document ("my queue")."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "reviewer"], name="assignment_unique_document_reviewer")
        ]

    def __str__(self) -> str:
        return f"{self.document} → {self.reviewer}"


class UrlImport(models.Model):
    """An article to fetch from the web into a desk, done by the worker (``services.url_import_run``)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="url_imports")
    url = models.URLField(max_length=2000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=UrlImportStatus.choices, default=UrlImportStatus.QUEUED)
    error = models.TextField(blank=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    duplicate = models.BooleanField(default=False, help_text="The page's text was already a document of the desk.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=UrlImportStatus.values), name="url_import_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.status})"


class Notification(models.Model):
    """Something a person should know about their work: an inbox entry (and an e-mail unless they opted out)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        SENT_BACK = "sent_back", "Changes requested"
        REJECTED = "rejected", "Rejected"
        REPLY = "reply", "Reply"
        DISAGREEMENT = "disagreement", "Disagreement"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    annotation = models.ForeignKey(Annotation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")  # fmt: skip
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user}"


class NotificationSettings(models.Model):
    """A person's choice about e-mail (the inbox always fills)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email = models.BooleanField(default=True, help_text="Also send each notification by e-mail.")

    def __str__(self) -> str:
        return f"{self.user}: e-mail {'on' if self.email else 'off'}"


class ReviewItem(Annotation):
    """The editors' review queue in the admin: annotations seen through review eyes."""

    class Meta:
        proxy = True
        verbose_name = "review queue item"
        verbose_name_plural = "review queue"
