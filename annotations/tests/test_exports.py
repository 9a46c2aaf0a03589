"""Verdict exports (JSON, JSON Lines, CSV, ClaimReview, Web Annotation) and the JSON Lines round trip."""

import csv
import io
import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotations import services
from annotations.domain import export_formats
from annotations.domain.export_formats import FORMATS, cell_safe, claimreview_rating
from annotations.domain.text import content_sha256
from annotations.domain.verdicts import Verdict
from annotations.exporting import ExportRejected, export_chunks, verdict_export_rows
from annotations.importing_verdicts import VerdictImportError, import_verdict_lines
from annotations.models import Annotation, AnnotationStatus, Claim, Document, EvidenceLink, Role
from annotations.tests.factories import DocumentFactory, MembershipFactory, ProjectFactory

CONTEXT_FILE = Path(__file__).resolve().parents[1] / "static" / "annotations" / "jsonld" / "anno.jsonld"
BASE = "https://desk.example.org"
# Emoji (astral, ZWJ sequence, flag) and combining marks that NFC cannot compose (q̃, x̄́): offsets must not drift.
UNICODE_BODY = (
    "Minister Zoë Ål said 😀 the q\u0303uota rose by x\u0304\u0301 percent 👩\u200d🔬 in 🇫🇷 last year.\n\n"
    "Critics replied that the 😀 figure was invented."
)


def export(name: str, project, **kwargs) -> bytes:
    return b"".join(export_chunks(name, project=project, base_url=BASE, **kwargs))


def export_json(name: str, project, **kwargs) -> list:
    return json.loads(export(name, project, **kwargs))


def jsonl_records(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").split("\n") if line]


def annotate(document, author, exact, *, occurrence=0, status=AnnotationStatus.DRAFT, **fields):
    start = -1
    for _ in range(occurrence + 1):
        start = document.body.index(exact, start + 1)
    annotation = services.annotation_create(
        document=document, author=author, start=start, end=start + len(exact), quote=exact, **fields
    )
    if status != AnnotationStatus.DRAFT:
        Annotation.objects.filter(pk=annotation.pk).update(status=status)  # the review workflow is not under test
        annotation.refresh_from_db()
    return annotation


def set_status(annotation, status: str) -> None:
    Annotation.objects.filter(pk=annotation.pk).update(status=status)


@pytest.fixture
def article(document):
    document.source_url = "https://news.example.com/2025/03/10/interview"
    document.author = "Jane Doe"
    document.published_at = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
    document.save()
    return document


@pytest.fixture
def verdicts(article, reviewer, other_reviewer):
    """An approved verdict with two evidence links, a submitted one and a draft without verdict."""
    approved = annotate(
        article, reviewer, "The unemployment rate fell to 3.5 percent in 2019", status=AnnotationStatus.APPROVED,
        verdict="true", rationale="BLS series LNS14000000 shows 3.5 % in Sept 2019.",
        evidence=[
            {"url": "https://www.bls.gov/cps/", "title": "BLS CPS", "stance": "supports"},
            {"url": "https://fred.stlouisfed.org/series/UNRATE", "quoted_passage": "3.5"},
        ],
    )  # fmt: skip
    submitted = annotate(
        article, other_reviewer, "the lowest in fifty years", status=AnnotationStatus.SUBMITTED,
        verdict="mostly_true", rationale="Lowest since 1969, i.e. fifty years.",
    )  # fmt: skip
    draft = annotate(article, reviewer, "3.5 percent")
    return {"approved": approved, "submitted": submitted, "draft": draft}


def export_url(slug="politics", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("api-project-export", kwargs={"slug": slug}) + (f"?{query}" if query else "")


def import_url(slug="politics") -> str:
    return reverse("api-project-import-verdicts", kwargs={"slug": slug})


# ---- JSON / JSON Lines -----------------------------------------------------------------------


def test_json_export_lists_every_annotation_with_document_author_offsets_verdict_and_evidence(project, verdicts):
    rows = export_json("json", project)

    assert [r["id"] for r in rows] == sorted(a.pk for a in verdicts.values())
    first = rows[0]
    assert first["type"] == "annotation"
    assert first["document"]["title"] == "Unemployment"
    assert first["document"]["source_url"] == "https://news.example.com/2025/03/10/interview"
    assert first["document"]["published_at"] == "2025-03-10T09:30:00.000000Z"
    assert first["author"]["username"] == "reviewer"
    assert (first["start"], first["end"]) == (0, 49)
    assert first["quote"]["exact"] == "The unemployment rate fell to 3.5 percent in 2019"
    assert (first["verdict"], first["verdict_label"], first["rating"]) == ("true", "True", 5)
    assert first["status"] == "approved"
    assert [e["url"] for e in first["evidence"]] == [
        "https://www.bls.gov/cps/",
        "https://fred.stlouisfed.org/series/UNRATE",
    ]
    assert first["evidence"][0]["stance"] == "supports"
    assert first["evidence"][1]["quoted_passage"] == "3.5"
    assert first["created_at"].endswith("Z")
    draft = rows[2]
    assert (draft["verdict"], draft["verdict_label"], draft["rating"], draft["evidence"]) == ("", "", None, [])


def test_empty_export_is_still_valid_json(project):
    assert export_json("json", project) == []
    assert export_json("claimreview", project) == []
    assert export("jsonl", project) == b""


def test_jsonl_writes_each_document_once_before_its_annotations(project, verdicts, reviewer):
    second = DocumentFactory(project=project, body="Crime doubled last year, the mayor said.")
    annotate(second, reviewer, "Crime doubled last year", verdict="false")

    records = jsonl_records(export("jsonl", project))

    assert [r["type"] for r in records] == [
        "document",
        "annotation",
        "annotation",
        "annotation",
        "document",
        "annotation",
    ]
    document = records[0]
    assert document["body"] == verdicts["approved"].document.body
    assert document["sha256"] == content_sha256(document["body"])
    assert {r["document"]["sha256"] for r in records[1:4]} == {document["sha256"]}
    assert records[4]["body"] == second.body


# ---- CSV ------------------------------------------------------------------------------------


def test_csv_has_one_row_per_annotation_with_evidence_urls_joined(project, verdicts):
    text = export("csv", project).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))

    assert len(rows) == 3
    assert list(rows[0]) == export_formats.CSV_COLUMNS
    first = rows[0]
    assert first["quote"] == "The unemployment rate fell to 3.5 percent in 2019"
    assert (first["start"], first["end"], first["verdict"], first["rating"]) == ("0", "49", "true", "5")
    assert first["evidence_urls"].split() == ["https://www.bls.gov/cps/", "https://fred.stlouisfed.org/series/UNRATE"]
    assert (first["author"], first["status"], first["document_title"]) == ("reviewer", "approved", "Unemployment")
    assert text.endswith("\r\n")


