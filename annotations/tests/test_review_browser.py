"""The reviewer sees why, in the browser: the editor's request for changes is on the annotation's thread in the
panel and in My queue; the reviewer replies there and the editor reads the reply."""

import pytest
from playwright.sync_api import expect

from annotations import services
from annotations.models import AuditEvent
from annotations.tests.browser import browser_log_in

pytestmark = pytest.mark.browser
QUOTE = "3.5 percent"


_log_in = browser_log_in


def test_the_reviewer_reads_the_editors_comment_in_the_panel_and_replies(page, live_server, document, reviewer,
                                                                         editor):  # fmt: skip
    start = document.body.index(QUOTE)
    annotation = services.annotation_create(document=document, author=reviewer, start=start,
                                            end=start + len(QUOTE), quote=QUOTE, verdict="true")  # fmt: skip
    annotation = services.annotation_submit(annotation_id=annotation.pk, user=reviewer, version=annotation.version)
    comment = "Which survey is this? Cite the release."
    services.annotation_transition(annotation_id=annotation.pk, user=editor, action="request_changes",
                                   comment=comment, version=annotation.version)  # fmt: skip

    _log_in(page, live_server, "reviewer")
    page.get_by_role("link", name="My queue").click()
    expect(page.locator(".latest-comment")).to_contain_text("Which survey is this? Cite the release.")
    page.get_by_role("link", name=f"“{QUOTE}”").click()
    page.wait_for_selector("#annotate[data-state=ready]")
    thread = page.locator("#panel-thread")
    expect(thread).to_contain_text("editor moved it to changes requested")
    expect(thread).to_contain_text("Which survey is this? Cite the release.")
    page.get_by_label("Reply").fill("The BLS release of 6 December; link added.")
    page.get_by_label("Reply").press("Control+Enter")
    expect(thread.locator(".thread-entry")).to_have_count(2)
    assert AuditEvent.objects.get(action="comment").comment == "The BLS release of 6 December; link added."

    _log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/documents/{document.pk}/#annotation-{annotation.pk}")
    page.wait_for_selector("#annotate[data-state=ready]")
    expect(page.locator("#annotation-panel")).to_be_visible(timeout=15_000)  # the link opens it
    expect(page.locator("#panel-thread")).to_contain_text("reviewer wrote", timeout=15_000)
    expect(page.locator("#panel-thread")).to_contain_text("The BLS release of 6 December; link added.")
