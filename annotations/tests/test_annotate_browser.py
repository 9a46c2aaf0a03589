"""The annotate page in headless Chromium against the live server: keyboard flow, teammates, conflicts,
emoji offsets and hostile input. (The page talks to the real REST API; nothing is mocked.)"""

from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from annotations import services
from annotations.models import Annotation, AnnotationStatus, Claim, ClaimState, EvidenceLink
from annotations.tests.factories import DocumentFactory

pytestmark = pytest.mark.browser

SEED = Path(__file__).resolve().parents[2] / "seeds" / "putin-abandons-maduro-russia-evacuates-citizens.txt"
HOSTILE = (
    '<script>window.__pwned = 1; alert("script")</script>'
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">"
    '<a href="javascript:alert(3)">click</a>'
)
INJECTED = ", ".join(
    f"{scope} {tag}"
    for scope in ("#document-body", "#annotation-panel", "#annotation-list", "#annotate-tooltip", "#annotate-status")
    for tag in ("img", "script", "iframe")
)


def _log_in(page, live_server, username: str) -> None:
    page.set_default_timeout(5000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def _open(page, live_server, document) -> None:
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready][data-claims=ready]")


def _select_utf16(page, start: int, end: int) -> None:
    """Focus the text and select [start, end) in UTF-16 units, as a mouse or Shift+arrows would."""
    page.locator("#document-body").focus()
    page.evaluate(
        """([s, e]) => {
            const body = document.getElementById('document-body');
            const nodes = [...body.childNodes];
            const at = (o) => { for (const n of nodes) { if (o <= n.length) return [n, o]; o -= n.length; } };
            getSelection().setBaseAndExtent(...at(s), ...at(e));
        }""",
        [start, end],
    )


def _char_center(page, offset: int) -> tuple[float, float]:
    """Viewport coordinates of the middle of the character at ``offset`` of the article."""
    return page.evaluate(
        """(o) => { const t = document.getElementById('document-body').firstChild; const r = new Range();
                    r.setStart(t, o); r.setEnd(t, o + 1); const b = r.getBoundingClientRect();
                    return [b.x + b.width / 2, b.y + b.height / 2]; }""",
        offset,
    )


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _highlighted_texts(page) -> list[str]:
    """The text under every registered highlight range of the verdict layers."""
    return page.evaluate(
        """() => [...CSS.highlights.entries()]
            .filter(([name]) => !['fc-overlap', 'fc-selected', 'fc-pending', 'fc-caret', 'fc-candidate'].includes(name))
            .flatMap(([, h]) => [...h].map((r) => { const x = new Range(); x.setStart(r.startContainer, r.startOffset);
                                                     x.setEnd(r.endContainer, r.endOffset); return x.toString(); }))"""
    )


@pytest.fixture
def seed_document(project):
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    return services.document_import(project=project, title=title, body=body).document  # segmented on commit


def test_a_reviewer_annotates_a_seed_sentence_with_the_keyboard_only_and_sees_it_after_reload(
    page, live_server, reviewer, seed_document
):
    claim = seed_document.claims.exclude(text__contains="\n").order_by("start").first()
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, seed_document)

    page.locator(f'#claim-list li[data-claim-id="{claim.pk}"] .claim-select').focus()
    page.keyboard.press("Enter")  # selects the sentence in the text, focus moves to the text
    page.keyboard.press("2")  # verdict shortcut: mostly true; the panel opens with the rationale focused
    page.keyboard.type("Two outlets confirm the flights.")
    page.get_by_label("URL (http or https)").fill("https://example.org/atorus-flights")
    page.get_by_label("Title").fill("ATORUS statement")
    page.get_by_label("Quoted passage").fill("special flights")
    page.get_by_label("Stance").select_option("supports")
    page.get_by_label("Rationale").press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: Mostly true')")

    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.end, annotation.quote) == (claim.start, claim.end, claim.text)
    assert annotation.verdict == "mostly_true" and annotation.claim_id == claim.pk
    assert annotation.rationale == "Two outlets confirm the flights."
    assert list(annotation.evidence.values_list("url", "title", "quoted_passage", "stance")) == [
        ("https://example.org/atorus-flights", "ATORUS statement", "special flights", "supports")
    ]
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.ACCEPTED

    page.reload()
    page.wait_for_selector("#annotate[data-state=ready]")
    assert _highlighted_texts(page) == [claim.text]
    page.locator("#annotation-list li .ann-open").first.click()
    link = page.locator("#panel-evidence a")
    assert link.inner_text() == "ATORUS statement"
    assert link.get_attribute("href") == "https://example.org/atorus-flights"
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"
    assert page.locator("#panel-verdicts input:checked").get_attribute("value") == "mostly_true"


