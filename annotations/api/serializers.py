"""Input validation, and the output shapes for the OpenAPI schema only (``presenters.py`` builds the
responses; ``test_api`` checks that both agree). Offsets in/out may be UTF-16 (``?unit=utf16``)."""

import re

from rest_framework import serializers

from annotations.domain.verdicts import Verdict
from annotations.domain.workflow import TRANSITIONS
from annotations.models import (
    AnchoringStatus,
    AnchorState,
    AnnotationStatus,
    ClaimState,
    LinkStatus,
    Role,
    SegmentationStatus,
    Stance,
    UrlImportStatus,
)


class StrictCharField(serializers.CharField):
    """A text field that takes JSON strings only: DRF's own turns ``{"text": 0}`` into ``"0"``, so a client's
    wrong type would be stored instead of refused."""

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


Text = StrictCharField


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = StrictCharField()


class ProjectOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = StrictCharField()
    description = StrictCharField()
    guidelines = StrictCharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text="The caller's role on this desk.")


class ProjectCreateIn(serializers.Serializer):
    name = StrictCharField(max_length=200)
    slug = StrictCharField(max_length=100, help_text="Lowercase letters, digits and inner hyphens.")
    description = Text(required=False, allow_blank=True, default="", max_length=20_000)
    guidelines = Text(required=False, allow_blank=True, default="", max_length=20_000)
    publisher_name = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    publisher_url = StrictCharField(required=False, allow_blank=True, default="", max_length=500)
    blind_review = serializers.BooleanField(required=False, default=False)


class ProjectUpdateIn(serializers.Serializer):
    name = StrictCharField(required=False, max_length=200)
    blind_review = serializers.BooleanField(required=False, help_text="Reviewers see others' verdicts on a claim "
                                            "only once they have submitted their own.")  # fmt: skip
    publisher_name = StrictCharField(required=False, allow_blank=True, max_length=200)
    publisher_url = StrictCharField(required=False, allow_blank=True, max_length=500)
    description = Text(required=False, allow_blank=True, max_length=20_000)
    guidelines = Text(required=False, allow_blank=True, max_length=20_000)


class MemberOut(serializers.Serializer):
    user = UserOut()
    email = StrictCharField(allow_null=True, help_text="Shown to the desk's admins only.")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField()
    invitation_pending = serializers.BooleanField(help_text="Invited by e-mail and has not chosen a password yet.")


class MemberListOut(serializers.Serializer):
    results = MemberOut(many=True)


class MemberInviteIn(serializers.Serializer):
    user = StrictCharField(max_length=254, help_text="A username, or an e-mail address (a new account is "
                                 "created and sent a link to choose a password).")  # fmt: skip
    role = serializers.ChoiceField(choices=Role.choices, default=Role.REVIEWER)


class MemberRoleIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class DocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.SlugField()
    title = StrictCharField()
    body = StrictCharField(required=False, help_text="Left out with ?body=false.")
    length = serializers.IntegerField()
    source_url = StrictCharField()
    author = StrictCharField()
    published_at = serializers.DateTimeField(allow_null=True)
    segmentation_status = serializers.ChoiceField(choices=SegmentationStatus.choices)
    segmenter_version = StrictCharField()
    done_at = serializers.DateTimeField(allow_null=True, help_text="When an editor marked it fully checked.")
    imported_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    set_aside = serializers.IntegerField(
        required=False, help_text="Characters the boilerplate rules set aside at import (kept); not with ?body=false."
    )
    version = serializers.IntegerField(help_text="The version of the text given here (`?version=N`; default the "
                                       "current one).")  # fmt: skip
    current_version = serializers.IntegerField(help_text="The document's current version (its text is `body` "
                                               "unless an older one was asked for).")  # fmt: skip
    anchoring_status = serializers.ChoiceField(
        choices=AnchoringStatus.choices, help_text="Placing the annotations on the current version (after a new one)."
    )


class DocumentSummaryOut(DocumentOut):
    body = None
    set_aside = None


class DocumentImportOut(DocumentOut):
    duplicate_of = serializers.IntegerField(required=False, help_text="The same text is this document already.")
    new_version_of = serializers.IntegerField(required=False, help_text="The same source URL with other text: "
                                              "stored as a new version of this document.")  # fmt: skip


class DocumentVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = StrictCharField(allow_null=True, help_text="Who stored it (null: an import by a command).")
    reason = StrictCharField()
    length = serializers.IntegerField()
    sha256 = StrictCharField()
    current = serializers.BooleanField()


