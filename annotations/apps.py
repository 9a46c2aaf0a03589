import logging

from django.apps import AppConfig

logger = logging.getLogger("factcheck")


class AnnotationsConfig(AppConfig):
    name = "annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        if settings.CELERY_TASK_ALWAYS_EAGER:
            logger.info("CELERY_BROKER_URL is not set: background tasks run eagerly in this process")