@pytest.mark.parametrize("dangerous", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("x")'])
def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_escaped(project, document, reviewer, dangerous):
    annotate(document, reviewer, "unemployment", rationale=dangerous)
    Document.objects.filter(pk=document.pk).update(title=dangerous)

    row = next(csv.DictReader(io.StringIO(export("csv", project).decode("utf-8"))))

    assert row["rationale"] == "'" + dangerous
    assert row["document_title"] == "'" + dangerous


def test_cell_safe_leaves_ordinary_text_and_numbers_alone():
    assert cell_safe("3.5 percent") == "3.5 percent"
    assert cell_safe(42) == 42
    assert cell_safe("") == ""
    assert cell_safe("a=b") == "a=b"


# ---- ClaimReview ----------------------------------------------------------------------------


def test_claimreview_has_googles_required_and_recommended_fields_for_published_verdicts_only(project, verdicts):
    assert export_json("claimreview", project) == []  # approved, submitted and draft: nothing is published yet
    approved = verdicts["approved"]
    Annotation.objects.filter(pk=approved.pk).update(status=AnnotationStatus.PUBLISHED)

    reviews = export_json("claimreview", project)

    assert len(reviews) == 1
    review = reviews[0]
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == approved.quote
    assert review["url"] == f"{BASE}/fact-checks/{approved.pk}/"  # the public page, not the login-only annotate page
    assert review["reviewRating"] == {
        "@type": "Rating", "alternateName": "True", "name": "True", "ratingValue": 5, "bestRating": 5, "worstRating": 1,
    }  # fmt: skip
    assert review["author"] == {"@type": "Organization", "name": "Politics desk", "url": f"{BASE}/projects/politics/"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", review["datePublished"])
    assert review["itemReviewed"] == {
        "@type": "Claim",
        "appearance": {"@type": "CreativeWork", "url": "https://news.example.com/2025/03/10/interview",
                       "headline": "Unemployment"},
        "author": {"@type": "Person", "name": "Jane Doe"},
        "datePublished": "2025-03-10",
    }  # fmt: skip
    assert review["reviewBody"] == approved.rationale


def test_claimreview_includes_published_verdicts_and_leaves_out_unknown_article_details(project, document, reviewer):
    annotate(document, reviewer, "unemployment", verdict="unverifiable", status=AnnotationStatus.PUBLISHED)
    annotate(document, reviewer, "rate", verdict="false", status=AnnotationStatus.RETRACTED)
    annotate(document, reviewer, "fell", status=AnnotationStatus.APPROVED)  # no verdict: nothing to review

    (review,) = export_json("claimreview", project)

    assert review["itemReviewed"] == {"@type": "Claim"}  # no URL, author or date known for this article
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Unverifiable", "name": "Unverifiable"}
    assert export_json("claimreview", project, status="draft") == []


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_maps_onto_the_documented_claimreview_scale(verdict):
    rating = claimreview_rating(verdict)

    assert rating["alternateName"] == verdict.label
    if verdict.rating is None:
        assert "ratingValue" not in rating
    else:
        assert rating["worstRating"] <= rating["ratingValue"] == verdict.rating <= rating["bestRating"]
        assert (rating["bestRating"], rating["worstRating"]) == (5, 1)


# ---- Web Annotation -------------------------------------------------------------------------


@pytest.fixture
def unicode_document(project):
    return services.document_import(project=project, title="Quota", body=UNICODE_BODY).document


def test_web_annotation_selectors_slice_back_to_the_quote_in_code_points(project, unicode_document, reviewer):
    annotate(unicode_document, reviewer, "the 😀 figure", verdict="false")
    annotate(unicode_document, reviewer, "q\u0303uota rose by x\u0304\u0301 percent 👩\u200d🔬 in 🇫🇷", verdict="mixed")
    body = unicode_document.body

    for annotation in export_json("webannotation", project):
        quote, position = annotation["target"]["selector"]
        assert (quote["type"], position["type"]) == ("TextQuoteSelector", "TextPositionSelector")
        start, end = position["start"], position["end"]
        assert body[start:end] == quote["exact"]
        assert body[:start].endswith(quote["prefix"]) and body[end:].startswith(quote["suffix"])
        assert quote["prefix"] and quote["suffix"]
        assert annotation["target"]["source"] == f"{BASE}/api/v1/documents/{unicode_document.pk}/"


def test_web_annotation_has_verdict_and_rationale_as_assessing_bodies_and_evidence_as_linked_bodies(project, verdicts):
    annotations = {a["id"]: a for a in export_json("webannotation", project)}
    approved = annotations[f"{BASE}/api/v1/annotations/{verdicts['approved'].pk}/"]

    assert approved["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert approved["type"] == "Annotation"
    assert approved["motivation"] == "assessing"
    assert approved["creator"] == {"type": "Person", "nickname": "reviewer"}
    assert approved["body"] == [
        {"type": "TextualBody", "purpose": "assessing", "value": "True", "format": "text/plain"},
        {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": verdicts["approved"].rationale,
            "format": "text/plain",
        },
        {"type": "SpecificResource", "purpose": "linking", "source": "https://www.bls.gov/cps/"},
        {"type": "SpecificResource", "purpose": "linking", "source": "https://fred.stlouisfed.org/series/UNRATE"},
    ]
    assert approved["target"]["scope"] == "https://news.example.com/2025/03/10/interview"
    draft = annotations[f"{BASE}/api/v1/annotations/{verdicts['draft'].pk}/"]
    assert draft["motivation"] == "highlighting" and "body" not in draft


# The MUST-level rules of the W3C Web Annotation Data Model that our output touches (the checks of
# shared/tools/wa_conformance.py, written out so that a clone without ../shared runs them too).
IRI = re.compile(r"^[a-z][a-z0-9+\-.]*:[^\s]*$", re.I)
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
SELECTOR_TYPES = {"TextQuoteSelector", "TextPositionSelector"}


def assert_conforms_to_web_annotation_model(annotation: dict, context_terms: set[str]) -> None:
    context = annotation["@context"]
    assert context == "http://www.w3.org/ns/anno.jsonld" or "http://www.w3.org/ns/anno.jsonld" in context
    assert isinstance(annotation["id"], str) and IRI.match(annotation["id"])
    assert annotation["type"] == "Annotation"
    assert isinstance(annotation["motivation"], str) and annotation["motivation"] in context_terms
    for key in ("created", "modified"):
        assert DATE_TIME.match(annotation[key])
    for body in annotation.get("body", []):
        # A purpose is only allowed on a TextualBody (which MUST have a value) or a SpecificResource (which MUST
        # have a source); an External Web Resource MUST have an IRI and no purpose.
        if body["type"] == "TextualBody":
            assert isinstance(body["value"], str) and body["value"]
        elif body["type"] == "SpecificResource":
            assert IRI.match(body["source"])
        else:
            assert IRI.match(body["id"]) and "purpose" not in body
        assert "id" not in body or IRI.match(body["id"])
        assert "purpose" not in body or body["purpose"] in context_terms
    target = annotation["target"]
    assert IRI.match(target["source"])
    assert "scope" not in target or IRI.match(target["scope"])
    for selector in target["selector"]:
        assert selector["type"] in SELECTOR_TYPES
        if selector["type"] == "TextQuoteSelector":
            assert isinstance(selector["exact"], str) and selector["exact"]
            assert all(isinstance(selector[k], str) for k in ("prefix", "suffix"))
        else:
            assert isinstance(selector["start"], int) and isinstance(selector["end"], int)
            assert 0 <= selector["start"] < selector["end"]

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    undefined = {k for k in keys(annotation) if not k.startswith("@")} - context_terms
    assert not undefined, f"terms missing from the JSON-LD context: {undefined}"
    types = {n["type"] for n in [annotation, target, *annotation.get("body", []), *target["selector"],
                                 annotation["creator"]]}  # fmt: skip
    assert types <= context_terms


def test_shipped_json_ld_context_defines_assessing_and_every_term_we_export(project, verdicts, unicode_document):
    annotate(unicode_document, verdicts["approved"].author, "😀 the q\u0303uota", verdict="false")
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert context["assessing"] == "oa:assessing"
    assert context["linking"] == "oa:linking"

    annotations = export_json("webannotation", project)

    assert len(annotations) == 4
    for annotation in annotations:
        assert_conforms_to_web_annotation_model(annotation, set(context))


def test_shared_wa_conformance_tool_accepts_our_export_when_available(project, verdicts, tmp_path):
    tool = Path(__file__).resolve().parents[3] / "shared" / "tools" / "wa_conformance.py"
    if not tool.exists():
        pytest.skip("../shared/tools/wa_conformance.py is not next to this clone (the test above covers the rules)")
    import importlib.util

    spec = importlib.util.spec_from_file_location("wa_conformance", tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "export.jsonld"
    path.write_bytes(export("webannotation", project))

    assert module.main([str(path)]) == 0


# ---- filters and query counts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"author": "other_reviewer"}, ["submitted"]),
        ({"verdict": ["true"]}, ["approved"]),
        ({"verdict": ["true", "mostly_true"]}, ["approved", "submitted"]),
        ({"status": ["draft"]}, ["draft"]),
        ({"q": "FIFTY"}, ["submitted"]),
        ({"updated_since": "2000-01-01T00:00:00Z"}, ["approved", "submitted", "draft"]),
        ({"updated_since": "2999-01-01T00:00:00Z"}, []),
    ],
)
def test_filters_narrow_the_export(project, verdicts, filters, expected):
    names = {a.pk: name for name, a in verdicts.items()}

    rows = export_json("json", project, filters=filters)

    assert [names[r["id"]] for r in rows] == expected


def test_document_filter_and_status_argument_combine(project, verdicts, reviewer):
    other = DocumentFactory(project=project, body="Taxes went up by 10 percent.")
    annotate(other, reviewer, "Taxes went up", status=AnnotationStatus.APPROVED, verdict="false")

    rows = export_json("json", project, filters={"document": str(other.pk)}, status="approved")

    assert [r["quote"]["exact"] for r in rows] == ["Taxes went up"]


def test_exports_never_include_other_projects(project, verdicts, outsider):
    elsewhere = DocumentFactory(project=outsider.projects.get(), body="Other desk text here.")
    annotate(elsewhere, outsider, "Other desk")

    assert len(export_json("json", project)) == 3


@pytest.mark.parametrize(("filters", "message"), [({"status": ["nope"]}, "status"), ({"document": "x"}, "document")])
def test_invalid_filters_are_rejected_before_anything_streams(project, filters, message):
    with pytest.raises(ExportRejected, match=message):
        export_chunks("json", project=project, base_url=BASE, filters=filters)


def test_unknown_format_lists_the_valid_ones(project):
    with pytest.raises(ExportRejected, match="valid formats: json, jsonl, csv, claimreview, webannotation"):
        export_chunks("xml", project=project, base_url=BASE)


def make_annotations(project, author, count: int) -> None:
    words = " ".join(f"w{i:03d}" for i in range(count))
    document = DocumentFactory(project=project, body=words)
    for i in range(count):
        annotate(document, author, f"w{i:03d}", verdict="false", status=AnnotationStatus.PUBLISHED,
                 evidence=[{"url": f"https://example.org/{i}"}, {"url": f"https://example.org/{i}/b"}])  # fmt: skip


@pytest.mark.parametrize("name", list(FORMATS))
def test_export_runs_the_same_number_of_queries_for_1_and_20_annotations(project, reviewer, name):
    other = ProjectFactory(slug="bigger")
    MembershipFactory(project=other, user=reviewer)
    make_annotations(project, reviewer, 1)
    make_annotations(other, reviewer, 20)
    counts = []
    for target, expected_rows in ((project, 1), (other, 20)):
        with CaptureQueriesContext(connection) as queries:
            data = export(name, target)
        counts.append(len(queries))
        if name == "claimreview":
            assert data.count(b'"ClaimReview"') == expected_rows
        else:
            assert data.count(b"https://example.org/") == expected_rows * 2

    assert counts[0] == counts[1] == (3 if name == "jsonl" else 2)


def test_selector_reads_annotations_and_evidence_in_two_queries(project, reviewer, django_assert_num_queries):
    make_annotations(project, reviewer, 20)

    with django_assert_num_queries(2):
        rows = list(verdict_export_rows(project=project, chunk_size=7))  # several fetches, still 2 queries

    assert len(rows) == 20
    assert all(len(row["evidence"]) == 2 for row in rows)
    assert [row["evidence"][0]["url"] for row in rows] == [f"https://example.org/{i}" for i in range(20)]


def test_api_export_query_count_does_not_grow_with_rows(api, project, reviewer, django_assert_num_queries):
    make_annotations(project, reviewer, 1)
    with CaptureQueriesContext(connection) as few:
        b"".join(api.get(export_url(format="jsonl")).streaming_content)
    make_annotations(project, reviewer, 20)

    with django_assert_num_queries(len(few)):
        response = api.get(export_url(format="jsonl"))
        lines = b"".join(response.streaming_content).decode().splitlines()

    assert len(lines) == 2 + 21


# ---- the API endpoint --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        ("json", "application/json", ".json"),
        ("jsonl", "application/x-ndjson", ".jsonl"),
        ("csv", "text/csv; charset=utf-8", ".csv"),
        ("claimreview", "application/ld+json", "-claimreview.json"),
        ("webannotation", 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', "-webannotation.jsonld"),
    ],
)
def test_export_endpoint_streams_an_attachment_with_the_right_content_type(
    api, verdicts, name, content_type, extension
):
    response = api.get(export_url(format=name))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == content_type
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="politics-verdicts-')
    assert disposition.endswith(f'{extension}"')
    body = b"".join(response.streaming_content)
    assert body.decode("utf-8")


def test_export_endpoint_uses_filters_from_the_query_string(api, verdicts):
    response = api.get(export_url(format="json", author="other_reviewer", status="submitted"))

    rows = json.loads(b"".join(response.streaming_content))
    assert [r["id"] for r in rows] == [verdicts["submitted"].pk]


def test_export_endpoint_links_point_at_the_requesting_host(api, verdicts):
    Annotation.objects.filter(pk=verdicts["approved"].pk).update(status=AnnotationStatus.PUBLISHED)
    response = api.get(export_url(format="claimreview"), HTTP_HOST="localhost")

    (review,) = json.loads(b"".join(response.streaming_content))
    assert review["url"].startswith("http://localhost/fact-checks/")


def test_export_endpoint_answers_404_to_outsiders(outsider, verdicts):
    client = APIClient()
    client.force_authenticate(outsider)

    response = client.get(export_url(format="json"))

    assert response.status_code == 404


def test_export_endpoint_needs_a_login(verdicts):
    assert APIClient().get(export_url(format="json")).status_code in (401, 403)


def test_export_endpoint_accepts_token_authentication(reviewer, verdicts):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reviewer).key}")

    response = client.get(export_url(format="csv"))

    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) == 4


