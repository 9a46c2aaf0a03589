"""Test settings: the real settings plus a private Celery queue and a fast hasher."""

import os
import uuid

os.environ.setdefault("DEBUG", "true")
# The suite makes thousands of requests as the same few users within a minute: throttles that hold in tests
# are set in the tests that prove them.
# One connection per request in tests (live-server threads must not keep the test database open); the fault tests
# start gunicorn with persistent connections on.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
os.environ.setdefault("THROTTLE_USER", "1000000/minute")
os.environ.setdefault("THROTTLE_IMPORTS", "1000000/minute")
os.environ.setdefault("THROTTLE_EXPORTS", "1000000/minute")
# A private queue per test run, handed on to the worker subprocess through the
# environment: a developer's own worker on the default queue never takes test tasks.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"pytest-{uuid.uuid4().hex[:8]}")

from factcheck.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
# django-axes wants a request in every authenticate() call; the test client's login() has none. The tests of the
# lockout turn it on (test_operations).
AXES_ENABLED = False
