"""Uniform API errors, mapped once: every error body has a human-readable ``detail``.

Typed errors (``domain/errors.py``) carry their status: NotFound 404, Forbidden 403, Invalid 400,
Conflict 409 (with ``current``, the stored annotation, when there is one), TooLarge 413. A bad line of an
import adds ``line``."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotations.api.offsets import offset_converters
from annotations.api.presenters import present_annotation
from annotations.domain.errors import AppError, Conflict


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, AppError):
        body: dict = {"detail": str(exc)}
        if isinstance(exc, Conflict):
            body["current"] = _current(exc.current, context["request"])
        if getattr(exc, "line", None):
            body["line"] = exc.line
        return Response(body, status=exc.status)
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Not found."}, status=404)
    if isinstance(exc, RequestDataTooBig):  # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE): JSON, not its HTML 400
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response({"detail": f"the request body is over the {limit:,}-byte limit"}, status=413)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        fields = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in response.data.items())
        response.data = {"detail": fields, "errors": response.data}
    return response


def _current(current, request):
    if current is None or isinstance(current, dict):
        return current
    try:
        converters = offset_converters(request, {current.document_id})
    except ValidationError:  # an invalid ?unit= must not turn a 409 into a 500: answer in code points
        converters = None
    return present_annotation(current, request.user, converters)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """``handler404``: a URL under /api/ that matches no endpoint (``/api/v1/evidence/abc/``) answers JSON like
    every other API error; the pages keep Django's page."""
    if _is_api(request):
        return JsonResponse({"detail": f"no API endpoint at {request.path}; see /api/docs/"}, status=404)
    return page_not_found(request, exception)


def server_error(request):
    """``handler500``: JSON with the request id under /api/ (the traceback is in the log under the same id)."""
    if _is_api(request):
        request_id = getattr(request, "request_id", "")
        detail = "server error; it was logged" + (f" with request id {request_id}" if request_id else "")
        return JsonResponse({"detail": detail, "request_id": request_id}, status=500)
    return django_server_error(request)
