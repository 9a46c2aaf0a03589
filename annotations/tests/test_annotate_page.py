"""The annotate page as served (no browser): config for annotate.js, CSP-safe markup, escaping, labels."""

import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from annotations.models import AnnotationStatus, Claim, ClaimState
from annotations.tests.factories import DocumentFactory

HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)> "quotes" & javascript:alert(3)'


class _Page(HTMLParser):
    """Collects tags with their attributes and the label text for each control."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.label_for: set[str] = set()
        self.wrapped: set[str] = set()
        self._labels = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "label":
            self._labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in ("input", "textarea", "select") and self._labels:
            self.wrapped.add(attributes.get("id") or f"{attributes.get('name')}={attributes.get('value')}")

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels -= 1


@pytest.fixture
def page(client, reviewer, document):
    client.force_login(reviewer)
    return client.get(reverse("document-detail", args=[document.pk]))


def _config(response) -> dict:
    match = re.search(r'<script id="annotate-config" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(match.group(1))


def test_the_page_gives_annotate_js_its_document_user_verdict_keys_and_api_root(page, reviewer, document):
    config = _config(page)

    assert config["documentId"] == document.pk
    assert config["user"] == {"id": reviewer.pk, "username": "reviewer"}
    assert [(v["value"], v["key"]) for v in config["verdicts"]] == [
        ("true", "1"), ("mostly_true", "2"), ("mixed", "3"), ("mostly_false", "4"), ("false", "5"),
        ("unverifiable", "U"),
    ]  # fmt: skip
    assert config["verdicts"][-1]["altKeys"] == ["6"]
    assert config["apiRoot"] == "/api/v1/"
    assert [s["value"] for s in config["stances"]] == ["supports", "refutes", "context"]
    statuses = {s["value"]: s["label"] for s in config["statuses"]}  # annotate.js takes its labels from here
    assert statuses == dict(AnnotationStatus.choices)
    assert statuses["published"] == "Published" and statuses["retracted"] == "Retracted"
    from annotations.api.pagination import MAX_PAGE_SIZE

    assert 1 <= config["pageSize"] <= MAX_PAGE_SIZE and config["quoteContext"] == 32
    assert config["csrfToken"] and "csrftoken" in page.cookies


def test_the_script_is_one_external_module_carrying_the_csp_nonce(page):
    html = page.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    module = '<script type="module" src="/static/annotations/js/annotate.js" nonce="'

    assert [tag for tag in scripts if 'type="application/json"' not in tag] == [
        tag for tag in scripts if tag.startswith(module)
    ]
    assert len(scripts) == 2
    nonce = re.search(r'annotate\.js" nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert finders.find("annotations/js/annotate.js") and finders.find("annotations/css/annotate.css")


def test_the_markup_has_no_inline_event_handlers_styles_or_javascript_urls(page):
    parser = _Page()
    parser.feed(page.content.decode())

    for tag, attributes in parser.tags:
        assert not [name for name in attributes if name.startswith("on")], tag
        assert "style" not in attributes, tag
        assert not (attributes.get("href") or "").lower().startswith("javascript:"), tag


def test_every_control_of_the_page_has_a_label(page):
    parser = _Page()
    parser.feed(page.content.decode())
    controls = [a for tag, a in parser.tags if tag in ("input", "textarea", "select") and a.get("type") != "hidden"]

    assert len(controls) > 10
    for attributes in controls:
        key = attributes.get("id") or f"{attributes.get('name')}={attributes.get('value')}"
        assert key in parser.label_for or key in parser.wrapped or attributes.get("aria-label"), attributes


def test_the_panel_is_a_labelled_dialog_and_status_messages_are_announced(page):
    html = page.content.decode()

    assert re.search(r'id="annotation-panel"[^>]*role="dialog"[^>]*aria-labelledby="panel-title"', html)
    assert re.search(r'id="annotate-status"[^>]*role="status"[^>]*aria-live="polite"', html)
    assert re.search(r'id="panel-conflict"[^>]*role="alert"', html)
    assert "<summary>Keyboard</summary>" in html
    for key in ("Shift", "Enter", "Esc", "U"):
        assert f"<kbd>{key}</kbd>" in html


def test_the_verdict_legend_names_each_verdict_next_to_its_pattern(page):
    html = page.content.decode()

    for value, label in [("true", "True"), ("mixed", "Mixed"), ("false", "False"), ("unverifiable", "Unverifiable")]:
        assert f'<span class="swatch verdict-{value}">{label}</span>' in html


def test_candidate_claims_come_by_score_with_checkworthy_marked_and_accept_and_dismiss_buttons(
    client, reviewer, document
):
    low = Claim.objects.create(document=document, start=0, end=3, text="The", score=0.2)
    high = Claim.objects.create(document=document, start=4, end=21, text="unemployment rate", score=0.9)
    Claim.objects.create(document=document, start=22, end=26, text="fell", score=0.95, state=ClaimState.DISMISSED)
    client.force_login(reviewer)

    html = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    ids = re.findall(r'data-claim-id="(\d+)"', html)
    assert ids == [str(high.pk), str(low.pk)]  # best first, dismissed ones gone
    item = html[html.index(f'data-claim-id="{high.pk}"') : html.index(f'data-claim-id="{low.pk}"')]
    assert "check-worthy" in item
    assert f'aria-describedby="claim-{high.pk}">Accept</button>' in item
    assert f'aria-describedby="claim-{high.pk}">Dismiss</button>' in item
    assert "check-worthy" not in html[html.index(f'data-claim-id="{low.pk}"') :].split("</li>")[0]


def test_hostile_title_body_and_claim_text_are_escaped_in_the_markup_and_in_the_config(client, reviewer, project):
    document = DocumentFactory(project=project, title=HOSTILE, body=HOSTILE)
    Claim.objects.create(document=document, start=0, end=len(HOSTILE), text=HOSTILE, score=0.9)
    client.force_login(reviewer)

    html = client.get(reverse("document-detail", args=[document.pk])).content.decode()

    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert html.count("<script") == 2  # the JSON config and the module, nothing injected
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_first_annotations_page_is_preloaded_with_the_url_annotate_js_asks_for(page, document):
    config = _config(page)
    script = finders.find("annotations/js/annotate/api.js")  # listPath, imported by the annotate.js entry module

    url = f"{config['apiRoot']}annotations/?document={document.pk}&amp;unit=utf16&amp;page_size={config['pageSize']}"
    assert f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{url}">' in page.content.decode()
    with open(script, encoding="utf-8") as handle:
        assert "`annotations/?document=${DOC}&unit=utf16&page_size=${cfg.pageSize}" in handle.read()


def test_the_annotate_page_runs_a_fixed_number_of_queries(client, reviewer, document, django_assert_num_queries):
    for n in range(20):
        Claim.objects.create(document=document, start=n, end=n + 1, text=document.body[n], score=n / 20)
    client.force_login(reviewer)
    client.get(reverse("document-detail", args=[document.pk]))

    # session, user, document (+ project and role), a page of claims, their occurrences, admin link, unread count
    with django_assert_num_queries(7):
        response = client.get(reverse("document-detail", args=[document.pk]))

    assert response.status_code == 200


def test_in_production_every_module_import_and_preload_points_at_the_same_hashed_file(
    client, reviewer, document, settings, tmp_path
):
    """Hashed static names (cached forever) must reach the ES-module imports too, or a deploy could pair a
    new entry module with cached old modules."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.utils.functional import empty

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "factcheck.storage.StaticFilesStorage"}}
    staticfiles_storage._wrapped = empty  # pick up the storage of these settings
    try:
        call_command("collectstatic", "--noinput", "-v0")
        client.force_login(reviewer)
        html = client.get(reverse("document-detail", args=[document.pk])).content.decode()
    finally:
        staticfiles_storage._wrapped = empty

    js = tmp_path / "annotations" / "js"
    hashed = re.compile(r"\.[0-9a-f]{12}\.js$")
    preloads = re.findall(r'rel="modulepreload" href="/static/annotations/js/annotate/([^"]+)"', html)
    assert preloads and all(hashed.search(name) for name in preloads)
    entry = re.search(r'src="/static/annotations/js/(annotate\.[0-9a-f]{12}\.js)"', html).group(1)
    imported = set()
    for module in [js / entry, *(js / "annotate" / name for name in preloads)]:
        for target in re.findall(r'from "\./(?:annotate/)?([^"]+)"', module.read_text()):
            assert hashed.search(target), f"{module.name} imports the unhashed {target}"
            assert (js / "annotate" / target).exists()
            imported.add(target)
    assert imported == set(preloads)  # each module preloaded under the very name it is imported by
    assert "Fetch annotate.js" not in html  # template comments stay comments
