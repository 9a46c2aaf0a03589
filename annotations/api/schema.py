"""OpenAPI pieces shared by several endpoints (drf-spectacular)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from annotations.domain.verdicts import Verdict
from annotations.domain.vocabulary import AnnotationStatus

# The annotation filters (``annotations/filters.py::AnnotationFilter``) of the list and export endpoints.
ANNOTATION_FILTER_PARAMETERS = [
    OpenApiParameter("project", str, description="Only annotations of this desk (slug)."),
    OpenApiParameter("document", int, description="Only annotations of this document."),
    OpenApiParameter("author", str, description="Only annotations by this username."),
    OpenApiParameter("verdict", str, many=True, enum=Verdict.values),
    OpenApiParameter("status", str, many=True, enum=AnnotationStatus.values),
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Changed at or after this time."),
    OpenApiParameter("q", str, description="Text search in the quote."),
]
UNIT = OpenApiParameter(
    "unit", str, enum=["codepoint", "utf16"], description="Offset unit of start/end in the request and the response."
)
