"""'Checked before?' in headless Chromium (issue 14, done-when): both seed articles imported, the Maduro-letter
sentence judged and published in one; the other shows its matching sentence as already checked — on the
candidate list and on a new highlight — and reusing the verdict makes a linked draft. Nothing is mocked: the
page talks to the real API, the reference row is written by the (eager) worker task after the commit."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations import services, similar
from annotations.models import Annotation, Claim, ReferenceClaim
from annotations.tests.browser import browser_log_in

pytestmark = pytest.mark.browser

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
LETTER_A = "Leaked documents obtained by the Washington Post reveal that Maduro"
LETTER_B = "The Washington Post reported that Maduro wrote a letter"


def _import(project, name):
    title, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n")
    return services.document_import(project=project, title=title, body=body).document  # segmented on commit


def test_the_other_article_shows_the_letter_sentence_as_checked_before_and_reuse_makes_a_linked_draft(
    page, live_server, project, reviewer, other_reviewer, editor
):
    similar.reset_index()
    doc_a = _import(project, "putin-abandons-maduro-russia-evacuates-citizens.txt")
    doc_b = _import(project, "russias-role-in-venezuela-will-putin-save-maduro.txt")
    judged = Claim.objects.get(document=doc_a, text__startswith=LETTER_A)
    annotation = services.annotation_create(
        document=doc_a, author=reviewer, start=judged.start, end=judged.end, quote=judged.text, claim=judged,
        verdict="mostly_true", rationale="The Post saw the letter.",
        evidence=[{"url": "https://www.washingtonpost.com/letter", "title": "WaPo", "stance": "supports"}],
    )  # fmt: skip
    services.annotation_submit(annotation_id=annotation.pk, user=reviewer)
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="approve")
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="publish")
    reference = ReferenceClaim.objects.get(annotation=annotation, retired_at=None)  # written after the commit
    letter_b = Claim.objects.get(document=doc_b, text__startswith=LETTER_B)

    browser_log_in(page, live_server, "other_reviewer")
    page.goto(f"{live_server.url}/documents/{doc_b.pk}/?order=position")
    page.wait_for_selector("#annotate[data-state=ready][data-claims=ready]")
    entry = page.locator(f'#claim-list li[data-claim-id="{letter_b.pk}"]')
    box = entry.locator(".checked-before")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Mostly true")
    expect(box).to_contain_text("this desk")
    expect(box.locator("a")).to_have_attribute(
        "href", f"/documents/{doc_a.pk}/?annotation={annotation.pk}#a{annotation.pk}"
    )
    # exactly the listed entries that match an already-checked claim are marked, and no other
    listed = {int(i) for i in page.locator("#claim-list li[data-claim-id]").evaluate_all(
        "items => items.map((li) => li.dataset.claimId)")}  # fmt: skip
    marked = {int(i) for i in page.locator("#claim-list .checked-before").evaluate_all(
        "boxes => boxes.map((box) => box.dataset.claim)")}  # fmt: skip
    found = similar.similar_many(other_reviewer, similar.claim_queries(Claim.objects.filter(pk__in=listed)), k=3)
    assert letter_b.pk in marked and marked == {pk for pk, matches in found.items() if matches}

    # A new highlight of the same sentence: the panel says it was checked before.
    entry.locator(".claim-select").click()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-similar")).to_be_visible()
    expect(page.locator("#panel-similar-list li")).to_have_count(1)
    expect(page.locator("#panel-similar-list")).to_contain_text("Mostly true")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.locator("#annotation-panel")).to_be_hidden()

    entry.locator('button[data-action="reuse"]').click()
    expect(page.locator("#panel-title")).to_have_text("Edit annotation")
    expect(page.locator("#panel-verdicts input:checked")).to_have_value("mostly_true")
    expect(page.locator("#panel-rationale")).to_have_value("The Post saw the letter.")
    expect(page.locator("#panel-evidence a")).to_have_text("WaPo")
    expect(page.locator("#panel-meta")).to_contain_text("reused from an already-checked claim")

    draft = Annotation.objects.get(author=other_reviewer)
    assert (draft.status, draft.claim_id, draft.reused_from_id) == ("draft", letter_b.pk, reference.pk)
    assert (draft.verdict, draft.quote) == ("mostly_true", letter_b.text)
