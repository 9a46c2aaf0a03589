import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import services
from annotations.models import Annotation, AuditEvent, Claim, ClaimState, Document, EvidenceLink
from annotations.tests.factories import DocumentFactory

QUOTE = "3.5 percent"


@pytest.fixture
def other_api(api_as, other_reviewer):
    return api_as(other_reviewer)


@pytest.fixture
def outsider_api(api_as, outsider):
    return api_as(outsider)


@pytest.fixture
def annotation(document, reviewer):
    start = document.body.index(QUOTE)
    return services.annotation_create(
        document=document, author=reviewer, start=start, end=start + len(QUOTE), quote=QUOTE, verdict="mostly_true"
    )


def _create(api, document, quote=QUOTE, **extra):
    start = document.body.index(quote)
    payload = {"document": document.pk, "start": start, "end": start + len(quote), "exact": quote, **extra}
    return api.post(reverse("api-annotations"), payload, format="json")


# ---- auth & projects ----------------------------------------------------------------------------


def test_anonymous_requests_are_refused(document):
    response = APIClient().get(reverse("api-annotations"))

    assert response.status_code in (401, 403)


def test_a_token_authenticates_api_clients(reviewer, document):
    token = Token.objects.create(user=reviewer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(reverse("api-projects"))

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"slug": "politics", "name": "Politics desk", "description": "", "guidelines": "", "role": "reviewer"}
    ]


def test_an_outsider_gets_404_for_every_object_of_the_project(outsider_api, document, annotation):
    urls = [
        reverse("api-project", args=["politics"]),
        reverse("api-document", args=[document.pk]),
        reverse("api-document-claims", args=[document.pk]),
        reverse("api-annotation", args=[annotation.pk]),
    ]
    for url in urls:
        assert outsider_api.get(url).status_code == 404, url
    assert outsider_api.patch(reverse("api-annotation", args=[annotation.pk]), {"version": 1}).status_code == 404
    assert _create(outsider_api, document).status_code == 404
    assert outsider_api.get(reverse("api-annotations")).json()["results"] == []


# ---- documents -------------------------------------------------------------------------------


def test_creating_a_document_runs_the_import_service_and_a_duplicate_points_to_the_original(api, project):
    payload = {"project": "politics", "title": "Jobs", "body": "Unemployment fell to 3.5 percent.\r\nTop Articles"}

    first = api.post(reverse("api-documents"), payload, format="json")
    second = api.post(reverse("api-documents"), payload, format="json")

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["duplicate_of"] == first.json()["id"]
    assert Document.objects.get().segmentation_status in ("done", "pending")