def test_export_endpoint_rejects_an_unknown_format_with_the_valid_ones(api, verdicts):
    response = api.get(export_url(format="xml"), HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response.json()["valid_formats"] == ["json", "jsonl", "csv", "claimreview", "webannotation"]
    assert "json, jsonl, csv, claimreview, webannotation" in response.json()["detail"]


def test_export_endpoint_rejects_bad_filters(api, verdicts):
    response = api.get(export_url(format="json", status="bogus"))

    assert response.status_code == 400
    assert "status" in response.json()["detail"]


# ---- the export command ------------------------------------------------------------------------


def test_export_command_writes_the_file_given_with_o(project, verdicts, tmp_path):
    target = tmp_path / "out.csv"
    out = io.StringIO()

    call_command("export_verdicts", "--project", "politics", "--format", "csv", "-o", str(target), stdout=out)

    assert len(list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))) == 4
    assert f"3 annotation(s) exported as csv to {target}" in out.getvalue()
    assert not (tmp_path / "out.csv.partial").exists()


def test_export_command_status_option_and_standard_output(project, verdicts):
    out = io.StringIO()

    err = io.StringIO()

    call_command("export_verdicts", "--project", "politics", "--format", "json", "--status", "approved", stdout=out,
                 stderr=err)  # fmt: skip

    assert [r["id"] for r in json.loads(out.getvalue())] == [verdicts["approved"].pk]
    assert err.getvalue() == "1 annotation(s) exported as json\n"


