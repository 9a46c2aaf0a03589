"""Candidate claims that scale: a paginated, filterable, searchable claims API with identical sentences
grouped; an annotate page whose weight does not grow with the number of candidates; dismiss that says who and
can be undone; and one annotation per claim and reviewer."""

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, AuditEvent, Claim, ClaimState
from annotations.tests.factories import DocumentFactory

SENTENCE = "The port will create 900 jobs."


@pytest.fixture
def long_document(project):
    """A document of many sentences, some repeated (a wire story quoted twice)."""
    sentences = [f"Sentence {n} says the harbour moved {n} containers." for n in range(300)]
    sentences[10] = sentences[200] = sentences[250] = SENTENCE
    body = " ".join(sentences)
    document = DocumentFactory(project=project, body=body, segmentation_status="done")
    start = 0
    claims = []
    for n, text in enumerate(sentences):
        claims.append(Claim(document=document, start=start, end=start + len(text), text=text, score=(n % 100) / 100))
        start += len(text) + 1
    Claim.objects.bulk_create(claims)
    return document


def _claims(api, document, **params):
    response = api.get(reverse("api-document-claims", args=[document.pk]), params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_claims_api_pages_through_every_claim_without_repeats(api, long_document, django_assert_num_queries):
    seen, cursor = [], None
    for _ in range(10):
        params = {"page_size": 70, "order": "position"} | ({"cursor": cursor} if cursor else {})
        page = _claims(api, long_document, **params)
        seen += [c["id"] for c in page["results"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 300 == page["count"]
    with django_assert_num_queries(4):  # the document (+ the caller's role), the page, the count, occurrences
        _claims(api, long_document, page_size=70, cursor="70")


def test_identical_sentences_are_one_entry_with_their_count(api, long_document):
    page = _claims(api, long_document, distinct="true", order="position", page_size=1000)
    texts = [c["text"] for c in page["results"]]
    assert texts.count(SENTENCE) == 1 and page["count"] == 298
    entry = next(c for c in page["results"] if c["text"] == SENTENCE)
    assert entry["occurrences"] == 3
    assert entry["start"] == min(c.start for c in long_document.claims.filter(text=SENTENCE))


def test_claims_are_filtered_by_state_and_check_worthiness_and_searched(api, reviewer, long_document):
    first, second = long_document.claims.order_by("start")[:2]
    services.claim_set_state(claim_id=first.pk, state=ClaimState.DISMISSED, user=reviewer)
    services.claim_set_state(claim_id=second.pk, state=ClaimState.ACCEPTED, user=reviewer)
    assert [c["id"] for c in _claims(api, long_document, show="dismissed")["results"]] == [first.pk]
    assert [c["id"] for c in _claims(api, long_document, show="accepted")["results"]] == [second.pk]
    assert _claims(api, long_document, show="untouched")["count"] == 298
    assert _claims(api, long_document, show="open")["count"] == 299
    worthy = _claims(api, long_document, show="checkworthy", page_size=1000)["results"]
    assert worthy and all(c["checkworthy"] for c in worthy)
    found = _claims(api, long_document, q="HARBOUR MOVED 42 ")["results"]
    assert [c["text"] for c in found] == ["Sentence 42 says the harbour moved 42 containers."]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"show": "maybe"}, "show"), ({"page_size": "0"}, "page_size"), ({"page_size": "5000"}, "page_size"),
     ({"cursor": "-1"}, "cursor"), ({"cursor": "1e400"}, "cursor"), ({"distinct": "perhaps"}, "distinct"),
     ({"q": "a\x00b"}, "q")],
)  # fmt: skip
def test_bad_claim_list_parameters_are_a_400_naming_them(api, long_document, params, field):
    response = api.get(reverse("api-document-claims", args=[long_document.pk]), params)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_a_dismissal_says_who_and_when_and_can_be_undone(api, reviewer, long_document):
    claim = long_document.claims.order_by("start").first()
    dismissed = api.post(reverse("api-claim-dismiss", args=[claim.pk])).json()
    assert (dismissed["state"], dismissed["decided_by"]) == ("dismissed", "reviewer") and dismissed["decided_at"]
    restored = api.post(reverse("api-claim-restore", args=[claim.pk])).json()
    assert (restored["state"], restored["decided_by"], restored["decided_at"]) == ("candidate", None, None)
    changes = list(AuditEvent.objects.filter(object_type="claim", object_id=claim.pk).values_list("changes", flat=True))
    assert changes == [{"state": ["candidate", "dismissed"]}, {"state": ["dismissed", "candidate"]}]


def test_an_accepted_claim_with_annotations_stays_accepted(api, reviewer, long_document):
    claim = long_document.claims.order_by("start").first()
    services.annotation_create(document=long_document, author=reviewer, start=claim.start, end=claim.end,
                               quote=claim.text, claim=claim)  # fmt: skip
    response = api.post(reverse("api-claim-restore", args=[claim.pk]))
    assert response.status_code == 409 and "stays accepted" in response.json()["detail"]
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.ACCEPTED


