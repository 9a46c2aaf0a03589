"""Admin. Staff who are not superusers only see objects of the projects they belong to."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from annotations import selectors, services
from annotations.models import (
    Annotation,
    AuditEvent,
    Claim,
    Document,
    EvidenceLink,
    Membership,
    Project,
    ReviewAssignment,
    ReviewItem,
)


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


class DocumentAdminForm(forms.ModelForm):
    """Checks what the import service would refuse, so the admin shows a form error instead of failing."""

    class Meta:
        model = Document
        fields = ["project", "title", "body", "source_url", "author", "published_at", "metadata"]

    def clean_source_url(self):
        url = self.cleaned_data.get("source_url", "")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Only http(s) URLs are accepted.")
        return url

    def clean_body(self):
        body = self.cleaned_data.get("body", "")
        if body is not None and not body.strip():
            raise forms.ValidationError("The article text is empty.")
        return body


@admin.register(Document)
class DocumentAdmin(ProjectScopedAdmin):
    form = DocumentAdminForm
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
    actions = ["rerun_segmentation", "assign_to_reviewer"]

    @admin.action(description="Assign the selected documents to a reviewer", permissions=["view"])
    def assign_to_reviewer(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        projects = set(queryset.values_list("project_id", flat=True))
        reviewers = (
            get_user_model().objects.filter(memberships__project_id__in=projects).distinct().order_by("username")
        )
        form = AssignForm(request.POST if "apply" in request.POST else None, reviewers=reviewers)
        if form.is_valid():
            try:
                count = services.documents_assign(
                    document_ids=list(queryset.values_list("pk", flat=True)),
                    reviewer=form.cleaned_data["reviewer"],
                    assigned_by=request.user,
                )
            except services.Rejected as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(request, f"{count} document(s) added to {form.cleaned_data['reviewer']}'s queue.")
            return None
        return _action_form(request, self, queryset, form, "Assign to a reviewer", "assign_to_reviewer")

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
        except services.Rejected as exc:
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


# ---- review queue --------------------------------------------------------------------------------------


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=False)


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers


def _action_form(request, model_admin, queryset, form, title: str, action: str) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "objects": queryset,
        "form": form,
        "action": action,
        "opts": model_admin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/annotations/action_form.html", context)


class DisagreementFilter(admin.SimpleListFilter):
    title = "agreement"
    parameter_name = "disagreement"

    def lookups(self, request, model_admin):
        return [("yes", "Disagreement"), ("no", "No disagreement")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        items = list(queryset.only("id", "document_id", "author_id", "claim_id", "start", "end", "verdict"))
        context = selectors.review_context(items)
        flagged = [pk for pk, info in context.items() if info["disagreement"]]
        return queryset.filter(pk__in=flagged) if self.value() == "yes" else queryset.exclude(pk__in=flagged)


class ProjectAuthorFilter(admin.SimpleListFilter):
    """Authors of the projects the editor belongs to (the stock filter would list every user)."""

    title = "author"
    parameter_name = "author"

    def lookups(self, request, model_admin):
        users = get_user_model().objects.filter(annotations__in=model_admin.get_queryset(request)).distinct()
        return [(u.pk, u.get_username()) for u in users.order_by("username")]

    def queryset(self, request, queryset):
        return queryset.filter(author_id=self.value()) if self.value() else queryset


class EvidenceReadOnlyInline(admin.TabularInline):
    model = EvidenceLink
    extra = 0
    can_delete = False
    fields = ["url", "title", "quoted_passage", "stance", "added_by", "added_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReviewItem)
class ReviewQueueAdmin(ProjectScopedAdmin):
    """Editors' review queue. Every action goes through services.annotation_transition."""

    project_path = "document__project"
    list_display = ["short_quote", "document_link", "verdict", "author", "age", "independent", "agreement", "status"]
    list_filter = ["status", DisagreementFilter, "document__project", "verdict", ProjectAuthorFilter]
    search_fields = ["quote", "rationale"]
    ordering = ["updated_at"]
    list_select_related = ["document", "author"]
    actions = ["approve", "request_changes", "reject"]
    inlines = [EvidenceReadOnlyInline]
    fields = ["document_link", "quote", "verdict", "rationale", "status", "author", "version", "history"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if not request.GET.get("status__exact") and "/change/" not in request.path:
            queryset = queryset.filter(status="submitted")
        return queryset

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        context = selectors.review_context(list(changelist.result_list))
        for item in changelist.result_list:
            item.review = context[item.pk]
        return changelist

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Quote")
    def short_quote(self, obj):
        return obj.quote[:100]

    @admin.display(description="Document")
    def document_link(self, obj):
        url = reverse("document-detail", args=[obj.document_id]) + f"?annotation={obj.pk}#a{obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.document.title[:60])

    @admin.display(description="Age", ordering="updated_at")
    def age(self, obj):
        return timesince(obj.updated_at, timezone.now())

    @admin.display(description="Other verdicts")
    def independent(self, obj):
        return obj.review["independent"] if hasattr(obj, "review") else "–"

    @admin.display(description="Agree?")
    def agreement(self, obj):
        if not getattr(obj, "review", None) or not obj.review["independent"]:
            return "–"
        if obj.review["disagreement"]:
            peers = ", ".join(f"{p.author.get_username()}: {p.verdict}" for p in obj.review["peers"])
            return format_html('<strong class="disagree" title="{}">⚠ disagreement</strong>', peers)
        return "✓ agree"

    @admin.display(description="History")
    def history(self, obj):
        events = AuditEvent.objects.filter(annotation_id=obj.pk).select_related("actor").order_by("at", "id")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (e.at.strftime("%Y-%m-%d %H:%M"), e.actor or "–", e.get_action_display(),
                 "; ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in e.changes.items() if k != "quote"), e.comment)
                for e in events
            ),
        )  # fmt: skip
        return format_html(
            "<table><tr><th>When</th><th>Who</th><th>What</th><th>Changes</th><th>Comment</th></tr>{}</table>", rows
        )

    def _transition(self, request, queryset, action: str, title: str):
        form = CommentForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return _action_form(request, self, queryset, form, title, action)
        done, failed = 0, []
        for item in queryset:
            try:
                services.annotation_transition(
                    annotation_id=item.pk, user=request.user, action=action, comment=form.cleaned_data["comment"]
                )
                done += 1
            except (services.Rejected, PermissionDenied) as exc:
                failed.append(f"#{item.pk} “{item.quote[:40]}”: {exc}")
        if done:
            self.message_user(request, f"{title}: {done} annotation(s).", messages.SUCCESS)
        for message in failed:
            self.message_user(request, message, messages.ERROR)
        return None

    @admin.action(description="Approve the selected annotations", permissions=["view"])
    def approve(self, request, queryset):
        context = selectors.review_context(list(queryset))
        if "apply" not in request.POST and any(info["disagreement"] for info in context.values()):
            # Flagged disagreements cannot be approved without a comment: ask for one first.
            return _action_form(request, self, queryset, CommentForm(), "Approve (comment required)", "approve")
        if "apply" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["apply"] = "1"
        return self._transition(request, queryset, "approve", "Approved")

    @admin.action(description="Request changes on the selected annotations", permissions=["view"])
    def request_changes(self, request, queryset):
        return self._transition(request, queryset, "request_changes", "Changes requested")

    @admin.action(description="Reject the selected annotations", permissions=["view"])
    def reject(self, request, queryset):
        return self._transition(request, queryset, "reject", "Rejected")

    def get_urls(self):
        return [
            path(
                "agreement/", self.admin_site.admin_view(self.agreement_view), name="annotations_reviewitem_agreement"
            ),
            *super().get_urls(),
        ]

    def agreement_view(self, request):
        projects = selectors.projects_for_user(request.user) if not request.user.is_superuser else Project.objects.all()
        reports = [(project, selectors.agreement_report(project)) for project in projects.order_by("name")]
        context = {**self.admin_site.each_context(request), "title": "Agreement on verdicts", "reports": reports,
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/annotations/agreement.html", context)


@admin.register(AuditEvent)
class AuditEventAdmin(ProjectScopedAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "annotation_id", "from_status", "to_status"]
    list_filter = ["action", "object_type", "project"]
    search_fields = ["comment", "annotation_id"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ProjectScopedAdmin):
    project_path = "document__project"
    list_display = ["document", "reviewer", "assigned_by", "assigned_at"]
    list_filter = ["reviewer"]
    raw_id_fields = ["document"]
