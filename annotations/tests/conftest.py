"""Shared fixtures: personas, a real Celery worker process and headless Chromium.

On CI (CI=true or TEST_REQUIRE_ALL=1) a missing browser or broker FAILS the tests that
need it instead of skipping them, so a green run cannot hide a service that was not there.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from annotations.models import Role
from annotations.tests.factories import DocumentFactory, MembershipFactory, ProjectFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
REQUIRE_ALL = os.environ.get("TEST_REQUIRE_ALL") == "1" or os.environ.get("CI") == "true"


def skip_or_fail(message: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# ---- personas ---------------------------------------------------------------------------


@pytest.fixture
def project(db):
    return ProjectFactory(name="Politics desk", slug="politics")


@pytest.fixture
def reviewer(project):
    return MembershipFactory(project=project, user=UserFactory(username="reviewer"), role=Role.REVIEWER).user


@pytest.fixture
def other_reviewer(project):
    return MembershipFactory(project=project, user=UserFactory(username="other_reviewer"), role=Role.REVIEWER).user


@pytest.fixture
def editor(project):
    user = UserFactory(username="editor", is_staff=True)
    return MembershipFactory(project=project, user=user, role=Role.EDITOR).user


@pytest.fixture
def outsider(db):
    """Logged-in user who belongs to another project only."""
    return MembershipFactory(user=UserFactory(username="outsider"), project=ProjectFactory(slug="elsewhere")).user


@pytest.fixture
def document(project):
    return DocumentFactory(
        project=project,
        title="Unemployment",
        body="The unemployment rate fell to 3.5 percent in 2019, the lowest in fifty years.",
    )


# ---- API clients ------------------------------------------------------------------------------------------


@pytest.fixture
def api_as():
    """``api_as(user)``: a DRF test client authenticated as ``user`` (anonymous when None)."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def api(api_as, reviewer):
    return api_as(reviewer)


# ---- a local web site ---------------------------------------------------------------------------


@pytest.fixture
def server():
    """Base URL of a local web server (``local_site.py``); the fetcher reaches it only with LOCAL allowed."""
    from annotations.tests.local_site import local_site

    with local_site() as base:
        yield base


# ---- Celery -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_link_checks_unless_asked(request, settings):
    """Evidence link checks fetch the web; tests that add evidence to example.org must not (no network here).
    Tests of the checks are marked ``link_checks`` and point links at a local server."""
    settings.LINK_CHECKS = request.node.get_closest_marker("link_checks") is not None


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker(request):
    """Tasks run in-process unless the test is marked celery_worker (settings don't reach app.conf)."""
    from factcheck.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("celery_worker") is None
    yield
    app.conf.task_always_eager = old


def _broker_reachable(url: str) -> bool:
    if not url or url.startswith("memory://"):
        return False
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _test_database_url() -> str:
    from django.db import connection

    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            skip_or_fail("in-memory SQLite test DB is invisible to a worker process")
        return "sqlite:///" + str(Path(name).resolve())
    auth = quote(settings_dict["USER"] or "")
    if settings_dict["PASSWORD"]:
        auth += ":" + quote(settings_dict["PASSWORD"])
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgresql://{auth}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


@contextmanager
def running_celery_worker(django_db_blocker, log: Path, queue: str, *pool_args: str):
    """A real `celery worker` subprocess consuming ``queue``, pointed at the test database; stopped on exit."""
    from factcheck.celery import app

    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not _broker_reachable(broker):
        skip_or_fail(f"CELERY_BROKER_URL not set or broker not reachable ({broker or 'unset'})")
    with django_db_blocker.unblock():
        db_url = _test_database_url()
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        DJANGO_SETTINGS_MODULE="factcheck.settings_test",
        PYTHONUNBUFFERED="1",
    )
    app.control.purge()
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "factcheck", "worker", *pool_args, "-Q", queue,
             "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
            cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"celery worker exited rc={process.returncode}:\n{log.read_text()}")
            if any(queue in name for reply in app.control.ping(timeout=0.5) for name in reply):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"celery worker not ready after 30 s:\n{log.read_text()}")
        yield process
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` subprocess (solo pool) on the test run's private queue."""
    from django.conf import settings

    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with running_celery_worker(django_db_blocker, log, settings.CELERY_TASK_DEFAULT_QUEUE, "--pool=solo") as process:
        yield process


# ---- the production server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def gunicorn_server(django_db_setup, tmp_path):
    """``start(**env) -> (base_url, log_path)``: gunicorn (two sync workers) on the test database; the test must
    commit its rows (``django_db(transaction=True)``). Stopped after the test."""
    import httpx

    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> tuple[str, Path]:
        port = free_port()
        log = tmp_path / f"gunicorn-{port}.log"
        env = dict(os.environ, DATABASE_URL=_test_database_url(), DJANGO_SETTINGS_MODULE="factcheck.settings_test",
                   PYTHONUNBUFFERED="1", **overrides)  # fmt: skip
        with open(log, "wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "factcheck.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                 "--timeout", "60", "--access-logfile", "-"],
                cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
            )  # fmt: skip
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited rc={process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                    return base, log
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn not answering after 30 s:\n{log.read_text()}")
            time.sleep(0.1)

    yield start
    for process in started:
        stop_process(process)


# ---- Browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