def test_export_command_names_an_unknown_project(db):
    with pytest.raises(CommandError, match="no project with slug 'nope'"):
        call_command("export_verdicts", "--project", "nope", "--format", "json")


def test_export_command_names_a_bad_filter(project):
    with pytest.raises(CommandError, match="updated_since"):
        call_command("export_verdicts", "--project", "politics", "--updated-since", "yesterday", stdout=io.StringIO())


# ---- round trip ----------------------------------------------------------------------------------

VOLATILE = {"id", "created_at", "updated_at", "added_at"}


def without_ids_and_timestamps(node):
    if isinstance(node, dict):
        return {k: without_ids_and_timestamps(v) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        return [without_ids_and_timestamps(v) for v in node]
    return node


@pytest.fixture
def rich_project(project, reviewer, other_reviewer, editor, unicode_document, verdicts):
    """Two documents; emoji and combining marks; evidence added by someone else; claims; every status."""
    claim = Claim.objects.create(document=unicode_document, start=0, end=20, text=unicode_document.body[:20])
    annotate(unicode_document, reviewer, unicode_document.body[:20], verdict="false", claim=claim,
             rationale="Line one\nline two\u2028with a line separator", status=AnnotationStatus.PUBLISHED,
             evidence=[{"url": "https://example.org/ẞ?q=😀", "title": "Ünïcode 😀", "stance": "refutes"}])  # fmt: skip
    emoji = annotate(unicode_document, other_reviewer, "the 😀 figure", occurrence=0, verdict="unverifiable")
    EvidenceLink.objects.create(annotation=emoji, url="https://example.org/by-editor", added_by=editor)
    Annotation.objects.filter(pk=emoji.pk).update(version=4, status=AnnotationStatus.REJECTED)
    return project


def test_jsonl_round_trip_into_another_project_is_lossless(rich_project, tmp_path):
    first = tmp_path / "politics.jsonl"
    call_command("export_verdicts", "--project", "politics", "--format", "jsonl", "-o", str(first),
                 stderr=io.StringIO())  # fmt: skip
    out = io.StringIO()

    call_command("import_verdicts", str(first), "--project", "copy", "--create-project", stdout=out)

    assert (
        "5 annotations imported (4 evidence links), 0 skipped (already present); documents: 2 created" in out.getvalue()
    )
    second = tmp_path / "copy.jsonl"
    call_command("export_verdicts", "--project", "copy", "--format", "jsonl", "-o", str(second), stderr=io.StringIO())
    before, after = jsonl_records(first.read_bytes()), jsonl_records(second.read_bytes())
    assert without_ids_and_timestamps(after) == without_ids_and_timestamps(before)
    assert {r["id"] for r in after if r["type"] == "annotation"}.isdisjoint(
        {r["id"] for r in before if r["type"] == "annotation"}
    )
    copied = Document.objects.get(project__slug="copy", title="Quota")
    assert any(unicodedata.combining(c) for c in copied.body)  # the combining marks survived as such
    for annotation in Annotation.objects.filter(document=copied):
        assert copied.body[annotation.start : annotation.end] == annotation.quote


def test_round_trip_of_the_csv_claimreview_and_webannotation_exports_matches_too(rich_project, tmp_path):
    data = export("jsonl", rich_project)
    copy = ProjectFactory(name="Politics desk", slug="copy")
    import_verdict_lines(data.split(b"\n"), project=copy, source="x.jsonl")

    for name in ("csv", "claimreview", "webannotation"):
        one = export(name, rich_project).decode()
        two = export(name, copy).decode()
        strip = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z|\d{4}-\d\d-\d\d|/\d+/|annotation-\d+|^\d+,\d+,", re.M)
        assert strip.sub("", two).replace("/projects/copy/", "/projects/politics/") == strip.sub("", one)


def test_importing_into_the_same_project_twice_adds_nothing(rich_project):
    data = export("jsonl", rich_project)
    count = Annotation.objects.count()

    report = import_verdict_lines(data.split(b"\n"), project=rich_project, source="again.jsonl")

    assert (report.annotations_created, report.annotations_skipped, report.documents_matched) == (0, 5, 2)
    assert Annotation.objects.count() == count


def test_unknown_authors_become_inactive_users_who_cannot_log_in(rich_project):
    data = export("jsonl", rich_project).replace(b'"username":"other_reviewer"', b'"username":"newcomer"')

    report = import_verdict_lines(data.split(b"\n"), project=ProjectFactory(slug="copy"), source="x.jsonl")

    assert report.users_created == ["newcomer"]
    newcomer = get_user_model().objects.get(username="newcomer")
    assert not newcomer.is_active and not newcomer.has_usable_password()
    assert not newcomer.memberships.exists()
    assert Annotation.objects.filter(author=newcomer).count() == 2


def test_annotations_import_into_a_project_that_already_has_the_document(project, verdicts, reviewer):
    lines = [line for line in export("jsonl", project).split(b"\n") if b'"type":"annotation"' in line]
    target = ProjectFactory(slug="copy")
    document = verdicts["approved"].document
    services.document_import(project=target, title="Same text", body=document.body)

    report = import_verdict_lines(lines, project=target, source="x.jsonl")

    assert (report.annotations_created, report.documents_matched, report.documents_created) == (3, 0, 0)


# ---- bad imports: file and line named, nothing written ----------------------------------------------


def _good_lines(project) -> list[bytes]:
    return [line for line in export("jsonl", project).split(b"\n") if line]


def _edit(line: bytes, **changes) -> bytes:
    record = json.loads(line)
    record.update(changes)
    return json.dumps(record, ensure_ascii=False).encode()


BAD_LINES = {
    "malformed JSON": (lambda lines: [*lines[:2], b'{"type": "annotation", oops', *lines[2:]], 3, "malformed JSON"),
    "quote does not match": (lambda lines: [lines[0], _edit(lines[1], start=1, end=50), *lines[2:]], 2,
                             "quote does not match the text"),
    "unknown verdict": (lambda lines: [*lines[:3], _edit(lines[3], verdict="pants-on-fire")], 4, "unknown verdict"),
    "not an export": (lambda lines: [*lines, b'{"title": "x"}'], 5, "unknown record type"),
    "document missing": (lambda lines: lines[1:], 1, "no document line"),
    "edited body": (lambda lines: [_edit(lines[0], body="changed"), *lines[1:]], 1, "does not match its sha256"),
    "bad evidence URL": (
        lambda lines: [lines[0], _edit(lines[1], evidence=[{"url": "javascript:alert(1)"}]), *lines[2:]], 2,
        "not a valid http(s) URL"),
    "not UTF-8": (lambda lines: [*lines[:2], b"\xff\xfe", *lines[2:]], 3, "not UTF-8"),
}  # fmt: skip


@pytest.fixture
def exported_lines(project, verdicts):
    return _good_lines(project)


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_a_bad_line_stops_the_import_naming_file_and_line_and_nothing_is_written(exported_lines, case):
    make, line, message = BAD_LINES[case]
    target = ProjectFactory(slug="copy")

    expected = re.escape(f"feed.jsonl:{line}: ") + ".*" + re.escape(message)
    with pytest.raises(VerdictImportError, match=expected) as error:
        import_verdict_lines(make(exported_lines), project=target, source="feed.jsonl")

    assert error.value.line == line
    assert not Document.objects.filter(project=target).exists()
    assert not Annotation.objects.filter(document__project=target).exists()


def test_import_command_names_file_and_line(exported_lines, tmp_path, project):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b"\n".join([*exported_lines[:2], b"not json", *exported_lines[2:]]))
    ProjectFactory(slug="copy")

    with pytest.raises(CommandError, match=rf"{re.escape(str(path))}:3: malformed JSON line"):
        call_command("import_verdicts", str(path), "--project", "copy")

    assert not Annotation.objects.filter(document__project__slug="copy").exists()


