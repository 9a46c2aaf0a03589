"""Celery tasks: thin adapters that take ids and call services or selectors."""

from celery import shared_task

from annotations import selectors


@shared_task(name="annotations.health_check")
def health_check() -> dict:
    """Report what the worker sees (database vendor and name, document count); used by ops and tests."""
    return selectors.health_summary()
