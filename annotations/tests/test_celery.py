import pytest

from annotations.tasks import health_check
from annotations.tests.factories import DocumentFactory
from factcheck.celery import app


def test_the_celery_app_reads_its_configuration_from_django_settings(settings):
    assert app.main == "factcheck"
    assert app.conf.task_default_queue == settings.CELERY_TASK_DEFAULT_QUEUE
    assert app.conf.task_serializer == "json"
    assert "annotations.health_check" in app.tasks


def test_without_a_worker_tasks_run_eagerly_in_process(document):
    result = health_check.delay()

    assert result.get(timeout=5)["documents"] == 1


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_the_broker_against_the_test_database(celery_worker_process, project):
    """The worker is a separate process: it sees committed rows of the *test* database."""
    from django.db import connection

    DocumentFactory.create_batch(3, project=project)

    summary = health_check.delay().get(timeout=30)

    assert summary == {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "documents": 3,
    }


def test_a_finished_task_gives_its_freed_memory_back_to_the_operating_system(monkeypatch):
    from celery.signals import task_postrun

    from factcheck import celery as celery_module
    from factcheck import memory

    assert celery_module._release_free_memory in [ref() for _, ref in task_postrun.receivers if ref() is not None]
    calls = []
    monkeypatch.setattr(memory, "release_free_memory", lambda: calls.append(1) or True)
    task_postrun.send(sender=None, task_id="x", task=None)
    assert calls == [1]


def test_releasing_free_memory_works_on_glibc_and_is_a_no_op_elsewhere():
    import platform

    from factcheck.memory import release_free_memory

    result = release_free_memory()
    assert result is (platform.libc_ver()[0] == "glibc")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_threads_pool_worker_segments_a_document_and_answers_from_one_process(
    django_db_blocker, tmp_path, project, settings
):
    """CELERY_WORKER_POOL=threads: the tasks run in threads of the worker's main process (one database connection
    each), which loaded the model at start-up."""
    import time
    from pathlib import Path

    from annotations.models import Document
    from annotations.tasks import segment_document
    from annotations.tests.conftest import running_celery_worker

    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-threads"
    seed = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))[0]
    document = DocumentFactory(project=project, body=seed.read_text(encoding="utf-8"))

    with running_celery_worker(django_db_blocker, tmp_path / "worker.log", queue, "--pool=threads", "-c", "2"):
        summary = health_check.apply_async(queue=queue).get(timeout=30)
        segment_document.apply_async(args=[document.pk], queue=queue)  # fire and forget, as the app sends it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Document.objects.get(pk=document.pk).segmentation_status != "done":
            time.sleep(0.2)

    document = Document.objects.get(pk=document.pk)
    assert summary["documents"] == 1
    assert document.segmentation_status == "done" and document.claims.count() > 5
    assert "concurrency: 2 (thread)" in (tmp_path / "worker.log").read_text()
