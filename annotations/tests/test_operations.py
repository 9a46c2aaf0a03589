"""Operations: a health endpoint for the container, 401 with WWW-Authenticate for anonymous API calls, no
browsable API in production, production settings that pass `check --deploy`, and enqueueing that does not hang
when Redis is down."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_200_when_the_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok" and response.json()["broker"].startswith("unavailable")


def test_an_anonymous_api_call_is_a_401_saying_how_to_authenticate(db):
    response = APIClient().get(reverse("api-projects"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_production_settings_pass_the_deploy_check_with_no_warning(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "DEBUG": "false", "SECRET_KEY": "x" * 20 + "-a-long-random-production-key-0123456789abcdefghij",
        "ALLOWED_HOSTS": "factcheck.example.org", "SITE_URL": "https://factcheck.example.org",
        "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
        "SECURE_SSL_REDIRECT": "true", "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "smtp.example.org",
    }  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # ... and the browsable API, whose pages need inline scripts the CSP refuses, is off there.
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])")  # fmt: skip
    renderers = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=120)  # fmt: skip
    assert renderers.stdout.strip() == "['annotations.api.renderers.OrjsonRenderer']", renderers.stderr


@pytest.mark.parametrize("value", ["X-Forwarded-Proto", ": https"])
def test_a_malformed_proxy_header_setting_stops_start_up(tmp_path, value):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**os.environ, "DEBUG": "true", "SECURE_PROXY_SSL_HEADER": value,
           "DJANGO_SETTINGS_MODULE": "factcheck.settings", "DATABASE_URL": database}  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode != 0 and "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_an_import_with_redis_down_answers_and_leaves_the_document_pending(
    api, project, monkeypatch, django_capture_on_commit_callbacks
):
    from factcheck.celery import app

    def publish_to_a_dead_redis(*args, **kwargs):  # what .delay() meets when Redis is down: a refused connection
        with app.connection_for_write("redis://127.0.0.1:1/0") as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)

    monkeypatch.setattr("annotations.services.segmentation.segment_document_task.delay", publish_to_a_dead_redis)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api-documents"), {"project": project.slug, "title": "Down",
                                                       "body": "Redis is down today."}, format="json")  # fmt: skip
    assert response.status_code == 201
    from annotations.models import Document

    assert Document.objects.get().segmentation_status == "pending"  # the sweeper enqueues it once Redis is back


def test_after_too_many_wrong_passwords_even_the_right_one_does_not_log_in(client, reviewer, settings):
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 5
    url = reverse("login")
    codes = [client.post(url, {"username": "reviewer", "password": "guess"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # "wrong password" four times, then the lockout page
    locked = client.post(url, {"username": "reviewer", "password": "pw"})
    assert locked.status_code == 429 and "Too many attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_then_the_right_one_logs_in(client, reviewer, settings):
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 5
    for _ in range(3):
        client.post(reverse("login"), {"username": "reviewer", "password": "guess"})
    assert client.post(reverse("login"), {"username": "reviewer", "password": "pw"}).status_code == 302


def test_imports_are_throttled_per_user(api, project, monkeypatch):
    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "imports": "2/minute"}
    )
    url = reverse("api-project-upload", args=[project.slug])
    codes = [api.post(url, {"file": SimpleUploadedFile(f"a{n}.txt", f"Title {n}\nBody {n}.".encode())},
                      format="multipart").status_code for n in range(3)]  # fmt: skip
    assert codes == [200, 200, 429]


def test_every_response_carries_a_request_id_and_the_log_lines_of_that_request_too(client, db):
    import logging

    from annotations.request_id import RequestIdFilter

    first = client.get("/healthz")
    second = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-id-12345678")
    assert len(first["X-Request-ID"]) == 32 and second["X-Request-ID"] == "proxy-id-12345678"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\\n<script>")["X-Request-ID"] != "bad id\\n<script>"
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    keep.addFilter(RequestIdFilter())  # as on the console handler of LOGGING
    logger = logging.getLogger("django.request")
    logger.addHandler(keep)
    try:
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-abcdefgh")  # logged as "Not Found" (WARNING)
    finally:
        logger.removeHandler(keep)
    assert [r.request_id for r in records] == ["trace-abcdefgh"]


def test_gunicorn_reads_its_config_file_preloading_the_app_and_sizing_workers_from_the_environment():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "true", "WEB_CONCURRENCY": "3", "GUNICORN_MAX_REQUESTS": "500"}
    printed = subprocess.run([str(gunicorn), "--print-config", "factcheck.wsgi:application"], cwd=root, env=env,
                             capture_output=True, text=True, timeout=60, check=True).stdout  # fmt: skip
    config = dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)
    config = {key.strip(): value.strip() for key, value in config.items()}

    assert config["preload_app"] == "True" and config["workers"] == "3"
    assert (config["max_requests"], config["max_requests_jitter"]) == ("500", "50")


def test_me_says_who_the_token_is_and_its_desks_with_their_roles(api_as, reviewer, outsider):
    from rest_framework.test import APIClient

    from annotations import services

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {services.token_rotate(user=reviewer)}")
    me = client.get("/api/v1/me")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")

    assert me.status_code == 200
    assert me.json() == {"id": reviewer.pk, "username": "reviewer", "is_site_admin": False,
                         "desks": [{"slug": "politics", "name": "Politics desk", "role": "reviewer"}]}  # fmt: skip
    assert bad.get("/api/v1/me").status_code == 401 and client.get("/api/v1/me?x=1").status_code == 400


def test_the_warm_up_loads_every_view_and_page_template_without_a_warning(caplog):
    import sys

    from django.template import engines

    from factcheck.warmup import warm_up

    warm_up()

    assert "annotations.api.views" in sys.modules and "annotations.admin.content" in sys.modules
    loaders = [loader for engine in engines.all() for loader in engine.engine.template_loaders]
    cached = {name for loader in loaders for name in getattr(loader, "get_template_cache", {})}
    assert {"annotations/document_detail.html", "annotations/document_correct.html"} <= cached
    assert not [r for r in caplog.records if "warm-up" in r.getMessage()]


def test_the_web_process_never_loads_the_nlp_stack(tmp_path):
    """Scoring sentences is the worker's job: the web (every view, warmed as gunicorn's master warms it) starts
    without SciPy, scikit-learn or torch, which would cost each web worker tens of megabytes. (NumPy it has: the
    similar-claims index scores with it, loaded once in the master and shared by the forked workers.)"""
    code = ("import sys, django; django.setup(); from factcheck.warmup import warm_up; warm_up(); "
            "print(sorted(m for m in ('scipy', 'sklearn', 'torch') if m in sys.modules))")  # fmt: skip
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "factcheck.settings", "DEBUG": "true",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_user_over_the_rate_gets_429_with_retry_after_and_the_next_window_is_open_again(api, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle as DRFUserRate

    from annotations.api.throttling import UserRateThrottle

    cache.clear()
    monkeypatch.setattr(DRFUserRate, "THROTTLE_RATES", {**DRFUserRate.THROTTLE_RATES, "user": "3/minute"})
    now = [120.0 * 1000 + 50]  # 50 s into a window
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: now[0])
    me = reverse("api-me")

    codes = [api.get(me).status_code for _ in range(4)]
    refused = api.get(me)
    now[0] += 10  # the next window
    again = api.get(me)

    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429 and refused["Retry-After"] == "10"
    assert again.status_code == 200


def test_the_rate_counter_stays_one_number_however_many_requests_a_user_makes(api, reviewer, monkeypatch):
    from django.core.cache import cache

    from annotations.api.throttling import UserRateThrottle

    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "timer", lambda self: 6000.0)  # window 100 of one minute
    for _ in range(50):
        assert api.get(reverse("api-me")).status_code == 200

    assert cache.get(f"throttle_user_{reviewer.pk}:100") == 50  # a count, not a list of 50 request times
