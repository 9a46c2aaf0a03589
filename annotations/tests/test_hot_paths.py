"""The API's hot paths (issue 17): writing a span and listing one article's annotations take lean routes (one
hand-written query for the token, one for the document and the caller's role, no second read of a new span, no
filter set) — with the same answers, access rules and errors as the general ones, and fixed query counts."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import services
from annotations.models import Annotation, AuditEvent, Claim
from annotations.tests.factories import DocumentFactory

BODY = "Née en 1990 🎉, elle dit: unemployment fell to 3.5 percent in 2019. Wages rose 4 percent. Prices fell."
URL = reverse("api-annotations")


@pytest.fixture
def document(project):
    return DocumentFactory(project=project, body=BODY)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def span(quote: str, *, utf16: bool = False) -> dict:
    start = BODY.index(quote)
    if utf16:
        start = len(BODY[:start].encode("utf-16-le")) // 2
        return {"start": start, "end": start + len(quote.encode("utf-16-le")) // 2, "exact": quote}
    return {"start": start, "end": start + len(quote), "exact": quote}


@pytest.mark.parametrize("unit", ["codepoint", "utf16"])
def test_the_answer_to_a_new_span_is_what_reading_it_back_gives(document, reviewer, unit):
    client = token_client(reviewer)
    payload = {"document": document.pk, **span("3.5 percent", utf16=unit == "utf16"), "verdict": "mostly_true",
               "rationale": "BLS series"}  # fmt: skip

    created = client.post(f"{URL}?unit={unit}", payload, format="json")
    read = client.get(reverse("api-annotation", args=[created.json()["id"]]), {"unit": unit})

    assert created.status_code == 201, created.content
    assert created.json() == read.json()
    assert (created.json()["start"], created.json()["end"]) == (payload["start"], payload["end"])
    assert Annotation.objects.get().quote == "3.5 percent"


def test_a_new_span_with_evidence_answers_with_its_evidence(document, reviewer):
    client = token_client(reviewer)
    payload = {"document": document.pk, **span("Wages rose 4 percent"), "verdict": "true",
               "evidence": [{"url": "https://example.org/wages", "stance": "supports"}]}  # fmt: skip

    created = client.post(URL, payload, format="json")

    assert created.status_code == 201, created.content
    assert [e["url"] for e in created.json()["evidence"]] == ["https://example.org/wages"]
    assert created.json() == client.get(reverse("api-annotation", args=[created.json()["id"]])).json()


def test_writing_a_span_costs_a_fixed_number_of_queries(document, reviewer, django_assert_num_queries):
    client = token_client(reviewer)
    client.post(URL, {"document": document.pk, **span("Prices fell."), "verdict": "false"}, format="json")

    # token+user+document+role, transaction, claim at the span, annotation, audit row, commit — on PostgreSQL the
    # annotation and its audit row are one statement
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6):
        response = client.post(URL, {"document": document.pk, **span("3.5 percent"), "verdict": "true"},
                               format="json")  # fmt: skip

    assert response.status_code == 201


def test_writing_a_span_on_a_candidate_claim_costs_a_fixed_number_of_queries(
    document, reviewer, django_assert_num_queries
):
    client = token_client(reviewer)
    client.post(URL, {"document": document.pk, **span("Prices fell."), "verdict": "false"}, format="json")
    start = BODY.index("Wages rose 4 percent.")
    claim = Claim.objects.create(document=document, start=start, end=start + 21, text="Wages rose 4 percent.")

    # token+user+document+role, transaction, the claim at the span (row-locked) with the author's own annotation of
    # it, annotation, claim accepted, both audit rows, commit — on PostgreSQL the annotation, the claim's acceptance
    # and both audit rows are one statement
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 7):
        response = client.post(URL, {"document": document.pk, **span("Wages rose 4 percent."), "verdict": "true"},
                               format="json")  # fmt: skip

    assert response.status_code == 201 and response.json()["claim"] == claim.pk
    claim.refresh_from_db()
    assert claim.state == "accepted" and claim.decided_by == reviewer
    assert list(AuditEvent.objects.filter(project_id=document.project_id).values_list("object_type", "action")
                .order_by("id"))[-2:] == [("annotation", "create"), ("claim", "update")]  # fmt: skip


def test_listing_one_article_costs_a_fixed_number_of_queries_however_many_spans_and_one_more_for_evidence(
    document, reviewer, other_reviewer, django_assert_num_queries
):
    client = token_client(reviewer)
    for quote in ("3.5 percent", "Wages rose", "Prices fell."):
        client.post(URL, {"document": document.pk, **span(quote), "verdict": "true"}, format="json")

    with django_assert_num_queries(2):  # token+user+document+role, annotations with authors (none has evidence)
        response = client.get(URL, {"document": document.pk, "unit": "utf16"})
    assert len(response.json()["results"]) == 3
    first = Annotation.objects.filter(document=document).order_by("id").first()
    services.evidence_add(annotation=first, user=reviewer, url="https://example.org/cpi", stance="supports")

    with django_assert_num_queries(3):  # …, then the evidence of the one that has some
        response = client.get(URL, {"document": document.pk, "unit": "utf16"})

    evidence = {row["id"]: [link["url"] for link in row["evidence"]] for row in response.json()["results"]}
    assert evidence == {a.pk: ["https://example.org/cpi"] if a.pk == first.pk else []
                        for a in Annotation.objects.filter(document=document)}  # fmt: skip


@pytest.mark.parametrize("blind_review", [False, True])
def test_the_lean_list_gives_what_the_general_list_gives_for_every_persona(
    project, document, reviewer, other_reviewer, editor, outsider, blind_review
):
    project.blind_review = blind_review
    project.save()
    for author, quote, submit in ((other_reviewer, "3.5 percent", True), (reviewer, "Wages rose", False),
                                  (editor, "Prices fell.", True)):  # fmt: skip
        a = services.annotation_create(document=document, author=author, **{"quote": quote, **{
            k: v for k, v in span(quote).items() if k != "exact"}}, verdict="false")  # fmt: skip
        for url in ("https://example.org/b", "https://example.org/a"):
            services.evidence_add(annotation=a, user=author, url=url, stance="supports")
        if submit:
            a.refresh_from_db()
            services.annotation_submit(annotation_id=a.pk, user=author, version=a.version)

    for user in (reviewer, other_reviewer, editor, outsider):
        client = token_client(user)
        lean = client.get(URL, {"document": document.pk, "unit": "utf16"}).json()
        general = client.get(URL, {"document": document.pk, "unit": "utf16", "project": project.slug}).json()
        assert lean["results"] == general["results"], user.username
        assert all([e["url"] for e in row["evidence"]] == ["https://example.org/b", "https://example.org/a"]
                   for row in lean["results"])  # fmt: skip
    hidden = token_client(reviewer).get(URL, {"document": document.pk}).json()["results"]
    assert len(hidden) == (1 if blind_review else 3)  # blind: only their own draft until they submit
    assert token_client(outsider).get(URL, {"document": document.pk}).json()["results"] == []


@pytest.mark.parametrize("document_id", ["0", "99999999999999999999", "-1", "x"])
def test_a_bad_document_id_in_the_list_is_a_400(api_as, reviewer, document_id):
    response = token_client(reviewer).get(URL, {"document": document_id})

    assert response.status_code == 400 and "document" in response.json()["errors"]


def test_an_unknown_or_inactive_token_is_a_401_that_says_how_to_authenticate(document, reviewer):
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Token " + "f" * 40)
    client = token_client(reviewer)
    reviewer.is_active = False
    reviewer.save()

    for response in (unknown.get(URL, {"document": document.pk}), client.get(URL, {"document": document.pk})):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
    assert "Invalid token" in unknown.get(URL).json()["detail"]
    assert "inactive" in client.get(URL).json()["detail"]


@pytest.mark.parametrize("persona", ["reviewer", "editor", "outsider"])
def test_the_one_query_token_and_document_lookup_answers_like_the_general_path(document, request, persona):
    user = request.getfixturevalue(persona)
    client = token_client(user)
    wanted = {"reviewer": 201, "editor": 201, "outsider": 404}[persona]

    created = client.post(URL, {"document": document.pk, **span("3.5 percent")}, format="json")
    listed = client.get(URL, {"document": document.pk})
    general = client.get(URL, {"document": document.pk, "project": document.project.slug})

    assert created.status_code == wanted, created.content
    assert listed.json()["results"] == (general.json()["results"] if persona != "outsider" else [])
    assert Annotation.objects.filter(author=user).count() == (1 if wanted == 201 else 0)


def test_a_bad_json_body_with_a_token_is_still_the_parsers_400(document, reviewer):
    response = token_client(reviewer).post(URL, b'{"document": %d, "start": ' % document.pk,
                                           content_type="application/json")  # fmt: skip

    assert response.status_code == 400 and "JSON parse error" in response.content.decode()
    assert not Annotation.objects.exists()


def test_a_session_login_writes_spans_through_the_general_authentication(client, document, reviewer):
    client.force_login(reviewer)

    response = client.post(f"{URL}", {"document": document.pk, **span("3.5 percent")}, content_type="application/json")

    assert response.status_code == 201, response.content  # (the test client skips the CSRF check)
    assert Annotation.objects.get().author == reviewer


def test_a_span_on_a_document_of_another_desk_is_a_404_and_stores_nothing(document, outsider):
    response = token_client(outsider).post(URL, {"document": document.pk, **span("3.5 percent")}, format="json")

    assert response.status_code == 404
    assert not Annotation.objects.exists()


PLAIN = {"document": 3, "start": 0, "end": 4, "exact": "Some"}
SPAN_BODIES = [
    PLAIN,
    {**PLAIN, "verdict": "false", "rationale": "Checked.\n", "claim": None},
    {**PLAIN, "claim": 9, "prefix": "", "suffix": " text", "unknown": "ignored"},
    {**PLAIN, "exact": " padded ", "evidence": []},
    {**PLAIN, "verdict": ""},
    # not plainly valid: the serializer decides (some of these it takes, most it refuses)
    {**PLAIN, "start": "0"}, {**PLAIN, "start": True}, {**PLAIN, "end": 4.0}, {**PLAIN, "start": -1},
    {**PLAIN, "document": None}, {**PLAIN, "exact": ""}, {**PLAIN, "exact": 5}, {**PLAIN, "exact": "a\x00b"},
    {**PLAIN, "exact": "a\ud800b"}, {**PLAIN, "exact": "x" * 100_001}, {**PLAIN, "rationale": None},
    {**PLAIN, "rationale": "r" * 50_001}, {**PLAIN, "prefix": "p" * 1001}, {**PLAIN, "verdict": "maybe"},
    {**PLAIN, "verdict": None}, {**PLAIN, "claim": "9"}, {**PLAIN, "evidence": [{"url": "https://example.org"}]},
    {**PLAIN, "evidence": None}, {key: value for key, value in PLAIN.items() if key != "exact"}, [PLAIN], "span",
]  # fmt: skip


@pytest.mark.parametrize("index", range(len(SPAN_BODIES)))
def test_a_plainly_valid_span_body_is_read_as_the_serializer_reads_it_and_anything_else_is_left_to_it(index):
    from annotations.api.serializers import AnnotationCreateIn, annotation_create_fields

    body = SPAN_BODIES[index]
    serializer = AnnotationCreateIn(data=body)
    valid = serializer.is_valid()
    plain = annotation_create_fields(body)

    if plain is not None:
        assert valid and plain == dict(serializer.validated_data)
    if index < 5:
        assert plain is not None  # the common case does not build the serializer
    if not valid:
        assert plain is None  # the serializer's 400 and messages answer
