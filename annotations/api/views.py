"""REST API v1. Views are thin: validate → access → service → present. Every object is fetched through the
access layer (``annotations/access.py``), so outsiders get 404 and never learn that an object exists, and a
member whose role is too low gets 403. Errors are raised, never built here: ``api/errors.py`` maps them."""

from pathlib import Path

import orjson
from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import access, selectors, services
from annotations.api import serializers as s
from annotations.api.authentication import authenticate_with_document
from annotations.api.offsets import OffsetConverters, offset_converters, utf16_requested
from annotations.api.pagination import MAX_PAGE_SIZE, decode_cursor, keyset_page, page_of, page_size
from annotations.api.parsers import BulkArticlesJsonlParser, BulkArticlesLinesParser, BulkArticlesParser, JSONParser
from annotations.api.presenters import (
    present_annotation,
    present_audit_event,
    present_claim,
    present_diff,
    present_document,
    present_document_at,
    present_evidence,
    present_member,
    present_project,
    present_thread_entry,
    present_upload_result,
    present_url_import,
    present_version,
    stamp,
)
from annotations.api.schema import ANNOTATION_FILTER_PARAMETERS, CURSOR, UNIT, VERSION
from annotations.api.schema import page_size as page_size_parameter
from annotations.domain.article_files import ArticleFileError, read_article_bytes
from annotations.domain.spans import OffsetConverter, SpanError
from annotations.domain.vocabulary import Role
from annotations.filters import MAX_ID, AnnotationFilter, parse_instant
from annotations.importing import import_record, import_upload
from annotations.models import Annotation, Document

PAGING = ("cursor", "page_size")


