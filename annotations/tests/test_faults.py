"""Faults, for real: these tests start and kill real processes (gunicorn, a prefork Celery worker) and cut real
database connections, then check that nothing is lost, duplicated or left stuck.

They need PostgreSQL (SQLite has no pg_terminate_backend and serialises writers anyway) and, for the worker test,
a broker; on CI a missing one fails the test (``skip_or_fail``).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil
import pytest
from django.db import connection

from annotations import services
from annotations.domain.vocabulary import SegmentationStatus
from annotations.models import Annotation, Claim, Document
from annotations.tests.conftest import PROJECT_ROOT, _broker_reachable, _test_database_url, skip_or_fail, stop_process
from annotations.tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory

SEED = PROJECT_ROOT / "seeds" / "putin-abandons-maduro-russia-evacuates-citizens.txt"
APP_NAME = f"fc-faults-{uuid.uuid4().hex[:6]}"  # libpq's application_name of the server's connections

pytestmark = [pytest.mark.django_db(transaction=True)]


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        skip_or_fail("fault tests need PostgreSQL (DATABASE_URL=postgres://…)")


def _wait_for(condition, *, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} not within {timeout:.0f} s" + (f":\n{log.read_text()[-4000:]}" if log else ""))


@pytest.fixture
def gunicorn(gunicorn_server):
    """The production server with persistent connections, and a broker nobody listens on (enqueueing fails fast,
    documents stay pending)."""
    _require_postgres()
    return gunicorn_server(DATABASE_CONN_MAX_AGE="600", PGAPPNAME=APP_NAME, CELERY_BROKER_URL="redis://127.0.0.1:1/0")


@pytest.fixture
def desk():
    project = ProjectFactory(name="Politics desk", slug="politics")
    reviewer = MembershipFactory(project=project, user=UserFactory(username="reviewer"), role="reviewer").user
    token = services.token_rotate(user=reviewer)
    return project, reviewer, {"Authorization": f"Token {token}"}


def test_the_database_dropping_the_servers_connections_costs_no_request(gunicorn, desk):
    base, log = gunicorn
    _, _, auth = desk
    with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        warm = [client.get("/api/v1/documents/").status_code for _ in range(6)]  # both workers hold a connection
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
                [APP_NAME],
            )
            (held,) = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()) AS killed",
                [APP_NAME],
            )
            (terminated,) = cursor.fetchone()
        after = [client.get("/api/v1/documents/").status_code for _ in range(6)]

    assert warm == [200] * 6
    assert held >= 1 and terminated == held  # the server really kept connections open, and lost them
    assert after == [200] * 6, log.read_text()[-3000:]


def test_two_clients_saving_one_annotation_at_the_same_version_get_one_success_and_one_409(gunicorn, desk):
    base, _ = gunicorn
    project, _, auth = desk
    document = DocumentFactory(project=project, body="The unemployment rate fell to 3.5 percent in 2019.")
    with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
        created = client.post(
            "/api/v1/annotations/",
            json={"document": document.pk, "start": 4, "end": 21, "exact": "unemployment rate", "verdict": "true"},
        )
    assert created.status_code == 201, created.text
    annotation_id, version = created.json()["id"], created.json()["version"]

    for attempt in range(5):  # each round: two clients, one start signal, the same version
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def save(rationale: str, current: int = version, barrier=barrier, statuses=statuses) -> None:
            with httpx.Client(base_url=base, headers=auth, timeout=10) as client:
                barrier.wait()
                response = client.patch(
                    f"/api/v1/annotations/{annotation_id}/", json={"version": current, "rationale": rationale}
                )
                statuses.append(response.status_code)

        threads = [threading.Thread(target=save, args=(f"round {attempt} by {who}",)) for who in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 409], statuses
        version += 1
        saved = Annotation.objects.get(pk=annotation_id)
        assert saved.version == version and saved.rationale.startswith(f"round {attempt} by ")


def test_twenty_concurrent_imports_of_one_article_make_one_document(gunicorn, desk):
    base, _ = gunicorn
    project, _, auth = desk
    payload = {"project": project.slug, "title": "Putin abandons Maduro", "body": SEED.read_text()}
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict]] = []

    def send() -> None:
        with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
            barrier.wait()
            response = client.post("/api/v1/documents/", json=payload)
            answers.append((response.status_code, response.json()))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    document = Document.objects.get(project=project)  # exactly one
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 19 + [201], answers
    assert {body.get("duplicate_of", body.get("id")) for _, body in answers} == {document.pk}
    # The broker is unreachable: every import still answered, and the document waits for the sweeper.
    assert document.segmentation_status == SegmentationStatus.PENDING


@pytest.mark.celery_worker
def test_a_worker_killed_while_segmenting_a_big_article_is_replaced_and_the_article_ends_segmented(
    django_db_setup, tmp_path
):
    """The pool process running the task is SIGKILLed; the broker redelivers the message (acks_late,
    reject_on_worker_lost) and the redelivery reclaims the document at once: its task id holds it."""
    _require_postgres()
    from factcheck.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not _broker_reachable(broker):
        skip_or_fail(f"CELERY_BROKER_URL not set or broker not reachable ({broker or 'unset'})")
    seed = SEED.read_text()
    body = "\n\n".join(f"Copy {n}. {seed}" for n in range(2_000_000 // len(seed) + 1))
    document = DocumentFactory(project=ProjectFactory(slug="big"), title="Big", body=body)

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = dict(os.environ, DATABASE_URL=_test_database_url(), DJANGO_SETTINGS_MODULE="factcheck.settings_test",
               PYTHONUNBUFFERED="1")  # fmt: skip
    with open(log, "wb") as handle:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "factcheck", "worker", "--pool=prefork", "--concurrency=1",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_for(
            lambda: any(queue in name for reply in app.control.ping(timeout=0.5) for name in reply),
            timeout=30, what="the worker answering a ping", log=log,
        )  # fmt: skip
        from annotations.tasks import segment_document

        segment_document.apply_async(args=[document.pk], queue=queue)

        def running() -> bool:
            return Document.objects.filter(pk=document.pk, segmentation_status=SegmentationStatus.RUNNING).exists()

        _wait_for(running, timeout=30, what="the worker starting to segment", log=log)
        (child,) = psutil.Process(worker.pid).children()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        killed_at = time.monotonic()
        assert Document.objects.get(pk=document.pk).segmentation_status == SegmentationStatus.RUNNING

        def finished() -> Document | None:
            current = Document.objects.get(pk=document.pk)
            return current if current.segmentation_status != SegmentationStatus.RUNNING else None

        ended = _wait_for(finished, timeout=60, what="the document leaving 'running' after the kill", log=log)
    finally:
        stop_process(worker)

    assert ended.segmentation_status == SegmentationStatus.DONE, ended.segmentation_error
    assert time.monotonic() - killed_at < 60
    assert "WorkerLostError" in log.read_text() or "signal 9" in log.read_text()
    spans = list(Claim.objects.filter(document=document).values_list("start", "end"))
    assert len(spans) > 10_000 and len(spans) == len(set(spans))  # the whole article, no claim twice