def test_uploading_an_article_file_imports_it_and_rejects_bad_or_huge_files(api, project, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = SimpleUploadedFile("jobs.txt", b"Jobs\nUnemployment fell to 3.5 percent in 2019.")
    bad = SimpleUploadedFile("bin.txt", b"Title\n\x00\x01")
    settings.IMPORT_MAX_BYTES = 1024
    huge = SimpleUploadedFile("huge.txt", b"T\n" + b"x" * 2000)

    ok = api.post(reverse("api-documents"), {"project": "politics", "file": good}, format="multipart")
    binary = api.post(reverse("api-documents"), {"project": "politics", "file": bad}, format="multipart")
    too_big = api.post(reverse("api-documents"), {"project": "politics", "file": huge}, format="multipart")

    assert ok.status_code == 201 and ok.json()["title"] == "Jobs"
    assert binary.status_code == 400 and "bin.txt: binary file" in binary.json()["detail"]
    assert too_big.status_code == 413 and "huge.txt" in too_big.json()["detail"]
    assert Document.objects.count() == 1


def test_creating_a_document_in_a_project_you_do_not_belong_to_is_404(outsider_api, project):
    response = outsider_api.post(reverse("api-documents"), {"project": "politics", "title": "x", "body": "y"})

    assert response.status_code == 404
    assert not Document.objects.exists()


def test_an_editor_updates_document_metadata_with_an_audit_event_but_not_its_text(api_as, editor, document):
    api = api_as(editor)
    url = reverse("api-document", args=[document.pk])

    renamed = api.patch(url, {"title": "New title", "source_url": "https://example.org/a"}, format="json")
    body = api.patch(url, {"body": "changed"}, format="json")
    bad_url = api.patch(url, {"source_url": "javascript:alert(1)"}, format="json")

    document.refresh_from_db()
    assert renamed.status_code == 200
    assert (document.title, document.source_url) == ("New title", "https://example.org/a")
    assert body.status_code == 400 and "cannot be changed" in body.json()["detail"]
    assert bad_url.status_code == 400
    event = AuditEvent.objects.get(object_type="document", object_id=document.pk)
    assert (event.actor, event.action) == (editor, "update")
    assert event.changes == {"title": ["Unemployment", "New title"], "source_url": ["", "https://example.org/a"]}


def test_a_reviewer_cannot_change_document_metadata(api, document):
    response = api.patch(reverse("api-document", args=[document.pk]), {"title": "Mine now"}, format="json")

    document.refresh_from_db()
    assert response.status_code == 403 and "editor" in response.json()["detail"]
    assert document.title == "Unemployment"
    assert not AuditEvent.objects.exists()


def test_the_document_list_costs_a_fixed_number_of_queries(api, project, django_assert_num_queries):
    DocumentFactory.create_batch(3, project=project)
    with django_assert_num_queries(1):
        small = api.get(reverse("api-documents"))
    DocumentFactory.create_batch(20, project=project)
    with django_assert_num_queries(1):
        large = api.get(reverse("api-documents"))

    assert (len(small.json()["results"]), len(large.json()["results"])) == (3, 23)


# ---- claims ----------------------------------------------------------------------------------------


def test_claims_are_listed_by_score_or_position_and_can_be_accepted_or_dismissed(api, document):
    services.document_segment(document_id=document.pk)
    first = Claim.objects.filter(document=document).first()

    listed = api.get(reverse("api-document-claims", args=[document.pk]), {"order": "position"})
    dismissed = api.post(reverse("api-claim-dismiss", args=[first.pk]))
    accepted = api.post(reverse("api-claim-accept", args=[first.pk]))

    assert [c["id"] for c in listed.json()["results"]] == [first.pk]
    assert dismissed.json()["state"] == "dismissed"
    assert accepted.json()["state"] == "accepted"
    assert Claim.objects.get(pk=first.pk).state == ClaimState.ACCEPTED


# ---- annotations: create ------------------------------------------------------------------------------


def test_a_reviewer_creates_an_annotation_with_verdict_and_evidence(api, document, reviewer):
    response = _create(
        api, document, verdict="mostly_true", rationale="  BLS says 3.5 %  ",
        evidence=[{"url": "https://www.bls.gov/cps", "title": "BLS", "stance": "supports"}],
    )  # fmt: skip

    body = response.json()
    annotation = Annotation.objects.get()
    assert response.status_code == 201
    assert (annotation.quote, annotation.verdict, annotation.rationale) == (QUOTE, "mostly_true", "  BLS says 3.5 %  ")
    assert annotation.author == reviewer
    assert body["quote"]["prefix"].endswith("fell to ") and body["can_edit"] is True
    assert body["evidence"][0]["url"] == "https://www.bls.gov/cps"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"exact": "3.6 percent"}, "quote does not match", id="wrong_quote"),
        pytest.param({"end": 0}, "greater than start", id="start_not_before_end"),
        pytest.param({"verdict": "pants_on_fire"}, "verdict", id="unknown_verdict"),
        pytest.param({"evidence": [{"url": "javascript:alert(1)"}]}, "not a valid http(s) URL", id="bad_evidence_url"),
        pytest.param({"evidence": [{"url": "ftp://example.org/x"}]}, "not a valid http(s) URL", id="ftp_url"),
        pytest.param({"start": -1}, "start", id="negative_start"),
    ],
)
def test_bad_annotation_input_is_a_400_with_a_message_and_nothing_is_stored(api, document, change, message):
    start = document.body.index(QUOTE)
    payload = {"document": document.pk, "start": start, "end": start + len(QUOTE), "exact": QUOTE, **change}

    response = api.post(reverse("api-annotations"), payload, format="json")

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Annotation.objects.exists() and not EvidenceLink.objects.exists()