def test_import_command_names_an_unknown_project(tmp_path, db):
    path = tmp_path / "feed.jsonl"
    path.write_text("")
    with pytest.raises(CommandError, match="no project with slug 'nope'"):
        call_command("import_verdicts", str(path), "--project", "nope")


# ---- the import endpoint -------------------------------------------------------------------------


@pytest.fixture
def copy_desk(editor):
    copy = ProjectFactory(slug="copy", name="Copy desk")
    MembershipFactory(project=copy, user=editor, role=Role.EDITOR)
    return copy


@pytest.fixture
def editor_api(api_as, editor):
    return api_as(editor)


def test_import_endpoint_takes_a_jsonl_body(editor_api, exported_lines, copy_desk):
    response = editor_api.post(import_url("copy"), data=b"\n".join(exported_lines),
                               content_type="application/x-ndjson")  # fmt: skip

    assert response.status_code == 201
    assert response.json()["annotations_created"] == 3
    assert response.json()["documents_created"] == 1
    assert Annotation.objects.filter(document__project=copy_desk).count() == 3


def test_import_endpoint_takes_a_multipart_file(editor_api, exported_lines, copy_desk):
    upload = io.BytesIO(b"\n".join(exported_lines))
    upload.name = "politics.jsonl"

    response = editor_api.post(import_url("copy"), data={"file": upload}, format="multipart")

    assert response.status_code == 201
    assert response.json()["annotations_created"] == 3


