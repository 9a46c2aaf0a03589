"""The review screen: a claim's text in context, every verdict on it side by side, whether they agree, and the
buttons the state table allows the person looking (never on their own work); its actions go through the API."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotations import services
from annotations.domain.vocabulary import AnnotationStatus, Role
from annotations.models import Annotation
from annotations.tests.factories import MembershipFactory, UserFactory

QUOTE = "The unemployment rate fell to 3.5 percent in 2019"
CLAUSE = "3.5 percent"


def _submitted(document, author, quote, verdict, rationale=""):
    start = document.body.index(quote)
    a = services.annotation_create(document=document, author=author, start=start, end=start + len(quote),
                                   quote=quote, verdict=verdict, rationale=rationale)  # fmt: skip
    return services.annotation_submit(annotation_id=a.pk, user=author, version=a.version)


@pytest.fixture
def two_verdicts(document, reviewer, other_reviewer):
    first = _submitted(document, reviewer, QUOTE, "mostly_true", "BLS says 3.5.")
    second = _submitted(document, other_reviewer, QUOTE, "false", "It was 3.6 in December.")
    return first, second


def test_an_editor_sees_every_verdict_on_the_claim_and_that_they_disagree(client, editor, two_verdicts):
    first, _ = two_verdicts
    client.force_login(editor)
    response = client.get(reverse("review-screen", args=[first.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The verdicts disagree." in html
    assert "BLS says 3.5." in html and "It was 3.6 in December." in html
    assert html.count('class="review-card card') == 2
    assert html.count('value="approve"') == 2 and html.count('value="reject"') == 2


def test_nobody_gets_buttons_for_their_own_annotation(client, document, editor, reviewer):
    own = _submitted(document, editor, QUOTE, "true")
    client.force_login(editor)
    html = client.get(reverse("review-screen", args=[own.pk])).content.decode()
    assert 'value="approve"' not in html and "Your own annotation: someone else reviews it." in html


@pytest.mark.parametrize(("who", "status"), [("reviewer", 403), ("outsider", 404)])
def test_the_review_screen_is_for_the_desks_editors(client, request, two_verdicts, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("review-screen", args=[two_verdicts[0].pk])).status_code == status


def test_a_published_verdict_offers_retract_and_correct(client, document, editor, reviewer, project):
    chief = MembershipFactory(project=project, user=UserFactory(username="chief"), role=Role.ADMIN).user
    a = _submitted(document, reviewer, QUOTE, "true")
    a = services.annotation_transition(annotation_id=a.pk, user=editor, action="approve", version=a.version)
    services.annotation_transition(annotation_id=a.pk, user=chief, action="publish", version=a.version)
    client.force_login(editor)
    html = client.get(reverse("review-screen", args=[a.pk])).content.decode()
    assert 'value="retract"' in html and 'value="correct"' in html and 'value="approve"' not in html
    assert "New verdict" in html and reverse("fact-check", args=[a.pk]) in html


def test_the_admin_queue_shows_rationale_and_evidence_and_links_the_review_screen(client, editor, two_verdicts):
    client.force_login(editor)
    html = client.get(reverse("admin:annotations_reviewitem_changelist")).content.decode()
    assert "BLS says 3.5." in html
    assert reverse("review-screen", args=[two_verdicts[0].pk]) in html


@pytest.mark.browser
def test_an_editor_requests_changes_with_a_comment_and_approves_the_other_from_the_review_screen(
    page, live_server, editor, two_verdicts
):
    first, second = two_verdicts
    page.set_default_timeout(8000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/review/{first.pk}/")
    expect(page.locator("#agreement")).to_contain_text("The verdicts disagree.")
    card = page.locator(f'.review-card[data-id="{first.pk}"]')
    card.focus()
    page.keyboard.press("c")  # request changes: the comment box takes the reason
    expect(card.get_by_label("Comment")).to_be_focused()
    page.keyboard.type("Which release? Check December.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(f'.review-card[data-id="{first.pk}"] .status')).to_have_text("Changes requested")
    first.refresh_from_db()
    assert first.status == AnnotationStatus.CHANGES_REQUESTED
    other = page.locator(f'.review-card[data-id="{second.pk}"]')
    other.get_by_role("button", name="Approve").click()  # over a disagreement: a comment is needed first
    expect(other.locator(".error")).to_contain_text("a comment is required")
    other.get_by_label("Comment").fill("3.6 is the December figure; this one stands.")
    other.get_by_role("button", name="Approve").click()
    expect(page.locator(f'.review-card[data-id="{second.pk}"] .status')).to_have_text("Approved")
    assert Annotation.objects.get(pk=second.pk).status == AnnotationStatus.APPROVED
