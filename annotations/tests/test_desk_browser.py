"""A desk runs in the browser, as a new team would use it (headless Chromium against the live server, real REST API):
a site admin creates the desk and invites people; the editor drops files on the desk page and sees a result per file
while the list fills without a reload; a reviewer finds the work and annotates; the editor exports approved verdicts
from the menu."""

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from annotations import services
from annotations.domain.vocabulary import AnnotationStatus, Role, SegmentationStatus
from annotations.models import Annotation, Document, Membership, Project
from annotations.tests.browser import browser_log_in
from annotations.tests.factories import DocumentFactory, UserFactory
from annotations.tests.local_site import LOCAL

pytestmark = pytest.mark.browser
User = get_user_model()
FIXTURES = Path(__file__).parent / "fixtures"
SEED = Path(__file__).resolve().parents[2] / "seeds" / "russias-role-in-venezuela-will-putin-save-maduro.txt"
# Screenshots land in a temporary folder; SCREENSHOTS_DIR=docs writes the README's pictures.
DOCS = Path(os.environ.get("SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="desk-screenshots-"))


_log_in = browser_log_in


def _drop_files(page, files: list[tuple[str, str, bytes]]) -> None:
    """What dragging files from the desktop onto the page does: dragenter, dragover and drop with a DataTransfer
    holding the files (Playwright cannot reach the OS's drag source, so the events carry real File objects)."""
    payload = [{"name": name, "type": mime, "data": list(data)} for name, mime, data in files]
    page.evaluate(
        """(files) => {
            const dt = new DataTransfer();
            for (const f of files) dt.items.add(new File([new Uint8Array(f.data)], f.name, { type: f.type }));
            const target = document.querySelector('#documents-h');
            for (const type of ['dragenter', 'dragover', 'drop']) {
                target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
            }
        }""",
        payload,
    )


def _accept_invitation(page, live_server, message, password: str) -> str:
    """Follow the invitation e-mail's link, choose a password; returns the username the e-mail gave."""
    username = re.search(r"Your username is (\S+)\.", message.body).group(1)
    link = re.search(r"https?://\S+", message.body).group(0)
    page.context.clear_cookies()
    assert link.startswith(live_server.url)  # the site's own address (SITE_URL, else the request's)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password confirmation").fill(password)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="Password saved")).to_be_visible()
    return username


def test_a_new_team_sets_up_a_desk_uploads_articles_annotates_and_exports_in_the_browser(
    page, live_server, tmp_path, settings
):
    settings.SITE_URL = ""
    UserFactory(username="chief", is_superuser=True, is_staff=True)
    UserFactory(username="erin", email="erin@newsroom.example")  # an account a site admin made (Admin → Users)

    # 1. The site admin creates the desk and invites an editor (by username) and two reviewers (by e-mail).
    _log_in(page, live_server, "chief")
    page.get_by_role("link", name="New desk").click()
    page.get_by_label("Name").fill("Harbour desk")
    page.get_by_label("Slug").fill("harbour")
    page.get_by_label("Description").fill("Claims about ports and shipping")
    page.get_by_label("Guidelines").fill("Two independent sources for every verdict.")
    page.get_by_role("button", name="Create desk").click()
    expect(page.get_by_role("status")).to_contain_text("Desk “Harbour desk” created")
    for who, role in [("erin", "editor"), ("rita@newsroom.example", "reviewer"), ("raj@newsroom.example", "reviewer")]:
        page.get_by_label("Username or e-mail").fill(who)
        page.get_by_label("Role", exact=True).select_option(role)
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_role("status")).to_contain_text(f"joined as {role}")
    desk = Project.objects.get(slug="harbour")
    assert sorted(desk.memberships.values_list("user__username", "role")) == [
        ("erin", Role.EDITOR), ("raj", Role.REVIEWER), ("rita", Role.REVIEWER)]  # fmt: skip
    assert page.locator("tr[data-username=rita] .badge", has_text="invited").is_visible()
    invitations = {m.to[0]: m for m in mail.outbox}
    assert set(invitations) == {"rita@newsroom.example", "raj@newsroom.example"}
    page.screenshot(path=str(tmp_path / "members.png"), full_page=True)

    # 2. The editor drops a .txt, a saved news page and a .jsonl of two articles on the desk page.
    _log_in(page, live_server, "erin")
    page.get_by_role("link", name="Harbour desk").click()
    expect(page.get_by_text("No documents yet")).to_be_visible()
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    ferry = "Ferry fares to the islands rose 12 percent in September, the operator said."
    dredging = "Dredging of the inner channel finished two months early, at a cost of 14 million euros."
    jsonl = "\n".join(json.dumps(a) for a in [
        {"title": "Ferry fares rise", "body": ferry}, {"title": "Broken line", "body": 7},
        {"title": "Dredging finished", "body": dredging},
    ])  # fmt: skip
    _drop_files(page, [
        ("venezuela.txt", "text/plain", f"{title}\n{body}".encode()),
        ("valdera-port.html", "text/html", (FIXTURES / "news_page.html").read_bytes()),
        ("wire.jsonl", "application/jsonl", jsonl.encode()),
        ("notes.docx", "application/octet-stream", b"PK\x03\x04"),
    ])  # fmt: skip
    summary = page.locator("#upload-summary")
    expect(summary).to_contain_text("4 of 4 files done", timeout=30_000)
    expect(summary).to_contain_text("4 imported")
    results = page.locator("#upload-results")
    expect(results.locator("li.upload-file", has_text="notes.docx")).to_contain_text("unsupported file type .docx")
    expect(results.locator("li.article.failed")).to_contain_text("wire.jsonl:2")
    expect(results.locator("li.upload-file", has_text="valdera-port.html")).to_contain_text("1 imported")
    expect(page.locator("#upload-progress")).to_have_attribute("value", "4")
    # The list filled without a reload: four rows, the HTML page as text, never as markup.
    rows = page.locator("table.dashboard tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("table.dashboard")).to_contain_text("Port of Valdera expands cargo capacity by a third")
    html_doc = Document.objects.get(project=desk, title__startswith="Port of Valdera")
    assert "<" not in html_doc.body and "ADVERTISEMENT" not in html_doc.body and "First!" not in html_doc.body
    assert "900 permanent jobs" in html_doc.body
    page.screenshot(path=str(DOCS / "desk-upload-results.png"), full_page=True)

    # Dropping the same page again says it is a duplicate and adds nothing.
    _drop_files(page, [("valdera-port-copy.html", "text/html", (FIXTURES / "news_page.html").read_bytes())])
    expect(results.locator("li.upload-file", has_text="valdera-port-copy.html")).to_contain_text("1 duplicate")
    expect(results.locator("li.upload-file", has_text="valdera-port-copy.html").locator("a")).to_have_text(
        f"#{html_doc.pk} “{html_doc.title}”"
    )
    assert Document.objects.filter(project=desk).count() == 4

    # 3. A reviewer accepts the invitation, finds the article by a search without its accent, and annotates.
    rita = _accept_invitation(page, live_server, invitations["rita@newsroom.example"], "a-Long-pass-789")
    _log_in(page, live_server, rita, "a-Long-pass-789")
    page.get_by_role("link", name="Harbour desk").click()
    page.get_by_label("Search").fill("Nicolás")
    page.get_by_label("Search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Russia's Role in Venezuela")
    rows.first.get_by_role("link").click()
    page.wait_for_selector("#annotate[data-state=ready]")
    sentence = "It has established a substantial military presence in the Caribbean"
    page.locator("#document-body").focus()
    page.evaluate(
        """(needle) => { const t = document.getElementById('document-body').firstChild;
                         const i = t.data.indexOf(needle);
                         getSelection().setBaseAndExtent(t, i, t, i + needle.length); }""",
        sentence,
    )
    page.keyboard.press("1")  # True: the panel opens with the rationale focused
    page.keyboard.type("Pentagon statement of 24 October.")
    page.get_by_label("Rationale").press("Control+Enter")
    page.wait_for_selector("#annotate-status:has-text('Saved: True')")
    annotation = Annotation.objects.get(document__project=desk)
    assert annotation.quote == sentence and annotation.author.username == rita
    services.annotation_submit(annotation_id=annotation.pk, user=annotation.author, version=annotation.version)
    Annotation.objects.create(document=annotation.document, author=annotation.author, start=0, end=6,
                              quote=annotation.document.body[:6], verdict="false")  # a draft: not exported  # fmt: skip

    # 4. The editor approves it and exports approved verdicts from the menu (drafts only when asked).
    erin = User.objects.get(username="erin")
    annotation.refresh_from_db()
    services.annotation_transition(annotation_id=annotation.pk, user=erin, action="approve", version=annotation.version)
    _log_in(page, live_server, "erin")
    page.get_by_role("link", name="Harbour desk").click()
    expect(page.locator("table.dashboard")).to_contain_text("1 approved")
    page.get_by_text("Export", exact=True).click()
    page.get_by_label("CSV", exact=True).check()
    page.get_by_label("CSV for spreadsheets (UTF-8 BOM)").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.startswith("harbour-") and download.suggested_filename.endswith(".csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(row["quote"], row["verdict"], row["status"]) for row in exported] == [
        (sentence, "true", AnnotationStatus.APPROVED)]  # fmt: skip
    # Asking for everything includes the draft.
    page.get_by_text("Export", exact=True).click()
    page.get_by_label("Include drafts and unreviewed verdicts").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    everything = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 2
    page.keyboard.press("Escape")
    page.screenshot(path=str(DOCS / "desk-page.png"), full_page=True)


def test_a_pending_document_turns_done_on_the_desk_page_without_a_reload(page, live_server, reviewer, project):
    document = DocumentFactory(project=project, title="Still segmenting")
    assert document.segmentation_status == SegmentationStatus.PENDING
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    row = page.locator(f"tr[data-document='{document.pk}']")
    expect(row).to_contain_text("Pending")
    Document.objects.filter(pk=document.pk).update(segmentation_status=SegmentationStatus.DONE)
    expect(row).to_contain_text("Done", timeout=10_000)


def test_files_over_the_limits_are_refused_with_a_message_before_anything_is_sent(
    page, live_server, reviewer, project, settings
):
    settings.IMPORT_MAX_BYTES = 2048
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    limit = page.evaluate("JSON.parse(document.getElementById('desk-config').textContent).maxBytes")
    assert limit == 2048
    _drop_files(page, [("huge.txt", "text/plain", b"x" * (limit + 1)), ("empty.txt", "text/plain", b"")])
    results = page.locator("#upload-results")
    expect(results.locator("li", has_text="huge.txt")).to_contain_text("over the")
    expect(results.locator("li", has_text="empty.txt")).to_contain_text("empty")
    expect(page.locator("#upload-summary")).to_contain_text("2 failed")
    assert not Document.objects.exists()


def test_pasted_html_is_imported_as_its_article_text(page, live_server, reviewer, project):
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.get_by_text("Paste text", exact=True).click()
    page.get_by_label("Title").fill("Valdera port")
    page.get_by_label("Article text").fill((FIXTURES / "news_page.html").read_text())
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#upload-results")).to_contain_text("imported as #")
    document = Document.objects.get(project=project)
    assert document.title == "Valdera port" and "<" not in document.body and "900 permanent jobs" in document.body
    expect(page.locator("table.dashboard tbody tr")).to_have_count(1)


def test_an_editor_marks_a_document_done_and_a_reviewer_has_no_such_button(
    page, live_server, editor, reviewer, document
):
    _log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/projects/{document.project.slug}/")
    page.get_by_role("button", name=f"Mark {document.title} done").click()
    expect(page.locator(f"tr[data-document='{document.pk}']")).to_contain_text("✓ Done")
    document.refresh_from_db()
    assert document.done_at is not None and document.done_by == editor
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/projects/{document.project.slug}/")
    expect(page.locator(f"tr[data-document='{document.pk}']")).to_contain_text("✓ Done")
    assert page.locator(".done-toggle").count() == 0
    assert Membership.objects.get(user=reviewer).role == Role.REVIEWER


def test_a_thousand_candidate_claims_stay_usable_filter_search_and_load_by_scrolling(
    page, live_server, reviewer, project
):
    from annotations.models import Claim

    sentences = [f"Claim number {n} says the harbour moved {n * 7} containers." for n in range(1000)]
    sentences[96] = sentences[193] = "The berth will create 900 permanent jobs."  # both score 96/97: first page
    document = DocumentFactory(project=project, body=" ".join(sentences), segmentation_status="done")
    start, rows = 0, []
    for n, text in enumerate(sentences):
        rows.append(Claim(document=document, start=start, end=start + len(text), text=text, score=(n % 97) / 97))
        start += len(text) + 1
    Claim.objects.bulk_create(rows)
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-claims=ready]")
    items = page.locator("#claim-list li")
    expect(page.locator("#claim-count")).to_have_text("999 entries")  # the repeated sentence is one entry
    expect(items).to_have_count(100)
    expect(page.locator("#claim-list li", has_text="900 permanent jobs").locator(".badge.repeat")).to_have_text("×2")
    # Scrolling to the end of the list loads the next page by itself.
    page.locator("#claim-list-more").scroll_into_view_if_needed()
    expect(items).to_have_count(200)
    # Search (accents and case aside) and the state filter ask the API again.
    page.get_by_placeholder("Search claims").fill("HARBOUR MOVED 700 ")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Claim number 100 says")
    page.get_by_placeholder("Search claims").fill("")
    expect(items).to_have_count(100)
    items.first.get_by_role("button", name="Dismiss").click()
    expect(items.first).to_contain_text("Dismissed by reviewer")
    page.get_by_label("Which claims").select_option("dismissed")
    expect(items).to_have_count(1)
    expect(page.locator("#claim-count")).to_have_text("1 entry")


def test_an_article_is_imported_from_a_url_and_a_refused_url_says_why(page, live_server, editor, project, server,
                                                                      settings):  # fmt: skip
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    _log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.get_by_text("Import from URL", exact=True).click()
    page.get_by_label("Article URL").fill(f"{server}/moved")
    page.get_by_role("button", name="Import", exact=True).last.click()
    results = page.locator("#upload-results")
    expect(results.locator("li.upload-file", has_text=f"{server}/moved")).to_contain_text("imported", timeout=15_000)
    expect(page.locator("table.dashboard")).to_contain_text("Dredging finished early")
    page.get_by_label("Article URL").fill(f"{server}/to-metadata")
    page.get_by_role("button", name="Import", exact=True).last.click()
    expect(results.locator("li.upload-file", has_text="to-metadata")).to_contain_text("cloud metadata address",
                                                                                      timeout=15_000)  # fmt: skip
    assert Document.objects.filter(project=project).count() == 1


@pytest.mark.link_checks
def test_the_panel_shows_where_an_evidence_link_leads_and_its_archive_copy(page, live_server, reviewer, document,
                                                                           server, settings):  # fmt: skip
    settings.FETCH_ALLOWED_NETWORKS = LOCAL
    annotation = Annotation.objects.create(document=document, author=reviewer, start=0, end=3,
                                           quote=document.body[:3], verdict="false")  # fmt: skip
    services.evidence_add(annotation=annotation, user=reviewer, url=f"{server}/moved", title="Harbour report")
    services.evidence_check_link(evidence_id=annotation.evidence.get().pk)  # what the worker does after commit
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/#annotation-{annotation.pk}")
    page.wait_for_selector("#annotate[data-state=ready]")
    check = page.locator("#panel-evidence .link-check")
    expect(check).to_contain_text(f"redirects to {server}/article")
    with page.context.expect_page() as archive_info:
        check.get_by_role("link", name="archive copy").click()
    archive = archive_info.value
    archive.wait_for_load_state()
    expect(archive.locator(".archive-text")).to_contain_text("14 million euros")


PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow}px at {PHONE['width']}px"


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"] or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"])  # fmt: skip


