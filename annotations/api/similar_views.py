"""REST API of "Checked before?" (issue 14): already-checked claims similar to a claim, an annotation or any
text, reusing one's verdict in a new draft, and importing ClaimReview fact-checks into a desk's reference set.
Thin as the other views: validate → access → selector/service → present. Results come through the access layer
only (``access.references_visible``): never a desk the caller cannot see."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import access, services, similar
from annotations.api import serializers as s
from annotations.api.parsers import JSONParser
from annotations.api.presenters import present_similar
from annotations.api.schema import UNIT
from annotations.api.views import _annotation_response, _int_param, _to_codepoints, _uploaded_file, only_known
from annotations.domain.matching import LIKELY_AT, SHOW_AT
from annotations.domain.vocabulary import Role

K = OpenApiParameter("k", {"type": "integer", "minimum": 1, "maximum": 20}, description="At most this many (5).")
MAX_CLAIMS = 200


def annotation_url(annotation) -> str:
    return reverse("document-detail", args=[annotation.document_id]) + f"?annotation={annotation.pk}#a{annotation.pk}"


def _present(matches, project_id: int | None) -> list[dict]:
    return [present_similar(m, for_project_id=project_id, annotation_url=annotation_url) for m in matches]


def _listed(matches, project_id: int | None) -> Response:
    return Response({"threshold": SHOW_AT, "likely_threshold": LIKELY_AT, "results": _present(matches, project_id)})


class ClaimSimilarApi(APIView):
    @extend_schema(operation_id="claim_similar", parameters=[K], responses=s.SimilarListOut,
                   description="Already-checked claims (approved or published verdicts and imported fact-checks "
                   "of the desks you see) that this candidate claim repeats, best first; its own verdicts aside.",
                   )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request, "k")
        claim = access.claim_for_user(request.user, pk)
        k = _int_param(request.query_params, "k", 5, 1, 20)
        return _listed(similar.similar_to_claim(request.user, claim, k=k), claim.document.project_id)


class AnnotationSimilarApi(APIView):
    @extend_schema(operation_id="annotation_similar", parameters=[K], responses=s.SimilarListOut,
                   description="Already-checked claims that this annotation's quote repeats, best first (its own "
                   "verdict and others on the same claim aside).")  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request, "k")
        annotation = access.annotation_for_user(request.user, pk)
        k = _int_param(request.query_params, "k", 5, 1, 20)
        return _listed(similar.similar_to_annotation(request.user, annotation, k=k), annotation.document.project_id)


class SimilarSearchApi(APIView):
    @extend_schema(operation_id="similar_search", request=s.SimilarSearchIn, responses=s.SimilarListOut,
                   description="Already-checked claims similar to any text (a new highlight, a claim heard on air), "
                   "of every desk you see or of one (`project`).")  # fmt: skip
    def post(self, request: Request) -> Response:
        data = s.SimilarSearchIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        text = fields["text"].strip()
        if not text or "\x00" in text:
            raise ValidationError({"text": ["give the text to look up (not empty, no NUL)"]})
        project_id = None
        if "project" in fields:
            project_id = access.project_for_user(request.user, fields["project"]).pk
        matches = similar.similar_to_text(request.user, text, k=fields["k"], project_id=project_id)
        return _listed(matches, project_id)


class DocumentSimilarApi(APIView):
    @extend_schema(
        operation_id="document_similar",
        parameters=[OpenApiParameter("claims", str, required=True, description=f"Claim ids of this document, "
                                     f"comma-separated (at most {MAX_CLAIMS}): a page of the claim list."), K],
        responses=s.SimilarByClaimOut,
        description="`GET /claims/{id}/similar` for many candidate claims of one document in one request (the "
        "annotate page asks for each page of its list); claims with no match are left out.",
    )  # fmt: skip
    def get(self, request: Request, pk: int) -> Response:
        only_known(request, "claims", "k")
        document = access.document_for_user(request.user, pk)
        raw = request.query_params.get("claims", "")
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts or len(parts) > MAX_CLAIMS or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
            raise ValidationError({"claims": [f"give 1 to {MAX_CLAIMS} claim ids separated by commas"]})
        k = _int_param(request.query_params, "k", 3, 1, 20)
        claims = list(document.claims.filter(pk__in=[int(p) for p in parts]))
        found = similar.similar_many(request.user, similar.claim_queries(claims), k=k)
        rows = [{"claim": c.pk, "results": _present(found[c.pk], document.project_id)}
                for c in sorted(claims, key=lambda c: c.pk) if found[c.pk]]  # fmt: skip
        return Response({"threshold": SHOW_AT, "likely_threshold": LIKELY_AT, "claims": rows})


class ReferenceReuseApi(APIView):
    @extend_schema(operation_id="similar_reuse", parameters=[UNIT], request=s.ReuseIn,
                   responses={201: s.AnnotationOut},
                   description="Reuse an already-checked claim's verdict: a new draft of yours, on a candidate "
                   "claim (`claim`) or a span (`document`, `start`, `end`, `exact`), with its verdict, rationale and "
                   "evidence copied and `reused_from` recording the source. Check it, then submit it as usual. "
                   "One annotation per claim and author: 409 with `current` if you have one.")  # fmt: skip
    def post(self, request: Request, pk: int) -> Response:
        data = s.ReuseIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        if fields["claim"] is not None:
            claim = access.claim_for_user(request.user, fields["claim"])
            document = access.document_for_user(request.user, claim.document_id)
            start, end, exact = claim.start, claim.end, claim.text
        else:
            claim = None
            document = access.document_for_user(request.user, fields["document"])
            start, end = _to_codepoints(request, document, fields["start"], fields["end"])
            exact = fields["exact"]
        annotation = services.annotation_reuse(reference_id=pk, user=request.user, document=document, start=start,
                                               end=end, quote=exact, claim=claim)  # fmt: skip
        return _annotation_response(request, annotation.pk, status.HTTP_201_CREATED)


class ProjectClaimReviewImportApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_scope = "imports"

    @extend_schema(
        operation_id="project_claimreviews_import",
        request={"multipart/form-data": s.ClaimReviewImportIn, "application/json": {"type": "object"}},
        responses={200: s.ClaimReviewImportOut},
        description="Import fact-checks into the desk's reference set (editors and admins): schema.org ClaimReview "
        "JSON-LD as a multipart `file`, or as the JSON body itself — our `claimreview` export, or a public feed "
        "(one ClaimReview, an array, `@graph` or a DataFeed). Deduplicated by `url`; each item is reported "
        "(`imported`, `duplicate`, `failed` with the reason). Not ClaimReview at all: 400.",
    )  # fmt: skip
    def post(self, request: Request, slug: str) -> Response:
        project = access.project_for_user(request.user, slug, need=Role.EDITOR)
        if "file" in request.FILES:
            name, data = _uploaded_file(request)
        elif request.content_type.startswith("application/json"):
            import json

            name, data = "body", json.dumps(request.data)
        else:
            raise ValidationError({"file": ["attach the ClaimReview JSON-LD as the multipart field 'file'"]})
        report = services.claimreviews_import(project=project, user=request.user, data=data, source=name)
        body = {"file": name, "imported": report.imported, "duplicates": report.duplicates, "failed": report.failed,
                "results": report.results}  # fmt: skip
        if report.failed and not (report.imported or report.duplicates):
            reasons = "; ".join(f"item {r['item']}: {r['detail']}" for r in report.results[:5])
            return Response({"detail": f"{name}: nothing imported: {reasons}", **body}, status=400)
        return Response(body)
