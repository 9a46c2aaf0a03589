"""Offsets in the API: code points by default, UTF-16 code units with ``?unit=utf16`` (the browser's).
The conversion itself is the one ``domain.spans.OffsetConverter``."""

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from annotations.domain.spans import OffsetConverter
from annotations.models import Document


def utf16_requested(request: Request) -> bool:
    unit = request.query_params.get("unit", "codepoint")
    if unit not in ("codepoint", "utf16"):
        raise ValidationError({"unit": ["must be 'codepoint' (default) or 'utf16'"]})
    return unit == "utf16"


def offset_converters(request: Request, document_ids: set[int]) -> dict[int, OffsetConverter] | None:
    """One query for the bodies of the documents involved, only when UTF-16 offsets were asked for."""
    if not utf16_requested(request):
        return None
    bodies = Document.objects.filter(pk__in=document_ids).values_list("pk", "body")
    return {pk: OffsetConverter(body) for pk, body in bodies}
