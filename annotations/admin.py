"""Admin. Staff who are not superusers only see objects of the projects they belong to."""

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from annotations import services
from annotations.models import Annotation, Claim, Document, EvidenceLink, Membership, Project


class ProjectScopedAdmin(admin.ModelAdmin):
    project_path = "project"  # lookup from the model to its Project

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.project_path}__memberships__user": request.user}).distinct()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    project_path = "pk"
    list_display = ["name", "slug", "document_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = admin.ModelAdmin.get_queryset(self, request).annotate(_document_count=Count("documents"))
        if request.user.is_superuser:
            return queryset
        return queryset.filter(memberships__user=request.user)

    @admin.display(description="Documents", ordering="_document_count")
    def document_count(self, obj: Project) -> int:
        return obj._document_count


@admin.register(Membership)
class MembershipAdmin(ProjectScopedAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Document)
class DocumentAdmin(ProjectScopedAdmin):
    list_display = ["title", "project", "segmentation_status", "claim_count", "imported_by", "imported_at"]
    list_filter = ["segmentation_status", "project", "imported_at"]
    search_fields = ["title", "author", "source_url", "content_sha256"]
    date_hierarchy = "imported_at"
    readonly_fields = [
        "content_sha256",
        "imported_by",
        "imported_at",
        "updated_at",
        "segmentation_status",
        "segmentation_error",
        "segmentation_started_at",
        "segmenter_version",
    ]
    list_select_related = ["project", "imported_by"]
    actions = ["rerun_segmentation"]

    @admin.action(description="Re-run segmentation of the selected documents", permissions=["change"])
    def rerun_segmentation(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = services.document_request_segmentation(document_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        message = f"Segmentation queued for {count} document(s)."
        if skipped:
            message += f" {skipped} skipped: segmentation is running right now."
        self.message_user(request, message, messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_claim_count=Count("claims"))

    def get_readonly_fields(self, request: HttpRequest, obj: Document | None = None) -> list[str]:
        # Annotation offsets index into the body: it is fixed once imported.
        return [*self.readonly_fields, "body"] if obj else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project" and not request.user.is_superuser:
            kwargs["queryset"] = Project.objects.filter(memberships__user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Document, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # New documents go through the same import service as the CLI (cleaning, dedup).
        try:
            outcome = services.document_import(
                project=obj.project,
                title=obj.title,
                body=obj.body,
                source_url=obj.source_url,
                author=obj.author,
                published_at=obj.published_at,
                imported_by=request.user,
                metadata={"source": "admin"},
            )
        except services.DocumentRejected as exc:
            raise ValueError(str(exc)) from exc
        obj.pk = outcome.document.pk
        obj.refresh_from_db()
        if not outcome.created:
            messages.warning(request, f"Not imported: same content as document #{obj.pk}, shown here.")

    @admin.display(description="Claims", ordering="_claim_count")
    def claim_count(self, obj: Document) -> int:
        return obj._claim_count


@admin.register(Claim)
class ClaimAdmin(ProjectScopedAdmin):
    project_path = "document__project"
    list_display = ["short_text", "document", "score", "origin", "state"]
    list_filter = ["state", "origin", "document__project"]
    search_fields = ["text", "document__title"]
    list_select_related = ["document"]
    raw_id_fields = ["document"]

    @admin.display(description="Text")
    def short_text(self, obj: Claim) -> str:
        return obj.text[:100]


class EvidenceInline(admin.TabularInline):
    model = EvidenceLink
    extra = 0
    readonly_fields = ["added_by", "added_at"]


@admin.register(Annotation)
class AnnotationAdmin(ProjectScopedAdmin):
    project_path = "document__project"
    list_display = ["short_quote", "document", "author", "verdict", "status", "version", "updated_at"]
    list_filter = ["status", "verdict", "document__project"]
    search_fields = ["quote", "rationale", "author__username", "document__title"]
    list_select_related = ["document", "author"]
    raw_id_fields = ["document", "claim"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [EvidenceInline]

    @admin.display(description="Quote")
    def short_quote(self, obj: Annotation) -> str:
        return obj.quote[:100]


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ProjectScopedAdmin):
    project_path = "annotation__document__project"
    list_display = ["url", "title", "stance", "annotation", "added_by", "added_at"]
    list_filter = ["stance"]
    search_fields = ["url", "title", "quoted_passage"]
    list_select_related = ["annotation", "added_by"]
    raw_id_fields = ["annotation"]
