"""The reviewer sees why: every review action's comment is on the annotation's thread, the author and the
desk's editors reply there, and My queue lists what was sent back or rejected with the latest word on it."""

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import AuditEvent

QUOTE = "3.5 percent"


def _submitted(document, author):
    start = document.body.index(QUOTE)
    annotation = services.annotation_create(document=document, author=author, start=start,
                                            end=start + len(QUOTE), quote=QUOTE, verdict="mostly_true")  # fmt: skip
    return services.annotation_submit(annotation_id=annotation.pk, user=author, version=annotation.version)


def _send_back(annotation, editor, action="request_changes", comment="Which survey? Add the BLS release."):
    annotation.refresh_from_db()
    return services.annotation_transition(annotation_id=annotation.pk, user=editor, action=action, comment=comment,
                                          version=annotation.version)  # fmt: skip


def test_a_request_for_changes_is_on_the_thread_and_the_author_replies(api_as, document, reviewer, editor):
    annotation = _submitted(document, reviewer)
    _send_back(annotation, editor)
    url = reverse("api-annotation-comments", args=[annotation.pk])
    reply = api_as(reviewer).post(url, {"text": "Added the BLS release of 6 December."}, format="json")
    assert reply.status_code == 201
    thread = api_as(editor).get(url).json()["results"]
    assert [(e["author"], e["kind"], e["to_status"], e["text"]) for e in thread] == [
        ("editor", "review", "changes_requested", "Which survey? Add the BLS release."),
        ("reviewer", "comment", "", "Added the BLS release of 6 December."),
    ]
    assert AuditEvent.objects.filter(action="comment", annotation_id=annotation.pk, actor=reviewer).count() == 1


def test_other_reviewers_neither_write_on_the_thread_nor_outsiders_see_it(
    api_as, document, reviewer, other_reviewer, outsider
):
    annotation = _submitted(document, reviewer)
    url = reverse("api-annotation-comments", args=[annotation.pk])
    assert api_as(other_reviewer).post(url, {"text": "I disagree"}, format="json").status_code == 403
    assert api_as(outsider).get(url).status_code == 404
    assert api_as(outsider).post(url, {"text": "hi"}, format="json").status_code == 404
    assert not AuditEvent.objects.filter(action="comment").exists()


@pytest.mark.parametrize(("text", "status"), [("   ", 400), ("x" * 5001, 400), ("a\x00b", 400)])
def test_an_empty_or_oversized_message_is_a_400(api_as, document, reviewer, text, status):
    annotation = _submitted(document, reviewer)
    response = api_as(reviewer).post(reverse("api-annotation-comments", args=[annotation.pk]), {"text": text},
                                     format="json")  # fmt: skip
    assert response.status_code == status
    assert not AuditEvent.objects.filter(action="comment").exists()


def test_my_queue_lists_sent_back_and_rejected_work_with_the_latest_comment(client, document, reviewer, editor):
    sent_back = _submitted(document, reviewer)
    _send_back(sent_back, editor, comment="Which survey?")
    services.annotation_comment(annotation_id=sent_back.pk, user=editor, text="Also check the date.")
    rejected = services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The",
                                          verdict="false")  # fmt: skip
    services.annotation_submit(annotation_id=rejected.pk, user=reviewer, version=rejected.version)
    _send_back(rejected, editor, action="reject", comment="Not a claim.")
    client.force_login(reviewer)
    page = client.get(reverse("my-queue")).content.decode()
    assert "Changes requested on my annotations" in page and "Rejected" in page
    assert "Also check the date." in page and "Not a claim." in page
    assert "Which survey?" not in page  # the latest word only