def test_on_a_phone_the_pages_fit_the_screen_and_the_message_covers_no_button(page, live_server, reviewer, project):
    for n in range(3):
        DocumentFactory(project=project, title=f"A rather long article title number {n} about harbour expansion",
                        segmentation_status="done")  # fmt: skip
    document = Document.objects.first()
    page.set_viewport_size(PHONE)
    _log_in(page, live_server, "reviewer")
    _no_sideways_scroll(page)
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    _no_sideways_scroll(page)
    page.screenshot(path=str(DOCS / "desk-page-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    _no_sideways_scroll(page)
    page.locator("#document-body").focus()
    page.evaluate("""() => { const t = document.getElementById('document-body').firstChild;
                             getSelection().setBaseAndExtent(t, 0, t, 20); }""")
    page.keyboard.press("5")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#annotate-status")).to_contain_text("Saved")
    _no_sideways_scroll(page)
    # A message while the panel is open (saving again with the same verdict says so), over the panel's buttons?
    page.locator("#annotation-list li .ann-open").first.click()
    expect(page.locator("#annotation-panel")).to_be_visible()
    page.get_by_label("Rationale").fill("Checked with the statistics office.")
    page.get_by_label("Rationale").press("Control+Enter")
    expect(page.locator("#annotate-status")).to_contain_text("Saved")
    page.locator("#annotation-list li .ann-open").first.click()
    page.evaluate("document.getElementById('annotate-status').classList.add('visible')")
    _no_sideways_scroll(page)
    page.screenshot(path=str(DOCS / "annotate-phone-panel.png"))
    toast = page.locator("#annotate-status").bounding_box()
    for button in page.locator("#annotation-panel button:visible").all():
        box = button.bounding_box()
        assert box is None or not _overlap(toast, box), f"the message covers {button.inner_text()!r}"


def test_a_skip_link_leads_past_the_header_to_the_text(page, live_server, reviewer, document):
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the text")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('header') === null")
    assert focused  # the next stop is past the header's links


def test_close_with_unsaved_text_asks_first_like_esc(page, live_server, reviewer, document):
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    page.locator("#document-body").focus()
    page.evaluate("""() => { const t = document.getElementById('document-body').firstChild;
                             getSelection().setBaseAndExtent(t, 4, t, 16); }""")
    page.keyboard.press("a")
    page.get_by_label("Rationale").fill("Half-written reasoning")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#panel-error")).to_contain_text("unsaved changes: press Cancel again")
    page.get_by_role("button", name="Discard changes").click()
    expect(page.locator("#annotation-panel")).to_be_hidden()
    assert not Annotation.objects.exists()


def test_a_mouse_selection_that_starts_inside_a_word_takes_the_whole_word(page, live_server, reviewer, document):
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    box = page.evaluate(
        """() => { const t = document.getElementById('document-body').firstChild; const r = new Range();
                   const i = t.data.indexOf('unemployment') + 3;  // inside "unemployment"
                   r.setStart(t, i); r.setEnd(t, i + 1); const a = r.getBoundingClientRect();
                   const j = t.data.indexOf('rate') + 2; r.setStart(t, j); r.setEnd(t, j + 1);
                   const b = r.getBoundingClientRect();
                   return [a.x + 1, a.y + a.height / 2, b.x + 1, b.y + b.height / 2]; }"""
    )
    page.mouse.move(box[0], box[1])
    page.mouse.down()
    page.mouse.move(box[2], box[3], steps=5)
    page.mouse.up()
    expect(page.locator("#panel-quote")).to_have_text("unemployment rate")


def test_a_pending_document_lists_its_claims_on_the_annotate_page_when_segmentation_finishes(
    page, live_server, reviewer, project
):
    from annotations.models import Claim

    document = DocumentFactory(project=project, title="Being segmented", body="The port will create 900 jobs.")
    _log_in(page, live_server, "reviewer")
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.locator("#segmentation-note")).to_contain_text("Segmentation is pending")
    Claim.objects.create(document=document, start=0, end=len(document.body), text=document.body, score=0.9)
    Document.objects.filter(pk=document.pk).update(segmentation_status=SegmentationStatus.DONE)
    expect(page.locator("#claim-list li")).to_have_count(1, timeout=10_000)
    expect(page.locator("#segmentation-status")).to_have_text("Done")
    expect(page.locator("#segmentation-note")).to_have_count(0)
