"""Offsets in the API: code points by default, UTF-16 code units with ``?unit=utf16`` (the browser's).
The conversion itself is the one ``domain.spans.OffsetConverter``."""

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from annotations.domain.spans import OffsetConverter
from annotations.models import Document, DocumentVersion


def utf16_requested(request: Request) -> bool:
    unit = request.query_params.get("unit", "codepoint")
    if unit not in ("codepoint", "utf16"):
        raise ValidationError({"unit": ["must be 'codepoint' (default) or 'utf16'"]})
    return unit == "utf16"


class OffsetConverters(dict):
    """Document id → the converter of its current text; ``for_version`` gives the converter of the text an
    annotation's offsets refer to (an orphan keeps those of an older version: converted against that one,
    loaded once per version and only when there is such an annotation)."""

    def __init__(self, rows):
        super().__init__()
        self.current: dict[int, int] = {}
        self.older: dict[tuple[int, int], OffsetConverter] = {}
        for pk, version, body in rows:
            self[pk] = OffsetConverter(body)
            self.current[pk] = version

    def for_version(self, document_id: int, version: int) -> OffsetConverter:
        if self.current.get(document_id, version) == version:
            return self[document_id]
        key = (document_id, version)
        if key not in self.older:
            body = DocumentVersion.objects.filter(document_id=document_id, number=version).values_list(
                "body", flat=True).first()  # fmt: skip
            self.older[key] = OffsetConverter(body) if body is not None else self[document_id]
        return self.older[key]


def offset_converters(request: Request, document_ids: set[int]) -> OffsetConverters | None:
    """One query for the bodies of the documents involved, only when UTF-16 offsets were asked for."""
    if not utf16_requested(request):
        return None
    return OffsetConverters(Document.objects.filter(pk__in=document_ids).values_list("pk", "version", "body"))