def test_import_endpoint_answers_400_with_the_line_and_writes_nothing(editor_api, exported_lines, copy_desk):
    upload = io.BytesIO(b"\n".join([*exported_lines, b"[1, 2]"]))
    upload.name = "feed.jsonl"

    response = editor_api.post(import_url("copy"), data={"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"detail": "feed.jsonl:5: expected a JSON object", "line": 5}
    assert not Document.objects.filter(project=copy_desk).exists()


def test_import_endpoint_rejects_an_empty_body(editor_api, copy_desk):
    response = editor_api.post(import_url("copy"), data=b"", content_type="application/x-ndjson")

    assert response.status_code == 400


def test_import_endpoint_answers_413_over_the_size_limit(editor_api, exported_lines, copy_desk, settings):
    settings.IMPORT_MAX_BYTES = 1024
    body = b"\n".join(exported_lines)
    assert len(body) > 1024

    raw = editor_api.post(import_url("copy"), data=body, content_type="application/x-ndjson")
    upload = io.BytesIO(body)
    upload.name = "big.jsonl"
    multipart = editor_api.post(import_url("copy"), data={"file": upload}, format="multipart")

    assert raw.status_code == multipart.status_code == 413
    assert "IMPORT_MAX_BYTES" in raw.json()["detail"]
    assert not Document.objects.filter(project=copy_desk).exists()


def test_import_endpoint_is_for_editors_and_admins(reviewer, exported_lines, project):
    client = APIClient()
    client.force_authenticate(reviewer)

    response = client.post(import_url("politics"), data=b"\n".join(exported_lines), content_type="application/x-ndjson")

    assert response.status_code == 403


def test_import_endpoint_answers_404_to_outsiders(outsider, exported_lines, copy_desk):
    client = APIClient()
    client.force_authenticate(outsider)

    response = client.post(import_url("copy"), data=b"\n".join(exported_lines), content_type="application/x-ndjson")

    assert response.status_code == 404


def test_import_endpoint_with_session_auth_needs_the_csrf_token(editor, exported_lines, copy_desk):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(import_url("copy"), data=b"\n".join(exported_lines), content_type="application/x-ndjson")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_import_endpoint_accepts_token_authentication_without_csrf(editor, exported_lines, copy_desk):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")

    response = client.post(import_url("copy"), data=b"\n".join(exported_lines), content_type="application/x-ndjson")

    assert response.status_code == 201


def test_imported_documents_are_created_by_the_importing_user(editor_api, exported_lines, copy_desk, editor):
    editor_api.post(import_url("copy"), data=b"\n".join(exported_lines), content_type="application/x-ndjson")

    assert Document.objects.get(project=copy_desk).imported_by == editor


def test_other_users_are_not_touched(exported_lines, copy_desk):
    before = set(get_user_model().objects.values_list("username", "is_active"))
    import_verdict_lines(exported_lines, project=copy_desk, source="x.jsonl")
    assert set(get_user_model().objects.values_list("username", "is_active")) == before


# ---- the benchmark command ------------------------------------------------------------------------


def test_bench_export_seeds_times_every_format_and_cleans_up(db):
    out = io.StringIO()

    call_command("bench_export", "--count", "30", "--no-tracemalloc", stdout=out)

    report = out.getvalue()
    assert "seeded 30 annotations" in report
    for name in FORMATS:
        assert re.search(rf"^{name}\s+generator\s+\d+", report, re.M)
        assert re.search(rf"^{name}\s+test client\s+\d+", report, re.M)
    assert "MISSED" not in report
    call_command("bench_export", "--cleanup", stdout=out)
    assert not Document.objects.filter(project__slug="bench-export").exists()
    assert not get_user_model().objects.filter(username__startswith="bench-export-").exists()


def test_an_imported_review_state_is_recorded_in_the_history_with_the_importer(tmp_path, project, reviewer, editor):
    from annotations.models import AuditEvent
    from annotations.tests.factories import DocumentFactory

    document = DocumentFactory(project=project, body="Unemployment fell to 3.5 percent in 2019.")
    annotation = services.annotation_create(document=document, author=reviewer, start=21, end=32,
                                            quote="3.5 percent", verdict="true")  # fmt: skip
    services.annotation_submit(annotation_id=annotation.pk, user=reviewer)
    export = tmp_path / "politics.jsonl"
    call_command("export_verdicts", project="politics", format="jsonl", output=export, stdout=io.StringIO())

    call_command("import_verdicts", str(export), project="copy", create_project=True, stdout=io.StringIO())

    copied = Annotation.objects.exclude(pk=annotation.pk).get()
    event = AuditEvent.objects.get(annotation_id=copied.pk, action="transition")
    assert (event.from_status, event.to_status) == ("draft", "submitted")
    assert event.comment.startswith("imported from")


@pytest.mark.django_db(transaction=True)
def test_an_export_streams_inside_one_read_transaction_that_ends_with_it_even_when_cut_short(
    project, verdicts, monkeypatch
):
    """Outside a transaction PostgreSQL would build the whole result before the first byte (WITH HOLD cursors)."""
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")  # the suite runs on PostgreSQL (CI fails without it)
    monkeypatch.setattr(export_formats, "FLUSH_CHARS", 1)  # a chunk per record: the export is still going on
    assert not connection.in_atomic_block
    chunks = export_chunks("jsonl", project=project, base_url="http://testserver")

    first = next(chunks)
    streaming = connection.in_atomic_block
    chunks.close()  # the client went away

    assert first.startswith(b'{"type":"document"')
    assert streaming and not connection.in_atomic_block
    full = b"".join(export_chunks("json", project=project, base_url="http://testserver"))
    assert len(json.loads(full)) == 3 and not connection.in_atomic_block