def test_utf16_offsets_from_a_browser_are_converted_to_code_points(api, project):
    document = DocumentFactory(project=project, body="😀 Café e\u0301té 中文 then 3.5 percent 😀 end")
    text = document.body
    quote_start = text.index(QUOTE)
    utf16_start = len(text[:quote_start].encode("utf-16-le")) // 2

    response = api.post(
        reverse("api-annotations") + "?unit=utf16",
        {"document": document.pk, "start": utf16_start, "end": utf16_start + len(QUOTE), "exact": QUOTE},
        format="json",
    )
    listed = api.get(reverse("api-annotations"), {"unit": "utf16"}).json()["results"][0]
    plain = api.get(reverse("api-annotations")).json()["results"][0]

    annotation = Annotation.objects.get()
    assert response.status_code == 201
    assert (annotation.start, annotation.end) == (quote_start, quote_start + len(QUOTE))
    assert text[annotation.start : annotation.end] == QUOTE
    assert (listed["start"], plain["start"]) == (utf16_start, quote_start)


def test_a_utf16_offset_inside_an_emoji_is_rejected(api, project):
    document = DocumentFactory(project=project, body="a😀b")

    response = api.post(
        reverse("api-annotations") + "?unit=utf16",
        {"document": document.pk, "start": 2, "end": 4, "exact": "b"},
        format="json",
    )

    assert response.status_code == 400
    assert "surrogate pair" in response.json()["detail"]


def test_annotating_a_claim_links_and_accepts_it(api, document):
    claim = Claim.objects.create(document=document, start=0, end=3, text="The", score=0.9)

    response = _create(api, document, quote="The", claim=claim.pk)

    assert response.status_code == 201 and response.json()["claim"] == claim.pk
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.ACCEPTED


# ---- annotations: update / delete / submit ------------------------------------------------------------


def test_the_author_updates_with_the_current_version_and_the_version_goes_up(api, annotation):
    response = api.patch(
        reverse("api-annotation", args=[annotation.pk]),
        {"version": 1, "verdict": "false", "rationale": "Wrong figure"},
        format="json",
    )

    annotation.refresh_from_db()
    assert response.status_code == 200
    assert (annotation.verdict, annotation.rationale, annotation.version) == ("false", "Wrong figure", 2)


def test_a_stale_version_is_a_409_with_the_current_annotation_and_nothing_changes(api, annotation):
    api.patch(reverse("api-annotation", args=[annotation.pk]), {"version": 1, "verdict": "false"}, format="json")

    response = api.patch(reverse("api-annotation", args=[annotation.pk]), {"version": 1, "verdict": "true"},
                         format="json")  # fmt: skip

    annotation.refresh_from_db()
    assert response.status_code == 409
    assert response.json()["current"]["verdict"] == "false" and response.json()["current"]["version"] == 2
    assert annotation.verdict == "false"


def test_another_reviewer_can_read_but_not_change_or_delete_my_annotation(other_api, annotation):
    url = reverse("api-annotation", args=[annotation.pk])

    read = other_api.get(url)
    change = other_api.patch(url, {"version": 1, "verdict": "false"}, format="json")
    delete = other_api.delete(url + "?version=1")

    assert read.status_code == 200 and read.json()["can_edit"] is False
    assert (change.status_code, delete.status_code) == (403, 403)
    assert Annotation.objects.get(pk=annotation.pk).verdict == "mostly_true"


def test_moving_an_annotation_validates_the_new_span(api, annotation, document):
    url = reverse("api-annotation", args=[annotation.pk])
    start = document.body.index("2019")

    partial = api.patch(url, {"version": 1, "start": start}, format="json")
    wrong = api.patch(url, {"version": 1, "start": start, "end": start + 4, "exact": "2020"}, format="json")
    moved = api.patch(url, {"version": 1, "start": start, "end": start + 4, "exact": "2019"}, format="json")

    assert partial.status_code == 400 and wrong.status_code == 400
    assert moved.status_code == 200 and moved.json()["quote"]["exact"] == "2019"


def test_the_author_deletes_with_the_current_version_only(api, annotation):
    url = reverse("api-annotation", args=[annotation.pk])

    stale = api.delete(url + "?version=7")
    deleted = api.delete(url + "?version=1")

    assert (stale.status_code, deleted.status_code) == (409, 204)
    assert not Annotation.objects.exists()


