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
