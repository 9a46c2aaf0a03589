"""The inbox: assignments, work sent back or rejected, replies and disagreements reach the person they concern,
with a count in the header and an e-mail unless they turned e-mail off."""

from django.core import mail
from django.urls import reverse

from annotations import services
from annotations.models import Notification

QUOTE = "3.5 percent"


def _submitted(document, author, verdict="mostly_true"):
    start = document.body.index(QUOTE)
    a = services.annotation_create(document=document, author=author, start=start, end=start + len(QUOTE),
                                   quote=QUOTE, verdict=verdict)  # fmt: skip
    return services.annotation_submit(annotation_id=a.pk, user=author, version=a.version)


def test_changes_requested_reach_the_author_in_the_inbox_and_by_e_mail(
    client, document, reviewer, editor, django_capture_on_commit_callbacks
):
    reviewer.email = "rev@example.org"
    reviewer.save()
    a = _submitted(document, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        services.annotation_transition(annotation_id=a.pk, user=editor, action="request_changes",
                                       comment="Cite the release.", version=a.version)  # fmt: skip
    (note,) = Notification.objects.filter(user=reviewer)
    assert note.kind == "sent_back" and "Cite the release." in note.text and note.actor == editor
    assert [m.to for m in mail.outbox] == [["rev@example.org"]] and "Changes requested" in mail.outbox[0].subject
    client.force_login(reviewer)
    header = client.get(reverse("project-list")).content.decode()
    assert 'aria-label="1 unread"' in header
    page = client.get(reverse("inbox")).content.decode()
    assert "Cite the release." in page and "unread" in page
    client.post(reverse("inbox"), {"action": "read"})
    assert not Notification.objects.filter(user=reviewer, read_at__isnull=True).exists()


def test_a_reply_reaches_the_other_side_of_the_thread_but_not_the_writer(document, reviewer, editor):
    a = _submitted(document, reviewer)
    services.annotation_transition(annotation_id=a.pk, user=editor, action="reject", comment="Not a claim.",
                                   version=a.version)  # fmt: skip
    services.annotation_comment(annotation_id=a.pk, user=reviewer, text="It is: it has a number.")
    assert list(Notification.objects.filter(user=editor).values_list("kind", flat=True)) == ["reply"]
    assert list(Notification.objects.filter(user=reviewer).values_list("kind", flat=True)) == ["rejected"]


def test_a_disagreeing_verdict_notifies_the_other_reviewer(document, reviewer, other_reviewer):
    _submitted(document, reviewer, "mostly_true")
    _submitted(document, other_reviewer, "false")
    (note,) = Notification.objects.filter(user=reviewer)
    assert note.kind == "disagreement" and "other_reviewer" in note.text
    assert not Notification.objects.filter(user=other_reviewer).exists()


def test_an_assignment_reaches_the_reviewer(document, reviewer, editor):
    services.documents_assign(document_ids=[document.pk], reviewer=reviewer, assigned_by=editor)
    (note,) = Notification.objects.filter(user=reviewer)
    assert note.kind == "assigned" and note.document == document


def test_e_mail_can_be_turned_off_and_the_inbox_still_fills(
    client, document, reviewer, editor, django_capture_on_commit_callbacks
):
    reviewer.email = "rev@example.org"
    reviewer.save()
    client.force_login(reviewer)
    client.post(reverse("inbox"), {"action": "email"})  # the box unticked
    a = _submitted(document, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        services.annotation_transition(annotation_id=a.pk, user=editor, action="request_changes",
                                       comment="Cite it.", version=a.version)  # fmt: skip
    assert mail.outbox == [] and Notification.objects.filter(user=reviewer).count() == 1
    assert "checked" not in client.get(reverse("inbox")).content.decode().split('name="email"')[1][:20]


def test_the_inbox_shows_only_my_notifications(client, document, reviewer, other_reviewer, editor):
    a = _submitted(document, reviewer)
    services.annotation_transition(annotation_id=a.pk, user=editor, action="reject", comment="Secret reason.",
                                   version=a.version)  # fmt: skip
    client.force_login(other_reviewer)
    assert "Secret reason." not in client.get(reverse("inbox")).content.decode()
