"""A request id on every request: taken from the proxy's ``X-Request-ID`` when it is a sane token, else made
here; returned in the response's ``X-Request-ID`` and written on every log line of the request (``%(request_id)s``),
so an error a user reports ("request 3f2a…") is found in the logs."""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"[A-Za-z0-9._-]{8,128}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SANE.fullmatch(given) else uuid.uuid4().hex
        # Kept until the request is finished (not just until the middleware returns): Django logs the 4xx/5xx
        # line of a response after the middleware chain.
        _current.set(request_id)
        request.request_id = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget(**kwargs) -> None:
    _current.set("-")


request_finished.connect(_forget, dispatch_uid="annotations.request_id.forget")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request: commands, the worker)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