def test_submitting_sends_drafts_with_a_verdict_to_review(api, document, annotation, reviewer):
    no_verdict = services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The")

    one = api.post(reverse("api-annotation-submit", args=[annotation.pk]), {"version": 1}, format="json")
    refused = api.post(reverse("api-annotation-submit", args=[no_verdict.pk]), {}, format="json")

    assert one.status_code == 200 and one.json()["status"] == "submitted"
    assert refused.status_code == 400 and "verdict" in refused.json()["detail"]


def test_submit_all_my_drafts_submits_only_mine_with_verdicts(api, document, reviewer, other_reviewer, annotation):
    services.annotation_create(document=document, author=other_reviewer, start=0, end=3, quote="The", verdict="true")

    response = api.post(reverse("api-document-submit", args=[document.pk]))

    assert response.json() == {"submitted": 1}
    assert list(Annotation.objects.order_by("pk").values_list("status", flat=True)) == ["submitted", "draft"]


# ---- evidence ------------------------------------------------------------------------------------------


def test_the_author_adds_edits_and_removes_evidence(api, other_api, annotation):
    added = api.post(reverse("api-annotation-evidence", args=[annotation.pk]),
                     {"url": "https://bls.gov", "title": "BLS", "stance": "refutes"}, format="json")  # fmt: skip
    evidence_url = reverse("api-evidence", args=[added.json()["id"]])
    foreign = other_api.patch(evidence_url, {"title": "Hijack"}, format="json")
    edited = api.patch(evidence_url, {"title": "Bureau of Labor Statistics"}, format="json")
    bad = api.patch(evidence_url, {"url": "javascript:x"}, format="json")
    removed = api.delete(evidence_url)

    assert added.status_code == 201 and added.json()["stance"] == "refutes"
    assert foreign.status_code == 403
    assert edited.json()["title"] == "Bureau of Labor Statistics"
    assert bad.status_code == 400
    assert removed.status_code == 204 and not EvidenceLink.objects.exists()


# ---- list, filters, sync ---------------------------------------------------------------------------------


def test_annotations_filter_by_document_author_verdict_status_and_text(
    api, document, project, reviewer, other_reviewer
):
    other_doc = DocumentFactory(project=project, body="Crime rose by 12 percent last year.")
    services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The", verdict="true")
    services.annotation_create(document=other_doc, author=other_reviewer, start=0, end=5, quote="Crime",
                               verdict="false")  # fmt: skip
    url = reverse("api-annotations")

    def quotes(**params):
        return [row["quote"]["exact"] for row in api.get(url, params).json()["results"]]

    assert quotes(document=document.pk) == ["The"]
    assert quotes(author="other_reviewer") == ["Crime"]
    assert quotes(verdict="false") == ["Crime"]
    assert quotes(status="draft") == ["The", "Crime"]
    assert quotes(q="crim") == ["Crime"]
    assert api.get(url, {"verdict": "nonsense"}).status_code == 400


def test_the_annotation_list_costs_a_fixed_number_of_queries(api, document, reviewer, django_assert_num_queries):
    def add(n):
        for _ in range(n):
            annotation = services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The")
            services.evidence_add(annotation=annotation, user=reviewer, url="https://example.org")

    add(2)
    with django_assert_num_queries(2):  # annotations + authors, evidence + added_by
        api.get(reverse("api-annotations"))
    add(20)
    with django_assert_num_queries(3):  # + the document bodies for UTF-16 offsets
        response = api.get(reverse("api-annotations"), {"unit": "utf16"})

    assert len(response.json()["results"]) == 22


def test_cursor_sync_with_concurrent_writes_misses_nothing_and_repeats_nothing(api, document, reviewer):
    created = [
        services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The") for _ in range(5)
    ]
    url = reverse("api-annotations")
    seen: list[tuple[int, int]] = []

    page = api.get(url, {"page_size": 2}).json()
    seen += [(row["id"], row["version"]) for row in page["results"]]
    # Meanwhile: one row already seen is edited, a new one is created.
    services.annotation_update(annotation_id=created[0].pk, user=reviewer, version=1, verdict="false")
    newcomer = services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The")
    while page["next"]:
        page = api.get(url, {"page_size": 2, "cursor": page["next"]}).json()
        seen += [(row["id"], row["version"]) for row in page["results"]]
    idle = api.get(url, {"cursor": page["sync"]}).json()

    assert len(seen) == len(set(seen))  # no (row, version) twice
    assert {pk for pk, _ in seen} == {a.pk for a in created} | {newcomer.pk}
    assert (created[0].pk, 2) in seen  # the edit arrived
    assert idle["results"] == [] and idle["sync"] == page["sync"]