class DocumentVersionListOut(serializers.Serializer):
    results = DocumentVersionOut(many=True)


class DocumentVersionIn(serializers.Serializer):
    body = Text(trim_whitespace=False, max_length=10_000_000, help_text="The new text (cleaned as an import is).")
    reason = StrictCharField(required=False, allow_blank=True, default="", max_length=500)


class DocumentNewVersionOut(DocumentOut):
    new_version_of = serializers.IntegerField(required=False, help_text="Set when a new version was stored.")
    unchanged = serializers.BooleanField(required=False, help_text="The same text as the current version: "
                                         "nothing was stored.")  # fmt: skip


class DiffOpOut(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = StrictCharField()


# "from" is a Python keyword: the class is built with type() so that the field keeps its name.
DocumentDiffOut = type("DocumentDiffOut", (serializers.Serializer,), {
    "__module__": __name__,
    "document": serializers.IntegerField(),
    "from": serializers.IntegerField(help_text="The older version compared."),
    "to": serializers.IntegerField(help_text="The newer version compared."),
    "inserted": serializers.IntegerField(help_text="Characters inserted."),
    "deleted": serializers.IntegerField(help_text="Characters deleted."),
    "changes": serializers.IntegerField(help_text="Changed stretches of text."),
    "ops": DiffOpOut(many=True, help_text="In order: joining equal+delete gives the old text, equal+insert the new."),
})  # fmt: skip


class AnnotationPlaceIn(serializers.Serializer):
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=0)
    exact = Text(trim_whitespace=False, max_length=100_000)


class DocumentCreateIn(serializers.Serializer):
    project = serializers.SlugField()
    title = StrictCharField(max_length=2000)
    body = Text(trim_whitespace=False, max_length=10_000_000)
    source_url = StrictCharField(required=False, allow_blank=True, default="", max_length=2000)
    author = StrictCharField(required=False, allow_blank=True, default="", max_length=300)
    published_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class DoneIn(serializers.Serializer):
    done = serializers.BooleanField()


class DocumentUpdateIn(serializers.Serializer):
    title = StrictCharField(required=False, max_length=2000)
    source_url = StrictCharField(required=False, allow_blank=True, max_length=2000)
    author = StrictCharField(required=False, allow_blank=True, max_length=300)
    published_at = serializers.DateTimeField(required=False, allow_null=True)


class ThreadEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    author = StrictCharField(allow_null=True)
    kind = serializers.ChoiceField(choices=["review", "comment"], help_text="A review action's comment, or a reply.")
    from_status = StrictCharField(help_text="review: the status before the action.")
    to_status = StrictCharField(help_text="review: the status it moved to.")
    text = StrictCharField()


class ThreadOut(serializers.Serializer):
    results = ThreadEntryOut(many=True)


class CommentIn(serializers.Serializer):
    text = Text(max_length=5000)


class UploadedDocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = StrictCharField()
    url = StrictCharField(help_text="The document's annotate page.")
    length = serializers.IntegerField()
    set_aside = serializers.IntegerField(help_text="Characters the boilerplate rules set aside (kept, not lost).")
    segmentation_status = serializers.ChoiceField(choices=SegmentationStatus.choices)


class UploadResultOut(serializers.Serializer):
    source = StrictCharField(help_text="The file, and the line or item for .jsonl/.json.")
    status = serializers.ChoiceField(choices=["imported", "new_version", "duplicate", "failed"])
    detail = StrictCharField(help_text="Why it failed (empty otherwise).")
    document = UploadedDocumentOut(allow_null=True, help_text="The new document, or the one with the same text.")


class UploadOut(serializers.Serializer):
    file = StrictCharField()
    imported = serializers.IntegerField()
    new_versions = serializers.IntegerField(help_text="Articles stored as a new version of a document.")
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = UploadResultOut(many=True)


class BulkArticleIn(serializers.Serializer):
    """One article of a bulk import (a JSON array of these, or JSON Lines with one a line)."""

    title = StrictCharField(max_length=2000)
    body = Text(trim_whitespace=False, help_text="The article's text (`text` is read too).")
    source_url = StrictCharField(required=False, allow_blank=True, help_text="`url` is read too.")
    author = StrictCharField(required=False, allow_blank=True)
    published_at = serializers.DateTimeField(required=False, allow_null=True)


