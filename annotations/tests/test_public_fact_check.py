"""Publishing is what the public sees: a published verdict has a public page (no login) with its quote,
verdict, reasoning, evidence and correction history, and its ClaimReview JSON-LD for search engines; nothing
unpublished is public; a retracted verdict's page says so and leaves ClaimReview."""

import json
import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.exporting import export_chunks

QUOTE = "3.5 percent"


@pytest.fixture
def chief(project):
    from annotations.domain.vocabulary import Role
    from annotations.tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(project=project, user=UserFactory(username="chief"), role=Role.ADMIN).user


def _through(document, author, editor, chief, *, until: str):
    start = document.body.index(QUOTE)
    a = services.annotation_create(document=document, author=author, start=start, end=start + len(QUOTE),
                                   quote=QUOTE, verdict="mostly_true", rationale="BLS, December release.",
                                   evidence=[{"url": "https://www.bls.gov/cps/", "title": "BLS CPS"}])  # fmt: skip
    steps = [("submit", author), ("approve", editor), ("publish", chief)]
    for action, who in steps[: [s for s, _ in steps].index(until) + 1]:
        a.refresh_from_db()
        a = services.annotation_transition(annotation_id=a.pk, user=who, action=action, version=a.version)
    return a


def _ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert match, "no ClaimReview JSON-LD in the page"
    return json.loads(match.group(1))


def test_a_published_verdict_has_a_public_page_with_its_claimreview(client, document, reviewer, editor, chief):
    project = document.project
    project.publisher_name, project.publisher_url = "Courier Fact Check", "https://factcheck.courier.example/"
    project.save()
    annotation = _through(document, reviewer, editor, chief, until="publish")

    response = client.get(reverse("fact-check", args=[annotation.pk]))  # anonymous

    assert response.status_code == 200
    html = response.content.decode()
    assert "“3.5 percent”" in html and "Mostly true" in html and "BLS, December release." in html
    assert "BLS CPS" in html
    review = _ld(html)
    assert review["@type"] == "ClaimReview" and review["claimReviewed"] == QUOTE
    assert review["url"] == f"http://testserver/fact-checks/{annotation.pk}/"
    assert review["author"] == {"@type": "Organization", "name": "Courier Fact Check",
                                "url": "https://factcheck.courier.example/"}  # fmt: skip
    assert review["reviewRating"]["alternateName"] == "Mostly true"


@pytest.mark.parametrize("until", ["submit", "approve"])
def test_nothing_unpublished_is_public(client, document, reviewer, editor, chief, until):
    annotation = _through(document, reviewer, editor, chief, until=until)
    assert client.get(reverse("fact-check", args=[annotation.pk])).status_code == 404
    client.force_login(editor)  # not even for the desk: the page is the public one
    assert client.get(reverse("fact-check", args=[annotation.pk])).status_code == 404


def test_a_correction_shows_in_the_history_the_page_and_the_export(client, document, reviewer, editor, chief):
    annotation = _through(document, reviewer, editor, chief, until="publish")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="correct", verdict="false",
                                   comment="The BLS revised the rate.", version=annotation.version)  # fmt: skip
    html = client.get(reverse("fact-check", args=[annotation.pk])).content.decode()
    assert "corrected: Mostly true → False · The BLS revised the rate." in html
    assert _ld(html)["reviewRating"]["alternateName"] == "False"
    exported = json.loads(b"".join(export_chunks("claimreview", project=document.project, base_url="http://x")))
    assert [r["reviewRating"]["alternateName"] for r in exported] == ["False"]


def test_a_retraction_leaves_the_export_and_the_page_says_retracted(client, document, reviewer, editor, chief):
    annotation = _through(document, reviewer, editor, chief, until="publish")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="retract",
                                   comment="The quote was misattributed.", version=annotation.version)  # fmt: skip
    html = client.get(reverse("fact-check", args=[annotation.pk])).content.decode()
    assert "Retracted." in html and "The quote was misattributed." in html
    assert "application/ld+json" not in html
    assert json.loads(b"".join(export_chunks("claimreview", project=document.project, base_url="http://x"))) == []


def test_a_hostile_quote_and_rationale_stay_inert_in_the_page_and_its_json_ld(client, project, reviewer, editor,
                                                                              chief):  # fmt: skip
    from annotations.tests.factories import DocumentFactory

    body = "He said </script><script>alert(1)</script> & <b>3.5 percent</b> today."
    document = DocumentFactory(project=project, body=body)
    quote = "</script><script>alert(1)</script> & <b>3.5 percent</b>"
    start = body.index(quote)
    a = services.annotation_create(document=document, author=reviewer, start=start, end=start + len(quote),
                                   quote=quote, verdict="false", rationale="<img src=x onerror=alert(2)>")  # fmt: skip
    for action, who in (("submit", reviewer), ("approve", editor), ("publish", chief)):
        a.refresh_from_db()
        a = services.annotation_transition(annotation_id=a.pk, user=who, action=action, version=a.version)
    html = client.get(reverse("fact-check", args=[a.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert _ld(html)["claimReviewed"] == quote  # escaped in the page, exact once parsed


def test_contradicting_verdicts_on_one_claim_are_not_both_published_without_a_decision(
    api_as, document, reviewer, other_reviewer, editor, chief
):
    from annotations.models import Annotation, AuditEvent

    first = _through(document, reviewer, editor, chief, until="publish")  # mostly true, on "3.5 percent"
    start = document.body.index(QUOTE)
    b = services.annotation_create(document=document, author=other_reviewer, start=start - 4, end=start + len(QUOTE),
                                   quote=document.body[start - 4 : start + len(QUOTE)], verdict="false")  # fmt: skip
    for action, who in (("submit", other_reviewer), ("approve", editor)):
        b.refresh_from_db()
        b = services.annotation_transition(annotation_id=b.pk, user=who, action=action, version=b.version,
                                           comment="3.6 in December")  # fmt: skip
    url = reverse("api-annotation-review", args=[b.pk])
    refused = api_as(chief).post(url, {"action": "publish", "version": b.version}, format="json")
    assert refused.status_code == 409 and "contradicting verdict" in refused.json()["detail"]
    assert Annotation.objects.get(pk=b.pk).status == "approved"
    decided = api_as(chief).post(url, {"action": "publish", "version": b.version, "supersede": True}, format="json")
    assert decided.status_code == 200
    assert Annotation.objects.get(pk=first.pk).status == "retracted"
    event = AuditEvent.objects.filter(annotation_id=first.pk, to_status="retracted").get()
    assert event.comment == f"superseded by #{b.pk}" and event.actor == chief
    exported = json.loads(b"".join(export_chunks("claimreview", project=document.project, base_url="http://x")))
    assert [r["reviewRating"]["alternateName"] for r in exported] == ["False"]  # one rating for the claim


def test_the_history_reads_as_people_say_it(api, document, reviewer, editor, chief):
    annotation = _through(document, reviewer, editor, chief, until="publish")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="correct", verdict="false",
                                   comment="Revised.", version=annotation.version)  # fmt: skip
    feed = api.get(reverse("api-project-corrections", args=[document.project.slug])).json()["results"]
    summaries = [e["summary"] for e in feed if e["annotation"] == annotation.pk]
    assert summaries[-4:] == ["submitted it for review", "approved it", "published it",
                              "corrected the verdict: Mostly true → False"]  # fmt: skip
    assert not any("None →" in s or "start" in s for s in summaries)
