"""Telling people about their work: an inbox entry per event, and an e-mail (after commit, through Django's
mailer) unless they turned e-mail off. Called by the review services; never raises for a mail problem."""

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from annotations.models import Annotation, Document, Notification, NotificationSettings

logger = logging.getLogger(__name__)
Kind = Notification.Kind


def notify(
    users, kind: str, *, actor: AbstractBaseUser | None, text: str, document: Document | None = None,
    annotation: Annotation | None = None,
) -> list[Notification]:  # fmt: skip
    """One inbox entry per person in ``users`` (never the actor themself), and e-mail to those who want it."""
    document = document or (annotation.document if annotation is not None else None)
    people = {u.pk: u for u in users if u is not None and getattr(u, "is_active", False)}
    if actor is not None:
        people.pop(actor.pk, None)
    if not people or document is None:
        return []
    rows = Notification.objects.bulk_create([
        Notification(user=user, kind=kind, project_id=document.project_id, document=document, annotation=annotation,
                     actor=actor, text=text[:2000]) for user in people.values()
    ])  # fmt: skip
    off = set(NotificationSettings.objects.filter(user_id__in=people, email=False).values_list("user_id", flat=True))
    recipients = [u.email for pk, u in people.items() if pk not in off and u.email]
    if recipients:
        link = reverse("inbox")
        subject = f"[factcheck] {Kind(kind).label}: {document.title[:80]}"
        body = f"{text}\n\nYour inbox: {settings.SITE_URL or ''}{link}\nTurn these e-mails off on that page."
        transaction.on_commit(lambda: _mail(subject, body, recipients))
    return rows


def _mail(subject: str, body: str, recipients: list[str]) -> None:
    from django.core.mail import send_mail

    for address in recipients:  # one message each: nobody sees the others' addresses
        try:
            send_mail(subject, body, None, [address])
        except Exception:
            logger.exception("could not send a notification to %s", address)


@transaction.atomic
def notifications_mark_read(*, user: AbstractBaseUser, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones, or those of ``ids``)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_settings_set(*, user: AbstractBaseUser, email: bool) -> NotificationSettings:
    row, _ = NotificationSettings.objects.update_or_create(user=user, defaults={"email": bool(email)})
    return row
