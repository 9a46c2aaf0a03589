from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation

from annotations.api import similar_views, views
from annotations.api.exports import ProjectExportView, ProjectImportVerdictsView
from annotations.domain.vocabulary import ClaimState


class FormatParameterNegotiation(DefaultContentNegotiation):
    """``?format=json|yaml`` picks the schema's renderer (URL_FORMAT_OVERRIDE is off site-wide, because
    ``format`` is the export endpoint's own parameter)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return super().select_renderer(request, renderers, format_suffix or request.query_params.get("format"))


class SchemaView(SpectacularAPIView):
    content_negotiation_class = FormatParameterNegotiation


urlpatterns = [
    path("v1/me", views.MeApi.as_view(), name="api-me"),
    path("v1/projects/", views.ProjectListApi.as_view(), name="api-projects"),
    path("v1/projects/<slug:slug>/", views.ProjectDetailApi.as_view(), name="api-project"),
    path("v1/projects/<slug:slug>/members/", views.ProjectMembersApi.as_view(), name="api-project-members"),
    path(
        "v1/projects/<slug:slug>/members/<str:username>/", views.ProjectMemberApi.as_view(), name="api-project-member"
    ),
    path("v1/projects/<slug:slug>/url-imports", views.ProjectUrlImportsApi.as_view(), name="api-project-url-imports"),
    path("v1/url-imports/<int:pk>/", views.UrlImportDetailApi.as_view(), name="api-url-import"),
    path("v1/projects/<slug:slug>/uploads", views.ProjectUploadApi.as_view(), name="api-project-upload"),
    path("v1/projects/<slug:slug>/export", ProjectExportView.as_view(), name="api-project-export"),
    path(
        "v1/projects/<slug:slug>/import-verdicts",
        ProjectImportVerdictsView.as_view(),
        name="api-project-import-verdicts",
    ),
    path("v1/projects/<slug:slug>/agreement", views.ProjectAgreementApi.as_view(), name="api-project-agreement"),
    path("v1/projects/<slug:slug>/corrections", views.ProjectCorrectionsApi.as_view(), name="api-project-corrections"),
    path("v1/documents/", views.DocumentListApi.as_view(), name="api-documents"),
    path("v1/documents/bulk", views.DocumentBulkImportApi.as_view(), name="api-documents-bulk"),
    path("v1/documents/<int:pk>/", views.DocumentDetailApi.as_view(), name="api-document"),
    path("v1/documents/<int:pk>/done", views.DocumentDoneApi.as_view(), name="api-document-done"),
    path("v1/documents/<int:pk>/versions", views.DocumentVersionsApi.as_view(), name="api-document-versions"),
    path("v1/documents/<int:pk>/diff", views.DocumentDiffApi.as_view(), name="api-document-diff"),
    path("v1/documents/<int:pk>/claims/", views.DocumentClaimsApi.as_view(), name="api-document-claims"),
    path("v1/documents/<int:pk>/submit-drafts", views.DocumentSubmitDraftsApi.as_view(), name="api-document-submit"),
    path("v1/claims/<int:pk>/accept", views.ClaimStateApi.as_view(state=ClaimState.ACCEPTED), name="api-claim-accept"),
    path(
        "v1/claims/<int:pk>/dismiss", views.ClaimStateApi.as_view(state=ClaimState.DISMISSED), name="api-claim-dismiss"
    ),
    path(
        "v1/claims/<int:pk>/restore", views.ClaimStateApi.as_view(state=ClaimState.CANDIDATE), name="api-claim-restore"
    ),
    path("v1/annotations/", views.AnnotationListApi.as_view(), name="api-annotations"),
    path("v1/annotations/<int:pk>/", views.AnnotationDetailApi.as_view(), name="api-annotation"),
    path("v1/annotations/<int:pk>/submit", views.AnnotationSubmitApi.as_view(), name="api-annotation-submit"),
    path("v1/annotations/<int:pk>/place", views.AnnotationPlaceApi.as_view(), name="api-annotation-place"),
    path("v1/annotations/<int:pk>/review", views.AnnotationTransitionApi.as_view(), name="api-annotation-review"),
    path("v1/annotations/<int:pk>/comments", views.AnnotationCommentsApi.as_view(), name="api-annotation-comments"),
    path("v1/annotations/<int:pk>/evidence/", views.AnnotationEvidenceApi.as_view(), name="api-annotation-evidence"),
    path("v1/evidence/<int:pk>/", views.EvidenceDetailApi.as_view(), name="api-evidence"),
    path("v1/evidence/<int:pk>/snapshot", views.EvidenceSnapshotApi.as_view(), name="api-evidence-snapshot"),
    # "Checked before?" (issue 14)
    path("v1/claims/<int:pk>/similar", similar_views.ClaimSimilarApi.as_view(), name="api-claim-similar"),
    path(
        "v1/annotations/<int:pk>/similar", similar_views.AnnotationSimilarApi.as_view(), name="api-annotation-similar"
    ),
    path("v1/documents/<int:pk>/similar", similar_views.DocumentSimilarApi.as_view(), name="api-document-similar"),
    path("v1/similar", similar_views.SimilarSearchApi.as_view(), name="api-similar"),
    path("v1/similar/<int:pk>/reuse", similar_views.ReferenceReuseApi.as_view(), name="api-similar-reuse"),
    path(
        "v1/projects/<slug:slug>/claimreviews",
        similar_views.ProjectClaimReviewImportApi.as_view(),
        name="api-project-claimreviews",
    ),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc's bundle always loads its logo from cdn.redoc.ly (an <img> it renders unconditionally), so the docs are
    # Swagger UI only; old links land there.
    path("redoc/", RedirectView.as_view(pattern_name="api-docs", permanent=True), name="api-redoc"),
]