def only_known(request: Request, *names: str) -> None:
    """A query parameter this endpoint does not know is a 400 naming it (a misspelt filter must not silently
    return everything)."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        expected = ", ".join(sorted(names)) or "none"
        raise ValidationError({unknown[0]: [f"unknown query parameter {', '.join(unknown)}; expected: {expected}"]})


ANNOTATION_PARAMS = (*AnnotationFilter.base_filters, "unit", *PAGING)


def _annotation_response(request: Request, annotation_id: int, code: int = status.HTTP_200_OK) -> Response:
    annotation = selectors.annotations_for_user(request.user).get(pk=annotation_id)
    converters = offset_converters(request, {annotation.document_id})
    return Response(present_annotation(annotation, request.user, converters), status=code)


def _created_response(request: Request, annotation: Annotation, document: Document, *, evidence: bool) -> Response:
    """201 with the new annotation as stored, from what the request already holds (its author is the caller, its
    document the one just checked, no evidence): no second read of the row. With evidence: read back."""
    if evidence:
        return _annotation_response(request, annotation.pk, status.HTTP_201_CREATED)
    rows = [(document.pk, document.version, document.body)]
    converters = OffsetConverters(rows) if utf16_requested(request) else None
    data = present_annotation(annotation, request.user, converters, evidence=[])
    return Response(data, status=status.HTTP_201_CREATED)


def _to_codepoints(request: Request, document: Document, start: int, end: int) -> tuple[int, int]:
    if not utf16_requested(request):
        return start, end
    converter = OffsetConverter(document.body)
    try:
        return converter.to_codepoint(start), converter.to_codepoint(end)
    except SpanError as exc:
        raise services.AnnotationRejected(str(exc)) from None


# ---- projects & documents ------------------------------------------------------------------------------


class MeApi(APIView):
    @extend_schema(operation_id="me", responses=s.MeOut, description="Who the token (or session) is, and its desks.")
    def get(self, request: Request) -> Response:
        only_known(request)
        user = request.user
        desks = [{"slug": p.slug, "name": p.name, "role": role} for p, role in selectors.project_roles(user)]
        return Response({"id": user.pk, "username": user.get_username(), "is_site_admin": user.is_superuser,
                         "desks": desks})  # fmt: skip


class ProjectListApi(APIView):
    @extend_schema(operation_id="projects_list", responses=s.ProjectListOut)
    def get(self, request: Request) -> Response:
        rows = [present_project(project, role) for project, role in selectors.project_roles(request.user)]
        return Response({"results": rows})

    @extend_schema(operation_id="projects_create", request=s.ProjectCreateIn, responses={201: s.ProjectOut},
                   description="Create a desk (site admins); its creator becomes its first admin. "
                   "A slug in use is a 409.")  # fmt: skip
    def post(self, request: Request) -> Response:
        data = s.ProjectCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, exist_ok=False, **data.validated_data)
        return Response(present_project(project, access.role_in(request.user, project)), status=201)


class ProjectDetailApi(APIView):
    @extend_schema(operation_id="projects_retrieve", responses=s.ProjectOut)
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        return Response(present_project(project, access.role_in(request.user, project)))

    @extend_schema(
        operation_id="projects_partial_update",
        request=s.ProjectUpdateIn,
        responses=s.ProjectOut,
        description="Change the desk's name, description or guidelines (its admins). The slug stays.",
    )
    def patch(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug, need=Role.ADMIN)
        data = s.ProjectUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=project, user=request.user, **data.validated_data)
        return Response(present_project(project, access.role_in(request.user, project)))


class ProjectMembersApi(APIView):
    @extend_schema(
        operation_id="project_members_list",
        responses=s.MemberListOut,
        description="The desk's members (any member sees them; e-mail addresses only its admins).",
    )
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        show_email = access.can_manage_members(request.user, project)
        rows = [present_member(m, show_email=show_email) for m in selectors.desk_members(project)]
        return Response({"results": rows})

    @extend_schema(
        operation_id="project_members_create",
        request=s.MemberInviteIn,
        responses={201: s.MemberOut},
        description="Invite someone by username or e-mail address (the desk's admins). An address "
        "without an account gets one and an e-mail to choose a password. Already a member: 409.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        data = s.MemberInviteIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.membership_invite(
            project=project, actor=request.user, identifier=data.validated_data["user"],
            role=data.validated_data["role"], site_url=request.build_absolute_uri("/"),
        )  # fmt: skip
        # The address is shown when the inviter typed it (or the account was made for it), never looked up for them.
        shown = invitation.account_created or "@" in data.validated_data["user"]
        code = status.HTTP_200_OK if invitation.resent else status.HTTP_201_CREATED
        return Response(present_member(invitation.membership, show_email=shown), status=code)


class ProjectMemberApi(APIView):
    @extend_schema(
        operation_id="project_members_partial_update",
        request=s.MemberRoleIn,
        responses=s.MemberOut,
        description="Change a member's role (the desk's admins). The last admin keeps the role: 409.",
    )
    def patch(self, request: Request, slug: str, username: str) -> Response:
        project = access.project_for_user(request.user, slug)
        data = s.MemberRoleIn(data=request.data)
        data.is_valid(raise_exception=True)
        member = selectors.desk_member(project, username)
        membership = services.membership_set(project=project, user=member.user, role=data.validated_data["role"],
                                             actor=request.user)  # fmt: skip
        return Response(present_member(membership, show_email=True))

    @extend_schema(
        operation_id="project_members_destroy",
        responses={204: None},
        description="Remove a member (the desk's admins); their annotations stay. The last admin: 409.",
    )
    def delete(self, request: Request, slug: str, username: str) -> Response:
        project = access.project_for_user(request.user, slug)
        if not access.can_manage_members(request.user, project):
            raise services.Forbidden("only admins of this desk manage its members")
        member = selectors.desk_member(project, username)
        services.membership_remove(project=project, user=member.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]  # JSONParser: ours, depth- and size-limited

    @extend_schema(
        operation_id="documents_list",
        parameters=[
            OpenApiParameter("project", str, description="Only documents of this desk (slug)."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            CURSOR,
            page_size_parameter(MAX_PAGE_SIZE, 100),
        ],
        responses=s.DocumentListOut,
    )
    def get(self, request: Request) -> Response:
        only_known(request, "project", "updated_since", *PAGING)
        threshold = selectors.checkworthy_threshold()
        documents = access.documents_visible(request.user)
        if slug := request.query_params.get("project"):
            if "\x00" in slug:
                raise ValidationError({"project": ["must not contain NUL characters"]})
            documents = documents.filter(project__slug=slug)
        if since := request.query_params.get("updated_since"):
            documents = documents.filter(updated_at__gte=_parse_datetime(since, "updated_since"))
        documents = (
            documents.select_related("project")
            .defer("body", "metadata")
            .annotate(**selectors.document_list_annotations(threshold))
        )
        rows, next_cursor, sync = keyset_page(documents, request)
        results = [present_document(row, with_body=False) for row in rows]
        return Response({"results": results, "next": next_cursor, "sync": sync})

    @extend_schema(
        request=s.DocumentCreateIn,
        responses={201: s.DocumentOut, 200: s.DocumentImportOut},
        description="Import one article (JSON) or upload an article file (multipart `file` + `project`): the same "
        "cleaning, de-duplication and segmentation as the CLI. A duplicate (of the current text or an earlier "
        "version) answers 200 with `duplicate_of`. The source URL of a document of the desk with other text is a "
        "correction: it is stored as that document's next version (editors; a reviewer gets 403) and the answer "
        "is 200 with `new_version_of` and `version`; its annotations are re-anchored in the background.",
    )
    def post(self, request: Request) -> Response:
        if "file" in request.FILES:
            return self._upload(request)
        data = s.DocumentCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        project = access.project_for_user(request.user, fields.pop("project"))
        outcome = services.document_import(project=project, imported_by=request.user, **fields,
                                           metadata={"source": "api"})  # fmt: skip
        return self._import_response(outcome)

    def _upload(self, request: Request) -> Response:
        project = access.project_for_user(request.user, request.data.get("project", ""))
        name, data = _uploaded_file(request)
        records = list(read_article_bytes(name, data, max_bytes=settings.IMPORT_MAX_BYTES))
        errors = [str(r) for r in records if isinstance(r, ArticleFileError)]
        if errors:
            raise services.Invalid("; ".join(errors))
        if len(records) != 1:
            message = f"{name} holds {len(records)} articles; upload it to /api/v1/projects/{{slug}}/uploads"
            raise ValidationError({"file": [message]})
        outcome = import_record(records[0], project=project, imported_by=request.user, source=f"upload:{name}")
        return self._import_response(outcome)

    def _import_response(self, outcome: services.ImportOutcome) -> Response:
        data = present_document(outcome.document)
        if outcome.created:
            return Response(data, status=status.HTTP_201_CREATED)
        if outcome.new_version:
            return Response({**data, "new_version_of": outcome.document.pk}, status=status.HTTP_200_OK)
        return Response({**data, "duplicate_of": outcome.document.pk}, status=status.HTTP_200_OK)


def _uploaded_file(request: Request) -> tuple[str, bytes]:
    """The multipart ``file``: its name (no folders) and content, or a 400/413 naming it."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError({"file": ["attach the article file as the multipart field 'file'"]})
    name = Path(upload.name or "upload").name
    if upload.size > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES
        raise services.TooLarge(f"{name}: file is {upload.size:,} bytes, over the {limit:,}-byte limit")
    return name, upload.read()


