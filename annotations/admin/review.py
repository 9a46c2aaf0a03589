"""The editors' review queue and agreement page. Every action goes through services.annotation_transition."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from annotations import access, selectors, services, similar
from annotations.admin.audit import EvidenceReadOnlyInline, history_table
from annotations.admin.content import action_form
from annotations.admin.scoping import NEED, ScopedAdmin
from annotations.domain.errors import AppError
from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import AnnotationStatus
from annotations.models import EvidenceLink, ReviewItem


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), required=False)


class DisagreementFilter(admin.SimpleListFilter):
    title = "agreement"
    parameter_name = "disagreement"

    def lookups(self, request, model_admin):
        return [("yes", "Disagreement"), ("no", "No disagreement")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        items = list(
            queryset.select_related("author").only(
                "id",
                "document_id",
                "author_id",
                "author__username",
                "original_author",
                "claim_id",
                "start",
                "end",
                "verdict",
            )
        )
        context = selectors.review_context(items)
        flagged = [pk for pk, info in context.items() if info["disagreement"]]
        return queryset.filter(pk__in=flagged) if self.value() == "yes" else queryset.exclude(pk__in=flagged)


class ProjectAuthorFilter(admin.SimpleListFilter):
    """Authors of the annotations the editor can see (the stock filter would list every user)."""

    title = "author"
    parameter_name = "author"

    def lookups(self, request, model_admin):
        users = get_user_model().objects.filter(annotations__in=model_admin.get_queryset(request)).distinct()
        return [(u.pk, u.get_username()) for u in users.order_by("username")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.isascii() and value.isdigit() and len(value) < 19:
            return queryset.filter(author_id=int(value))
        return queryset.none()


@admin.register(ReviewItem)
class ReviewQueueAdmin(ScopedAdmin):
    """Editors' review queue: submitted annotations of their desks (read-only; actions call the workflow)."""

    project_path = "document__project"
    list_display = ["short_quote", "short_rationale", "evidence_count", "document_link", "verdict", "writer", "age",
                    "agreement", "state"]  # fmt: skip
    # anchor_state: after a new version of an article, "changed" finds the verdicts whose words changed.
    list_filter = ["status", "anchor_state", DisagreementFilter, "document__project", "verdict", ProjectAuthorFilter]
    search_fields = ["quote", "rationale"]
    ordering = ["updated_at"]
    list_select_related = ["document", "author"]
    actions = ["approve", "request_changes", "reject"]
    inlines = [EvidenceReadOnlyInline]
    fields = ["document_link", "quote", "verdict", "rationale", "status", "anchor_state", "document_version", "author",
              "version", "history"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        evidence = EvidenceLink.objects.filter(annotation=OuterRef("pk")).order_by().values("annotation")
        queryset = (
            super().get_queryset(request).defer("document__body", "document__metadata")
            .annotate(_evidence=Coalesce(Subquery(evidence.annotate(n=Count("pk")).values("n")[:1]), 0))
        )  # fmt: skip
        on_the_list = getattr(request.resolver_match, "url_name", "") == "annotations_reviewitem_changelist"
        if on_the_list and not request.GET.get("status__exact"):
            queryset = queryset.filter(status=AnnotationStatus.SUBMITTED)
        return queryset

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        context = selectors.review_context(list(changelist.result_list))
        contradicting = similar.contradictions(request.user, list(changelist.result_list))  # one query for the page
        for item in changelist.result_list:
            item.review = context[item.pk]
            item.contradicts = contradicting.get(item.pk, [])
        return changelist

    def checked_before(self, obj):
        """An earlier published verdict (or imported fact-check) on a matching claim that this one contradicts."""
        matches = getattr(obj, "contradicts", None)
        if not matches:
            return "–"
        row = matches[0].reference
        label = Verdict(row.verdict).label if row.verdict else row.rating_label
        return format_html('<strong class="disagree contradicts" title="“{}” ({}, similarity {})">⚠ contradicts a '
                           'published {}</strong>', row.text[:200], row.project.name, f"{matches[0].score:.2f}",
                           label)  # fmt: skip

    @admin.display(description="Quote")
    def short_quote(self, obj):
        """The quote, linked to the review screen (every verdict on the claim side by side, with the actions)."""
        return format_html('<a href="{}" class="review-link">{}</a>', reverse("review-screen", args=[obj.pk]),
                           obj.quote[:100])  # fmt: skip

    @admin.display(description="Rationale")
    def short_rationale(self, obj):
        return (obj.rationale[:120] + "…") if len(obj.rationale) > 120 else obj.rationale

    @admin.display(description="Evidence", ordering="_evidence")
    def evidence_count(self, obj):
        return obj._evidence

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

    @admin.display(description="Other verdicts")
    def agreement(self, obj):
        """How many other reviewers judged the claim, and whether they agree (one column: the queue fits 1,280 px);
        and whether it contradicts an earlier published verdict on a matching claim ("Checked before?")."""
        flag = self.checked_before(obj)
        if not getattr(obj, "review", None) or not obj.review["independent"]:
            return flag if flag != "–" else "none"
        others = obj.review["independent"]
        if obj.review["disagreement"]:
            peers = ", ".join(f"{selectors.writer(p)}: {p.verdict}" for p in obj.review["peers"])
            told = format_html('<strong class="disagree" title="{}">{} · ⚠ disagree</strong>', peers, others)
        else:
            told = f"{others} · ✓ agree"
        return told if flag == "–" else format_html("{}<br>{}", told, flag)

    @admin.display(description="Author", ordering="author__username")
    def writer(self, obj):
        """Who wrote it (for a verdict imported from another desk: its original author, and who imported it)."""
        if obj.original_author:
            return f"{obj.original_author} (imported by {obj.author.get_username()})"
        return obj.author.get_username()

    @admin.display(description="Status", ordering="status")
    def state(self, obj):
        """The status, and the version on screen posted with an action: a verdict changed since the page
        loaded is not approved."""
        label = AnnotationStatus(obj.status).label
        return format_html('{}<input type="hidden" name="version-{}" value="{}">', label, obj.pk, obj.version)

    @admin.display(description="History")
    def history(self, obj):
        return history_table(obj.pk)

    def _transition(self, request, queryset, action: str, title: str):
        form = CommentForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return action_form(request, self, queryset, form, title, action)
        done = 0
        for item in queryset:
            seen = request.POST.get(f"version-{item.pk}", "")
            try:
                services.annotation_transition(
                    annotation_id=item.pk,
                    user=request.user,
                    action=action,
                    comment=form.cleaned_data["comment"],
                    version=int(seen) if seen.isascii() and seen.isdigit() and len(seen) < 10 else None,
                )
                done += 1
            except AppError as exc:
                self.report(request, exc, prefix=f"#{item.pk} “{item.quote[:40]}”: ")
        if done:
            self.message_user(request, f"{title}: {done} annotation(s).", messages.SUCCESS)
        return None

    @admin.action(description="Approve the selected annotations", permissions=["view"])
    def approve(self, request, queryset):
        context = selectors.review_context(list(queryset))
        if "apply" not in request.POST and any(info["disagreement"] for info in context.values()):
            # Flagged disagreements cannot be approved without a comment: ask for one first.
            return action_form(request, self, queryset, CommentForm(), "Approve (comment required)", "approve")
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
        projects = access.projects_visible(request.user, need=NEED).order_by("name")
        reports = [(project, selectors.agreement_report(project)) for project in projects]
        context = {**self.admin_site.each_context(request), "title": "Agreement on verdicts", "reports": reports,
                   "opts": self.model._meta}  # fmt: skip
        return TemplateResponse(request, "admin/annotations/agreement.html", context)
