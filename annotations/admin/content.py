"""Desks, members, documents and claims in the admin. Every write calls a service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from annotations import access, services
from annotations.admin.scoping import NEED, ScopedAdmin, scoped_choices
from annotations.domain.errors import AppError
from annotations.domain.text import normalize_line
from annotations.domain.vocabulary import ClaimState, Role
from annotations.models import Claim, Document, Membership, Project


class MembershipFormSet(BaseInlineFormSet):
    def clean(self):
        """Refuse, with a form error and before anything is written, a change that leaves a desk that had an
        admin without one (``membership_set``/``membership_remove`` refuse it too, one row at a time)."""
        super().clean()
        had_admin, final_roles = False, []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            had_admin |= bool(form.instance.pk and form.initial.get("role") == Role.ADMIN)
            if data and not data.get("DELETE") and data.get("user"):
                final_roles.append(data["role"])
        if had_admin and Role.ADMIN not in final_roles:
            raise forms.ValidationError("A desk keeps at least one admin: make someone else admin first.")


class MembershipInline(admin.TabularInline):
    """A desk's members, managed by its admins (and site admins) through membership_set/membership_remove."""

    model = Membership
    formset = MembershipFormSet
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def _manages(self, request, obj) -> bool:
        return obj is not None and access.can_manage_members(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return access.can_use_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._manages(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is get_user_model():
            kwargs["queryset"] = scoped_choices(db_field.related_model, request.user).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProjectAdminForm(forms.ModelForm):
    """The desk rules of ``services.projects`` as form errors (before anything is written)."""

    class Meta:
        model = Project
        fields = ["name", "slug", "description", "guidelines"]

    def clean_slug(self):
        try:
            return services.clean_slug(self.cleaned_data["slug"])
        except AppError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    project_path = ""
    form = ProjectAdminForm
    list_display = ["name", "slug", "document_count", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_document_count=Count("documents"))

    @admin.display(description="Documents", ordering="_document_count")
    def document_count(self, obj: Project) -> int:
        return obj._document_count

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        return ["slug", "created_at"] if obj else []

    def get_fields(self, request, obj=None):
        return ["name", "slug", "description", "guidelines", "created_at"] if obj else [
            "name", "slug", "description", "guidelines"]  # fmt: skip

    def has_add_permission(self, request):
        return access.can_create_projects(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:  # the index offers "Change" only to whoever manages some desk
            return access.projects_visible(request.user, need=Role.ADMIN).exists()
        return access.can_manage_members(request.user, obj)

    def save_model(self, request, obj, form, change):
        # The form has checked the name and the slug; the permissions gate who reaches this.
        if change:
            saved = services.project_update(project=obj, user=request.user, name=form.cleaned_data["name"],
                                            description=obj.description, guidelines=obj.guidelines)  # fmt: skip
        else:
            saved = services.project_create(name=obj.name, slug=obj.slug, user=request.user,
                                            description=obj.description, guidelines=obj.guidelines)  # fmt: skip
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """Members change through the services (the last admin of a desk keeps the role)."""
        project = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # for the change message
        rows = [f for f in formset.forms if getattr(f, "cleaned_data", None)]
        # New admins first and removals late (so a swap never leaves the desk without one), the actor's own row
        # last (they may step down, and after that could no longer manage the others).
        rows.sort(key=lambda f: (
            f.instance.user_id == request.user.pk,
            bool(f.cleaned_data.get("DELETE")),
            f.cleaned_data.get("role") != Role.ADMIN,
        ))  # fmt: skip
        for inline_form in rows:
            data, existing = inline_form.cleaned_data, inline_form.instance
            user = data.get("user")
            previous = Membership.objects.filter(pk=existing.pk).select_related("user").first() if existing.pk else None
            try:
                if data.get("DELETE") and previous:
                    services.membership_remove(project=project, user=previous.user, actor=request.user)
                    formset.deleted_objects.append(previous)
                elif user is not None and (inline_form.has_changed() or not previous):
                    saved = services.membership_set(project=project, user=user, role=data["role"], actor=request.user)
                    if previous and previous.user_id != user.pk:  # the row now names someone else: swap, not add
                        services.membership_remove(project=project, user=previous.user, actor=request.user)
                    if previous:
                        formset.changed_objects.append((saved, inline_form.changed_data))
                    else:
                        formset.new_objects.append(saved)
            except AppError as exc:  # a race the form could not see (the form checks the last-admin rule)
                self.message_user(request, f"{user or existing.user}: {exc}", messages.ERROR)


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Read-only list of members; change them on their desk's page."""

    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    list_select_related = ["user", "project"]


class DocumentAdminForm(forms.ModelForm):
    """Checks what the import service would refuse, so the admin shows a form error instead of failing."""

    class Meta:
        model = Document
        fields = ["project", "title", "body", "source_url", "author", "published_at"]

    def clean_source_url(self):
        url = self.cleaned_data.get("source_url", "")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Only http(s) URLs are accepted.")
        return url

    def clean_title(self):
        title = normalize_line(self.cleaned_data.get("title", ""))
        if not title:
            raise forms.ValidationError("The title is empty.")
        return title

    def clean_body(self):
        body = self.cleaned_data.get("body", "")
        if body is not None and not body.strip():
            raise forms.ValidationError("The article text is empty.")
        return body

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and data.get("title") and data.get("body"):
            try:  # what document_import would refuse, as a form error
                services.document_prepare(title=data["title"], body=data["body"], source_url=data.get("source_url", ""))
            except AppError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


class AssignForm(forms.Form):
    reviewer = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = reviewers


def action_form(request, model_admin, queryset, form, title: str, action: str) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "objects": queryset,
        "form": form,
        "action": action,
        "opts": model_admin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "carry": [(k, v) for k, v in request.POST.items() if k.startswith("version-")],  # versions seen, passed on
    }
    return TemplateResponse(request, "admin/annotations/action_form.html", context)


@admin.register(Document)
class DocumentAdmin(ScopedAdmin):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A subquery, not a JOIN + GROUP BY over every column (the article text included).
        claims = Claim.objects.filter(document=OuterRef("pk")).order_by().values("document")
        count = Subquery(claims.annotate(n=Count("pk")).values("n"), output_field=IntegerField())
        return super().get_queryset(request).defer("body", "metadata").annotate(_claim_count=Coalesce(count, Value(0)))

    def get_readonly_fields(self, request: HttpRequest, obj: Document | None = None) -> list[str]:
        # Annotation offsets index into the body: it is fixed once imported, and so is its desk.
        return [*self.readonly_fields, "project", "body"] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return access.projects_visible(request.user, need=NEED).exists()

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return access.can_use_admin(request.user)
        return access.can_review(request.user, obj.project_id)

    def save_model(self, request: HttpRequest, obj: Document, form, change: bool) -> None:
        # The form has run the services' checks (clean_title, document_prepare); the project choices are the
        # user's editor desks. What is left to fail here is a bug, not bad input.
        data = form.cleaned_data
        if change:
            services.document_update(
                document=obj, user=request.user, title=data["title"], source_url=data["source_url"],
                author=data["author"], published_at=data["published_at"],
            )  # fmt: skip
            return
        # New documents go through the same import service as the CLI (cleaning, dedup).
        access.require(request.user, data["project"], NEED)
        outcome = services.document_import(
            project=data["project"], title=data["title"], body=data["body"], source_url=data["source_url"],
            author=data["author"], published_at=data["published_at"], imported_by=request.user,
            metadata={"source": "admin"},
        )  # fmt: skip
        obj.pk = outcome.document.pk
        obj.refresh_from_db()
        if not outcome.created:
            request._duplicate_of = obj.pk

    def log_addition(self, request, obj, message):
        if not getattr(request, "_duplicate_of", None):  # nothing was added
            super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        """A duplicate was not imported: open the document that has the same text, and say so (no "added")."""
        if getattr(request, "_duplicate_of", None):
            messages.warning(request, f"Not imported: the same text is already document #{obj.pk}, shown here.")
            return HttpResponseRedirect(reverse("admin:annotations_document_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    @admin.display(description="Claims", ordering="_claim_count")
    def claim_count(self, obj: Document) -> int:
        return obj._claim_count

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
            except AppError as exc:
                self.report(request, exc)
                return None
            self.message_user(request, f"{count} document(s) added to {form.cleaned_data['reviewer']}'s queue.")
            return None
        return action_form(request, self, queryset, form, "Assign to a reviewer", "assign_to_reviewer")

    @admin.action(description="Re-run segmentation of the selected documents", permissions=["view"])
    def rerun_segmentation(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = services.document_request_segmentation(document_ids=ids, user=request.user)
        skipped = len(ids) - count
        message = f"Segmentation queued for {count} document(s)."
        if skipped:
            message += f" {skipped} skipped: segmentation is running right now."
        self.message_user(request, message, messages.SUCCESS)


@admin.register(Claim)
class ClaimAdmin(ScopedAdmin):
    """Claims are made by segmentation and by people in the app; here editors accept or dismiss them."""

    project_path = "document__project"
    list_display = ["short_text", "document", "score", "origin", "state"]
    list_filter = ["state", "origin", "document__project"]
    search_fields = ["text", "document__title"]
    list_select_related = ["document"]
    actions = ["accept", "dismiss"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("document__body", "document__metadata")

    @admin.display(description="Text")
    def short_text(self, obj: Claim) -> str:
        return obj.text[:100]

    def _set_state(self, request, queryset, state: str) -> None:
        done = 0
        for claim in queryset:
            try:
                services.claim_set_state(claim_id=claim.pk, state=state, user=request.user)
                done += 1
            except AppError as exc:
                self.report(request, exc, prefix=f"#{claim.pk}: ")
        self.message_user(request, f"{done} claim(s) {state}.", messages.SUCCESS)

    @admin.action(description="Accept the selected claims", permissions=["view"])
    def accept(self, request, queryset):
        self._set_state(request, queryset, ClaimState.ACCEPTED)

    @admin.action(description="Dismiss the selected claims", permissions=["view"])
    def dismiss(self, request, queryset):
        self._set_state(request, queryset, ClaimState.DISMISSED)
