"""Blind review: in a blind desk a reviewer does not see another reviewer's verdict on a claim until they have
submitted their own — not in the API, the annotate page's data, exports, the history or the statistics; editors
always see everything."""

import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation

QUOTE = "3.5 percent"


@pytest.fixture
def blind(project):
    project.blind_review = True
    project.save()
    return project


def _annotate(document, author, verdict="false", quote=QUOTE, submit=True):
    start = document.body.index(quote)
    rationale = f"{author.username}'s reasoning"
    a = services.annotation_create(document=document, author=author, start=start, end=start + len(quote),
                                   quote=quote, verdict=verdict, rationale=rationale)  # fmt: skip
    return services.annotation_submit(annotation_id=a.pk, user=author, version=a.version) if submit else a


def _listed(api, document) -> set[int]:
    return {a["id"] for a in api.get(reverse("api-annotations"), {"document": document.pk}).json()["results"]}


def test_a_reviewer_does_not_see_the_other_verdict_until_submitting_their_own(
    api_as, blind, document, reviewer, other_reviewer
):
    theirs = _annotate(document, other_reviewer)
    client = api_as(reviewer)
    assert _listed(client, document) == set()
    assert client.get(reverse("api-annotation", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("api-annotation-comments", args=[theirs.pk])).status_code == 404
    mine = _annotate(document, reviewer, "mostly_true", submit=False)  # a draft is not a judgement yet
    assert _listed(client, document) == {mine.pk}
    services.annotation_submit(annotation_id=mine.pk, user=reviewer, version=mine.version)
    assert _listed(client, document) == {mine.pk, theirs.pk}


def test_exports_and_the_history_keep_the_blind(api_as, blind, document, reviewer, other_reviewer):
    _annotate(document, other_reviewer)
    client = api_as(reviewer)
    export = client.get(reverse("api-project-export", args=[blind.slug]), {"format": "json"})
    assert json.loads(b"".join(export.streaming_content)) == []
    feed = client.get(reverse("api-project-corrections", args=[blind.slug])).json()["results"]
    assert not [e for e in feed if e["annotation"]]
    assert client.get(reverse("api-project-agreement", args=[blind.slug])).status_code == 403


def test_the_dashboard_search_does_not_find_hidden_rationales(client, blind, document, reviewer, other_reviewer):
    _annotate(document, other_reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("document-list", args=[blind.slug]), {"q": "other_reviewer's reasoning"})
    assert response.context["rows"] == []
    assert client.get(reverse("document-list", args=[blind.slug]), {"verdict": "false"}).context["rows"] == []


def test_editors_see_every_verdict_in_a_blind_desk(api_as, blind, document, editor, reviewer, other_reviewer):
    a, b = _annotate(document, reviewer, "true"), _annotate(document, other_reviewer)
    assert _listed(api_as(editor), document) == {a.pk, b.pk}
    assert api_as(editor).get(reverse("api-project-agreement", args=[blind.slug])).status_code == 200


def test_a_published_verdict_is_not_hidden(api_as, blind, document, reviewer, other_reviewer):
    theirs = _annotate(document, other_reviewer)
    Annotation.objects.filter(pk=theirs.pk).update(status="published")
    assert _listed(api_as(reviewer), document) == {theirs.pk}


def test_without_blind_review_everyone_sees_everything(api_as, document, reviewer, other_reviewer):
    theirs = _annotate(document, other_reviewer)
    assert _listed(api_as(reviewer), document) == {theirs.pk}


def test_a_desk_admin_turns_blind_review_on(api_as, project):
    from annotations.domain.vocabulary import Role
    from annotations.tests.factories import MembershipFactory, UserFactory

    admin = MembershipFactory(project=project, user=UserFactory(username="boss"), role=Role.ADMIN).user
    response = api_as(admin).patch(f"/api/v1/projects/{project.slug}/", {"blind_review": True}, format="json")
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.blind_review is True