def test_shift_arrow_keys_select_words_and_a_verdict_key_then_ctrl_enter_saves(page, live_server, reviewer, document):
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)

    page.locator("#document-body").focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    assert page.evaluate("getSelection().toString()") == "The unemployment"
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("getSelection().toString()") == "The unemployment r"
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("a")
    assert page.locator("#annotation-panel").is_visible()
    assert page.locator("#panel-quote").inner_text() == "The unemployment"
    page.keyboard.press("5")
    assert page.locator("#panel-verdicts input:checked").get_attribute("value") == "false"
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: False')")

    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.end, annotation.quote, annotation.verdict) == (
        0,
        16,
        "The unemployment",
        "false",
    )
    assert page.evaluate("document.activeElement.id") == "document-body"  # focus came back to the text


def test_a_teammate_sees_annotations_read_only_and_new_ones_arrive_without_reload(
    page, live_server, reviewer, other_reviewer, document
):
    first = services.annotation_create(
        document=document, author=reviewer, start=4, end=21, quote="unemployment rate", verdict="true",
        rationale="BLS data.", evidence=[{"url": "https://www.bls.gov/", "title": "BLS"}],
    )  # fmt: skip
    _log_in(page, live_server, "other_reviewer")
    _open(page, live_server, document)

    item = page.locator(f'#annotation-list li[data-id="{first.pk}"]')
    assert "reviewer · Draft" in item.inner_text()
    assert item.locator("[data-action=edit], [data-action=delete]").count() == 0
    page.mouse.move(*_char_center(page, 6))
    page.wait_for_selector("#annotate-tooltip:not([hidden])")
    assert "True" in page.locator("#annotate-tooltip").inner_text()
    assert "reviewer · Draft · 1 evidence" in page.locator("#annotate-tooltip").inner_text()

    item.locator(".ann-open").click()
    assert page.locator("#panel-title").inner_text() == "Annotation by reviewer (read-only)"
    assert page.locator("#panel-save").is_hidden() and page.locator("#panel-delete").is_hidden()
    assert all(radio.is_disabled() for radio in page.locator("#panel-verdicts input").all())
    assert page.get_by_label("Rationale").get_attribute("readonly") is not None
    page.keyboard.press("Escape")
    assert page.locator("#annotation-panel").is_hidden()

    lowest = document.body.index("lowest")
    second = services.annotation_create(
        document=document, author=reviewer, start=lowest, end=lowest + 6, quote="lowest", verdict="mixed"
    )
    page.evaluate("window.__annotate.pollNow()")
    page.wait_for_selector(f'#annotation-list li[data-id="{second.pk}"]')
    assert "1 new annotation from teammates" in page.locator("#annotate-status").inner_text()

    page.get_by_role("radio", name="Mine").check()
    expect(page.locator("#annotation-list li")).to_have_count(0)
    page.get_by_label("Reviewer to show").select_option("reviewer")
    expect(page.locator("#annotation-list li")).to_have_count(2)
    assert sorted(_highlighted_texts(page)) == ["lowest", "unemployment rate"]

    page.goto(f"{live_server.url}/documents/{document.pk}/?annotation={second.pk}#a{second.pk}")  # review queue link
    expect(page.locator("#panel-title")).to_have_text("Annotation by reviewer (read-only)")
    assert page.locator("#panel-quote").inner_text() == "lowest"


def test_saving_over_a_newer_version_shows_a_conflict_and_changes_nothing(page, live_server, reviewer, document):
    annotation = services.annotation_create(
        document=document, author=reviewer, start=4, end=21, quote="unemployment rate", verdict="mixed", rationale="v1"
    )
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)
    page.locator(f'#annotation-list li[data-id="{annotation.pk}"] [data-action=edit]').click()
    page.keyboard.press("5")  # focus is on the verdict radios
    Annotation.objects.filter(pk=annotation.pk).update(
        version=F("version") + 1, rationale="changed in another tab", updated_at=timezone.now()
    )

    page.keyboard.press("Control+Enter")

    conflict = page.locator("#panel-conflict")
    conflict.wait_for()
    assert "changed since you opened it" in conflict.inner_text()
    assert "changed in another tab" in conflict.inner_text() and "Mixed" in conflict.inner_text()
    stored = Annotation.objects.get(pk=annotation.pk)
    assert (stored.verdict, stored.rationale, stored.version) == ("mixed", "changed in another tab", 2)

    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_label("Rationale")).to_have_value("changed in another tab")
    expect(page.locator("#panel-meta")).to_contain_text("version 2")
    assert page.locator("#panel-verdicts input:checked").get_attribute("value") == "mixed"
    page.locator("#panel-verdicts input[value=false]").focus()
    page.keyboard.press("5")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: False')")
    stored.refresh_from_db()
    assert (stored.verdict, stored.rationale, stored.version) == ("false", "changed in another tab", 3)


