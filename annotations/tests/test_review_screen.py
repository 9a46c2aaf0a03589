"""The review screen: a claim's text in context, every verdict on it side by side, whether they agree, and the
buttons the state table allows the person looking (never on their own work); its actions go through the API."""

import os
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from annotations import services
from annotations.domain.vocabulary import AnnotationStatus, Role
from annotations.models import Annotation
from annotations.tests.browser import browser_log_in
from annotations.tests.factories import MembershipFactory, UserFactory

QUOTE = "The unemployment rate fell to 3.5 percent in 2019"
# Screenshots land in a temporary folder; SCREENSHOTS_DIR=docs writes the README's pictures.
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="review-screenshots-"))
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


_browser_log_in = browser_log_in


def _judge_in_the_page(page, live_server, document, text: str, key: str, rationale: str) -> None:
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    page.locator("#document-body").focus()
    page.evaluate(
        """(needle) => { const t = document.getElementById('document-body').firstChild;
                         const i = t.data.indexOf(needle);
                         getSelection().setBaseAndExtent(t, i, t, i + needle.length); }""",
        text,
    )
    page.keyboard.press(key)
    page.keyboard.type(rationale)
    page.get_by_role("button", name="Save and submit").click()
    expect(page.locator("#annotate-status")).to_contain_text("ubmitted")


@pytest.mark.browser
def test_the_review_loop_closes_in_the_browser_from_blind_judgements_to_a_public_correction(
    page, live_server, project, document, reviewer, other_reviewer, editor, settings
):
    import json as jsonlib
    import re

    from annotations.exporting import export_chunks

    settings.SITE_URL = ""
    project.blind_review = True
    project.save()
    MembershipFactory(project=project, user=UserFactory(username="chief"), role=Role.ADMIN)
    page.set_default_timeout(10_000)

    # Two reviewers judge one claim differently, one on a clause inside the other's sentence; blind: B does not
    # see A's verdict before submitting.
    _browser_log_in(page, live_server, "reviewer")
    _judge_in_the_page(page, live_server, document, QUOTE, "2", "BLS annual average.")
    _browser_log_in(page, live_server, "other_reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.locator("#annotation-list li")).to_have_count(0)  # blind
    _judge_in_the_page(page, live_server, document, CLAUSE, "5", "December was 3.6.")
    page.reload()
    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.locator("#annotation-list li")).to_have_count(2)  # judged: now both are visible
    mine = Annotation.objects.get(author=reviewer)
    theirs = Annotation.objects.get(author=other_reviewer)

    # The editor sees the disagreement on the review screen and requests changes with a comment.
    _browser_log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/review/{theirs.pk}/")
    expect(page.locator("#agreement")).to_contain_text("The verdicts disagree.")
    expect(page.locator(".review-card")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "review-screen.png"), full_page=True)
    card = page.locator(f'.review-card[data-id="{theirs.pk}"]')
    card.get_by_label("Comment").fill("Which month? Cite the release.")
    card.get_by_role("button", name="Request changes").click()
    expect(page.locator(f'.review-card[data-id="{theirs.pk}"] .status')).to_have_text("Changes requested")

    # The reviewer sees it in the inbox and the panel, replies and resubmits.
    _browser_log_in(page, live_server, "other_reviewer")
    expect(page.locator(".inbox-link .count-badge")).to_have_text("1")
    page.get_by_role("link", name=re.compile("^Inbox")).click()
    page.get_by_role("link", name=re.compile("Which month")).click()
    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.locator("#panel-thread")).to_contain_text("Which month? Cite the release.")
    page.get_by_label("Reply").fill("BLS release of January; the rate was 3.6.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#panel-thread .thread-entry")).to_have_count(2)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator("#annotate-status")).to_contain_text("ubmitted")

    # The editor approves it (over the disagreement: with a comment); the desk admin publishes it, superseding none.
    _browser_log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/review/{theirs.pk}/")
    card = page.locator(f'.review-card[data-id="{theirs.pk}"]')
    card.get_by_label("Comment").fill("The January release settles it.")
    card.get_by_role("button", name="Approve").click()
    expect(page.locator(f'.review-card[data-id="{theirs.pk}"] .status')).to_have_text("Approved")
    _browser_log_in(page, live_server, "chief")
    page.goto(f"{live_server.url}/review/{theirs.pk}/")
    page.locator(f'.review-card[data-id="{theirs.pk}"]').get_by_role("button", name="Publish").click()
    expect(page.locator(f'.review-card[data-id="{theirs.pk}"] .status')).to_have_text("Published")

    # The public page shows the verdict, with a ClaimReview that parses.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/fact-checks/{theirs.pk}/")
    expect(page.locator(".fc-verdict")).to_contain_text("False")
    page.screenshot(path=str(SHOTS / "public-fact-check.png"), full_page=True)
    review = jsonlib.loads(page.locator('script[type="application/ld+json"]').text_content())
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == CLAUSE
    assert review["reviewRating"]["alternateName"] == "False"

    # A later correction shows in the history, the public page and the export; a retraction removes it.
    _browser_log_in(page, live_server, "chief")
    page.goto(f"{live_server.url}/review/{theirs.pk}/")
    card = page.locator(f'.review-card[data-id="{theirs.pk}"]')
    card.get_by_label("New verdict").select_option("mostly_false")
    card.get_by_label("Comment").fill("Revised by the BLS in February.")
    card.get_by_role("button", name="Correct").click()
    expect(page.locator(f'.review-card[data-id="{theirs.pk}"] .review-verdict')).to_contain_text("Mostly false")
    page.goto(f"{live_server.url}/fact-checks/{theirs.pk}/")
    expect(page.locator(".fc-history")).to_contain_text("corrected: False → Mostly false")
    exported = jsonlib.loads(b"".join(export_chunks("claimreview", project=project, base_url=live_server.url)))
    assert [r["reviewRating"]["alternateName"] for r in exported] == ["Mostly false"]
    page.goto(f"{live_server.url}/review/{theirs.pk}/")
    card = page.locator(f'.review-card[data-id="{theirs.pk}"]')
    card.get_by_label("Comment").fill("The claim was misquoted.")
    card.get_by_role("button", name="Retract").click()
    expect(page.locator(f'.review-card[data-id="{theirs.pk}"] .status')).to_have_text("Retracted")
    assert jsonlib.loads(b"".join(export_chunks("claimreview", project=project, base_url=live_server.url))) == []
    page.goto(f"{live_server.url}/fact-checks/{theirs.pk}/")
    expect(page.locator("[role=alert]")).to_contain_text("Retracted.")
    assert mine.pk != theirs.pk


