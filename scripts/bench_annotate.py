#!/usr/bin/env python
"""Benchmark the annotate page on a long document, in headless Chromium (Playwright + /usr/bin/chromium).

    .venv/bin/python scripts/bench_annotate.py [--runs 5] [--chars 100000] [--annotations 2000] [--json]
    .venv/bin/python scripts/bench_annotate.py --screenshot docs/annotate.png   # README picture, seed article

Everything happens in a throwaway SQLite database in a temporary folder (never the dev database): migrate,
import a ~100,000-character article built from seeds/ (segmented into candidate claims as usual), add N
annotations by four reviewers (sentences, nested sub-spans and spans across sentences, a quarter with
evidence), serve it with gunicorn (2 workers x 4 threads, as in production) on 127.0.0.1, then load the
page N times, each in a fresh browser context (cold cache) of one headless Chromium, and print medians:

* ready       navigation start -> text shown and every annotation registered as a highlight
              (``window.__annotateReady``, set by annotate.js right after the last CSS.highlights update)
* painted     the first frame after that (rAF + task)
* longest     longest main-thread task from navigation start until 1.5 s after ready (PerformanceObserver
              ``longtask``, buffered); TBT = sum of (task - 50 ms)
* panel       a real mouse drag selection -> verdict panel shown, from the mouseup event's timestamp to the
              next frame (``window.__annotatePanelMs``); three selections per load
"""

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip
PASSWORD = "bench-pass"  # noqa: S105 (a throwaway database on loopback)
LONGTASK_OBSERVER = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
}).observe({ type: 'longtask', buffered: true });
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(db_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DEBUG"] = "true"
    os.environ.pop("CELERY_BROKER_URL", None)  # segmentation runs eagerly, in this process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_paragraphs() -> list[str]:
    paragraphs = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        _, _, body = path.read_text(encoding="utf-8").partition("\n")
        paragraphs += [p.strip() for p in body.split("\n") if len(p.strip()) > 40]
    return paragraphs


def long_text(chars: int) -> str:
    paragraphs = seed_paragraphs()
    out, size, n = [], 0, 0
    while size < chars:
        paragraph = f"{n // len(paragraphs) + 1}.{n % len(paragraphs) + 1} {paragraphs[n % len(paragraphs)]}"
        out.append(paragraph)
        size += len(paragraph) + 1
        n += 1
    return "\n".join(out)[:chars].rstrip()


def create_users(project, names):
    from django.contrib.auth import get_user_model

    from annotations import services

    users = []
    for name in names:
        user = get_user_model().objects.create_user(username=name, password=PASSWORD)
        services.membership_set(project=project, user=user)
        users.append(user)
    return users


def create_benchmark_data(chars: int, count: int, seed: int = 0):
    """A ~``chars``-character document with ``count`` annotations; returns the document."""
    from annotations import services
    from annotations.domain.spans import quote_selector
    from annotations.domain.verdicts import Verdict
    from annotations.models import Annotation, AnnotationStatus, EvidenceLink

    rng = random.Random(seed)  # noqa: S311 (test data)
    project = services.project_create(name="Annotate benchmark (throwaway)", slug="bench-annotate")
    users = create_users(project, ["reviewer", "reviewer2", "reviewer3", "reviewer4"])
    document = services.document_import(
        project=project, title="Long article (benchmark)", body=long_text(chars)
    ).document
    body = document.body
    sentences = [(c.start, c.end) for c in document.claims.order_by("start")]
    spans = []
    while len(spans) < count:
        kind = rng.random()
        start, end = rng.choice(sentences)
        if kind < 0.25 and end - start > 30:  # nested inside a sentence
            a = rng.randrange(start, end - 20)
            start, end = a, rng.randrange(a + 10, end)
        elif kind < 0.35:  # across two sentences
            index = sentences.index((start, end))
            if index + 1 < len(sentences):
                start, end = rng.randrange(start, end), rng.randrange(*sentences[index + 1])
        if not body[start:end].strip() or end <= start:
            continue
        spans.append((start, end))
    verdicts = [v.value for v in Verdict] + [""]
    rows = []
    for start, end in spans:
        selector = quote_selector(body, start, end)
        rows.append(
            Annotation(
                document=document, author=rng.choice(users), start=start, end=end, quote=selector.exact,
                prefix=selector.prefix, suffix=selector.suffix, verdict=rng.choice(verdicts),
                rationale="Checked against the primary source. " * rng.randrange(0, 4),
                status=rng.choice([AnnotationStatus.DRAFT, AnnotationStatus.DRAFT, AnnotationStatus.SUBMITTED]),
            )
        )  # fmt: skip
    created = Annotation.objects.bulk_create(rows, batch_size=500)
    EvidenceLink.objects.bulk_create(
        [
            EvidenceLink(annotation=a, url=f"https://example.org/source/{a.pk}", title=f"Source {a.pk}",
                         quoted_passage="A quoted passage.", stance="supports", added_by=a.author)
            for a in created if rng.random() < 0.25
        ],
        batch_size=500,
    )  # fmt: skip
    return document


def create_screenshot_data():
    """A seed article with a handful of overlapping annotations by two reviewers and evidence."""
    from annotations import services

    project = services.project_create(name="Demo desk", slug="demo")
    reviewer, reviewer2 = create_users(project, ["reviewer", "reviewer2"])
    path = ROOT / "seeds" / "russias-role-in-venezuela-will-putin-save-maduro.txt"
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    document = services.document_import(project=project, title=title, body=body).document
    text = document.body

    def add(user, quote, verdict, rationale="", evidence=None, occurrence=0):
        start = text.index(quote)
        for _ in range(occurrence):
            start = text.index(quote, start + 1)
        return services.annotation_create(
            document=document, author=user, start=start, end=start + len(quote), quote=quote, verdict=verdict,
            rationale=rationale, evidence=evidence or [],
        )  # fmt: skip

    add(
        reviewer,
        "In 2019, the United States backed an opposition leader seeking to overthrow Maduro",
        "mostly_true",
        "The US recognised Guaidó in January 2019.",
        [{"url": "https://www.state.gov/", "title": "State Dept."}],
    )
    add(reviewer2, "the United States backed an opposition leader", "true")
    add(reviewer, "recognized Guaido as Venezuela's interim president in January 2019", "true")
    add(reviewer2, "deploying the USS Gerald R Ford, the world's largest warship", "mixed")
    add(
        reviewer,
        "the US doubled the bounty for information leading to his capture to $50 million",
        "false",
        "The reward was raised to $50 million in August 2025.",
        [{"url": "https://www.justice.gov/", "title": "DoJ"}],
    )
    add(reviewer2, "which is considered Moscow's most crucial partner in Latin America", "unverifiable")
    return document


def start_server(db_path: Path, port: int) -> subprocess.Popen:
    env = dict(
        os.environ, DATABASE_URL=f"sqlite:///{db_path}", DEBUG="true", LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="factcheck.settings",
    )  # fmt: skip
    env.pop("CELERY_BROKER_URL", None)
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "factcheck.wsgi", "-b", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


def log_in(browser, base: str, username: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    state = context.storage_state()
    context.close()
    return state


SELECTION_POINTS = """(fraction) => {
  const body = document.getElementById('document-body');
  const y = innerHeight * fraction;
  const box = body.getBoundingClientRect();
  const pos = document.caretPositionFromPoint(box.left + 40, y);
  const node = pos.offsetNode, offset = pos.offset;
  const range = new Range(); range.setStart(node, offset); range.setEnd(node, Math.min(node.length, offset + 25));
  const rects = range.getClientRects(); const first = rects[0], last = rects[rects.length - 1];
  return [first.left + 1, first.top + first.height / 2, last.right - 1, last.top + last.height / 2];
}"""


def measure_once(browser, state, url: str) -> dict:
    context = browser.new_context(storage_state=state, viewport={"width": 1400, "height": 900})
    context.add_init_script(LONGTASK_OBSERVER)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__annotateReady !== undefined", timeout=60_000)
    page.wait_for_timeout(1500)
    result = page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const ranges = [...CSS.highlights.entries()].filter(([n]) => !/overlap|selected|pending|caret/.test(n))
            .reduce((n, [, h]) => n + h.size, 0);
          return { ready: window.__annotateReady, painted: window.__annotatePainted, html: nav.responseEnd,
                   dcl: nav.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : null, ranges,
                   loaded: window.__annotate.annotations.size, longtasks: window.__longtasks,
                   chars: document.getElementById('document-body').textContent.length,
                   js: window.__annotateTimings.start, pages: window.__annotateTimings.pages,
                   paint: window.__annotateTimings.paint };
        }"""
    )
    panel = []
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    for fraction in (0.3, 0.5, 0.7):
        x1, y1, x2, y2 = page.evaluate(SELECTION_POINTS, fraction)
        page.evaluate("window.__annotatePanelMs = undefined")
        page.mouse.move(x1, y1)
        page.mouse.down()
        page.mouse.move(x2, y2, steps=4)
        page.mouse.up()
        page.wait_for_function("() => window.__annotatePanelMs !== undefined", timeout=5000)
        panel.append(page.evaluate("[window.__annotatePanelMs, window.__annotatePanelSyncMs]"))
        page.keyboard.press("Escape")
    result.update(scroll_claims(page))
    context.close()
    pages = result.pop("pages")
    result["api_first_sent"] = pages[0]["sent"]
    result["api_wait"] = sum(page["received"] - page["sent"] for page in pages)
    result["api_last_received"] = pages[-1]["received"]
    tasks = result.pop("longtasks")
    result["longest"] = max((d for _, d in tasks), default=0.0)
    result["longest_before_ready"] = max((d for s, d in tasks if s < result["ready"]), default=0.0)
    result["tbt"] = sum(max(0.0, d - 50) for _, d in tasks)
    result["panel"] = statistics.median(p[0] for p in panel)
    result["panel_handler"] = statistics.median(p[1] for p in panel)
    result["errors"] = errors
    return result


def scroll_claims(page) -> dict:
    """Scroll the candidate-claim list to its end (it loads the next page of the API as its end comes into
    view) and measure the longest main-thread task meanwhile, then a search and a filter change."""
    page.evaluate("window.__longtasks = []")
    started = page.evaluate("performance.now()")
    for _ in range(200):
        if page.evaluate("document.getElementById('claim-list-more').hidden"):
            break
        page.evaluate("document.getElementById('claim-list-more').scrollIntoView()")
        page.wait_for_timeout(150)
    loaded = page.evaluate("document.querySelectorAll('#claim-list li').length")
    scrolled = page.evaluate("performance.now()") - started
    page.get_by_placeholder("Search claims").fill("Maduro")
    page.wait_for_timeout(800)
    page.get_by_label("Which claims").select_option("checkworthy")
    page.wait_for_timeout(800)
    tasks = page.evaluate("window.__longtasks")
    return {"claims_loaded": loaded, "claims_scroll": scrolled,
            "claims_longest": max((d for _, d in tasks), default=0.0)}  # fmt: skip


def run_benchmark(args) -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="bench-annotate-"))
    db_path = workdir / "bench.sqlite3"
    server = None
    try:
        started = time.monotonic()
        setup_django(db_path)
        document = create_benchmark_data(args.chars, args.annotations)
        from annotations.models import Annotation

        print(
            f"data: document #{document.pk}, {len(document.body):,} characters, {document.claims.count()} claims, "
            f"{Annotation.objects.filter(document=document).count():,} annotations "
            f"({time.monotonic() - started:.1f} s) in {db_path}",
            file=sys.stderr,
        )
        port = free_port()
        server = start_server(db_path, port)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            state = log_in(browser, base, "reviewer")
            url = f"{base}/documents/{document.pk}/"
            measure_once(browser, state, url)  # warm-up: server caches, Python imports, Chromium's code cache
            runs = []
            for n in range(args.runs):
                runs.append(measure_once(browser, state, url))
                r = runs[-1]
                print(
                    f"run {n + 1}: ready {r['ready']:.0f} ms, painted {r['painted']:.0f} ms, longest task "
                    f"{r['longest']:.0f} ms, TBT {r['tbt']:.0f} ms, selection->panel {r['panel']:.1f} ms, "
                    f"{r['ranges']} highlight ranges{', ERRORS ' + '; '.join(r['errors']) if r['errors'] else ''}",
                    file=sys.stderr,
                )
            browser.close()
    finally:
        if server:
            server.terminate()
            server.wait(timeout=15)
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    keys = [
        "html", "dcl", "fcp", "js", "api_first_sent", "api_wait", "api_last_received", "paint", "ready", "painted",
        "longest", "longest_before_ready", "tbt", "panel", "panel_handler", "claims_scroll", "claims_longest",
    ]  # fmt: skip
    medians = {key: round(statistics.median(r[key] for r in runs), 1) for key in keys}
    medians.update(runs=args.runs, chars=runs[0]["chars"], annotations=runs[0]["loaded"], ranges=runs[0]["ranges"],
                   claims=runs[0]["claims_loaded"])  # fmt: skip
    if args.json:
        print(json.dumps(medians))
        return
    print(
        f"\nmedians of {args.runs} loads: {medians['chars']:,} chars (UTF-16), {medians['annotations']:,} annotations"
    )
    rows = [
        ("HTML received (responseEnd)", "html"), ("DOMContentLoaded", "dcl"), ("first contentful paint", "fcp"),
        ("annotate.js starts", "js"), ("first annotations request sent", "api_first_sent"),
        ("  waiting for the annotations API", "api_wait"), ("last annotations page received", "api_last_received"),
        ("  registering the highlights", "paint"), ("ready: text + all highlights", "ready"),
        ("first frame after ready", "painted"),
        ("longest main-thread task", "longest"), ("  of which before ready", "longest_before_ready"),
        ("total blocking time", "tbt"), ("selection -> panel (next frame)", "panel"),
        ("selection -> panel (handler)", "panel_handler"),
        (f"claim list scrolled to its end ({medians['claims']})", "claims_scroll"),
        ("  longest task meanwhile (+ search, filter)", "claims_longest"),
    ]  # fmt: skip
    for label, key in rows:
        print(f"  {label:<34} {medians[key]:>8.1f} ms")


def take_screenshot(args) -> None:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="shot-annotate-"))
    server = None
    try:
        setup_django(workdir / "shot.sqlite3")
        document = create_screenshot_data()
        port = free_port()
        server = start_server(workdir / "shot.sqlite3", port)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            state = log_in(browser, base, "reviewer")
            context = browser.new_context(storage_state=state, viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(f"{base}/documents/{document.pk}/")
            page.wait_for_selector("#annotate[data-state=ready][data-claims=ready]")
            quote = "US officials have cited a 2020 drug-crimes indictment against Maduro"
            start = document.body.index(quote)
            page.locator("#document-body").focus()
            page.evaluate(
                """([s, e]) => { const t = document.getElementById('document-body').firstChild;
                               getSelection().setBaseAndExtent(t, s, t, e); }""",
                [start, start + len(quote)],
            )
            page.keyboard.press("2")
            page.keyboard.type("The 2020 indictment is public; 'fugitive' is Rubio's own word.")
            page.get_by_label("URL (http or https)").fill("https://www.justice.gov/opa/pr/nicol-s-maduro-moros")
            page.get_by_label("Title").fill("DoJ: Maduro charged with narco-terrorism (2020)")
            page.get_by_role("button", name="Add link").click()
            page.evaluate("() => { window.scrollTo(0, 0); document.getElementById('annotation-panel').scrollTop = 0; }")
            hover = document.body.index("opposition leader seeking")
            box = page.evaluate(
                """(o) => { const t = document.getElementById('document-body').firstChild; const r = new Range();
                            r.setStart(t, o); r.setEnd(t, o + 1); const b = r.getBoundingClientRect();
                            return [b.x + b.width / 2, b.y + b.height / 2]; }""",
                hover,
            )
            page.mouse.move(*box)
            page.wait_for_selector("#annotate-tooltip:not([hidden])")
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.screenshot))
            browser.close()
        print(f"wrote {args.screenshot}")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="measured page loads (after one warm-up load)")
    parser.add_argument("--chars", type=int, default=100_000, help="document length in characters")
    parser.add_argument("--annotations", type=int, default=2000, help="annotations on the document")
    parser.add_argument("--json", action="store_true", help="print the medians as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database folder")
    parser.add_argument("--screenshot", type=Path, help="instead: write a screenshot of a seed article to this path")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found (apt-get install chromium)")
    take_screenshot(args) if args.screenshot else run_benchmark(args)


if __name__ == "__main__":
    main()
