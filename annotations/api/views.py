"""REST API v1. Views are thin: validate → service → present. Every object is reached through the
membership-scoped selectors, so outsiders get 404 and never learn that an object exists."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import selectors, services
from annotations.api import serializers as s
from annotations.api.filters import AnnotationFilter
from annotations.api.pagination import decode_cursor, keyset_page
from annotations.domain.article_files import ArticleFileError, read_article_file
from annotations.domain.checkworthiness import load_default as load_checkworthiness
from annotations.domain.spans import OffsetConverter, SpanError
from annotations.domain.verdicts import Verdict
from annotations.importing import import_record
from annotations.models import Annotation, ClaimState, Document

serializers_datetime = drf_serializers.DateTimeField()
UNIT = OpenApiParameter(
    "unit", str, enum=["codepoint", "utf16"], description="Offset unit of start/end in the request and the response."
)


def _utf16(request: Request) -> bool:
    unit = request.query_params.get("unit", "codepoint")
    if unit not in ("codepoint", "utf16"):
        raise ValidationError({"unit": ["must be 'codepoint' (default) or 'utf16'"]})
    return unit == "utf16"


def offset_converters(request: Request, document_ids: set[int]) -> dict[int, OffsetConverter] | None:
    """One query for the bodies of the documents involved, only when UTF-16 offsets were asked for."""
    if not _utf16(request):
        return None
    bodies = Document.objects.filter(pk__in=document_ids).values_list("pk", "body")
    return {pk: OffsetConverter(body) for pk, body in bodies}


def _user(user) -> dict:
    return {"id": user.pk, "username": user.get_username()}


def _stamp(value) -> str:
    return serializers_datetime.to_representation(value)


def present_evidence(link) -> dict:
    return {
        "id": link.pk, "url": link.url, "title": link.title, "quoted_passage": link.quoted_passage,
        "stance": link.stance, "added_by": _user(link.added_by), "added_at": _stamp(link.added_at),
    }  # fmt: skip


def present_annotation(annotation: Annotation, user, converters: dict[int, OffsetConverter] | None) -> dict:
    """The AnnotationOut shape, built directly: a serializer per row cost ~0.5 ms, this ~20 µs
    (the annotate page loads thousands). ``test_api`` checks the shape against AnnotationOut."""
    start, end = annotation.start, annotation.end
    if converters is not None:
        converter = converters[annotation.document_id]
        start, end = converter.to_utf16(start), converter.to_utf16(end)
    return {
        "id": annotation.pk,
        "document": annotation.document_id,
        "author": _user(annotation.author),
        "claim": annotation.claim_id,
        "start": start,
        "end": end,
        "quote": {"exact": annotation.quote, "prefix": annotation.prefix, "suffix": annotation.suffix},
        "verdict": annotation.verdict,
        "verdict_label": Verdict(annotation.verdict).label if annotation.verdict else "",
        "rationale": annotation.rationale,
        "status": annotation.status,
        "version": annotation.version,
        "created_at": _stamp(annotation.created_at),
        "updated_at": _stamp(annotation.updated_at),
        "can_edit": annotation.author_id == user.pk and annotation.status in services.EDITABLE_STATUSES,
        "evidence": [present_evidence(link) for link in annotation.evidence.all()],
    }


def _annotation_response(request: Request, annotation_id: int, code: int = status.HTTP_200_OK) -> Response:
    annotation = selectors.annotations_for_user(request.user).get(pk=annotation_id)
    converters = offset_converters(request, {annotation.document_id})
    return Response(present_annotation(annotation, request.user, converters), status=code)


def _to_codepoints(request: Request, document: Document, start: int, end: int) -> tuple[int, int]:
    if not _utf16(request):
        return start, end
    converter = OffsetConverter(document.body)
    try:
        return converter.to_codepoint(start), converter.to_codepoint(end)
    except SpanError as exc:
        raise services.AnnotationRejected(str(exc)) from None


# ---- projects & documents ------------------------------------------------------------------------------


class ProjectListApi(APIView):
    @extend_schema(responses=s.ProjectOut(many=True))
    def get(self, request: Request) -> Response:
        rows = [
            {"slug": m.project.slug, "name": m.project.name, "role": m.role}
            for m in selectors.memberships_for_user(request.user)
        ]
        return Response({"results": s.ProjectOut(rows, many=True).data})


class ProjectDetailApi(APIView):
    @extend_schema(responses=s.ProjectOut)
    def get(self, request: Request, slug: str) -> Response:
        membership = selectors.memberships_for_user(request.user).filter(project__slug=slug).first()
        if membership is None:
            raise Http404("No such project.")
        project = membership.project
        return Response(s.ProjectOut({"slug": project.slug, "name": project.name, "role": membership.role}).data)


class DocumentListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        parameters=[OpenApiParameter("project", str), OpenApiParameter("updated_since", OpenApiTypes.DATETIME)],
        responses=s.DocumentSummaryOut(many=True),
    )
    def get(self, request: Request) -> Response:
        threshold = load_checkworthiness().threshold
        documents = selectors.documents_for_user(request.user)
        if slug := request.query_params.get("project"):
            documents = documents.filter(project__slug=slug)
        if since := request.query_params.get("updated_since"):
            documents = documents.filter(updated_at__gte=_parse_datetime(since, "updated_since"))
        documents = (
            documents.select_related("project")
            .defer("body", "metadata")
            .annotate(**selectors.document_list_annotations(threshold))
        )
        rows, next_cursor, sync = keyset_page(documents, request)
        return Response({"results": s.DocumentSummaryOut(rows, many=True).data, "next": next_cursor, "sync": sync})

    @extend_schema(
        request=s.DocumentCreateIn,
        responses={201: s.DocumentOut, 200: s.DocumentOut},
        description="Import one article (JSON) or upload an article file (multipart `file` + `project`): the same "
        "cleaning, de-duplication and segmentation as the CLI. A duplicate answers 200 with `duplicate_of`.",
    )
    def post(self, request: Request) -> Response:
        if "file" in request.FILES:
            return self._upload(request)
        data = s.DocumentCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        project = selectors.project_for_user(request.user, fields.pop("project"))
        outcome = services.document_import(project=project, imported_by=request.user, **fields,
                                           metadata={"source": "api"})  # fmt: skip
        return self._import_response(outcome)

    def _upload(self, request: Request) -> Response:
        project = selectors.project_for_user(request.user, request.data.get("project", ""))
        upload = request.FILES["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            limit = settings.IMPORT_MAX_BYTES
            detail = f"{upload.name}: file is {upload.size:,} bytes, over the {limit:,}-byte limit"
            return Response({"detail": detail}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        name = Path(upload.name).name
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(upload.read())
            records = list(read_article_file(path, max_bytes=settings.IMPORT_MAX_BYTES))
        errors = [str(r).replace(str(path), name) for r in records if isinstance(r, ArticleFileError)]
        if errors:
            return Response({"detail": "; ".join(errors)}, status=status.HTTP_400_BAD_REQUEST)
        if len(records) != 1:
            raise ValidationError({"file": [f"{name} holds {len(records)} articles; upload one per request"]})
        outcome = import_record(records[0], project=project, imported_by=request.user, source=f"upload:{name}")
        return self._import_response(outcome)

    def _import_response(self, outcome: services.ImportOutcome) -> Response:
        document = outcome.document
        data = {**s.DocumentOut(document).data}
        data["length"] = document.length
        if outcome.created:
            return Response(data, status=status.HTTP_201_CREATED)
        return Response({**data, "duplicate_of": document.pk}, status=status.HTTP_200_OK)


class DocumentDetailApi(APIView):
    @extend_schema(responses=s.DocumentOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.DocumentOut(selectors.document_for_user(request.user, pk)).data)

    @extend_schema(request=s.DocumentUpdateIn, responses=s.DocumentOut)
    def patch(self, request: Request, pk: int) -> Response:
        document = selectors.document_for_user(request.user, pk)
        data = s.DocumentUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        if "body" in request.data:
            message = "the text of an imported document cannot be changed; import a new version"
            raise ValidationError({"body": [message]})
        document = services.document_update(document=document, **data.validated_data)
        return Response(s.DocumentOut(document).data)


class DocumentClaimsApi(APIView):
    @extend_schema(parameters=[UNIT, OpenApiParameter("order", str, enum=["score", "position"])],
                   responses=s.ClaimOut(many=True))  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        document = selectors.document_for_user(request.user, pk)
        order = request.query_params.get("order", "score")
        if order not in ("score", "position"):
            raise ValidationError({"order": ["must be 'score' or 'position'"]})
        threshold = load_checkworthiness().threshold
        converter = OffsetConverter(document.body) if _utf16(request) else None
        rows = []
        for claim in selectors.document_claims(document, order=order, include_dismissed=True):
            rows.append(_claim_row(claim, threshold, converter))
        return Response({"results": s.ClaimOut(rows, many=True).data})


def _claim_row(claim, threshold: float, converter: OffsetConverter | None) -> dict:
    start, end = claim.start, claim.end
    if converter is not None:
        start, end = converter.to_utf16(start), converter.to_utf16(end)
    return {
        "id": claim.pk, "document_id": claim.document_id, "start": start, "end": end, "text": claim.text,
        "score": claim.score, "origin": claim.origin, "state": claim.state,
        "checkworthy": claim.state == ClaimState.ACCEPTED or (claim.score is not None and claim.score >= threshold),
    }  # fmt: skip


class ClaimStateApi(APIView):
    state: str = ""

    @extend_schema(request=None, responses=s.ClaimOut)
    def post(self, request: Request, pk: int) -> Response:
        claim = get_object_or_404(selectors.claims_for_user(request.user), pk=pk)
        claim = services.claim_set_state(claim_id=claim.pk, state=self.state)
        converter = OffsetConverter(claim.document.body) if _utf16(request) else None
        return Response(s.ClaimOut(_claim_row(claim, load_checkworthiness().threshold, converter)).data)


class DocumentSubmitDraftsApi(APIView):
    @extend_schema(
        request=None, responses=inline_serializer("Submitted", {"submitted": drf_serializers.IntegerField()})
    )
    def post(self, request: Request, pk: int) -> Response:
        document = selectors.document_for_user(request.user, pk)
        return Response({"submitted": services.annotations_submit_drafts(document=document, user=request.user)})


# ---- annotations ---------------------------------------------------------------------------------------


class AnnotationListApi(APIView):
    @extend_schema(
        parameters=[UNIT, AnnotationFilter, OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=s.AnnotationOut(many=True),
        description="Keyset-paginated by (updated_at, id). Keep polling with the `sync` cursor to receive only "
        "annotations created or changed since: nothing is missed or repeated.",
    )
    def get(self, request: Request) -> Response:
        filterset = AnnotationFilter(request.query_params, queryset=selectors.annotations_for_user(request.user))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        rows, next_cursor, sync = keyset_page(filterset.qs, request)
        converters = offset_converters(request, {row.document_id for row in rows})
        results = [present_annotation(row, request.user, converters) for row in rows]
        return Response({"results": results, "next": next_cursor, "sync": sync, "deleted": self._deleted(request)})

    def _deleted(self, request: Request) -> list[int]:
        """Ids of annotations deleted after the cursor, so a syncing client can drop them."""
        cursor = request.query_params.get("cursor")
        if not cursor:
            return []
        stamp, _ = decode_cursor(cursor)
        events = selectors.deletions_since(request.user, stamp)
        if document := request.query_params.get("document"):
            events = events.filter(document_id=document) if document.isdigit() else events.none()
        return list(events.values_list("annotation_id", flat=True))

    @extend_schema(parameters=[UNIT], request=s.AnnotationCreateIn, responses={201: s.AnnotationOut})
    def post(self, request: Request) -> Response:
        data = s.AnnotationCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        document = selectors.document_for_user(request.user, fields["document"])
        claim = None
        if fields["claim"] is not None:
            claim = document.claims.filter(pk=fields["claim"]).first()
            if claim is None:
                raise ValidationError({"claim": ["no such claim in this document"]})
        start, end = _to_codepoints(request, document, fields["start"], fields["end"])
        annotation = services.annotation_create(
            document=document, author=request.user, start=start, end=end, quote=fields["exact"],
            verdict=fields["verdict"], rationale=fields["rationale"], claim=claim, evidence=fields["evidence"],
        )  # fmt: skip
        return _annotation_response(request, annotation.pk, status.HTTP_201_CREATED)


class AnnotationDetailApi(APIView):
    def _get(self, request: Request, pk: int) -> Annotation:
        return get_object_or_404(selectors.annotations_for_user(request.user), pk=pk)

    @extend_schema(parameters=[UNIT], responses=s.AnnotationOut)
    def get(self, request: Request, pk: int) -> Response:
        return _annotation_response(request, self._get(request, pk).pk)

    @extend_schema(parameters=[UNIT], request=s.AnnotationUpdateIn, responses={200: s.AnnotationOut, 409: None})
    def patch(self, request: Request, pk: int) -> Response:
        annotation = self._get(request, pk)
        data = s.AnnotationUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        span = None
        if "start" in fields:
            start, end = _to_codepoints(request, annotation.document, fields["start"], fields["end"])
            span = (start, end, fields["exact"])
        services.annotation_update(
            annotation_id=annotation.pk, user=request.user, version=fields["version"],
            verdict=fields.get("verdict"), rationale=fields.get("rationale"), span=span,
        )  # fmt: skip
        return _annotation_response(request, annotation.pk)

    @extend_schema(parameters=[OpenApiParameter("version", int)], responses={204: None, 409: None})
    def delete(self, request: Request, pk: int) -> Response:
        annotation = self._get(request, pk)
        version = request.query_params.get("version")
        if version is not None and not version.isdigit():
            raise ValidationError({"version": ["must be a positive integer"]})
        version_number = int(version) if version else None
        services.annotation_delete(annotation_id=annotation.pk, user=request.user, version=version_number)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnotationSubmitApi(APIView):
    @extend_schema(parameters=[UNIT], request=s.VersionIn, responses=s.AnnotationOut)
    def post(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(selectors.annotations_for_user(request.user), pk=pk)
        data = s.VersionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.annotation_submit(annotation_id=annotation.pk, user=request.user,
                                   version=data.validated_data.get("version"))  # fmt: skip
        return _annotation_response(request, annotation.pk)


class AnnotationEvidenceApi(APIView):
    @extend_schema(request=s.EvidenceIn, responses={201: s.EvidenceOut})
    def post(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(selectors.annotations_for_user(request.user), pk=pk)
        data = s.EvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.evidence_add(annotation=annotation, user=request.user, **data.validated_data)
        return Response(present_evidence(link), status=status.HTTP_201_CREATED)


class EvidenceDetailApi(APIView):
    @extend_schema(request=s.EvidenceUpdateIn, responses=s.EvidenceOut)
    def patch(self, request: Request, pk: int) -> Response:
        link = get_object_or_404(selectors.evidence_for_user(request.user), pk=pk)
        data = s.EvidenceUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.evidence_update(evidence_id=link.pk, user=request.user, **data.validated_data)
        return Response(present_evidence(link))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        link = get_object_or_404(selectors.evidence_for_user(request.user), pk=pk)
        services.evidence_delete(evidence_id=link.pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _parse_datetime(value: str, name: str):
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError({name: ["must be an ISO 8601 date-time, e.g. 2025-11-02T10:00:00Z"]})
    return parsed


# ---- review ------------------------------------------------------------------------------------------


class TransitionIn(drf_serializers.Serializer):
    action = drf_serializers.ChoiceField(
        choices=["submit", "approve", "request_changes", "reject", "publish", "retract", "correct"]
    )
    comment = drf_serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    version = drf_serializers.IntegerField(required=False, min_value=1)
    verdict = drf_serializers.ChoiceField(choices=Verdict.choices(), required=False)
    rationale = drf_serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class AnnotationTransitionApi(APIView):
    @extend_schema(
        parameters=[UNIT], request=TransitionIn, responses=s.AnnotationOut,
        description="Review workflow: editors/admins approve, request changes, reject, publish, retract or correct "
        "(never their own annotations); authors submit. Comments are required for request_changes, reject, retract, "
        "correct, and for approving a verdict that disagrees with another reviewer's.",
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(selectors.annotations_for_user(request.user), pk=pk)
        data = TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.annotation_transition(annotation_id=annotation.pk, user=request.user, **data.validated_data)
        return _annotation_response(request, annotation.pk)


class ProjectAgreementApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        project = selectors.project_for_user(request.user, slug)
        return Response({"project": project.slug, **selectors.agreement_report(project)})


class AuditEventOut(drf_serializers.Serializer):
    id = drf_serializers.IntegerField()
    at = drf_serializers.DateTimeField()
    actor = drf_serializers.CharField(source="actor.username", allow_null=True, default=None)
    action = drf_serializers.CharField()
    object_type = drf_serializers.CharField()
    object_id = drf_serializers.IntegerField()
    annotation = drf_serializers.IntegerField(source="annotation_id")
    document = drf_serializers.IntegerField(source="document_id")
    from_status = drf_serializers.CharField()
    to_status = drf_serializers.CharField()
    changes = drf_serializers.JSONField()
    comment = drf_serializers.CharField()


class ProjectCorrectionsApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("updated_since", OpenApiTypes.DATETIME), OpenApiParameter("cursor", str),
                    OpenApiParameter("page_size", int)],
        responses=AuditEventOut(many=True),
        description="Append-only history of every change to the project's annotations and evidence, oldest first.",
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        project = selectors.project_for_user(request.user, slug)
        events = selectors.corrections_feed(project)
        if since := request.query_params.get("updated_since"):
            events = events.filter(at__gte=_parse_datetime(since, "updated_since"))
        rows, next_cursor, sync = keyset_page(events, request, field="at")
        return Response({"results": AuditEventOut(rows, many=True).data, "next": next_cursor, "sync": sync})