class BulkImportOut(serializers.Serializer):
    imported = serializers.IntegerField()
    new_versions = serializers.IntegerField(help_text="Articles stored as a new version of a document.")
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = UploadResultOut(many=True, help_text="One per article, in the order sent; `source` is `bulk.json[i]` "
                              "(0-based item) or `bulk.jsonl:n` (line).")  # fmt: skip


class UploadIn(serializers.Serializer):
    file = serializers.FileField(help_text=".txt, .json, .jsonl, .html or .htm")


class ClaimOut(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = StrictCharField()
    score = serializers.FloatField(allow_null=True)
    origin = StrictCharField()
    state = serializers.ChoiceField(choices=ClaimState.choices)
    checkworthy = serializers.BooleanField()
    occurrences = serializers.IntegerField(help_text="Claims of the document with the same text (this one included).")
    decided_by = StrictCharField(allow_null=True, help_text="Who accepted or dismissed it.")
    decided_at = serializers.DateTimeField(allow_null=True)
    my_annotation = serializers.IntegerField(allow_null=True, help_text="The caller's annotation of this claim.")
    anchor_state = serializers.ChoiceField(choices=AnchorState.choices, help_text="changed: its words changed in a "
                                           "new version of the text.")  # fmt: skip


class LinkCheckOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=LinkStatus.choices)
    http_status = serializers.IntegerField(allow_null=True)
    final_url = StrictCharField(help_text="Where the link led, after redirects.")
    title = StrictCharField(help_text="The page's title.")
    detail = StrictCharField(help_text="Why it is broken or was refused.")
    checked_at = serializers.DateTimeField()


class UrlImportIn(serializers.Serializer):
    url = StrictCharField(max_length=2000)


class UrlImportDocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = StrictCharField()
    url = StrictCharField()


class UrlImportOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = StrictCharField()
    status = serializers.ChoiceField(choices=UrlImportStatus.choices)
    error = StrictCharField()
    duplicate = serializers.BooleanField()
    document = UrlImportDocumentOut(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class EvidenceIn(serializers.Serializer):
    url = StrictCharField(max_length=2000)
    title = StrictCharField(required=False, allow_blank=True, default="", max_length=500)
    quoted_passage = Text(required=False, allow_blank=True, default="", trim_whitespace=False, max_length=20_000)
    stance = serializers.ChoiceField(choices=Stance.choices, required=False, default=Stance.CONTEXT)


class EvidenceUpdateIn(serializers.Serializer):
    url = StrictCharField(required=False, max_length=2000)
    title = StrictCharField(required=False, allow_blank=True, max_length=500)
    quoted_passage = Text(required=False, allow_blank=True, trim_whitespace=False, max_length=20_000)
    stance = serializers.ChoiceField(choices=Stance.choices, required=False)


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = StrictCharField()
    title = StrictCharField()
    quoted_passage = StrictCharField()
    stance = StrictCharField()
    added_by = UserOut()
    added_at = serializers.DateTimeField()
    link_check = LinkCheckOut(allow_null=True, help_text="What the link answered when the worker checked it.")


class QuoteOut(serializers.Serializer):
    exact = StrictCharField()
    prefix = StrictCharField()
    suffix = StrictCharField()


class AnnotationOut(serializers.Serializer):
    id = serializers.IntegerField()
    document = serializers.IntegerField()
    author = UserOut()
    original_author = StrictCharField(help_text="Imported from another desk: who wrote it there.")
    claim = serializers.IntegerField(allow_null=True)
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    quote = QuoteOut()
    verdict = StrictCharField()
    verdict_label = StrictCharField()
    rationale = StrictCharField()
    status = serializers.ChoiceField(choices=AnnotationStatus.choices)
    version = serializers.IntegerField()
    document_version = serializers.IntegerField(help_text="The version of the document's text start/end refer to.")
    anchor_state = serializers.ChoiceField(
        choices=AnchorState.choices, help_text="ok; changed (its words changed in a new version: re-check); "
        "orphaned (not placed on the current text: start/end and quote are those of `document_version`)."
    )  # fmt: skip
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    can_edit = serializers.BooleanField()
    evidence = EvidenceOut(many=True)
    reused_from = serializers.IntegerField(allow_null=True, help_text="The already-checked claim (`/similar` "
                                           "result id) whose verdict this one started from.")  # fmt: skip


class AnnotationCreateIn(serializers.Serializer):
    document = serializers.IntegerField()
    start = serializers.IntegerField(min_value=0)
    end = serializers.IntegerField(min_value=0)
    exact = Text(trim_whitespace=False, max_length=100_000)
    prefix = Text(required=False, allow_blank=True, trim_whitespace=False, max_length=1000)
    suffix = Text(required=False, allow_blank=True, trim_whitespace=False, max_length=1000)
    verdict = serializers.ChoiceField(choices=[*Verdict.choices, ("", "No verdict yet")], required=False, default="")
    rationale = Text(required=False, allow_blank=True, default="", trim_whitespace=False, max_length=50_000)
    claim = serializers.IntegerField(required=False, allow_null=True, default=None)
    evidence = EvidenceIn(many=True, required=False, default=list)


_PLAIN_TEXT = re.compile(r"[^\x00\ud800-\udfff]*")  # what a text field takes: no NUL, no lone surrogate
_CREATE_TEXTS = {"exact": (1, 100_000), "prefix": (0, 1000), "suffix": (0, 1000), "rationale": (0, 50_000)}
_CREATE_VERDICTS = frozenset([*Verdict.values, ""])


def annotation_create_fields(data) -> dict | None:
    """``AnnotationCreateIn``'s validated data for a span write whose every field is plainly valid (integers,
    strings within their limits, a known verdict, no evidence) — the common case, read without building the
    serializer and its fields on every request (a span write's hot path). None: anything else, which the serializer
    answers (its values, or its 400 and messages)."""
    if type(data) is not dict or data.get("evidence", []) != []:
        return None
    fields = {"document": data.get("document"), "start": data.get("start"), "end": data.get("end")}
    if not all(type(value) is int for value in fields.values()) or fields["start"] < 0 or fields["end"] < 0:
        return None
    for name, (shortest, longest) in _CREATE_TEXTS.items():
        if name in data:
            value = data[name]
            if type(value) is not str or not shortest <= len(value) <= longest or not _PLAIN_TEXT.fullmatch(value):
                return None
            fields[name] = value
        elif shortest:
            return None
    verdict, claim = data.get("verdict", ""), data.get("claim")
    if type(verdict) is not str or verdict not in _CREATE_VERDICTS or not (claim is None or type(claim) is int):
        return None
    return {**fields, "verdict": verdict, "rationale": fields.get("rationale", ""), "claim": claim, "evidence": []}


class AnnotationUpdateIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    verdict = serializers.ChoiceField(choices=[*Verdict.choices, ("", "No verdict yet")], required=False)
    rationale = Text(required=False, allow_blank=True, trim_whitespace=False, max_length=50_000)
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=0)
    exact = Text(required=False, trim_whitespace=False, max_length=100_000)

    def validate(self, data):
        span = [key for key in ("start", "end", "exact") if key in data]
        if span and len(span) != 3:
            raise serializers.ValidationError("to move an annotation send start, end and exact together")
        return data


class VersionIn(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False)


class TransitionIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(TRANSITIONS))
    comment = StrictCharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    verdict = serializers.ChoiceField(choices=Verdict.choices, required=False)
    rationale = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    supersede = serializers.BooleanField(required=False, default=False, help_text="publish/correct: retract the "
                                         "published verdicts on the same claim that contradict this one.")  # fmt: skip


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = StrictCharField(allow_null=True)
    action = StrictCharField()
    object_type = StrictCharField()
    object_id = serializers.IntegerField()
    annotation = serializers.IntegerField(allow_null=True)
    document = serializers.IntegerField(allow_null=True)
    from_status = StrictCharField()
    to_status = StrictCharField()
    changes = serializers.JSONField()
    comment = StrictCharField()
    summary = StrictCharField(
        help_text='What happened, as people say it ("corrected the verdict: Mostly true → False").'
    )


# ---- list envelopes (what list endpoints return) -------------------------------------------------


class DeskRoleOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = StrictCharField()
    role = serializers.ChoiceField(choices=Role.choices)


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = StrictCharField()
    is_site_admin = serializers.BooleanField(help_text="May create desks and use every desk's admin pages.")
    desks = DeskRoleOut(many=True, help_text="The desks the caller sees, with its role in each.")


class ProjectListOut(serializers.Serializer):
    results = ProjectOut(many=True)


