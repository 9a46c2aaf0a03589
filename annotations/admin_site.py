"""The admin site: open to site admins and to editors and admins of any desk, decided by the access layer
(no Staff tick, no hand-picked Django permissions)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from annotations import access


class DeskAdminAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct %(username)s and password. Both fields may be case-sensitive.",
    }

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # active accounts only
        if not access.can_use_admin(user):
            raise ValidationError(
                "The admin is for editors and admins of a desk. Reviewers work in the app.", code="invalid_login"
            )


class FactcheckAdminSite(AdminSite):
    site_header = "factcheck administration"
    site_title = "factcheck admin"
    login_form = DeskAdminAuthenticationForm
    # The app list is one click away (Home); its sidebar took 300 px from the review queue's columns at 1,280 px.
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        return access.can_use_admin(request.user)