def test_offsets_after_emoji_combining_accents_and_cjk_are_stored_as_code_points(page, live_server, reviewer, project):
    body = "Fans 😀 cheered 🎉🎉 at 東京 Dome. Cafe\u0301 prices rose 5 €. The stadium 🏟️ held 50,000 people."
    document = DocumentFactory(project=project, body=body)
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)

    target = "The stadium 🏟️ held 50,000 people."
    start = _utf16(body[: body.index(target)])
    _select_utf16(page, start, start + _utf16(target))
    page.keyboard.press("1")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: True')")
    # a selection ending between "e" and its combining accent snaps to the whole character
    accent_start = _utf16(body[: body.index("Cafe")])
    _select_utf16(page, accent_start, accent_start + 4)
    page.keyboard.press("Enter")
    page.keyboard.press("u")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: Unverifiable')")
    cjk = _utf16(body[: body.index("🎉🎉")])
    _select_utf16(page, cjk, cjk + _utf16("🎉🎉 at 東京"))
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: Mixed')")

    stored = {a.verdict: (a.start, a.end, a.quote) for a in Annotation.objects.all()}
    assert stored["true"] == (body.index(target), body.index(target) + len(target), target)
    assert stored["unverifiable"] == (body.index("Cafe"), body.index("Cafe") + 5, "Cafe\u0301")
    assert stored["mixed"] == (body.index("🎉🎉"), body.index("🎉🎉") + len("🎉🎉 at 東京"), "🎉🎉 at 東京")
    page.reload()
    page.wait_for_selector("#annotate[data-state=ready]")
    assert sorted(_highlighted_texts(page)) == sorted(quote for _, _, quote in stored.values())


