"""OpenAPI pieces shared by several endpoints (drf-spectacular)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import AnnotationStatus

# The annotation filters (``annotations/filters.py::AnnotationFilter``) of the list and export endpoints.
ANNOTATION_FILTER_PARAMETERS = [
    OpenApiParameter("project", str, description="Only annotations of this desk (slug)."),
    OpenApiParameter("document", {"type": "integer", "minimum": 1}, description="Only annotations of this document."),
    OpenApiParameter("author", str, description="Only annotations by this username."),
    OpenApiParameter("verdict", str, many=True, enum=Verdict.values),
    OpenApiParameter("status", str, many=True, enum=AnnotationStatus.values),
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Changed at or after this time."),
    OpenApiParameter("q", str, description="Text search in the quote."),
]
UNIT = OpenApiParameter(
    "unit", str, enum=["codepoint", "utf16"], description="Offset unit of start/end in the request and the response."
)


def page_size(maximum: int, default: int | None = None) -> OpenApiParameter:
    """The ``page_size`` query parameter with the bounds the API enforces (out of bounds is a 400)."""
    described = f"Rows per page, 1–{maximum}" + (f" (default {default})." if default else ".")
    return OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": maximum}, description=described)


MAX_VERSION = 2**31 - 1  # a PostgreSQL integer
VERSION = OpenApiParameter(
    "version",
    {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
    description="The version you have (optimistic lock): 409 if someone changed it since.",
)
CURSOR = OpenApiParameter("cursor", str, description="`next` of the previous page (opaque).")

# Every error body (``api/errors.py``): ``detail`` always; ``errors`` per field for a validation error; ``current``
# (the stored annotation) for a 409; ``line`` for a bad line of an import; an upload's per-file ``results``.
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {"type": "object", "additionalProperties": True, "description": "Messages per field."},
        "current": {"type": "object", "nullable": True, "description": "409: the stored annotation."},
        "line": {"type": "integer", "description": "The bad line of an import."},
    },
    "required": ["detail"],
    "additionalProperties": True,
}
_ERRORS = {
    "400": "Invalid input or an unknown/invalid query parameter (named in `detail`).",
    "401": "No or a bad token (see `WWW-Authenticate`).",
    "403": "Your role in the desk does not allow this.",
    "404": "No such object, or not in a desk you can see.",
    "429": "Too many requests (see `Retry-After`).",
}
_WRITE_ERRORS = {
    "409": "Conflict: changed by someone else meanwhile (`current`), or not allowed in its current state.",
    "413": "The request body is over the size limit.",
    "415": "Not JSON (only the file endpoints take multipart/form-data).",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: document the error answers every operation can give, with the one
    error body, so generated clients and schemathesis know them (an operation's own entries are kept); and
    say that an empty query parameter counts as absent."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True  # `?q=` is the same as no `q` everywhere in this API
            errors = dict(_ERRORS, **(_WRITE_ERRORS if method != "get" else {}))
            responses = operation.setdefault("responses", {})
            for status, description in errors.items():
                existing = responses.get(status)
                if existing is None or not existing.get("content"):  # absent, or declared without a body
                    responses[status] = {"description": description, "content": body}
    return result
