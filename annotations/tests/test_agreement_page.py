"""The agreement page counts units by the one same-claim rule and says so; its numbers are checked against a
fixture computed by hand, including the case that used to count 0: a clause judged inside another's sentence."""

import pytest
from django.urls import reverse

from annotations.domain.agreement import claim_units
from annotations.models import Annotation
from annotations.tests.factories import DocumentFactory, MembershipFactory, UserFactory

S1 = "The port moved 1.2 million containers last year."
S2 = "The new berth will create 900 permanent jobs by 2028."
CLAUSE = "900 permanent jobs"
S3 = "The council approved the plan on Tuesday."
S4 = "Opposition councillors questioned the figure."


@pytest.fixture
def judged(project):
    document = DocumentFactory(project=project, body=" ".join([S1, S2, S3, S4]))
    names = ("ann", "ben", "cat")
    ann, ben, cat = (MembershipFactory(project=project, user=UserFactory(username=n)).user for n in names)

    def judge(user, text, verdict):
        start = document.body.index(text)
        Annotation.objects.create(document=document, author=user, start=start, end=start + len(text), quote=text,
                                  verdict=verdict, status="submitted")  # fmt: skip

    judge(ann, S1, "true"), judge(ben, S1, "true")
    judge(ann, S2, "true"), judge(ben, CLAUSE, "false")  # a clause inside the sentence: the same claim
    judge(ann, S3, "mixed"), judge(ben, S3, "mixed"), judge(cat, S3, "mixed")
    judge(cat, S4, "false")
    return project


def test_the_same_claim_rule_links_a_clause_to_its_sentence_and_a_shared_claim():
    assert claim_units([("s", 0, 50, None), ("clause", 20, 38, None)]) == {"s": 0, "clause": 0}
    assert claim_units([("a", 0, 10, None), ("b", 40, 60, None)]) == {"a": 0, "b": 1}
    assert claim_units([("a", 0, 10, 1), ("b", 40, 60, 1)]) == {"a": 0, "b": 0}


def test_the_agreement_numbers_match_the_hand_computed_fixture(api, judged):
    report = api.get(reverse("api-project-agreement", args=[judged.slug])).json()
    # Shared units: S1 (ann, ben), S2 (ann's sentence and ben's clause), S3 (ann, ben, cat); S4 is cat's alone.
    assert (report["n_units"], report["n_raters"], report["n_judgements"]) == (3, 3, 7)
    # Pairs: S1 1 agreeing of 1, S2 0 of 1, S3 3 of 3 -> 4 of 5.
    assert report["percent_agreement"] == pytest.approx(0.8)
    assert report["per_reviewer"] == [
        {"reviewer": "ann", "units": 3, "shared": 3}, {"reviewer": "ben", "units": 3, "shared": 3},
        {"reviewer": "cat", "units": 2, "shared": 1},
    ]  # fmt: skip
    pairs = {(p["rater_a"], p["rater_b"]): (p["n_units"], p["percent_agreement"]) for p in report["pairs"]}
    assert pairs[("ann", "ben")] == (3, pytest.approx(2 / 3))
    assert pairs[("ann", "cat")] == (1, 1.0) and pairs[("ben", "cat")] == (1, 1.0)
    assert report["enough_data"] is False


def test_the_agreement_page_says_there_is_too_little_data_and_explains_each_number(client, reviewer, judged):
    client.force_login(reviewer)
    desk_page = client.get(reverse("document-list", args=[judged.slug])).content.decode()
    assert reverse("desk-agreement", args=[judged.slug]) in desk_page  # linked from the dashboard
    html = client.get(reverse("desk-agreement", args=[judged.slug])).content.decode()
    assert "3 units</strong> judged by two or more of 3 reviewers (7 verdicts)" in html
    assert "Too little data" in html and "below 10 shared units" in html
    assert "Agreement beyond what chance would give" in html
    assert '<td>cat</td><td class="num">2</td><td class="num">1</td>' in html


def test_an_outsider_gets_404_for_the_agreement_page(client, outsider, project):
    client.force_login(outsider)
    assert client.get(reverse("desk-agreement", args=[project.slug])).status_code == 404
