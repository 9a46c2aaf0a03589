"""Annotations, evidence, the audit trail and review assignments in the admin: read-only for everyone.
Annotations change in the app or through the review queue's actions, which call the services."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from annotations.admin.scoping import ReadOnlyInline, ScopedAdmin
from annotations.domain.history import describe
from annotations.models import Annotation, AuditEvent, EvidenceLink, ReviewAssignment


def history_table(annotation_id: int) -> str:
    events = AuditEvent.objects.filter(annotation_id=annotation_id).select_related("actor").order_by("at", "id")
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (e.at.strftime("%Y-%m-%d %H:%M"), e.actor or "–",
             describe(e.action, e.object_type, e.changes, e.from_status, e.to_status), e.comment)
            for e in events
        ),
    )  # fmt: skip
    return format_html("<table><tr><th>When</th><th>Who</th><th>What</th><th>Comment</th></tr>{}</table>", rows)


class EvidenceReadOnlyInline(ReadOnlyInline):
    model = EvidenceLink
    fields = ["url", "title", "quoted_passage", "stance", "added_by", "added_at"]
    readonly_fields = fields


@admin.register(Annotation)
class AnnotationAdmin(ScopedAdmin):
    project_path = "document__project"
    list_display = ["short_quote", "document", "author", "verdict", "status", "version", "updated_at"]
    list_filter = ["status", "verdict", "document__project"]
    search_fields = ["quote", "rationale", "document__title"]
    list_select_related = ["document", "author"]
    fields = ["document", "author", "original_author", "claim", "start", "end", "quote", "verdict", "rationale",
              "status", "version", "created_at", "updated_at", "history"]  # fmt: skip
    readonly_fields = fields
    inlines = [EvidenceReadOnlyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("document__body", "document__metadata")

    @admin.display(description="Quote")
    def short_quote(self, obj: Annotation) -> str:
        return obj.quote[:100]

    @admin.display(description="History")
    def history(self, obj: Annotation) -> str:
        return history_table(obj.pk)


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ScopedAdmin):
    project_path = "annotation__document__project"
    list_display = ["url", "title", "stance", "annotation", "added_by", "added_at"]
    list_filter = ["stance"]
    search_fields = ["url", "title", "quoted_passage"]
    list_select_related = ["annotation", "added_by"]
    fields = ["annotation", "url", "title", "quoted_passage", "stance", "added_by", "added_at"]
    readonly_fields = fields


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "annotation_id", "from_status", "to_status"]
    list_filter = ["action", "object_type", "project"]
    search_fields = ["comment"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    fields = ["at", "project", "document_id", "annotation_id", "object_type", "object_id", "action", "actor",
              "changes", "from_status", "to_status", "comment"]  # fmt: skip
    readonly_fields = fields


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ScopedAdmin):
    """Made by the documents list's "Assign to a reviewer" action (services.documents_assign)."""

    project_path = "document__project"
    list_display = ["document", "reviewer", "assigned_by", "assigned_at"]
    list_filter = ["reviewer"]
    list_select_related = ["document", "reviewer", "assigned_by"]
    fields = ["document", "reviewer", "assigned_by", "assigned_at"]
    readonly_fields = fields
