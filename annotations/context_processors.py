"""Template context from the access layer."""

from django.utils.functional import SimpleLazyObject

from annotations import access


def admin_link(request) -> dict:
    """``can_use_admin``: show the Admin link to editors and admins of a desk; ``inbox_unread``: the count by
    the Inbox link (each computed only if a page uses it)."""
    user = getattr(request, "user", None)

    def unread() -> int:
        from annotations.models import Notification

        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {
        "can_use_admin": SimpleLazyObject(lambda: access.can_use_admin(user)),
        "inbox_unread": SimpleLazyObject(unread),
    }
