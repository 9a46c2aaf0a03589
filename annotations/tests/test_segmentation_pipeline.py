import io
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from annotations import services
from annotations.models import Claim, ClaimOrigin, ClaimState, Document, SegmentationStatus
from annotations.tests.factories import DocumentFactory

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
BODY = (
    "Good evening. Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years. "
    "Thank you very much. The city spent $2.3 billion on roads last year, twice as much as in 2015."
)


def _import(project, body=BODY, title="Jobs"):
    return services.document_import(project=project, title=title, body=body).document


def _spans(document):
    return sorted(Claim.objects.filter(document=document).values_list("start", "end", "text", "score", "origin"))


def test_importing_a_document_segments_it_after_commit(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document = _import(project)

    document.refresh_from_db()
    claims = list(document.claims.order_by("start"))
    assert len(callbacks) == 1
    assert document.segmentation_status == SegmentationStatus.DONE
    assert document.segmenter_version
    first_two = ["Good evening.", "Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years."]
    assert [c.text for c in claims][:2] == first_two
    assert all(document.body[c.start : c.end] == c.text for c in claims)
    assert all(c.origin == ClaimOrigin.MACHINE and c.state == ClaimState.CANDIDATE for c in claims)
    scores = {c.text: c.score for c in claims}
    assert scores["Unemployment fell to 3.5 percent in 2019, the lowest rate in fifty years."] > scores["Good evening."]


def test_both_seed_articles_yield_the_maduro_letter_and_rouvinski_quote_claims(
    project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_articles", str(SEEDS), project="politics", stdout=io.StringIO())

    texts = list(Claim.objects.values_list("text", flat=True))
    assert Document.objects.filter(segmentation_status=SegmentationStatus.DONE).count() == 2
    assert any(t.startswith("Leaked documents obtained by the Washington Post reveal that Maduro") for t in texts)
    assert any(
        t.startswith("The Washington Post reported that Maduro wrote a letter to Russian President") for t in texts
    )
    assert any("Rouvinski" in t and "Russia isn’t going to help Maduro" in t for t in texts)


def test_segmenting_twice_is_a_no_op_and_a_requested_rerun_gives_the_same_rows(document):
    first = services.document_segment(document_id=document.pk)
    rows = _spans(document)

    second = services.document_segment(document_id=document.pk)
    services.document_request_segmentation(document_ids=[document.pk], enqueue=False)
    third = services.document_segment(document_id=document.pk)

    assert (first.status, second.status, third.status) == ("done", "skipped", "done")
    assert rows and _spans(document) == rows


def test_a_rerun_keeps_claims_people_made_accepted_dismissed_or_annotated(document, reviewer):
    services.document_segment(document_id=document.pk)
    machine = list(document.claims.order_by("start"))
    person = Claim.objects.create(document=document, start=4, end=16, text="unemployment", origin=ClaimOrigin.PERSON)
    Claim.objects.filter(pk=machine[0].pk).update(state=ClaimState.DISMISSED)
    document.refresh_from_db()
    machine = [*machine, Claim.objects.create(document=document, start=0, end=3, text="The", score=0.1)]
    annotated = services.annotation_create(
        document=document, author=reviewer, start=0, end=3, quote="The", claim=machine[-1]
    )  # fmt: skip

    services.document_request_segmentation(document_ids=[document.pk], enqueue=False)
    services.document_segment(document_id=document.pk)

    assert Claim.objects.get(pk=person.pk).origin == ClaimOrigin.PERSON
    assert Claim.objects.get(pk=machine[0].pk).state == ClaimState.DISMISSED
    annotated.refresh_from_db()
    assert annotated.claim_id == machine[-1].pk
    assert Claim.objects.get(pk=machine[-1].pk).state == ClaimState.ACCEPTED


def test_a_document_another_worker_is_segmenting_is_left_alone(document):
    Document.objects.filter(pk=document.pk).update(
        segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at=timezone.now()
    )

    outcome = services.document_segment(document_id=document.pk)

    assert outcome.status == "skipped"
    assert not document.claims.exists()


def test_a_redelivery_of_the_same_task_reclaims_the_document_at_once_and_another_task_does_not(document):
    Document.objects.filter(pk=document.pk).update(
        segmentation_status=SegmentationStatus.RUNNING,
        segmentation_started_at=timezone.now(),
        segmentation_task_id="task-1",
    )

    other = services.document_segment(document_id=document.pk, task_id="task-2")
    same = services.document_segment(document_id=document.pk, task_id="task-1")

    assert other.status == "skipped"
    assert same.status == "done" and same.created >= 1
    document.refresh_from_db()
    assert document.segmentation_status == SegmentationStatus.DONE


def test_a_document_left_running_by_a_killed_worker_is_reclaimed_by_the_sweeper(document, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.SEGMENTATION_STALE_AFTER + 1)
    Document.objects.filter(pk=document.pk).update(
        segmentation_status=SegmentationStatus.RUNNING, segmentation_started_at=long_ago
    )

    out = io.StringIO()
    call_command("segment", pending=True, stdout=out)  # eager in tests: the enqueued task runs now

    document.refresh_from_db()
    assert "1 document(s) enqueued" in out.getvalue()
    assert document.segmentation_status == SegmentationStatus.DONE
    assert document.claims.exists()


def test_when_the_broker_is_down_at_import_the_document_stays_pending_until_the_sweeper_runs(
    project, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    from annotations.tasks import segment_document

    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(segment_document, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            document = _import(project)
    document.refresh_from_db()
    assert document.segmentation_status == SegmentationStatus.PENDING

    call_command("segment", pending=True, stdout=io.StringIO())

    document.refresh_from_db()
    assert document.segmentation_status == SegmentationStatus.DONE


def test_a_segmenter_error_marks_the_document_failed_with_the_error_text(document, monkeypatch):
    import annotations.domain.segmentation as segmentation

    def broken(text):
        raise ValueError("segmenter exploded")

    monkeypatch.setattr(segmentation, "segment", broken)

    outcome = services.document_segment(document_id=document.pk)

    document.refresh_from_db()
    assert outcome.status == "failed"
    assert document.segmentation_status == SegmentationStatus.FAILED
    assert document.segmentation_error == "ValueError: segmenter exploded"


def test_a_transient_database_error_hands_the_document_back_for_a_retry(document, monkeypatch):
    import annotations.domain.segmentation as segmentation

    def db_blip(text):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(segmentation, "segment", db_blip)

    with pytest.raises(OperationalError):
        services.document_segment(document_id=document.pk)

    document.refresh_from_db()
    assert document.segmentation_status == SegmentationStatus.PENDING


def test_the_segment_command_resegments_chosen_documents(document, project):
    other = DocumentFactory(project=project)
    out = io.StringIO()

    call_command("segment", document=[document.pk], stdout=out)
    assert "1 segmented, 0 skipped (busy), 0 failed" in out.getvalue()
    assert document.claims.exists() and not other.claims.exists()

    call_command("segment", all=True, stdout=out)
    assert other.claims.exists()

    Document.objects.filter(pk=other.pk).update(segmenter_version="old")
    out = io.StringIO()
    call_command("segment", stale=True, stdout=out)
    assert "1 segmented" in out.getvalue()

    with pytest.raises(CommandError, match="no document with id 999999"):
        call_command("segment", document=[999999], stdout=io.StringIO())


def test_the_document_page_lists_claims_by_score_or_by_position(client, reviewer, document):
    services.document_segment(document_id=document.pk)
    client.force_login(reviewer)
    url = reverse("document-detail", args=[document.pk])

    by_score = list(client.get(url).context["claims"])
    by_position = list(client.get(url, {"order": "position"}).context["claims"])

    assert [c.score for c in by_score] == sorted((c.score for c in by_score), reverse=True)
    assert [c.start for c in by_position] == sorted(c.start for c in by_position)
    assert set(by_score) == set(by_position)


def test_the_document_list_shows_status_and_checkworthy_claim_counts(client, reviewer, project):
    from annotations.domain.checkworthiness import load_default

    document = _import(project)
    services.document_segment(document_id=document.pk)
    client.force_login(reviewer)

    row, _ = client.get(reverse("document-list", args=["politics"])).context["rows"][0]

    threshold = load_default().threshold
    assert row.segmentation_status == "done"
    assert row.claim_count == document.claims.filter(score__gte=threshold).count() > 0


def test_an_admin_can_rerun_segmentation_from_the_document_list(
    admin_client, document, django_capture_on_commit_callbacks
):
    services.document_segment(document_id=document.pk)
    Document.objects.filter(pk=document.pk).update(segmenter_version="old")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:annotations_document_changelist"),
            {"action": "rerun_segmentation", "_selected_action": [document.pk]},
            follow=True,
        )

    document.refresh_from_db()
    assert b"Segmentation queued for 1 document(s)." in response.content
    assert document.segmentation_status == SegmentationStatus.DONE  # eager: ran on commit
    assert document.segmenter_version != "old"


# ---- through a real worker -------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_importing_the_seeds_with_a_real_worker_yields_claims_within_seconds(celery_worker_process, project):
    started = time.monotonic()
    call_command("import_articles", str(SEEDS), project="politics", stdout=io.StringIO())

    while time.monotonic() - started < 30:
        statuses = set(Document.objects.values_list("segmentation_status", flat=True))
        if statuses == {SegmentationStatus.DONE}:
            break
        assert SegmentationStatus.FAILED not in statuses, list(Document.objects.values("segmentation_error"))
        time.sleep(0.2)

    assert set(Document.objects.values_list("segmentation_status", flat=True)) == {SegmentationStatus.DONE}
    assert Claim.objects.filter(text__contains="Maduro wrote a letter to Russian President Vladimir Putin").exists()


# ---- benchmark command on small fixtures ------------------------------------------------------------


def test_bench_nlp_measures_segmentation_on_any_given_data(tmp_path):
    rules = tmp_path / "rules.jsonl"
    cases = [
        {"id": 1, "text": "Hello World. My name is Jonas.", "expected": ["Hello World.", "My name is Jonas."]},
        {"id": 2, "text": "It costs $3.50 today.", "expected": ["It costs $3.50 today."]},
    ]
    rules.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    out = io.StringIO()

    call_command("bench_nlp", "segmentation", data=[rules], json=True, stdout=out)

    result = json.loads(out.getvalue())["results"][str(rules)]
    assert (result["passed"], result["total"]) == (2, 2)


def test_bench_nlp_measures_checkworthiness_and_ranking_on_any_given_data(tmp_path):
    tsv = tmp_path / "tiny.tsv"
    tsv.write_text(
        "Sentence_id\tText\tclass_label\n"
        "1\tUnemployment fell to 3.5 percent in 2019, the lowest rate in fifty years.\tYes\n"
        "2\tGood evening.\tNo\n",
        encoding="utf-8",
    )
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    (transcripts / "debate.tsv").write_text(
        "1\tMODERATOR\tGood evening.\t0\n2\tCANDIDATE\tWe cut taxes by 40 percent in 2017.\t1\n", encoding="utf-8"
    )
    out = io.StringIO()

    call_command("bench_nlp", "checkworthiness", data=[tsv], json=True, stdout=out)
    call_command("bench_nlp", "ranking", data=[transcripts], stdout=out)

    report = json.loads(out.getvalue().split("\nranking")[0])["results"][str(tsv)]
    assert (report["tfidf.tp"] + report["tfidf.fn"], report["tfidf.n"]) == (1, 2)
    assert report["tfidf.ms_per_sentence"] > 0
    assert "encoder.model" in report or "encoder.unavailable" in report  # both are reported, or why not
    assert re.search(r"tfidf\.map +1\.0000", out.getvalue())


def test_bench_nlp_names_a_missing_data_path(tmp_path):
    with pytest.raises(CommandError, match=r"nope\.jsonl: no such file or folder"):
        call_command("bench_nlp", "segmentation", data=[tmp_path / "nope.jsonl"], stdout=io.StringIO())
