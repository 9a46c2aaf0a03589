"""Verdict export and import endpoints.

``GET  /api/v1/projects/{slug}/export?format=json|jsonl|csv|claimreview|webannotation&<annotation filters>``
streams the file (``StreamingHttpResponse`` over the same generator as ``manage.py export_verdicts``).
``POST /api/v1/projects/{slug}/import-verdicts`` takes a JSON Lines export as the request body or as the
multipart field ``file`` (editors and admins of the project only).
"""

import codecs
import itertools
from pathlib import Path

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import access
from annotations.api.schema import ANNOTATION_FILTER_PARAMETERS
from annotations.api.views import bool_param, only_known
from annotations.domain.errors import Invalid
from annotations.domain.export_formats import FORMATS
from annotations.domain.vocabulary import Role
from annotations.exporting import ExportRejected, attachment_header, export_chunks, export_filename
from annotations.filters import AnnotationFilter
from annotations.importing_verdicts import import_verdict_lines

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the uploaded file


class JsonErrorsWhateverTheAccept(DefaultContentNegotiation):
    """Our responses are files or JSON errors: a client sending ``Accept: text/csv`` must still get a readable
    400/404 instead of DRF's 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RawBodyParser(BaseParser):
    """Any non-multipart body, as bytes, read up to one byte past IMPORT_MAX_BYTES (so the view can say 413)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read(settings.IMPORT_MAX_BYTES + 1) if stream is not None else b""


# What the JSON-typed export files hold (the others are described as files): `json` is an array of records,
# the linked-data formats a JSON-LD document (ClaimReview list or a Web Annotation collection).
_EXPORT_BODY = {
    "application/json": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    "application/ld+json": OpenApiTypes.ANY,
}


class ProjectExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsWhateverTheAccept
    throttle_scope = "exports"

    @extend_schema(
        operation_id="project_export",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(FORMATS),
                default="json",
                description="; ".join(f"`{f.name}`: {f.description}" for f in FORMATS.values()),
            ),
            *ANNOTATION_FILTER_PARAMETERS,
            OpenApiParameter(
                "bom",
                bool,
                description="csv only: start with a UTF-8 byte-order mark, so that "
                "spreadsheet programs read the accents right.",
            ),
        ],
        responses={
            **{
                (200, f.content_type.split(";")[0]): OpenApiResponse(
                    _EXPORT_BODY.get(f.content_type.split(";")[0], OpenApiTypes.BINARY), description="the export file"
                )
                for f in FORMATS.values()
            },
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="unknown format (`valid_formats`) or bad filter"),
        },
        description="Stream every annotation of the project that matches the filters, as a file. `claimreview` "
        "holds approved and published verdicts only. `jsonl` is lossless: `import-verdicts` reads it back.",
    )
    def get(self, request: Request, slug: str) -> StreamingHttpResponse | Response:
        project = access.project_for_user(request.user, slug)
        only_known(request, "format", "bom", *AnnotationFilter.base_filters)
        name = request.query_params.get("format") or "json"
        if name not in FORMATS:
            detail = f"unknown export format {name!r}; valid formats: {', '.join(FORMATS)}"
            return Response({"detail": detail, "valid_formats": list(FORMATS)}, status=status.HTTP_400_BAD_REQUEST)
        try:
            chunks = export_chunks(
                name,
                project=project,
                base_url=settings.SITE_URL or request.build_absolute_uri("/"),
                filters=request.query_params,
                visible=access.annotations_of_project(request.user, project),  # blind review holds in exports too
            )
        except ExportRejected as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if bool_param(request.query_params, "bom"):
            if name != "csv":
                raise Invalid("bom=true is for csv (a UTF-8 byte-order mark for spreadsheet programs)")
            chunks = itertools.chain([codecs.BOM_UTF8], chunks)
        response = StreamingHttpResponse(chunks, content_type=FORMATS[name].content_type)
        response["Content-Disposition"] = attachment_header(export_filename(project, name))
        response["Cache-Control"] = "private, no-store"
        response["X-Accel-Buffering"] = "no"  # let a fronting nginx pass the stream through
        return response


class ProjectImportVerdictsView(APIView):
    parser_classes = [MultiPartParser, RawBodyParser]
    throttle_scope = "imports"
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonErrorsWhateverTheAccept

    @extend_schema(
        operation_id="project_import_verdicts",
        request={
            "application/x-ndjson": OpenApiTypes.BINARY,
            "multipart/form-data": inline_serializer("VerdictImportUpload", {"file": serializers.FileField()}),
        },
        parameters=[
            OpenApiParameter(
                "restore",
                bool,
                description="Site admins only: keep review states and authors exactly as exported "
                "(moving a desk between instances).",
            )
        ],
        responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        description="Import a JSON Lines export (`export?format=jsonl`) as the body or the multipart field `file`. "
        "All or nothing; a bad line answers 400 with its `line` number. Editors and admins of the desk: review "
        "annotations arrive submitted for review (drafts stay drafts: a desk import carries no review decision) and "
        "authors who are not members of the desk are kept as `original_author` on the importer's annotation. "
        "`restore=true` (site admins) keeps states and authors as they were.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug, need=Role.EDITOR)
        restore = bool_param(request.query_params, "restore")
        limit = settings.IMPORT_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        multipart = request.content_type.startswith("multipart/")
        if declared > limit + (MULTIPART_OVERHEAD if multipart else 0):
            return self._too_large(f"the request ({declared:,} bytes)", limit)
        if multipart:
            upload = request.FILES.get("file")
            if upload is None:
                detail = "send the JSON Lines export as the multipart field 'file' or as the request body"
                return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)
            source = Path(upload.name or "upload").name
            if upload.size > limit:
                return self._too_large(f"{source} ({upload.size:,} bytes)", limit)
            content = upload.read()
        else:
            source = "request body"
            content = request.data if isinstance(request.data, bytes) else b""
            if len(content) > limit:
                return self._too_large("the request body", limit)
        if not content.strip():
            return Response(
                {"detail": f"{source}: empty; expected a JSON Lines export"}, status=status.HTTP_400_BAD_REQUEST
            )
        report = import_verdict_lines(
            content.split(b"\n"), project=project, source=source, imported_by=request.user, restore=restore
        )
        created = report.annotations_created or report.documents_created
        return Response(report.as_dict(), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @staticmethod
    def _too_large(what: str, limit: int) -> Response:
        detail = f"{what} is over the {limit:,}-byte import limit (IMPORT_MAX_BYTES); split it or use import_verdicts"
        return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
