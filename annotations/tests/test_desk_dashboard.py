"""The desk page's server side: uploads of several articles per file, pasted HTML reduced to its text, the
dashboard's search and filters, the done mark and the spreadsheet export."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, AuditEvent, Document, ReviewAssignment
from annotations.tests.factories import DocumentFactory

PAGE = """<!doctype html><html><head><title>Harbour grows | Courier</title></head><body>
<nav><a href="/">Home</a><a href="/sport">Sport</a></nav><div class="ad">ADVERTISEMENT buy now</div>
<article><h1>Harbour grows</h1><p>The harbour will handle a third more containers by 2028, the authority said on
Tuesday after the council vote.</p><p>The new berth is expected to create about 900 permanent jobs in the region, its
director said.</p></article><section class="comments"><p>First! Terrible idea.</p></section></body></html>"""


def _upload(api, project, name: str, content: bytes):
    return api.post(f"/api/v1/projects/{project.slug}/uploads", {"file": SimpleUploadedFile(name, content)},
                    format="multipart")  # fmt: skip


def _jsonl(*articles) -> bytes:
    return "\n".join(json.dumps(a) for a in articles).encode()


# ---- uploads --------------------------------------------------------------------------------------------


def test_a_jsonl_upload_imports_every_article_and_names_the_bad_line(api, project):
    content = _jsonl({"title": "One", "body": "First article body."}, {"title": "Two"},
                     {"title": "Three", "body": "Third article body."})  # fmt: skip
    response = _upload(api, project, "wire.jsonl", content)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["file"], data["imported"], data["duplicates"], data["failed"]) == ("wire.jsonl", 2, 0, 1)
    assert [(r["source"], r["status"]) for r in data["results"]] == [
        ("wire.jsonl:1", "imported"), ("wire.jsonl:2", "failed"), ("wire.jsonl:3", "imported")]  # fmt: skip
    assert "body" in data["results"][1]["detail"]
    assert sorted(Document.objects.filter(project=project).values_list("title", flat=True)) == ["One", "Three"]
    first = data["results"][0]["document"]
    assert first["url"] == reverse("document-detail", args=[first["id"]]) and first["set_aside"] == 0


def test_uploading_the_same_file_again_reports_duplicates_of_the_documents(api, project):
    content = _jsonl({"title": "One", "body": "First article body."})
    first = _upload(api, project, "a.jsonl", content).json()["results"][0]["document"]["id"]
    again = _upload(api, project, "a-again.jsonl", content).json()
    assert again["duplicates"] == 1 and again["results"][0]["document"]["id"] == first
    assert Document.objects.count() == 1


def test_a_saved_news_page_is_imported_as_its_article_text(api, project):
    response = _upload(api, project, "page.html", PAGE.encode())
    assert response.status_code == 200
    document = Document.objects.get(pk=response.json()["results"][0]["document"]["id"])
    assert document.title == "Harbour grows"
    assert "900 permanent jobs" in document.body
    assert "<" not in document.body and "ADVERTISEMENT" not in document.body and "First!" not in document.body
    assert "\n\n" in document.body  # paragraphs stay apart


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.docx", b"PK\x03\x04", "unsupported file type '.docx'"),
        ("empty.txt", b"   ", "file is empty"),
        ("latin1.txt", "Título\ncafé".encode("latin-1"), "not valid UTF-8"),
        ("bad.jsonl", b"{not json", "malformed JSON"),
    ],
)
def test_a_file_that_yields_no_article_is_a_400_naming_it(api, project, name, content, message):
    response = _upload(api, project, name, content)
    assert response.status_code == 400
    assert name in response.json()["detail"] and message in response.json()["detail"]
    assert not Document.objects.exists()


def test_a_file_over_the_size_limit_is_a_413_naming_it(api, project, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = _upload(api, project, "big.txt", b"Title\n" + b"x" * 2000)
    assert response.status_code == 413
    assert "big.txt" in response.json()["detail"] and "1,024-byte limit" in response.json()["detail"]


def test_a_file_of_too_many_articles_is_refused_whole(api, project, settings):
    settings.UPLOAD_MAX_ARTICLES = 2
    content = _jsonl(*({"title": f"T{n}", "body": f"Body number {n}."} for n in range(3)))
    response = _upload(api, project, "many.jsonl", content)
    assert response.status_code == 413
    assert "3 articles; at most 2 per file" in response.json()["detail"]
    assert not Document.objects.exists()


def test_an_upload_without_a_file_is_a_400(api, project):
    response = api.post(f"/api/v1/projects/{project.slug}/uploads", {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["detail"]


def test_an_outsider_cannot_upload_to_a_desk(outsider_api, project):
    response = _upload(outsider_api, project, "a.txt", b"Title\nBody text.")
    assert response.status_code == 404
    assert not Document.objects.exists()


@pytest.fixture
def outsider_api(api_as, outsider):
    return api_as(outsider)


# ---- pasted HTML --------------------------------------------------------------------------------------


def test_html_posted_as_a_body_is_stored_as_its_article_text(api, project):
    response = api.post("/api/v1/documents/", {"project": project.slug, "title": "Pasted", "body": PAGE},
                        format="json")  # fmt: skip
    assert response.status_code == 201
    document = Document.objects.get()
    assert "<" not in document.body and "900 permanent jobs" in document.body
    assert document.metadata["extracted_from_html"] is True


def test_html_with_no_article_text_is_refused(api, project):
    page = "<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    response = api.post("/api/v1/documents/", {"project": project.slug, "title": "Empty", "body": page},
                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert "HTML page" in response.json()["detail"]
    assert not Document.objects.exists()


def test_a_text_that_mentions_a_tag_is_not_taken_for_html(api, project):
    body = "The <p> element starts a paragraph, the council said in a statement about its website."
    assert api.post("/api/v1/documents/", {"project": project.slug, "title": "Tags", "body": body},
                    format="json").status_code == 201  # fmt: skip
    assert Document.objects.get().body == body


def test_the_admins_add_document_extracts_a_pasted_page(client, editor, project):
    client.force_login(editor)
    response = client.post(reverse("admin:annotations_document_add"), {
        "project": project.pk, "title": "From the admin", "body": PAGE, "source_url": "", "author": "",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    document = Document.objects.get()
    assert "<" not in document.body and "900 permanent jobs" in document.body


# ---- search and filters ------------------------------------------------------------------------------------


def _titles(client, project, **query) -> list[str]:
    response = client.get(reverse("document-list", args=[project.slug]), query)
    assert response.status_code == 200
    return [document.title for document, _ in response.context["rows"]]


def test_search_ignores_case_and_accents_in_titles_text_quotes_and_rationales(client, reviewer, project):
    DocumentFactory(project=project, title="Maduro letter", body="Nicolás Maduro wrote to Putin.")
    DocumentFactory(project=project, title="ÉLECTIONS", body="The vote is in May.")
    quoted = DocumentFactory(project=project, title="Quoted", body="A speech about oil output today.")
    DocumentFactory(project=project, title="Unrelated", body="Nothing to see.")
    Annotation.objects.create(document=quoted, author=reviewer, start=0, end=8, quote="A speech",
                              rationale="Checked with the Ministério figures.")  # fmt: skip
    client.force_login(reviewer)
    assert _titles(client, project, q="nicolas") == ["Maduro letter"]
    assert _titles(client, project, q="NICOLÁS") == ["Maduro letter"]
    assert _titles(client, project, q="elections") == ["ÉLECTIONS"]
    assert _titles(client, project, q="ministerio") == ["Quoted"]
    assert _titles(client, project, q="50%_") == []  # LIKE wildcards are text


def test_filters_by_annotation_status_verdict_assignee_and_done(client, reviewer, editor, project):
    a = DocumentFactory(project=project, title="A")
    b = DocumentFactory(project=project, title="B")
    DocumentFactory(project=project, title="C")
    Annotation.objects.create(document=a, author=reviewer, start=0, end=3, quote=a.body[:3], verdict="false",
                              status="submitted")  # fmt: skip
    ReviewAssignment.objects.create(document=b, reviewer=reviewer, assigned_by=editor)
    services.document_mark_done(document=b, user=editor, done=True)
    client.force_login(reviewer)
    assert _titles(client, project, status="submitted") == ["A"]
    assert _titles(client, project, verdict="false") == ["A"]
    assert _titles(client, project, assignee="reviewer") == ["B"]
    assert _titles(client, project, progress="done") == ["B"]
    assert sorted(_titles(client, project, progress="open")) == ["A", "C"]


def test_an_unknown_filter_value_is_named_and_ignored(client, reviewer, document):
    client.force_login(reviewer)
    response = client.get(reverse("document-list", args=[document.project.slug]), {"status": "bogus"})
    assert response.status_code == 200
    assert "unknown status &#x27;bogus&#x27; ignored" in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_the_desk_page_pages_its_documents(client, reviewer, project):
    DocumentFactory.create_batch(30, project=project)
    client.force_login(reviewer)
    first = client.get(reverse("document-list", args=[project.slug]))
    second = client.get(reverse("document-list", args=[project.slug]), {"page": 2})
    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 5
    assert {d.pk for d, _ in first.context["rows"]}.isdisjoint({d.pk for d, _ in second.context["rows"]})


def test_the_list_fragment_is_only_the_table(client, reviewer, document):
    client.force_login(reviewer)
    html = client.get(reverse("document-list", args=[document.project.slug]), {"fragment": "1"}).content.decode()
    assert html.lstrip().startswith('<div class="documents-wrap"') and "<html" not in html


# ---- done mark ---------------------------------------------------------------------------------------------


def test_an_editor_marks_a_document_done_and_opens_it_again_audited(api_as, editor, document):
    client = api_as(editor)
    response = client.post(f"/api/v1/documents/{document.pk}/done", {"done": True}, format="json")
    assert response.status_code == 200 and response.json()["done_at"] is not None
    document.refresh_from_db()
    assert document.done_by == editor
    client.post(f"/api/v1/documents/{document.pk}/done", {"done": False}, format="json")
    document.refresh_from_db()
    assert document.done_at is None and document.done_by is None
    events = AuditEvent.objects.filter(object_type="document", action="update").order_by("pk")
    assert [e.changes for e in events] == [{"done": [False, True]}, {"done": [True, False]}]


def test_a_reviewer_cannot_mark_a_document_done(api, document):
    response = api.post(f"/api/v1/documents/{document.pk}/done", {"done": True}, format="json")
    assert response.status_code == 403
    document.refresh_from_db()
    assert document.done_at is None


# ---- export for spreadsheets -----------------------------------------------------------------------------


def test_csv_with_bom_starts_with_the_byte_order_mark(api, document):
    response = api.get(f"/api/v1/projects/{document.project.slug}/export", {"format": "csv", "bom": "true"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfannotation_id")


def test_a_bom_for_another_format_is_a_400(api, document):
    response = api.get(f"/api/v1/projects/{document.project.slug}/export", {"format": "json", "bom": "true"})
    assert response.status_code == 400 and "csv" in response.json()["detail"]