class _Page(serializers.Serializer):
    next = StrictCharField(allow_null=True, help_text="Cursor of the next page; null when this is the last.")
    sync = StrictCharField(
        allow_null=True, help_text="Cursor after the last row: poll with it to get only what changed since."
    )


class DocumentListOut(_Page):
    results = DocumentSummaryOut(many=True)


class ClaimListOut(serializers.Serializer):
    results = ClaimOut(many=True)
    next = StrictCharField(allow_null=True, help_text="Cursor of the next page (null: this is the last).")
    count = serializers.IntegerField(help_text="Claims matching the filters, on every page.")


class AnnotationListOut(_Page):
    results = AnnotationOut(many=True)
    deleted = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of annotations deleted after the cursor."
    )


class AuditEventListOut(_Page):
    results = AuditEventOut(many=True)


# ---- "Checked before?" (issue 14) ----------------------------------------------------------------------------


class SimilarDeskOut(serializers.Serializer):
    slug = StrictCharField()
    name = StrictCharField()


class SimilarDocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = StrictCharField()


class SimilarOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The already-checked claim (reuse it: POST /api/v1/similar/{id}/reuse).")
    score = serializers.FloatField(help_text="Similarity 0–1 (shared words weighted by rarity); the same scale for "
                                   "every query.")  # fmt: skip
    likely = serializers.BooleanField(help_text="Likely the same claim (score over the calibrated bar).")
    duplicate = serializers.BooleanField(help_text="Near-identical wording.")
    text = StrictCharField()
    source = serializers.ChoiceField(choices=[("verdict", "verdict"), ("claimreview", "claimreview")])
    verdict = StrictCharField(help_text="Our scale, or empty when an imported rating is not on it.")
    verdict_label = StrictCharField()
    rationale = StrictCharField()
    status = StrictCharField(help_text="approved or published (a verdict of a desk); empty for an imported one.")
    desk = SimilarDeskOut()
    same_desk = serializers.BooleanField()
    annotation = serializers.IntegerField(allow_null=True)
    document = SimilarDocumentOut(allow_null=True)
    url = StrictCharField(help_text="Where to read it: the annotate page at the verdict, or the fact-check's page.")
    publisher = StrictCharField()
    published_at = serializers.DateTimeField(allow_null=True)


class SimilarListOut(serializers.Serializer):
    threshold = serializers.FloatField(help_text="The score a result needs to be listed.")
    likely_threshold = serializers.FloatField()
    results = SimilarOut(many=True)


class SimilarForClaimOut(serializers.Serializer):
    claim = serializers.IntegerField()
    results = SimilarOut(many=True)


class SimilarByClaimOut(serializers.Serializer):
    threshold = serializers.FloatField()
    likely_threshold = serializers.FloatField()
    claims = SimilarForClaimOut(many=True)


class SimilarSearchIn(serializers.Serializer):
    text = Text(max_length=5000, help_text="The sentence or passage to look up.")
    project = Text(required=False, help_text="Only already-checked claims of this desk (slug).")
    k = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)


class ReuseIn(serializers.Serializer):
    claim = serializers.IntegerField(required=False, allow_null=True, default=None,
                                     help_text="A candidate claim: the draft covers its span.")  # fmt: skip
    document = serializers.IntegerField(required=False, help_text="With start, end, exact: a span of this document.")
    start = serializers.IntegerField(required=False, min_value=0)
    end = serializers.IntegerField(required=False, min_value=0)
    exact = Text(required=False, trim_whitespace=False, max_length=100_000)

    def validate(self, attrs):
        span = [name for name in ("document", "start", "end", "exact") if name in attrs]
        if attrs.get("claim") is None and len(span) != 4:
            raise serializers.ValidationError("give a claim, or a document with start, end and exact")
        if attrs.get("claim") is not None and span:
            raise serializers.ValidationError("give a claim or a span, not both")
        return attrs


class ClaimReviewImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="schema.org ClaimReview JSON-LD: our claimreview export or a feed.")


class ClaimReviewResultOut(serializers.Serializer):
    item = serializers.IntegerField(help_text="Position of the item in the file (1-based).")
    status = serializers.ChoiceField(choices=[("imported", "imported"), ("duplicate", "duplicate"),
                                              ("failed", "failed")])  # fmt: skip
    detail = StrictCharField()
    reference = serializers.IntegerField(allow_null=True)


class ClaimReviewImportOut(serializers.Serializer):
    file = StrictCharField()
    imported = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = ClaimReviewResultOut(many=True)
