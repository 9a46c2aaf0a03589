from django.urls import path

from annotations import views, views_account, views_desk

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/new/", views_desk.desk_create, name="desk-create"),
    path("projects/<slug:slug>/", views.document_list, name="document-list"),
    path("projects/<slug:slug>/settings/", views_desk.desk_settings, name="desk-settings"),
    path("projects/<slug:slug>/agreement/", views.agreement, name="desk-agreement"),
    path("documents/<int:document_id>/", views.document_detail, name="document-detail"),
    path("documents/<int:document_id>/diff/", views.document_diff, name="document-diff"),
    path("documents/<int:document_id>/correct/", views_desk.document_correct, name="document-correct"),
    path("fact-checks/<int:annotation_id>/", views.fact_check, name="fact-check"),
    path("review/<int:annotation_id>/", views.review_screen, name="review-screen"),
    path("evidence/<int:evidence_id>/archive/", views.evidence_archive, name="evidence-archive"),
    path("account/token/", views_account.api_token, name="api-token"),
    path("queue/", views_account.my_queue, name="my-queue"),
    path("inbox/", views_account.inbox, name="inbox"),
]
