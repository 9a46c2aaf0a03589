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


class FactcheckAdminConfig(admin_apps.SimpleAdminConfig):
    """``django.contrib.admin`` with our site: entry decided by desk roles (``annotations/admin_site.py``).
    Named in INSTALLED_APPS instead of "django.contrib.admin".

    Without autodiscovery at start-up: the URL conf (``factcheck/urls.py``) imports the apps' admin modules, so
    the web process has them and a Celery worker, which never serves the admin, does not load them (~6 MB and
    ~130 modules less: the admin pulls in the services, the agreement statistics and NumPy)."""

    default = False  # not the default config of the ``annotations`` app

    default_site = "annotations.admin_site.FactcheckAdminSite"