class ProjectUploadApi(APIView):
    parser_classes = [MultiPartParser]
    throttle_scope = "imports"

    @extend_schema(
        operation_id="project_upload",
        request={"multipart/form-data": s.UploadIn},
        responses={200: s.UploadOut, 400: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT},
        description="Upload one article file to the desk (any member): .txt, .html/.htm (main text extracted), "
        ".json or .jsonl (several articles). The same cleaning and de-duplication as the CLI; each article is its "
        "own transaction, so one bad line never stops the others. The answer lists every article: `imported`, "
        "`new_version` (the source URL of `document`, with other text: editors), `duplicate` (of `document`) or "
        "`failed` with the reason. A file that yields no article at all is a 400.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        name, data = _uploaded_file(request)
        results = import_upload(name, data, project=project, imported_by=request.user)
        return _import_results_response(results, file=name)


def _import_results_response(results, **extra) -> Response:
    """Counts and per-article results of a multi-article import; every article failed: a 400 naming the first."""
    kinds = ("imported", "new_version", "duplicate", "failed")
    counts = {kind: sum(r.status == kind for r in results) for kind in kinds}
    rows = [present_upload_result(r, _page_url) for r in results]
    body = {**extra, "imported": counts["imported"], "new_versions": counts["new_version"],
            "duplicates": counts["duplicate"], "failed": counts["failed"], "results": rows}  # fmt: skip
    if counts["failed"] and not (counts["imported"] or counts["new_version"] or counts["duplicate"]):
        reasons = "; ".join(f"{r.source}: {r.detail}" for r in results[:5])
        return Response({"detail": reasons, **body}, status=status.HTTP_400_BAD_REQUEST)
    return Response(body)


class DocumentBulkImportApi(APIView):
    parser_classes = [BulkArticlesParser, BulkArticlesLinesParser, BulkArticlesJsonlParser]
    throttle_scope = "imports"

    @extend_schema(
        operation_id="documents_bulk_import",
        parameters=[OpenApiParameter("project", str, required=True, description="The desk (slug).")],
        request={"application/json": s.BulkArticleIn(many=True), "application/x-ndjson": OpenApiTypes.STR,
                 "application/jsonl": OpenApiTypes.STR},
        responses={200: s.BulkImportOut},
        description="Import many articles in one request (any member of the desk): a JSON array of articles, or "
        "JSON Lines (`application/x-ndjson`) with one a line; at most UPLOAD_MAX_ARTICLES (1,000) articles and "
        "BULK_IMPORT_MAX_BYTES (20 MiB). One transaction: the new articles are looked up and written together, "
        "a refused article writes nothing and is reported, a correction (same source URL) is its own savepoint; "
        "the same cleaning, de-duplication and correction rule as `POST /api/v1/documents/`, and the result "
        "importing them one after the other gives. Their segmentation is sent in one message once all are stored. "
        "The answer lists every article in order: `imported`, `new_version`, `duplicate` or `failed` with the "
        "reason. Every article failed: 400.",
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        only_known(request, "project")
        slug = request.query_params.get("project", "")
        if not slug:
            raise ValidationError({"project": ["give the desk as ?project=SLUG"]})
        project = access.project_for_user(request.user, slug)
        payload = request.data
        results = import_upload(payload["name"], payload["data"], project=project, imported_by=request.user,
                                max_bytes=settings.BULK_IMPORT_MAX_BYTES, source="api:bulk")  # fmt: skip
        return _import_results_response(results)


class ProjectUrlImportsApi(APIView):
    throttle_scope = "imports"

    @extend_schema(operation_id="project_url_import", request=s.UrlImportIn, responses={202: s.UrlImportOut},
                   description="Import the article at a URL (any member): the worker fetches it (public http/https "
                   "addresses only, at most 5 redirects, 5 MB, 10 s; HTML or text) and imports it as an upload. "
                   "Poll `GET /api/v1/url-imports/{id}` for the outcome.")  # fmt: skip
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        data = s.UrlImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.url_import_request(project=project, user=request.user, url=data.validated_data["url"])
        job = access.url_import_for_user(request.user, job.pk)  # after commit hooks (eager): its outcome
        return Response(present_url_import(job, _page_url), status=status.HTTP_202_ACCEPTED)


class UrlImportDetailApi(APIView):
    @extend_schema(operation_id="url_import_retrieve", responses=s.UrlImportOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(present_url_import(access.url_import_for_user(request.user, pk), _page_url))


def _page_url(document: Document) -> str:
    return reverse("document-detail", args=[document.pk])


class DocumentDetailApi(APIView):
    @extend_schema(operation_id="documents_retrieve", responses=s.DocumentOut,
                   parameters=[OpenApiParameter("body", bool, description="false: without the text (to poll the "
                                                "segmentation status); `length` is still given."),
                               OpenApiParameter("version", int, description="The text of this version (default: "
                                                "the current one); old versions stay readable.")])  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request, "body", "version")
        version = _int_param(request.query_params, "version", 0, 1, 2**31 - 1) or None
        if not bool_param(request.query_params, "body", default=True):
            return Response(present_document(selectors.document_summary(request.user, pk), with_body=False))
        document = access.document_for_user(request.user, pk)
        if version is None or version == document.version:
            return Response(present_document(document))
        return Response(present_document_at(document, selectors.document_version(document, version)))

    @extend_schema(request=s.DocumentUpdateIn, responses=s.DocumentOut,
                   description="Change a document's metadata (editors and admins of its desk); audited.")  # fmt: skip
    def patch(self, request: Request, pk: int) -> Response:
        document = access.document_for_user(request.user, pk, need=Role.EDITOR)
        data = s.DocumentUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        if "body" in request.data:
            message = f"the text cannot be changed here: POST a new version to /api/v1/documents/{pk}/versions"
            raise ValidationError({"body": [message]})
        document = services.document_update(document=document, user=request.user, **data.validated_data)
        return Response(present_document(document))


class DocumentVersionsApi(APIView):
    throttle_scope = "imports"

    @extend_schema(operation_id="document_versions_list", responses=s.DocumentVersionListOut,
                   description="Every version of the document's text, oldest first (`GET …/documents/{id}/"
                   "?version=N` gives one's text).")  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request)
        document = access.document_for_user(request.user, pk)
        rows = [present_version(v, document.version) for v in selectors.document_versions(document)]
        return Response({"results": rows})

    @extend_schema(
        operation_id="document_versions_create", request=s.DocumentVersionIn,
        responses={201: s.DocumentNewVersionOut, 200: s.DocumentNewVersionOut},
        description="Store a new version of the document's text (a corrected article; editors and admins of the "
        "desk). Cleaned as an import is; the same cleaned text as the current version stores nothing (200, "
        "`unchanged`); another document's text is a 409. The annotations and claims are re-anchored in the "
        "background (`anchoring_status`), then the text is segmented again, keeping people's claims.",
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        document = access.document_for_user(request.user, pk, need=Role.EDITOR)
        data = s.DocumentVersionIn(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.document_new_version(document=document, user=request.user, **data.validated_data)
        document = access.document_for_user(request.user, pk)  # after the commit hooks (eager): as stored now
        if not outcome.created:
            return Response({**present_document(document), "unchanged": True})
        return Response({**present_document(document), "new_version_of": document.pk}, status=201)


class DocumentDiffApi(APIView):
    @extend_schema(
        operation_id="document_diff",
        parameters=[OpenApiParameter("from", int, description="The older version (default: the one before `to`)."),
                    OpenApiParameter("to", int, description="The newer version (default: the current one).")],
        responses=s.DocumentDiffOut,
        description="Word-level differences between two versions of the document's text.",
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request, "from", "to")
        document = access.document_for_user(request.user, pk)
        new = _int_param(request.query_params, "to", document.version, 1, 2**31 - 1)
        old = _int_param(request.query_params, "from", max(1, new - 1), 1, 2**31 - 1)
        return Response(present_diff(document, selectors.document_diff(document, old, new)))


class DocumentDoneApi(APIView):
    @extend_schema(
        request=s.DoneIn,
        responses=s.DocumentOut,
        description="Mark the document fully checked (`done: true`) or open it again (editors).",
    )
    def post(self, request: Request, pk: int) -> Response:
        document = access.document_for_user(request.user, pk, need=Role.EDITOR)
        data = s.DoneIn(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_mark_done(document=document, user=request.user, done=data.validated_data["done"])
        return Response(present_document(document))


DEFAULT_CLAIM_PAGE = 200


class DocumentClaimsApi(APIView):
    MAX_PAGE = 1000

    @extend_schema(
        parameters=[
            UNIT,
            OpenApiParameter("order", str, enum=["score", "position"]),
            OpenApiParameter("show", str, enum=list(selectors.CLAIM_SHOWS), description="Which claims (default all)."),
            OpenApiParameter("q", str, description="Search the text (case and accents aside)."),
            OpenApiParameter("distinct", bool, description="One entry per identical sentence (`occurrences`)."),
            page_size_parameter(1000, DEFAULT_CLAIM_PAGE),
            OpenApiParameter(
                "cursor", {"type": "integer", "minimum": 0, "maximum": 2**31}, description="`next` of the last page."
            ),
        ],
        responses=s.ClaimListOut,
    )
    def get(self, request: Request, pk: int) -> Response:
        document = access.document_for_user(request.user, pk)
        only_known(request, "order", "show", "q", "distinct", "unit", *PAGING)
        params = request.query_params
        order = params.get("order", "score")
        if order not in ("score", "position"):
            raise ValidationError({"order": ["must be 'score' or 'position'"]})
        show = params.get("show", "all")
        if show not in selectors.CLAIM_SHOWS:
            raise ValidationError({"show": [f"must be one of {', '.join(selectors.CLAIM_SHOWS)}"]})
        q = params.get("q", "").strip()
        if "\x00" in q or len(q) > 500:
            raise ValidationError({"q": ["at most 500 characters, no NUL"]})
        size = _int_param(params, "page_size", DEFAULT_CLAIM_PAGE, 1, self.MAX_PAGE)
        offset = _int_param(params, "cursor", 0, 0, 2**31)
        threshold = selectors.checkworthy_threshold()
        converter = OffsetConverter(document.body) if utf16_requested(request) else None
        claims = selectors.document_claims(document, order=order, show=show, q=q, threshold=threshold,
                                           distinct=bool_param(params, "distinct"), user=request.user)  # fmt: skip
        page = list(claims[offset : offset + size + 1])
        more = len(page) > size
        page = selectors.with_occurrences(document, page[:size])
        results = [present_claim(claim, threshold, converter) for claim in page]
        return Response({"results": results, "next": str(offset + size) if more else None,
                         "count": claims.count() if more or offset else len(results)})  # fmt: skip


def _int_param(params, name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 10) or not low <= int(value) <= high:
        raise ValidationError({name: [f"must be a whole number from {low} to {high}"]})
    return int(value)


def bool_param(params, name: str, default: bool = False) -> bool:
    """A true/false query parameter (1/0, true/false, yes/no; empty: ``default``), or a 400 naming it."""
    value = params.get(name, "").strip().lower()
    if value == "":
        return default
    if value in ("0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValidationError({name: ["must be true or false"]})


class ClaimStateApi(APIView):
    state: str = ""

    @extend_schema(
        parameters=[UNIT, OpenApiParameter("all_occurrences", bool, description="Also every other claim of the "
                                           "document with the same text (an entry of the grouped list).")],
        request=None, responses=s.ClaimOut,
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        if bool_param(request.query_params, "all_occurrences"):
            changed = services.claims_set_state_by_text(claim_id=pk, state=self.state, user=request.user)
        else:
            changed = services.claim_set_state(claim_id=pk, state=self.state, user=request.user)
        claim = selectors.document_claims(changed.document, show="all", user=request.user).get(pk=pk)
        selectors.with_occurrences(changed.document, [claim])
        converter = OffsetConverter(claim.document.body) if utf16_requested(request) else None
        return Response(present_claim(claim, selectors.checkworthy_threshold(), converter))


class DocumentSubmitDraftsApi(APIView):
    @extend_schema(
        request=None, responses=inline_serializer("Submitted", {"submitted": drf_serializers.IntegerField()})
    )
    def post(self, request: Request, pk: int) -> Response:
        document = access.document_for_user(request.user, pk)
        return Response({"submitted": services.annotations_submit_drafts(document=document, user=request.user)})


# ---- annotations ---------------------------------------------------------------------------------------


class AnnotationListApi(APIView):
    @extend_schema(
        operation_id="annotations_list",
        parameters=[
            UNIT,
            *ANNOTATION_FILTER_PARAMETERS,
            CURSOR,
            page_size_parameter(MAX_PAGE_SIZE, 100),
        ],
        responses=s.AnnotationListOut,
        description="Keyset-paginated by (updated_at, id). Keep polling with the `sync` cursor to receive only "
        "annotations created or changed since: nothing is missed or repeated.",
    )
    def get(self, request: Request) -> Response:
        only_known(request, *ANNOTATION_PARAMS)
        if (lean := self._one_document(request)) is not None:
            return lean
        filterset = AnnotationFilter(request.query_params, queryset=selectors.annotations_for_user(request.user))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        rows, next_cursor, sync = keyset_page(filterset.qs, request)
        converters = offset_converters(request, {row.document_id for row in rows})
        results = [present_annotation(row, request.user, converters) for row in rows]
        return Response({"results": results, "next": next_cursor, "sync": sync, "deleted": self._deleted(request)})

    def _one_document(self, request: Request) -> Response | None:
        """The annotate page's request (``?document=ID`` and nothing to filter but that): one query for the
        document and the caller's role, then its annotations — without the filter set and the desk joins of
        the general path, with the same rows and answer (a document the caller cannot see: no results)."""
        params = request.query_params
        document_id = self._listed_document(request)
        if document_id is None:
            return None  # the general path (another filter; a bad id: the filter set's 400)
        converters_wanted = utf16_requested(request)
        try:
            document = access.document_for_user_lean(request.user, document_id, fetched=self._fetched(document_id))
        except services.NotFound:
            return Response({"results": [], "next": None, "sync": keyset_page(Annotation.objects.none(), request)[2],
                             "deleted": self._deleted(request)})  # fmt: skip
        first = None
        if not params.get("cursor"):  # the page's first load: hand-written queries unless blind review applies
            first = selectors.document_annotations_first_page(request.user, document, page_size(request))
        if first is not None:
            rows, next_cursor, sync = page_of(first, request)
        else:
            rows, next_cursor, sync = keyset_page(selectors.document_annotations(request.user, document), request)
        converters = None
        if converters_wanted:
            converters = OffsetConverters([(document.pk, document.version, document.body)])
        results = [present_annotation(row, request.user, converters, evidence=getattr(row, "evidence_links", None))
                   for row in rows]  # fmt: skip
        return Response({"results": results, "next": next_cursor, "sync": sync, "deleted": self._deleted(request)})

    @staticmethod
    def _listed_document(request: Request) -> int | None:
        """The document of the annotate page's list request (``?document=ID``, nothing else to filter by)."""
        params = request.query_params
        document_id = params.get("document", "")
        if set(params) - {"document", "unit", *PAGING} or not (document_id.isascii() and document_id.isdigit()):
            return None
        return int(document_id) if 1 <= int(document_id) <= MAX_ID else None

    @staticmethod
    def _written_document(request: Request) -> int | None:
        """The document a span is written on, peeked from a small JSON body (the parser still reads it as always)."""
        try:
            if int(request.META.get("CONTENT_LENGTH") or 0) > 64 * 1024 or request.content_type != "application/json":
                return None
            document_id = orjson.loads(request.body).get("document")
        except (ValueError, AttributeError, orjson.JSONDecodeError):
            return None
        return document_id if type(document_id) is int and 1 <= document_id <= MAX_ID else None

    def initial(self, request: Request, *args, **kwargs) -> None:
        """The hot paths (the annotate page's list, a span written): the API token and the document, with the
        caller's role in its desk, are read by one query (``authenticate_with_document``); without a token that
        query finds, DRF's authentication runs as always."""
        document_id = self._listed_document(request) if request.method == "GET" else None
        if request.method == "POST":
            document_id = self._written_document(request)
        self._prefetched = (document_id, authenticate_with_document(request, document_id)) if document_id else None
        super().initial(request, *args, **kwargs)

    def _fetched(self, document_id: int):
        prefetched = getattr(self, "_prefetched", None)
        return prefetched[1] if prefetched and prefetched[0] == document_id else access.NOT_FETCHED

    def _deleted(self, request: Request) -> list[int]:
        """Ids of annotations deleted after the cursor, so a syncing client can drop them."""
        cursor = request.query_params.get("cursor")
        if not cursor:
            return []
        stamp, _ = decode_cursor(cursor)
        events = selectors.deletions_since(request.user, stamp)
        if document := request.query_params.get("document"):
            events = (
                events.filter(document_id=int(document)) if document.isascii() and document.isdigit() else events.none()
            )
        return list(events.values_list("annotation_id", flat=True))

    @extend_schema(parameters=[UNIT], request=s.AnnotationCreateIn, responses={201: s.AnnotationOut})
    def post(self, request: Request) -> Response:
        fields = s.annotation_create_fields(request.data)
        if fields is None:  # not plainly valid: the serializer's values or its 400
            data = s.AnnotationCreateIn(data=request.data)
            data.is_valid(raise_exception=True)
            fields = data.validated_data
        document = access.document_for_user_lean(request.user, fields["document"],
                                                 fetched=self._fetched(fields["document"]))  # fmt: skip
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
        return _created_response(request, annotation, document, evidence=bool(fields["evidence"]))


class AnnotationDetailApi(APIView):
    @extend_schema(operation_id="annotations_retrieve", parameters=[UNIT], responses=s.AnnotationOut)
    def get(self, request: Request, pk: int) -> Response:
        return _annotation_response(request, access.annotation_for_user(request.user, pk).pk)

    @extend_schema(parameters=[UNIT], request=s.AnnotationUpdateIn, responses={200: s.AnnotationOut, 409: None})
    def patch(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
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

    @extend_schema(parameters=[VERSION], responses={204: None, 409: None})
    def delete(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        version = request.query_params.get("version")
        if version is not None and not (version.isascii() and version.isdigit() and len(version) <= 10):
            raise ValidationError({"version": ["must be a positive integer"]})
        version_number = int(version) if version else None
        services.annotation_delete(annotation_id=annotation.pk, user=request.user, version=version_number)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnotationPlaceApi(APIView):
    @extend_schema(
        operation_id="annotation_place", parameters=[UNIT], request=s.AnnotationPlaceIn, responses=s.AnnotationOut,
        description="Place an annotation by hand on the document's current text (one that could not be placed on "
        "a new version, or whose words changed): its author while it is open, or an editor of the desk. `exact` "
        "must equal the text at start–end; on the words it quoted it is in order again, on other words it stays "
        "flagged `changed`.",
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        data = s.AnnotationPlaceIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        start, end = _to_codepoints(request, annotation.document, fields["start"], fields["end"])
        services.annotation_place(annotation_id=annotation.pk, user=request.user, start=start, end=end,
                                  exact=fields["exact"])  # fmt: skip
        return _annotation_response(request, annotation.pk)


class AnnotationSubmitApi(APIView):
    @extend_schema(parameters=[UNIT], request=s.VersionIn, responses=s.AnnotationOut)
    def post(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        data = s.VersionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.annotation_submit(annotation_id=annotation.pk, user=request.user,
                                   version=data.validated_data.get("version"))  # fmt: skip
        return _annotation_response(request, annotation.pk)


class AnnotationCommentsApi(APIView):
    @extend_schema(operation_id="annotation_comments_list", responses=s.ThreadOut,
                   description="The annotation's review thread, oldest first: the comments of review actions "
                   "(request changes, reject, retract, correct, …) and replies.")  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        return Response({"results": [present_thread_entry(e) for e in selectors.annotation_thread(annotation)]})

    @extend_schema(operation_id="annotation_comments_create", request=s.CommentIn, responses={201: s.ThreadEntryOut},
                   description="Reply on the thread (the annotation's author and the desk's editors).")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        data = s.CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.annotation_comment(annotation_id=pk, user=request.user, text=data.validated_data["text"])
        return Response(present_thread_entry(event), status=status.HTTP_201_CREATED)


class AnnotationEvidenceApi(APIView):
    @extend_schema(request=s.EvidenceIn, responses={201: s.EvidenceOut})
    def post(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        data = s.EvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.evidence_add(annotation=annotation, user=request.user, **data.validated_data)
        return Response(present_evidence(link), status=status.HTTP_201_CREATED)


class EvidenceSnapshotApi(APIView):
    @extend_schema(
        operation_id="evidence_snapshot",
        responses=inline_serializer("EvidenceSnapshot", {"url": drf_serializers.CharField(),
                                                         "checked_at": drf_serializers.DateTimeField(allow_null=True),
                                                         "text": drf_serializers.CharField()}),
        description="The archive copy of an evidence link: the page's text when the worker checked it.",
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        link = access.evidence_for_user(request.user, pk)
        return Response({"url": link.link_final_url or link.url, "checked_at": stamp(link.link_checked_at),
                         "text": link.link_snapshot})  # fmt: skip


class EvidenceDetailApi(APIView):
    @extend_schema(request=s.EvidenceUpdateIn, responses=s.EvidenceOut)
    def patch(self, request: Request, pk: int) -> Response:
        link = access.evidence_for_user(request.user, pk)
        data = s.EvidenceUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.evidence_update(evidence_id=link.pk, user=request.user, **data.validated_data)
        return Response(present_evidence(link))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        link = access.evidence_for_user(request.user, pk)
        services.evidence_delete(evidence_id=link.pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _parse_datetime(value: str, name: str):
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None


# ---- review ------------------------------------------------------------------------------------------


class AnnotationTransitionApi(APIView):
    @extend_schema(
        parameters=[UNIT], request=s.TransitionIn, responses=s.AnnotationOut,
        description="Review workflow: editors/admins approve, request changes, reject, publish, retract or correct "
        "(never their own annotations); authors submit. Comments are required for request_changes, reject, retract, "
        "correct, and for approving a verdict that disagrees with another reviewer's.",
    )  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        annotation = access.annotation_for_user(request.user, pk)
        data = s.TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.annotation_transition(annotation_id=annotation.pk, user=request.user, **data.validated_data)
        return _annotation_response(request, annotation.pk)


class ProjectAgreementApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        if not access.can_see_agreement(request.user, project):
            raise services.Forbidden("in a blind desk the agreement statistics are for its editors")
        return Response({"project": project.slug, **selectors.agreement_report(project)})


class ProjectCorrectionsApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            CURSOR,
            page_size_parameter(MAX_PAGE_SIZE, 100),
        ],
        responses=s.AuditEventListOut,
        description="Append-only history of the desk, oldest first: annotations and their evidence, claims, "
        "documents, review assignments, the desk and its members (`object_type`).",
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug)
        only_known(request, "updated_since", *PAGING)
        events = selectors.corrections_feed(project, request.user)
        if since := request.query_params.get("updated_since"):
            events = events.filter(at__gte=_parse_datetime(since, "updated_since"))
        rows, next_cursor, sync = keyset_page(events, request, field="at")
        return Response({"results": [present_audit_event(e) for e in rows], "next": next_cursor, "sync": sync})
