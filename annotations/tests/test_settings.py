import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from factcheck.env import env_bool, env_broker, env_choice, env_database, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def _start_django(**env: str) -> subprocess.CompletedProcess:
    """Load the real settings in a fresh interpreter, as `manage.py` would."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY"}}
    clean.update(DJANGO_SETTINGS_MODULE="factcheck.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off", id="secret_key_required"),
        pytest.param({"DEBUG": "ture"}, "DEBUG='ture' is not a boolean", id="debug_typo"),
        pytest.param({"DEBUG": "true", "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL='mysql://x/y' has unsupported",
                     id="database_scheme"),
        pytest.param({"DEBUG": "true", "CELERY_BROKER_URL": "localhost:6379"}, "CELERY_BROKER_URL='localhost:6379'",
                     id="broker_url"),
        pytest.param({"DEBUG": "true", "IMPORT_MAX_BYTES": "5MB"}, "IMPORT_MAX_BYTES='5MB' is not an integer",
                     id="import_limit"),
        pytest.param({"DEBUG": "true", "LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD'", id="log_level"),
        pytest.param({"DEBUG": "true", "CELERY_WORKER_POOL": "gevent"},
                     "CELERY_WORKER_POOL='gevent' is not one of prefork, threads, solo", id="worker_pool"),
    ],
)  # fmt: skip
def test_start_up_stops_with_a_message_naming_the_bad_variable(env, message):
    result = _start_django(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_start_up_without_a_broker_logs_once_that_tasks_run_eagerly():
    result = _start_django(DEBUG="true", SECRET_KEY="x" * 50)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
    assert result.stderr.count("tasks run eagerly") == 1


def test_production_settings_start_with_a_secret_key_and_postgres_url():
    result = _start_django(
        DEBUG="false", SECRET_KEY="s" * 50, DATABASE_URL="postgres://u:p@db:5432/factcheck",
        CELERY_BROKER_URL="redis://redis:6379/0", ALLOWED_HOSTS="news.example.org",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "tasks run eagerly" not in result.stderr


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("0", False), ("Yes", True), ("off", False), ("", True)])
def test_env_bool_accepts_common_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", True) is value


def test_env_int_enforces_its_minimum(monkeypatch):
    monkeypatch.setenv("LIMIT", "10")

    with pytest.raises(ImproperlyConfigured, match="LIMIT=10 must be at least 1024"):
        env_int("LIMIT", 2048, minimum=1024)


def test_env_choice_takes_a_listed_value_in_any_case_and_the_default_when_unset(monkeypatch):
    monkeypatch.setenv("POOL", " Threads ")
    assert env_choice("POOL", "prefork", ("prefork", "threads")) == "threads"

    monkeypatch.setenv("POOL", "")
    assert env_choice("POOL", "prefork", ("prefork", "threads")) == "prefork"


def test_the_worker_pool_setting_reaches_celery(settings):
    from factcheck.celery import app

    assert app.conf.worker_pool == settings.CELERY_WORKER_POOL == "prefork"


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,")

    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_sqlite_database_urls_resolve_relative_to_the_project_with_a_file_test_db(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///data/dev.sqlite3")

    config = env_database("DATABASE_URL", "sqlite:///db.sqlite3", base_dir=tmp_path)

    assert config["NAME"] == str(tmp_path / "data" / "dev.sqlite3")
    assert config["TEST"]["NAME"] == str(tmp_path / "data" / "test_dev.sqlite3")


def test_a_postgres_url_keeps_connections_with_health_checks(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/factcheck")

    config = env_database("DATABASE_URL", "", base_dir=tmp_path, conn_max_age=60)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)


def test_postgres_url_without_a_database_name_is_rejected(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432")

    with pytest.raises(ImproperlyConfigured, match="names no database"):
        env_database("DATABASE_URL", "", base_dir=tmp_path)


def test_an_unset_broker_means_eager_tasks(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

    assert env_broker("CELERY_BROKER_URL") == ""


def test_a_site_url_without_a_scheme_stops_start_up():
    result = _start_django(DEBUG="true", SITE_URL="factdesk.example.org")

    assert result.returncode != 0
    assert "SITE_URL='factdesk.example.org' must start with http:// or https://" in result.stderr
