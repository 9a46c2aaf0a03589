import logging

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

logger = logging.getLogger("factcheck")


class AnnotationsConfig(AppConfig):
    name = "annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from annotations import db  # noqa: F401 (registers the folded lookup and SQLite's unaccent)

        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("CELERY_BROKER_URL is not set: background tasks run eagerly in this process")


class FactcheckAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site: entry decided by desk roles (``annotations/admin_site.py``).
    Named in INSTALLED_APPS instead of "django.contrib.admin"."""

    default = False  # not the default config of the ``annotations`` app

    default_site = "annotations.admin_site.FactcheckAdminSite"