def test_annotating_a_claim_twice_is_a_409_with_the_first_annotation(api, reviewer, long_document):
    claim = long_document.claims.order_by("start").first()
    body = {"document": long_document.pk, "start": claim.start, "end": claim.end, "exact": claim.text,
            "claim": claim.pk}  # fmt: skip
    first = api.post(reverse("api-annotations"), body, format="json")
    assert first.status_code == 201
    again = api.post(reverse("api-annotations"), body, format="json")
    assert again.status_code == 409
    assert again.json()["current"]["id"] == first.json()["id"]
    assert Annotation.objects.count() == 1
    listed = _claims(api, long_document, show="accepted")["results"]
    assert listed[0]["my_annotation"] == first.json()["id"]


def test_a_highlight_of_exactly_a_candidates_span_is_linked_to_it(api, long_document, other_reviewer, api_as):
    claim = long_document.claims.order_by("start")[5]
    body = {"document": long_document.pk, "start": claim.start, "end": claim.end, "exact": claim.text}
    response = api.post(reverse("api-annotations"), body, format="json")
    assert response.status_code == 201
    assert Annotation.objects.get().claim_id == claim.pk
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.ACCEPTED
    # Another reviewer judges the same claim independently: that is no duplicate.
    assert api_as(other_reviewer).post(reverse("api-annotations"), body, format="json").status_code == 201


def test_the_annotate_page_weighs_the_same_for_300_candidates_or_3000(client, reviewer, project):
    sizes = []
    for n in (300, 3000):
        sentences = [f"Sentence {i} of {n} says the harbour moved containers." for i in range(n)]
        document = DocumentFactory(project=project, body=" ".join(sentences), segmentation_status="done")
        start, rows = 0, []
        for text in sentences:
            rows.append(Claim(document=document, start=start, end=start + len(text), text=text, score=0.5))
            start += len(text) + 1
        Claim.objects.bulk_create(rows)
        client.force_login(reviewer)
        html = client.get(reverse("document-detail", args=[document.pk])).content.decode()
        sizes.append(len(html) - len(document.body))
        assert html.count('<li class="claim') == 100
    assert sizes[1] < sizes[0] * 1.1  # the text grows; the page around it does not


def test_a_document_is_polled_without_its_text(api, document, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = api.get(reverse("api-document", args=[document.pk]), {"body": "false"}).json()
    assert "body" not in data and data["length"] == len(document.body)
    assert data["segmentation_status"] == "pending"
    assert api.get(reverse("api-document", args=[99**12]), {"body": "false"}).status_code == 404


def test_claims_that_tie_on_score_and_start_still_page_without_repeats_or_gaps(api, project):
    body = "One two three four five six seven eight nine ten."
    document = DocumentFactory(project=project, body=body, segmentation_status="done")
    Claim.objects.bulk_create([Claim(document=document, start=0, end=end, text=body[:end], score=0.5)
                               for end in range(5, 45)])  # fmt: skip
    seen = []
    for cursor in ("0", "7", "14", "21", "28", "35"):
        seen += [c["id"] for c in _claims(api, document, page_size=7, cursor=cursor)["results"]]
    assert len(seen) == len(set(seen)) == 40


def test_a_grouped_entry_is_dismissed_and_restored_with_every_occurrence(api, reviewer, long_document):
    first = long_document.claims.filter(text=SENTENCE).order_by("start").first()
    url = reverse("api-claim-dismiss", args=[first.pk])
    assert api.post(url + "?all_occurrences=true").json()["state"] == "dismissed"
    assert set(long_document.claims.filter(text=SENTENCE).values_list("state", flat=True)) == {"dismissed"}
    open_entries = _claims(api, long_document, distinct="true", show="open", page_size=1000)["results"]
    assert SENTENCE not in [c["text"] for c in open_entries]  # no ×2 left behind
    dismissed = _claims(api, long_document, distinct="true", show="dismissed")["results"]
    assert [(c["text"], c["occurrences"]) for c in dismissed] == [(SENTENCE, 3)]
    api.post(reverse("api-claim-restore", args=[first.pk]) + "?all_occurrences=true")
    assert set(long_document.claims.filter(text=SENTENCE).values_list("state", flat=True)) == {"candidate"}


def test_occurrences_count_the_whole_document_whatever_the_filter(api, reviewer, long_document):
    first = long_document.claims.filter(text=SENTENCE).order_by("start").first()
    services.claim_set_state(claim_id=first.pk, state=ClaimState.DISMISSED, user=reviewer)
    entry = next(c for c in _claims(api, long_document, distinct="true", show="open", page_size=1000)["results"]
                 if c["text"] == SENTENCE)  # fmt: skip
    assert entry["occurrences"] == 3 and entry["id"] != first.pk  # an open copy stands for the group