def test_hostile_text_rationale_and_evidence_stay_inert_and_javascript_urls_are_refused(
    page, live_server, reviewer, other_reviewer, project
):
    document = DocumentFactory(project=project, title=HOSTILE, body=f"Intro line.\n{HOSTILE}\nLast line.")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)
    posts = []
    # every write; POST /api/v1/similar is the "Checked before?" lookup of the new highlight, a read
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST"
            and not request.url.endswith("/api/v1/similar") else None)  # fmt: skip

    start = _utf16("Intro line.\n")
    _select_utf16(page, start, start + len(HOSTILE))
    page.keyboard.press("4")
    page.keyboard.type(HOSTILE)
    page.get_by_label("URL (http or https)").fill("javascript:alert(document.cookie)")
    page.get_by_label("Title").fill(HOSTILE)
    page.get_by_role("button", name="Add link").click()
    assert "Only http:// and https://" in page.locator("#evidence-url-error").inner_text()
    page.get_by_label("Rationale").press("Control+Enter")
    assert "Only http:// and https://" in page.locator("#evidence-url-error").inner_text()
    assert posts == [] and Annotation.objects.count() == 0

    page.get_by_label("URL (http or https)").fill("https://example.org/ x")
    page.get_by_role("button", name="Add link").click()
    assert "spaces" in page.locator("#evidence-url-error").inner_text()
    page.get_by_label("URL (http or https)").fill('https://example.org/?q="><img/src=x/onerror=alert(4)>')
    page.get_by_label("Rationale").press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: Mostly false')")
    annotation = Annotation.objects.get()
    assert annotation.quote == HOSTILE and annotation.rationale == HOSTILE
    assert EvidenceLink.objects.get().title == HOSTILE

    for username in ("reviewer", "other_reviewer"):  # the author and a teammate both render it
        if username == "other_reviewer":
            page.context.clear_cookies()
            _log_in(page, live_server, username)
        _open(page, live_server, document)
        page.locator("#annotation-list .ann-open").first.click()
        assert page.locator("#panel-evidence a").inner_text() == HOSTILE
        assert page.locator("#panel-evidence a").get_attribute("href").startswith("https://example.org/")
        assert page.get_by_label("Rationale").input_value() == HOSTILE
        assert page.locator("#panel-quote").inner_text() == HOSTILE
        assert page.locator(INJECTED).count() == 0
        assert page.locator("#document-body").inner_text() == document.body
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_claims_are_accepted_or_dismissed_from_the_list_and_drafts_submitted_in_one_go(
    page, live_server, reviewer, document
):
    body = document.body
    worthy = Claim.objects.create(document=document, start=0, end=len(body), text=body, score=0.93)
    other = Claim.objects.create(document=document, start=0, end=3, text="The", score=0.1)
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)
    assert page.locator("#claim-list li").first.get_attribute("data-claim-id") == str(worthy.pk)  # by score
    assert "check-worthy" in page.locator(f'li[data-claim-id="{worthy.pk}"]').inner_text()

    page.locator(f'li[data-claim-id="{worthy.pk}"] [data-action=accept]').press("Enter")
    page.wait_for_selector("#panel-title:has-text('Edit annotation')")
    page.keyboard.press("3")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: Mixed')")
    page.locator(f'li[data-claim-id="{other.pk}"] [data-action=dismiss]').press("Enter")
    dismissed = page.locator(f'li[data-claim-id="{other.pk}"]')
    expect(dismissed).to_contain_text("Dismissed by reviewer")  # who, and a way back
    assert Claim.objects.get(pk=other.pk).decided_by == reviewer
    dismissed.get_by_role("button", name="Undo").click()
    expect(dismissed.get_by_role("button", name="Dismiss")).to_be_focused()
    assert Claim.objects.get(pk=other.pk).state == ClaimState.CANDIDATE
    dismissed.get_by_role("button", name="Dismiss").click()
    expect(dismissed).to_contain_text("Dismissed by reviewer")
    page.get_by_role("button", name="Submit all my drafts").click()
    page.wait_for_selector("#annotate-status:has-text('Submitted 1 draft')")

    annotation = Annotation.objects.get()
    assert (annotation.claim_id, annotation.verdict, annotation.status) == (
        worthy.pk,
        "mixed",
        AnnotationStatus.SUBMITTED,
    )
    assert Claim.objects.get(pk=worthy.pk).state == ClaimState.ACCEPTED
    assert Claim.objects.get(pk=other.pk).state == ClaimState.DISMISSED
    assert "Submitted" in page.locator(f'#annotation-list li[data-id="{annotation.pk}"]').inner_text()
    # Annotate on the claim I annotated opens my annotation; it never makes a second one.
    page.keyboard.press("Escape")
    page.locator(f'li[data-claim-id="{worthy.pk}"]').get_by_role("button", name="Open mine").click()
    expect(page.locator("#panel-title")).to_contain_text("annotation")
    assert Annotation.objects.count() == 1


def test_moving_my_annotation_to_the_selected_text_patches_its_span_and_a_stale_move_shows_the_conflict(
    page, live_server, reviewer, document
):
    annotation = services.annotation_create(
        document=document, author=reviewer, start=4, end=21, quote="unemployment rate", verdict="mixed", rationale="r"
    )
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)
    page.locator(f'#annotation-list li[data-id="{annotation.pk}"] [data-action=edit]').click()
    expect(page.get_by_role("button", name="Move to selection")).to_be_visible()

    page.keyboard.press("Alt+m")  # nothing selected yet: the status says how
    expect(page.locator("#annotate-status")).to_contain_text("Nothing selected: select the new passage")
    assert Annotation.objects.get(pk=annotation.pk).version == 1

    start = document.body.index("3.5 percent")
    _select_utf16(page, start, start + len("3.5 percent"))
    page.get_by_role("button", name="Move to selection").click()
    expect(page.locator("#annotate-status")).to_contain_text("Moved to “3.5 percent”")

    stored = Annotation.objects.get(pk=annotation.pk)
    assert (stored.start, stored.end, stored.quote, stored.verdict, stored.version) == (
        start,
        start + len("3.5 percent"),
        "3.5 percent",
        "mixed",
        2,
    )
    assert page.locator("#panel-quote").inner_text() == "3.5 percent"
    page.wait_for_function("() => [...CSS.highlights.get('fc-mixed')].length === 1")
    assert _highlighted_texts(page) == ["3.5 percent"]

    fell = document.body.index("fell")  # left of the panel
    page.mouse.move(*_char_center(page, fell))  # a selection made with the mouse keeps the edit panel open
    page.mouse.down()
    _select_utf16(page, fell, fell + len("fell"))
    page.mouse.up()
    expect(page.locator("#annotate-status")).to_contain_text("Selection ready")
    assert page.locator("#panel-title").inner_text() == "Edit annotation"

    Annotation.objects.filter(pk=annotation.pk).update(version=F("version") + 1, updated_at=timezone.now())
    lowest = document.body.index("lowest")
    _select_utf16(page, lowest, lowest + len("lowest"))
    page.keyboard.press("m")  # in the text, M moves the open annotation too
    conflict = page.locator("#panel-conflict")
    expect(conflict).to_contain_text("changed since you opened it")
    assert "“lowest”" in conflict.inner_text()
    stored.refresh_from_db()
    assert (stored.quote, stored.version) == ("3.5 percent", 3)


