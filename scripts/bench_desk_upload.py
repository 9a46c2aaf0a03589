#!/usr/bin/env python
"""Time from dropping a seed article on the desk page to its candidate claims being visible, in headless Chromium.

    .venv/bin/python scripts/bench_desk_upload.py [--runs 5] [--json]
    .venv/bin/python scripts/bench_desk_upload.py --broker redis://127.0.0.1:6379/5 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_upload      # with a real Celery worker

A throwaway database (SQLite in a temporary folder unless --database-url), gunicorn (2 workers x 4 threads) on
127.0.0.1, and either tasks run eagerly in the web process (no broker: what ``make run`` does) or a real Celery
worker (``--broker``). Each run drops a fresh copy of a seed article (first line made unique) on the desk page, as
a file dragged from the desktop, and measures, from the drop event:

* result     the per-file result line says "imported"
* listed     the document's row is in the list (refreshed without a reload)
* claims     the row says segmentation Done with its claim count (the list polls every 3 s while pending)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_annotate as base  # the shared server and browser helpers

ROOT = base.ROOT
SEED = ROOT / "seeds" / "putin-abandons-maduro-russia-evacuates-citizens.txt"

DROP = """([name, text]) => {
  window.__dropAt = performance.now();
  const dt = new DataTransfer();
  dt.items.add(new File([text], name, { type: 'text/plain' }));
  const target = document.querySelector('#documents-h');
  for (const type of ['dragenter', 'dragover', 'drop']) {
    target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  }
}"""


def prepare(database_url: str | None, workdir: Path) -> dict:
    env = {"DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"}
    os.environ.update(env)
    os.environ["DEBUG"] = "true"
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from annotations import services

    project = services.project_create(name="Upload desk", slug="upload-bench")
    base.create_users(project, ["reviewer"])
    return env


def start(env: dict, port: int, broker: str | None) -> list[subprocess.Popen]:
    full = dict(os.environ, **env, DEBUG="true", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="factcheck.settings")
    processes = []
    if broker:
        full |= {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "CELERY_TASK_DEFAULT_QUEUE": "bench"}
        worker = [str(Path(sys.executable).with_name("celery")), "-A", "factcheck", "worker", "-Q", "bench",
                  "--concurrency", "2", "--loglevel", "warning", "--pool", "prefork"]  # fmt: skip
        processes.append(subprocess.Popen(worker, cwd=ROOT, env=full))  # noqa: S603
    else:
        full.pop("CELERY_BROKER_URL", None)
    command = [
        str(Path(sys.executable).with_name("gunicorn")), "factcheck.wsgi", "-b", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
    ]  # fmt: skip
    processes.append(subprocess.Popen(command, cwd=ROOT, env=full))  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with base.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return processes
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 30 s")


def measure(browser, state, url: str, n: int) -> dict:
    context = browser.new_context(storage_state=state, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#desk-documents")
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    unique = f"{title} (copy {n})"
    page.evaluate(DROP, [f"copy-{n}.txt", f"{unique}\nCopy {n}.\n{body}"])  # a new text: not a duplicate
    page.wait_for_selector("#upload-results li.upload-file.done", timeout=60_000)
    result = page.evaluate("performance.now() - window.__dropAt")
    row = f"table.dashboard tr:has(a:text-is({json.dumps(unique)}))"
    page.wait_for_selector(row, timeout=60_000)
    listed = page.evaluate("performance.now() - window.__dropAt")
    page.wait_for_selector(f"{row}:has(.status-done)", timeout=120_000)
    claims = page.evaluate("performance.now() - window.__dropAt")
    count = page.locator(row).locator("td.num").nth(1).inner_text()
    context.close()
    return {"result": result, "listed": listed, "claims": claims, "claim_count": int(count)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--broker", help="a Celery broker URL: segmentation runs in a real worker")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    processes = []
    try:
        env = prepare(args.database_url, workdir)
        port = base.free_port()
        processes = start(env, port, args.broker)
        url = f"http://127.0.0.1:{port}/projects/upload-bench/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=base.CHROMIUM, args=base.CHROMIUM_ARGS)
            state = base.log_in(browser, f"http://127.0.0.1:{port}", "reviewer")
            measure(browser, state, url, 0)  # warm-up
            runs = [measure(browser, state, url, n) for n in range(1, args.runs + 1)]
            browser.close()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)
    medians = {key: round(statistics.median(r[key] for r in runs), 1) for key in ("result", "listed", "claims")}
    medians |= {"runs": args.runs, "claim_count": runs[0]["claim_count"], "worker": bool(args.broker)}
    if args.json:
        print(json.dumps(medians))
        return
    mode = "a real Celery worker" if args.broker else "tasks run eagerly in the web process"
    print(f"medians of {args.runs} drops of {SEED.name} ({mode}); {medians['claim_count']} check-worthy claims")
    for key, label in (("result", "drop -> 'imported'"), ("listed", "drop -> row in the list"),
                       ("claims", "drop -> segmentation done, claims counted")):  # fmt: skip
        print(f"  {label:<44} {medians[key]:>8.1f} ms")


if __name__ == "__main__":
    main()