@pytest.mark.browser
def test_the_admin_review_queue_fits_a_1280_pixel_screen(page, live_server, editor, two_verdicts):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/annotations/reviewitem/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#result_list")
    page.screenshot(path=str(SHOTS / "admin-review-queue-1280.png"), full_page=True)
    hidden = page.evaluate("""() => { const box = document.querySelector('#changelist .results');
                                      return box.scrollWidth - box.clientWidth; }""")
    assert hidden <= 1, f"the queue's last columns are {hidden}px out of sight"
    expect(page.locator("#result_list th").last).to_be_in_viewport()


@pytest.mark.parametrize("verdicts", [2, 6])
def test_the_review_screen_costs_the_same_queries_for_two_verdicts_or_six(
    client, document, editor, project, django_assert_num_queries, verdicts
):
    authors = [MembershipFactory(project=project, user=UserFactory(username=f"r{n}")).user for n in range(verdicts)]
    first = None
    for author in authors:
        a = _submitted(document, author, QUOTE, "true")
        first = first or a
    client.force_login(editor)
    client.get(reverse("review-screen", args=[first.pk]))
    # session, user, the annotation (+ role, blind check), the role, the judged annotations of the document, the
    # cards (+ authors, evidence), one query for every thread, admin link, unread count, and for "Checked before?"
    # the newest reference id and the editor's desks (nothing matches here, so no fetch): the same for 2 or 6 cards
    with django_assert_num_queries(14):
        response = client.get(reverse("review-screen", args=[first.pk]))
    assert response.content.decode().count('class="review-card card') == verdicts