def test_editing_a_saved_evidence_link_in_the_panel_patches_it_after_client_and_server_validation(
    page, live_server, reviewer, document
):
    annotation = services.annotation_create(
        document=document, author=reviewer, start=4, end=21, quote="unemployment rate", verdict="true",
        evidence=[{"url": "https://www.bls.gov/", "title": "BLS"}],
    )  # fmt: skip
    link = annotation.evidence.get()
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)
    patches = []
    page.on("request", lambda request: patches.append(request.url) if request.method == "PATCH" else None)
    page.locator(f'#annotation-list li[data-id="{annotation.pk}"] [data-action=edit]').click()
    page.get_by_role("button", name="Edit evidence BLS").click()

    url = page.locator(f"#evidence-edit-url-{link.pk}")
    expect(url).to_be_focused()
    url.fill("javascript:alert(1)")
    page.get_by_role("button", name="Save link").click()
    expect(page.locator(f"#evidence-edit-error-{link.pk}")).to_contain_text("Only http:// and https://")
    assert patches == []

    url.fill("https://intranet/report")  # passes the browser's check, refused by the server (400)
    url.press("Enter")
    expect(page.locator(f"#evidence-edit-error-{link.pk}")).to_contain_text("Evidence not saved: evidence URL")
    assert EvidenceLink.objects.get(pk=link.pk).url == "https://www.bls.gov/"

    url.fill("https://www.bls.gov/cps/")
    page.locator(f"#evidence-edit-title-{link.pk}").fill("CPS table")
    page.locator(f"#evidence-edit-passage-{link.pk}").fill("3.5 percent")
    page.locator(f"#evidence-edit-stance-{link.pk}").select_option("refutes")
    page.get_by_role("button", name="Save link").click()
    expect(page.locator("#annotate-status")).to_contain_text("Evidence updated: CPS table")

    stored = EvidenceLink.objects.get(pk=link.pk)
    assert (stored.url, stored.title, stored.quoted_passage, stored.stance) == (
        "https://www.bls.gov/cps/",
        "CPS table",
        "3.5 percent",
        "refutes",
    )
    assert page.locator("#panel-evidence a").inner_text() == "CPS table"
    assert page.locator("#panel-evidence a").get_attribute("href") == "https://www.bls.gov/cps/"
    assert Annotation.objects.get(pk=annotation.pk).version == 1  # evidence edits do not bump the version
    assert len(patches) == 2 and all(f"/api/v1/evidence/{link.pk}/" in u for u in patches)


def test_a_verdict_imported_from_another_desk_shows_its_writer_and_is_not_the_importers_own(
    page, live_server, reviewer, document
):
    imported = services.annotation_create(document=document, author=reviewer, start=4, end=21,
                                          quote="unemployment rate", verdict="false")  # fmt: skip
    Annotation.objects.filter(pk=imported.pk).update(original_author="ghostwriter")  # as the desk import stores it
    _log_in(page, live_server, "reviewer")
    _open(page, live_server, document)

    item = page.locator(f'#annotation-list li[data-id="{imported.pk}"]')
    assert "ghostwriter (imported) · Draft" in item.inner_text()
    assert item.locator("[data-action=edit], [data-action=delete]").count() == 0
    page.get_by_role("radio", name="Mine").check()
    expect(page.locator("#annotation-list li")).to_have_count(0)
    page.get_by_role("radio", name="Everyone").check()
    item.locator(".ann-open").click()
    assert page.locator("#panel-title").inner_text() == "Annotation by ghostwriter (imported) (read-only)"
