from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "factcheck administration"
admin.site.site_title = "factcheck admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("annotations.api.urls")),
    path("", include("annotations.urls")),
]
