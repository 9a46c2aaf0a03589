"""Uniform API errors: every error body has a human-readable ``detail``."""

from django.core.exceptions import ObjectDoesNotExist
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from annotations import services


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, services.Conflict):
        current = exc.current
        if current is not None and not isinstance(current, dict):
            from annotations.api.views import offset_converters, present_annotation

            request = context["request"]
            current = present_annotation(current, request.user, offset_converters(request, {current.document_id}))
        return Response({"detail": str(exc), "current": current}, status=409)
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Not found."}, status=404)
    if isinstance(exc, services.Rejected):
        return Response({"detail": str(exc)}, status=400)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        fields = "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in response.data.items())
        response.data = {"detail": fields, "errors": response.data}
    return response