def test_a_garbled_cursor_or_page_size_is_a_400(api):
    assert api.get(reverse("api-annotations"), {"cursor": "not-a-cursor"}).status_code == 400
    assert api.get(reverse("api-annotations"), {"page_size": "5001"}).status_code == 400
    assert api.get(reverse("api-annotations"), {"unit": "bytes"}).status_code == 400


# ---- schema & docs ------------------------------------------------------------------------------------


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(client, reviewer):
    client.force_login(reviewer)

    schema = client.get(reverse("api-schema"))
    docs = client.get(reverse("api-docs"))
    redoc = client.get(reverse("api-redoc"))

    assert schema.status_code == 200 and b"/api/v1/annotations/" in schema.content
    html = docs.content.decode()
    assert docs.status_code == 200
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
    assert redoc.status_code == 301 and redoc["Location"] == reverse("api-docs")  # Redoc fetched a CDN logo


def test_the_schema_is_json_when_asked_and_documents_the_list_envelopes_and_filters(client, reviewer):
    client.force_login(reviewer)

    schema = client.get(reverse("api-schema") + "?format=json").json()

    listing = schema["paths"]["/api/v1/annotations/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"document", "author", "verdict", "status", "updated_since",
                                                            "q", "cursor", "page_size", "unit"}  # fmt: skip
    envelope = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][envelope]["properties"]) == {"results", "next", "sync", "deleted"}


def test_the_schema_builds_without_a_single_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "/api/v1/annotations/" in (tmp_path / "schema.yml").read_text()


def test_every_presenter_matches_its_documented_shape(api_as, editor, document, annotation, reviewer):
    from annotations.api import serializers as s

    api = api_as(editor)
    services.evidence_add(annotation=annotation, user=reviewer, url="https://www.bls.gov", title="BLS")
    Claim.objects.create(document=document, start=0, end=3, text="The", score=0.7)
    services.document_update(document=document, user=editor, title="Renamed")

    shapes = {
        s.DocumentOut: api.get(reverse("api-document", args=[document.pk])).json(),
        s.DocumentSummaryOut: api.get(reverse("api-documents")).json()["results"][0],
        s.ClaimOut: api.get(reverse("api-document-claims", args=[document.pk])).json()["results"][0],
        s.AuditEventOut: api.get(reverse("api-project-corrections", args=["politics"])).json()["results"][0],
        s.ProjectOut: api.get(reverse("api-projects")).json()["results"][0],
    }

    for serializer, row in shapes.items():
        assert set(row) == set(serializer().fields), serializer.__name__


def test_the_fast_presenter_matches_the_documented_annotation_shape(api, annotation, reviewer):
    from annotations.api.serializers import AnnotationOut

    services.evidence_add(annotation=annotation, user=reviewer, url="https://www.bls.gov", title="BLS")
    row = api.get(reverse("api-annotation", args=[annotation.pk])).json()

    assert set(row) == set(AnnotationOut().fields)
    assert set(row["evidence"][0]) == set(AnnotationOut().fields["evidence"].child.fields)


def test_a_409_answers_with_offsets_in_the_unit_asked_for(api, project, reviewer):
    document = DocumentFactory(project=project, body="😀😀 The rate fell.")
    annotation = services.annotation_create(document=document, author=reviewer, start=3, end=11, quote="The rate")

    response = api.patch(reverse("api-annotation", args=[annotation.pk]) + "?unit=utf16", {"version": 9},
                         format="json")  # fmt: skip

    assert response.status_code == 409
    assert (response.json()["current"]["start"], response.json()["current"]["end"]) == (5, 13)


def test_sync_reports_annotations_deleted_since_the_cursor(api, other_api, document, reviewer, annotation):
    first = api.get(reverse("api-annotations"), {"document": document.pk}).json()

    services.annotation_delete(annotation_id=annotation.pk, user=reviewer, version=None)
    later = other_api.get(reverse("api-annotations"), {"document": document.pk, "cursor": first["sync"]}).json()

    assert first["deleted"] == []
    assert later["deleted"] == [annotation.pk]
