"""A corrected article in headless Chromium (issue 15, done-when): after the seed article is re-imported with an
inserted paragraph, a corrected sentence and a deleted one, the annotate page draws every highlight at its new
place, says what needs a re-check, lists the orphan with its old quote and lets its author place it by hand; the
diff page shows what changed. (The page talks to the real API; the re-anchoring task runs eagerly on commit.)"""

import pytest
from playwright.sync_api import expect

from annotations.domain.vocabulary import AnchorState
from annotations.models import Annotation, AuditEvent
from annotations.tests.browser import browser_log_in
from annotations.tests.test_annotate_browser import _highlighted_texts, _open, _select_utf16, _utf16
from annotations.tests.test_document_versions import QUOTES, annotate, corrected_seed, import_seed

pytestmark = pytest.mark.browser


@pytest.fixture
def updated(project, reviewer, editor):
    document = import_seed(project, editor).document  # segmented on commit (live server: real transactions)
    annotations = {name: annotate(document, reviewer, quote) for name, quote in QUOTES.items()}
    import_seed(project, editor, corrected_seed())  # version 2; re-anchored and re-segmented on commit
    document.refresh_from_db()
    return document, {name: Annotation.objects.get(pk=a.pk) for name, a in annotations.items()}


def test_after_a_corrected_reimport_every_highlight_is_at_its_new_place_and_the_orphan_is_placed_by_hand(
    page, live_server, reviewer, updated
):
    document, annotations = updated
    errors = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url')}") if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_log_in(page, live_server, "reviewer")
    _open(page, live_server, document)

    placed = sorted(a.quote for name, a in annotations.items() if name != "deleted")
    assert sorted(_highlighted_texts(page)) == placed  # the corrected words included; the orphan not drawn
    drawn = page.evaluate("() => [...window.__annotate.annotations.values()].filter((a) => a.range)"
                          ".map((a) => [a.id, a.start, a.end])")  # fmt: skip
    expected = {a.pk: (_utf16(document.body[: a.start]), _utf16(document.body[: a.end]))
                for name, a in annotations.items() if name != "deleted"}  # fmt: skip
    assert {pk: (start, end) for pk, start, end in drawn} == expected
    banner = page.locator("#version-banner")
    expect(banner).to_contain_text("Version 2 (updated")
    expect(banner).to_contain_text("1 annotation needs re-check, 1 could not be placed")
    expect(page.locator("#orphan-list li")).to_have_count(1)
    expect(page.locator("#orphan-list blockquote")).to_have_text(f"“{QUOTES['deleted']}”")
    expect(page.locator("#annotation-list .badge.changed")).to_have_count(1)

    page.locator("#orphan-list button[data-action=place]").click()
    expect(page.locator("#place-help")).to_be_visible()
    passage = "Russians currently in Venezuela will complete their stays"
    start = _utf16(document.body[: document.body.index(passage)])
    _select_utf16(page, start, start + _utf16(passage))
    page.locator("#place-confirm").click()
    expect(page.locator("#orphan-count")).to_have_text("0 could not be placed")  # the page reloaded
    page.wait_for_selector("#annotate[data-state=ready]")

    orphan = Annotation.objects.get(pk=annotations["deleted"].pk)
    assert (orphan.quote, orphan.anchor_state, orphan.document_version) == (passage, AnchorState.CHANGED, 2)
    assert AuditEvent.objects.filter(annotation_id=orphan.pk, actor=reviewer, comment__contains="by hand").exists()
    assert sorted(_highlighted_texts(page)) == sorted([*placed, passage])

    page.locator("#diff-link").click()
    page.wait_for_selector("#diff-body")
    assert page.locator("#diff-body del").first.is_visible()
    inserted = page.locator("#diff-body ins").all_inner_texts()
    deleted = page.locator("#diff-body del").all_inner_texts()
    assert "12" in inserted and "11" in deleted and any(t.startswith("Update, December 3") for t in inserted)
    assert any(t.startswith("Anna Podgornaya") for t in deleted)

    page.goto(f"{live_server.url}/documents/{document.pk}/?version=1")
    expect(page.locator("#version-note")).to_contain_text("Version 1 of 2")
    expect(page.locator("#document-body")).to_contain_text("Anna Podgornaya")
    assert [e for e in errors if not e.endswith("/favicon.ico")] == []  # nothing refused by the CSP, no script error


def test_an_editor_corrects_a_sentence_on_the_correct_page_and_the_highlight_follows(
    page, live_server, project, reviewer, editor
):
    document = import_seed(project, editor).document
    annotation = annotate(document, reviewer, QUOTES["later"])
    browser_log_in(page, live_server, "editor")
    _open(page, live_server, document)

    page.locator("#correct-link").click()
    text = page.locator("#id_body")
    expect(text).to_have_value(document.body)
    text.fill(document.body.replace("ATORUS", "ATOR-US, the tour operators' association,"))  # earlier: shifts it
    page.locator("#id_reason").fill("Named the association")
    page.get_by_role("button", name="Save as a new version").click()

    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.get_by_role("status").first).to_contain_text("Saved as version 2")
    expect(page.locator("#version-banner")).to_contain_text("0 annotations need re-check, 0 could not be placed")
    assert _highlighted_texts(page) == [QUOTES["later"]]
    annotation.refresh_from_db()
    document.refresh_from_db()
    assert document.body[annotation.start : annotation.end] == QUOTES["later"] and annotation.document_version == 2
