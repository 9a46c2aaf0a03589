"""Ordinary bad input gets a 4xx with a message, never a 500 (issue 13, first slice: the cases its test found)."""

import io
import json

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Document, EvidenceLink

QUOTE = "3.5 percent"


@pytest.fixture
def annotation(document, reviewer):
    start = document.body.index(QUOTE)
    return services.annotation_create(document=document, author=reviewer, start=start, end=start + len(QUOTE),
                                      quote=QUOTE, verdict="true")  # fmt: skip


@pytest.mark.parametrize("url", ["HTTPS://www.bls.gov/cps/", "Http://example.org/a"])
def test_an_evidence_url_with_an_upper_case_scheme_is_stored_in_lower_case(api, annotation, url):
    response = api.post(reverse("api-annotation-evidence", args=[annotation.pk]), {"url": url}, format="json")

    assert response.status_code == 201
    assert EvidenceLink.objects.get().url.startswith(url.split(":")[0].lower() + "://")


def test_a_version_that_only_looks_like_digits_is_a_400(api, annotation):
    response = api.delete(reverse("api-annotation", args=[annotation.pk]) + "?version=²")

    assert response.status_code == 400 and "version" in response.json()["detail"]
    assert Annotation.objects.filter(pk=annotation.pk).exists()


@pytest.mark.parametrize("name", ["api-annotations", "api-documents"])
def test_a_cursor_with_an_id_out_of_range_is_a_400(api, annotation, name):
    import base64

    cursor = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", 1e400]').decode().rstrip("=")

    response = api.get(reverse(name), {"cursor": cursor})

    assert response.status_code == 400 and "cursor" in response.json()["detail"]


STAMPS = ["2026-01-01T00:00:00+99:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00", "2026-13-01T00:00:00Z",
          "\x00"]  # fmt: skip


@pytest.mark.parametrize("stamp", STAMPS)
@pytest.mark.parametrize("where", ["annotations", "documents", "corrections", "export"])
def test_an_impossible_updated_since_is_a_400_naming_it(api, annotation, stamp, where):
    url = {"annotations": reverse("api-annotations"), "documents": reverse("api-documents"),
           "corrections": reverse("api-project-corrections", args=["politics"]),
           "export": reverse("api-project-export", args=["politics"])}[where]  # fmt: skip

    response = api.get(url, {"updated_since": stamp})

    assert response.status_code == 400
    assert "updated_since" in response.json()["detail"]


@pytest.mark.parametrize("where", ["api-annotations", "api-documents"])
def test_a_nul_in_a_filter_is_a_400(api, annotation, where):
    response = api.get(reverse(where), {"project": "\x00"})

    assert response.status_code == 400 and "project" in response.json()["detail"]


def test_the_project_filter_of_the_annotation_list_filters(api_as, annotation, reviewer, outsider):
    from annotations.models import Membership

    Membership.objects.create(user=reviewer, project=outsider.projects.get(), role="reviewer")
    api = api_as(reviewer)

    mine = api.get(reverse("api-annotations"), {"project": "politics"}).json()["results"]
    elsewhere = api.get(reverse("api-annotations"), {"project": "elsewhere"}).json()["results"]

    assert [row["id"] for row in mine] == [annotation.pk]
    assert elsewhere == []


def test_a_deeply_nested_json_body_is_a_400(api):
    response = api.generic("POST", reverse("api-annotations"), "[" * 100_000, content_type="application/json")

    assert response.status_code == 400 and "JSON" in response.json()["detail"]


@pytest.mark.parametrize("limit", ["DATA_UPLOAD_MAX_MEMORY_SIZE", "IMPORT_MAX_BYTES"])
def test_a_json_body_over_the_limit_is_a_json_413(api, settings, limit):
    setattr(settings, limit, 10_000)
    body = json.dumps({"project": "politics", "title": "Big", "body": "x" * 100_000})

    response = api.generic("POST", reverse("api-documents"), body, content_type="application/json")

    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert not Document.objects.filter(title="Big").exists()


@pytest.mark.parametrize("content", [b'{"title": "T", "body": "\\ud800"}', b"[" * 100_000])
def test_an_uploaded_json_file_that_cannot_be_read_is_a_400(api, project, content):
    upload = io.BytesIO(content)
    upload.name = "bad.json"

    response = api.post(reverse("api-documents"), {"project": "politics", "file": upload}, format="multipart")

    assert response.status_code == 400 and "bad.json" in response.json()["detail"]
    assert not Document.objects.exists()


def test_the_import_command_reports_a_bad_file_and_imports_the_good_ones(project, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    (tmp_path / "a-bad.json").write_bytes(b'{"title": "T", "body": "\\ud800"}')
    (tmp_path / "b-deep.jsonl").write_bytes(b"[" * 100_000 + b"\n")
    (tmp_path / "c-good.txt").write_text("Good title\nUnemployment fell to 3.5 percent.\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path), "--project", "politics", "--no-progress", stdout=out, stderr=err)

    assert Document.objects.get().title == "Good title"
    assert "a-bad.json" in err.getvalue() and "b-deep.jsonl" in err.getvalue()


def test_unhandled_errors_are_logged_to_the_console_even_with_debug_off(settings):
    import logging.config

    logging.config.dictConfig(settings.LOGGING)

    logger = logging.getLogger("django.request")
    assert any(isinstance(h, logging.StreamHandler) for h in logger.handlers)
    assert logger.isEnabledFor(logging.ERROR)


@pytest.mark.parametrize(
    ("url_name", "args", "param"),
    [("api-annotations", [], "verdic"), ("api-documents", [], "projekt"), ("api-project-export", ["politics"], "stat"),
     ("api-project-corrections", ["politics"], "since"), ("api-document-claims", None, "shows")],
)  # fmt: skip
def test_an_unknown_query_parameter_is_a_400_naming_it(api, document, url_name, args, param):
    url = reverse(url_name, args=[document.pk] if args is None else args)
    response = api.get(url, {param: "x"})
    assert response.status_code == 400
    assert param in response.json()["detail"] and "unknown query parameter" in response.json()["detail"]


def test_a_number_where_text_belongs_is_a_400_not_stored_as_text(api, annotation):
    from annotations.models import AuditEvent

    before = AuditEvent.objects.count()
    response = api.post(reverse("api-annotation-comments", args=[annotation.pk]), {"text": 0}, format="json")

    assert response.status_code == 400 and response.json()["errors"]["text"] == ["must be a string"]
    assert AuditEvent.objects.count() == before  # comments are audit entries: none written


def test_a_form_encoded_api_write_is_a_415_naming_the_media_type(api, annotation):
    response = api.patch(reverse("api-annotation", args=[annotation.pk]), {"version": 1, "rationale": "x"})

    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]
    annotation.refresh_from_db()
    assert annotation.rationale == "" and annotation.version == 1


def test_an_api_url_that_matches_no_endpoint_is_a_json_404(client, db, settings):
    settings.DEBUG = False

    response = client.get("/api/v1/evidence/not-a-number/")

    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "no API endpoint" in response.json()["detail"]
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]  # pages keep the HTML page
