"""Bulk import (issue 17): ``POST /api/v1/documents/bulk?project=SLUG`` with a JSON array or JSON Lines of
articles — per-article results in order, a savepoint per article in one transaction, their segmentation sent
together once all are stored, and a clear 400/404/413/415 for a bad request that writes nothing."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import AuditEvent, Document, DocumentVersion
from annotations.tests.test_document_versions import SOURCE, corrected_seed, import_seed

URL = reverse("api-documents-bulk")


def article(n: int, **extra) -> dict:
    return {"title": f"Article {n}", "body": f"Copy {n}. The port moved {n} million containers last year.", **extra}


@pytest.fixture
def sent(monkeypatch):
    """The ids whose segmentation was sent, per send round, and what was stored when each round began."""
    rounds: list[dict] = []

    def record(*, document_ids):
        rounds.append({"ids": list(document_ids), "stored": set(Document.objects.values_list("pk", flat=True))})
        return len(document_ids)

    monkeypatch.setattr("annotations.services.segmentation.segmentation_enqueue_many", record)
    return rounds


def post(client, payload, *, project="politics", content_type="application/json"):
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return client.post(f"{URL}?project={project}" if project else URL, data=data, content_type=content_type)


def test_a_reviewer_imports_a_json_array_and_gets_one_result_per_article_in_order(
    api_as, reviewer, project, sent, django_capture_on_commit_callbacks
):
    items = [article(1), article(2, source_url="https://example.org/2", author="A. Writer",
                                  published_at="2026-11-30"), article(1), {"title": "No body"}, article(3)]  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_as(reviewer), items)

    assert response.status_code == 200, response.content
    data = response.json()
    assert [r["status"] for r in data["results"]] == ["imported", "imported", "duplicate", "failed", "imported"]
    assert (data["imported"], data["duplicates"], data["failed"], data["new_versions"]) == (3, 1, 1, 0)
    assert data["results"][3] == {"source": "bulk.json[3]", "status": "failed",
                                  "detail": "missing or empty 'body' (or 'text')", "document": None}  # fmt: skip
    assert data["results"][2]["document"]["id"] == data["results"][0]["document"]["id"]
    second = Document.objects.get(pk=data["results"][1]["document"]["id"])
    assert (second.source_url, second.author, second.imported_by, second.metadata["source"]) == (
        "https://example.org/2",
        "A. Writer",
        reviewer,
        "api:bulk",
    )
    created = [data["results"][i]["document"]["id"] for i in (0, 1, 4)]
    assert Document.objects.filter(project=project).count() == 3
    assert len(sent) == 1 and sent[0]["ids"] == created  # one round, after every article was stored
    assert set(created) <= sent[0]["stored"]


def test_json_lines_are_read_line_by_line_and_a_bad_line_is_named(api_as, reviewer, sent):
    lines = "\n".join([json.dumps(article(1)), "{not json", "", json.dumps(article(2))])

    response = post(api_as(reviewer), lines, content_type="application/x-ndjson")

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["source"], r["status"]) for r in results] == [("bulk.jsonl:1", "imported"), ("bulk.jsonl:2", "failed"),
                                                             ("bulk.jsonl:4", "imported")]  # fmt: skip
    assert "malformed JSON" in results[1]["detail"]
    assert Document.objects.count() == 2


def test_a_reviewer_cannot_turn_an_item_into_a_new_version_but_the_rest_is_imported(
    api_as, project, editor, reviewer, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = import_seed(project, editor).document
    title, body = corrected_seed().split("\n", 1)
    items = [{"title": title, "body": body, "url": SOURCE}, article(1)]

    as_reviewer = post(api_as(reviewer), items)
    document.refresh_from_db()

    assert [r["status"] for r in as_reviewer.json()["results"]] == ["failed", "imported"]
    assert "needs an editor or admin" in as_reviewer.json()["results"][0]["detail"]
    assert document.version == 1
    with django_capture_on_commit_callbacks(execute=True):
        as_editor = post(api_as(editor), items)
    document.refresh_from_db()
    assert [r["status"] for r in as_editor.json()["results"]] == ["new_version", "duplicate"]
    assert document.version == 2


@pytest.mark.parametrize(
    ("payload", "content_type", "status", "message"),
    [
        ([], "application/json", 400, "no articles in file"),
        ("[{", "application/json", 400, "malformed JSON"),
        ({"x": 1}, "application/json", 400, "missing 'title'"),
        ("title,body\nA,B", "text/csv", 415, "Unsupported media type"),
        ([{"title": "Bad", "body": 5}], "application/json", 400, "'body' must be a string"),
    ],
)
def test_a_bad_body_is_a_clear_error_and_stores_nothing(api_as, reviewer, sent, payload, content_type, status,
                                                       message):  # fmt: skip
    response = post(api_as(reviewer), payload, content_type=content_type)

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not Document.objects.exists() and sent == []


def test_the_desk_must_be_given_and_visible(api_as, reviewer, outsider, sent):
    missing = post(api_as(reviewer), [article(1)], project=None)
    unknown = post(api_as(reviewer), [article(1)], project="nowhere")
    foreign = post(api_as(outsider), [article(1)])
    anonymous = post(api_as(None), [article(1)])

    assert (missing.status_code, unknown.status_code, foreign.status_code, anonymous.status_code) == (400, 404, 404,
                                                                                                       401)  # fmt: skip
    assert "project" in missing.json()["errors"]
    assert not Document.objects.exists()


def test_too_big_a_body_or_too_many_articles_is_a_413_before_anything_is_stored(api_as, reviewer, settings, sent):
    settings.BULK_IMPORT_MAX_BYTES = 2000
    big = post(api_as(reviewer), [article(n) for n in range(40)])
    settings.BULK_IMPORT_MAX_BYTES, settings.UPLOAD_MAX_ARTICLES = 1_000_000, 3
    many = post(api_as(reviewer), [article(n) for n in range(4)])

    assert (big.status_code, many.status_code) == (413, 413)
    assert "BULK_IMPORT_MAX_BYTES" in big.json()["detail"] and "at most 3" in many.json()["detail"]
    assert not Document.objects.exists()


def test_one_article_over_the_import_limit_fails_alone(api_as, reviewer, settings, sent):
    settings.IMPORT_MAX_BYTES = 1024
    response = post(api_as(reviewer), [article(1, body="x " * 600), article(2)])

    assert [r["status"] for r in response.json()["results"]] == ["failed", "imported"]
    assert "over the 1,024-byte limit" in response.json()["results"][0]["detail"]


def test_a_bulk_import_of_new_articles_costs_the_same_queries_for_five_as_for_fifty(api_as, reviewer, sent):
    client = api_as(reviewer)

    def queries(first: int, count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert post(client, [article(n) for n in range(first, first + count)]).status_code == 200
        return len(captured)

    five, fifty = queries(0, 5), queries(100, 50)

    assert fifty == five  # looked up and written a few statements for all of them, not nine statements each
    assert Document.objects.count() == 55
    assert DocumentVersion.objects.filter(number=1).count() == 55
    assert AuditEvent.objects.filter(object_type=AuditEvent.ObjectType.DOCUMENT, action="create").count() == 55


def test_a_batch_gives_the_results_importing_its_articles_one_after_the_other_gives(
    api_as, editor, project, sent, django_capture_on_commit_callbacks
):
    items = [article(1, url="https://example.org/a"), article(2), article(1),  # same text again: a duplicate
             {**article(3), "url": "https://example.org/a"},  # the first one's URL, other text: its next version
             article(4), article(2)]  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        results = post(api_as(editor), items).json()["results"]

    assert [r["status"] for r in results] == ["imported", "imported", "duplicate", "new_version", "imported",
                                              "duplicate"]  # fmt: skip
    ids = [r["document"]["id"] for r in results]
    assert ids[2] == ids[0] == ids[3] and ids[5] == ids[1]
    first = Document.objects.get(pk=ids[0])
    assert first.version == 2 and first.body.startswith("Copy 3.")
    assert sorted(i for r in sent for i in r["ids"]) == sorted({ids[0], ids[1], ids[4]})


def test_when_the_batched_write_meets_a_unique_constraint_the_articles_are_imported_one_by_one(
    api_as, reviewer, project, sent, monkeypatch
):
    from django.db import IntegrityError

    from annotations.services import documents

    def raced(objs, *args, **kwargs):  # a concurrent request stored one of these texts a moment before
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Document.objects, "bulk_create", raced)
    single, real = [], documents.document_import
    monkeypatch.setattr(documents, "document_import", lambda **kw: single.append(kw["title"]) or real(**kw))

    results = post(api_as(reviewer), [article(1), article(2), article(1)]).json()["results"]

    assert [r["status"] for r in results] == ["imported", "imported", "duplicate"]
    assert single == ["Article 1", "Article 2", "Article 1"]
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Article 1", "Article 2"]
    assert DocumentVersion.objects.count() == 2


def test_with_the_broker_down_the_articles_are_stored_and_stay_pending(
    api_as, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    from factcheck.celery import app

    def dead_producer():  # what the producer pool meets when Redis is down: a refused connection
        with app.connection_for_write("redis://127.0.0.1:1/0") as broken:
            broken.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)

    monkeypatch.setattr(app, "producer_or_acquire", lambda *a, **k: dead_producer())
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_as(reviewer), [article(1), article(2)])

    assert response.status_code == 200 and response.json()["imported"] == 2
    assert set(Document.objects.values_list("segmentation_status", flat=True)) == {"pending"}


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_segments_every_article_of_a_bulk_import(celery_worker_process, api_as, reviewer):
    import time

    response = post(api_as(reviewer), [article(n) for n in range(5)])
    ids = [r["document"]["id"] for r in response.json()["results"]]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = set(Document.objects.filter(pk__in=ids).values_list("segmentation_status", flat=True))
        if states == {"done"}:
            break
        time.sleep(0.2)

    assert len(ids) == 5 and states == {"done"}
    assert all(Document.objects.get(pk=pk).claims.exists() for pk in ids)


def test_a_long_cli_import_sends_its_segmentations_in_rounds_as_it_goes(
    project, tmp_path, sent, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    monkeypatch.setattr("annotations.importing.SEGMENTATION_ROUND", 2)
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(article(n)) for n in range(5)))

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(path), "--project", project.slug, "--no-progress", stdout=io.StringIO())

    assert [len(r["ids"]) for r in sent] == [2, 2, 1]
    assert sorted(pk for r in sent for pk in r["ids"]) == sorted(Document.objects.values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_the_articles_share_one_commit_and_an_unexpected_database_error_stores_none_of_them(
    api_as, reviewer, project, sent, monkeypatch
):
    """Each article is a savepoint of one transaction: a rejected article is rolled back alone (above), the request
    commits once, and a failure nobody expected (here: the database refusing the second article's version row)
    leaves no half-imported batch."""
    from django.db import OperationalError

    def failing(*args, **kwargs):
        raise OperationalError("simulated")

    with CaptureQueriesContext(connection) as queries:
        assert post(api_as(reviewer), [article(1), article(2)]).status_code == 200
    assert [q["sql"] for q in queries.captured_queries].count("COMMIT") == 1
    monkeypatch.setattr(DocumentVersion.objects, "bulk_create", failing)

    with pytest.raises(OperationalError):
        post(api_as(reviewer), [article(3), article(4), article(5)])

    assert sorted(Document.objects.filter(project=project).values_list("title", flat=True)) == ["Article 1",
                                                                                               "Article 2"]  # fmt: skip
