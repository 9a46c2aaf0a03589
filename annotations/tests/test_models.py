import pytest
from django.db import IntegrityError, transaction

from annotations import services
from annotations.models import Annotation, Claim, Document, EvidenceLink, Membership
from annotations.tests.factories import DocumentFactory


def _violates(**kwargs):
    """True when saving an object with these arguments is refused by the database."""
    model = kwargs.pop("model")
    try:
        with transaction.atomic():
            model.objects.create(**kwargs)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("start", "end", "quote"),
    [
        pytest.param(5, 5, "", id="empty_span"),
        pytest.param(9, 4, "fell", id="end_before_start"),
        pytest.param(4, 9, "unemployment", id="quote_length_differs_from_span"),
    ],
)
def test_the_database_rejects_annotation_spans_that_cannot_be_right(document, reviewer, start, end, quote):
    assert _violates(model=Annotation, document=document, author=reviewer, start=start, end=end, quote=quote)
    assert Annotation.objects.count() == 0


def test_the_database_accepts_a_well_formed_annotation(document, reviewer):
    assert not _violates(model=Annotation, document=document, author=reviewer, start=4, end=16, quote="unemployment")


def test_the_database_rejects_an_unknown_verdict_or_status(document, reviewer):
    common = {"model": Annotation, "document": document, "author": reviewer, "start": 0, "end": 3, "quote": "The"}

    assert _violates(**common, verdict="pants_on_fire")
    assert _violates(**common, status="archived")


def test_claims_are_unique_per_span_and_must_match_their_text(document):
    Claim.objects.create(document=document, start=0, end=3, text="The", score=0.5)

    assert _violates(model=Claim, document=document, start=0, end=3, text="The")
    assert _violates(model=Claim, document=document, start=4, end=8, text="unemployment")
    assert _violates(model=Claim, document=document, start=4, end=3, text="")
    assert _violates(model=Claim, document=document, start=0, end=3, text="The", score=1.5)


def test_a_document_body_is_unique_per_project_and_never_empty(document):
    assert _violates(model=Document, project=document.project, title="Copy", body=document.body,
                     content_sha256=document.content_sha256)  # fmt: skip
    assert _violates(model=Document, project=document.project, title="Empty", body="", content_sha256="x")


def test_evidence_links_must_be_http_urls(document, reviewer):
    annotation = services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The")

    assert _violates(model=EvidenceLink, annotation=annotation, url="javascript:alert(1)", added_by=reviewer)
    assert not _violates(model=EvidenceLink, annotation=annotation, url="https://bls.gov/cps", added_by=reviewer)


def test_a_user_is_a_member_of_a_project_once(reviewer, project):
    assert _violates(model=Membership, user=reviewer, project=project, role="editor")


# ---- the annotation service validates the quote against the text -----------------------


def test_creating_an_annotation_stores_the_quote_with_its_context(document, reviewer):
    start = document.body.index("3.5 percent")

    annotation = services.annotation_create(
        document=document, author=reviewer, start=start, end=start + 11, quote="3.5 percent", verdict="mostly_true"
    )

    annotation.refresh_from_db()
    assert (annotation.quote, annotation.verdict, annotation.status, annotation.version) == (
        "3.5 percent", "mostly_true", "draft", 1
    )  # fmt: skip
    assert annotation.prefix.endswith("fell to ")
    assert annotation.suffix.startswith(" in 2019")


@pytest.mark.parametrize(
    ("start", "end", "quote", "message"),
    [
        pytest.param(0, 3, "the", "quote does not match", id="quote_mismatch"),
        pytest.param(0, 500, "The", "beyond the end of the text", id="past_the_end"),
        pytest.param(3, 3, "", "greater than start", id="empty"),
    ],
)
def test_the_annotation_service_rejects_a_quote_that_does_not_match_its_position(
    document, reviewer, start, end, quote, message
):
    with pytest.raises(services.AnnotationRejected, match=message):
        services.annotation_create(document=document, author=reviewer, start=start, end=end, quote=quote)

    assert Annotation.objects.count() == 0


def test_offsets_are_code_points_so_emoji_and_accents_count_once(project, reviewer):
    document = DocumentFactory(project=project, body="Café 😀 prices rose 中文 12%")
    start = document.body.index("prices")

    annotation = services.annotation_create(document=document, author=reviewer, start=start, end=start + 6,
                                            quote="prices")  # fmt: skip

    assert (annotation.start, annotation.end) == (7, 13)


def test_an_annotation_cannot_link_a_claim_of_another_document(document, reviewer, project):
    other_claim = Claim.objects.create(document=DocumentFactory(project=project), start=0, end=3, text="The")

    with pytest.raises(services.AnnotationRejected, match="another document"):
        services.annotation_create(document=document, author=reviewer, start=0, end=3, quote="The", claim=other_claim)


def test_the_sql_and_python_check_worthy_rules_agree_on_every_state_and_score(document):
    from itertools import product

    from annotations import selectors
    from annotations.domain.vocabulary import ClaimState, is_checkworthy

    cases = list(product(ClaimState.values, [None, 0.0, 0.49, 0.5, 0.51, 1.0]))
    for i, (state, score) in enumerate(cases):
        Claim.objects.create(document=document, start=i, end=i + 1, text=document.body[i], state=state, score=score)

    in_sql = {
        c.start: c.checkworthy for c in selectors.document_claims(document, include_dismissed=True, threshold=0.5)
    }
    in_python = {i: is_checkworthy(state=st, score=sc, threshold=0.5) for i, (st, sc) in enumerate(cases)}
    assert in_sql == in_python
    assert sum(in_python.values()) == 6 + 3  # every accepted claim, and candidates from 0.5 up
    counted = selectors.document_list(document.project, threshold=0.5).get().claim_count
    assert counted == sum(in_python.values())
