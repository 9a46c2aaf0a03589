"""Pages map the typed errors of the access layer and services once, here (the API has its own handler)."""

from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse

from annotations.domain.errors import AppError, Forbidden, NotFound


class TypedErrorsMiddleware:
    """NotFound → the 404 page, Forbidden → the 403 page; other typed errors pass on (a page that can
    raise them catches them and shows a message)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, AppError):
            return None
        if isinstance(exc, NotFound):
            return response_for_exception(request, Http404(str(exc)))
        if isinstance(exc, Forbidden):
            return response_for_exception(request, PermissionDenied(str(exc)))
        return None
