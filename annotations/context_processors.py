"""Template context from the access layer."""

from django.utils.functional import SimpleLazyObject

from annotations import access


def admin_link(request) -> dict:
    """``can_use_admin``: show the Admin link to editors and admins of a desk (computed only if used)."""
    return {"can_use_admin": SimpleLazyObject(lambda: access.can_use_admin(getattr(request, "user", None)))}
