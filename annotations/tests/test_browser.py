"""Headless Chromium against the live server: login flow and inert hostile text."""

import pytest

from annotations.tests.factories import DocumentFactory

pytestmark = pytest.mark.browser

HOSTILE = (
    '<script>window.__pwned = 1; alert("script")</script>'
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">"
    '<a href="javascript:alert(3)">click</a>'
)


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_a_reviewer_logs_in_and_opens_an_article_from_the_project_list(page, live_server, reviewer, document):
    _log_in(page, live_server, "reviewer")

    page.get_by_role("link", name="Politics desk").click()
    page.get_by_role("link", name="Unemployment").click()

    assert page.locator("#document-body").inner_text() == document.body


def test_hostile_article_text_renders_as_inert_text(page, live_server, reviewer, project):
    document = DocumentFactory(project=project, title=HOSTILE, body=f"Intro line.\n{HOSTILE}\nLast line.")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/documents/{document.pk}/")

    assert page.locator("#document-body").inner_text() == document.body
    assert page.locator("#document-body img, #document-body script, #document-body a").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_the_content_security_policy_blocks_injected_inline_script(page, live_server, reviewer):
    _log_in(page, live_server, "reviewer")

    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.__injected = 1")

    assert page.evaluate("window.__injected") is None
