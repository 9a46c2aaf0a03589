from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from annotations.views import healthz

handler404 = "annotations.api.errors.not_found"
handler500 = "annotations.api.errors.server_error"

admin.autodiscover()  # here, not at start-up (annotations.apps.FactcheckAdminConfig): workers skip the admin
admin.site.site_header = "factcheck administration"
admin.site.site_title = "factcheck admin"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # The link of an invitation (and of a password reset): our pages, not the admin's look-alikes.
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="annotations/password_set.html"),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="annotations/password_set_done.html"),
        name="password_reset_complete",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("annotations.api.urls")),
    path("", include("annotations.urls")),
]
