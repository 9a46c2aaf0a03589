"""Test settings: the real settings plus a private Celery queue and a fast hasher."""

import os
import uuid

os.environ.setdefault("DEBUG", "true")
# A private queue per test run, handed on to the worker subprocess through the
# environment: a developer's own worker on the default queue never takes test tasks.
os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"pytest-{uuid.uuid4().hex[:8]}")

from factcheck.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
