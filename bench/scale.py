"""The scaling runs of issue 17 against a running server; one JSON line per phase (``bench/run.py --scale``).

    python bench/scale.py --base-url URL --token ADMIN_TOKEN --reviewer NAME --reviewer-token TOKEN \\
        [--articles 10000] [--cli "python manage.py"] [--server-pid PID ...] [--only bulk|cli|list ...]

(f) import ``--articles`` articles through the bulk API (requests of 500), timed to every id and to every
document segmented by the worker; (g) the same number through the CLI (``import_articles`` on a folder of JSON
Lines files; the command ``--cli`` runs against the same database), timed the same way; (h) one article with
2,000 one-sentence annotations written by the reviewer: the p50 of listing its annotations (the API's default
page, and the annotate page's 2,500-row page) at 10, 100, 500, 1,000 and 2,000 annotations. Server CPU and peak
RSS/PSS as in ``load.py``.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from load import SEEDS, Servers, latency_stats, phase  # bench/ is the script's folder, first on sys.path

BULK_REQUEST = 500
LIST_STEPS = (10, 100, 500, 1000, 2000)
PHASES = ("bulk", "cli", "list")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--cli", default=f"{sys.executable} manage.py", help="how to run manage.py (same database)")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    parser.add_argument("--segmentation-timeout", type=float, default=7200)
    parser.add_argument("--only", action="append", choices=PHASES, default=[],
                        help="run only this phase (repeatable; default: all three)")  # fmt: skip
    args = parser.parse_args()
    root = args.base_url.rstrip("/") + "/api/v1"
    api = httpx.Client(base_url=root, headers={"Authorization": f"Token {args.token}"}, timeout=300)
    reviewer = httpx.Client(base_url=root, headers={"Authorization": f"Token {args.reviewer_token}"}, timeout=300)
    servers = Servers(args.server_pid) if args.server_pid else None
    seeds = [path.read_text() for path in SEEDS]
    tag = uuid.uuid4().hex[:6]

    def desk(suffix: str) -> str:
        slug = f"scale-{tag}-{suffix}"
        api.post("/projects/", json={"name": f"Scale {slug}", "slug": slug}).raise_for_status()
        return slug

    def article(n: int, prefix: str) -> dict:
        title, body = seeds[n % len(seeds)].split("\n", 1)
        return {"title": f"{prefix} {n}: {title}", "body": f"{prefix} copy {n}.\n\n{body}"}

    def wait_segmented(slug: str, count: int, began: float) -> float:
        deadline = time.perf_counter() + args.segmentation_timeout
        while time.perf_counter() < deadline:
            done, seen, cursor = 0, 0, None
            while True:
                params = {"project": slug, "page_size": 1000, **({"cursor": cursor} if cursor else {})}
                page = api.get("/documents/", params=params).json()
                seen += len(page["results"])
                done += sum(row["segmentation_status"] in ("done", "failed") for row in page["results"])
                cursor = page["next"]
                if not cursor:
                    break
            if seen == count and done == count:
                return round(time.perf_counter() - began, 2)
            time.sleep(2)
        raise SystemExit(f"segmentation of {slug} not done after {args.segmentation_timeout:.0f} s")

    def bulk_import() -> dict:
        slug = desk("bulk")
        began = time.perf_counter()
        stored = 0
        for first in range(0, args.articles, BULK_REQUEST):
            items = [article(n, "Bulk") for n in range(first, min(args.articles, first + BULK_REQUEST))]
            response = api.post("/documents/bulk", params={"project": slug}, json=items)
            response.raise_for_status()
            stored += response.json()["imported"]
        ids_s = round(time.perf_counter() - began, 2)
        if stored != args.articles:
            raise SystemExit(f"bulk import stored {stored} of {args.articles}")
        return {"articles": stored, "requests": -(-args.articles // BULK_REQUEST), "ids_s": ids_s,
                "segmented_s": wait_segmented(slug, stored, began)}  # fmt: skip

    def cli_import() -> dict:
        slug = desk("cli")
        with tempfile.TemporaryDirectory() as folder:
            for first in range(0, args.articles, BULK_REQUEST):  # files of 500 articles: under IMPORT_MAX_BYTES
                with (Path(folder) / f"articles-{first:06d}.jsonl").open("w") as out:
                    for n in range(first, min(args.articles, first + BULK_REQUEST)):
                        out.write(json.dumps(article(n, "CLI")) + "\n")
            began = time.perf_counter()
            command = [*shlex.split(args.cli), "import_articles", folder, "--project", slug]
            result = subprocess.run(command, capture_output=True, text=True, env=os.environ)
            ids_s = round(time.perf_counter() - began, 2)
        if result.returncode != 0:
            raise SystemExit(f"import_articles failed: {result.stderr[-500:]}")
        return {"articles": args.articles, "ids_s": ids_s, "segmented_s": wait_segmented(slug, args.articles, began),
                "summary": result.stdout.strip().splitlines()[-1]}  # fmt: skip

    def list_flatness() -> dict:
        slug = desk("long")
        api.post(f"/projects/{slug}/members/", json={"user": args.reviewer, "role": "reviewer"}).raise_for_status()
        sentences = [f"Claim {n} says that {n * 7 % 1000} schools opened in {1900 + n % 120}." for n in range(2000)]
        body = " ".join(sentences)
        document = api.post("/documents/", json={"project": slug, "title": "A long article", "body": body}).json()
        offsets, at = [], 0
        for sentence in sentences:
            offsets.append((at, at + len(sentence), sentence))
            at += len(sentence) + 1
        levels, written = {}, 0
        for level in LIST_STEPS:
            for start, end, text in offsets[written:level]:
                response = reviewer.post(
                    "/annotations/",
                    json={"document": document["id"], "start": start, "end": end, "exact": text, "verdict": "false"},
                )
                if response.status_code != 201:
                    raise SystemExit(f"span create answered {response.status_code}: {response.text[:300]}")
            written = level
            for name, params in (("page_100", {}), ("page_2500", {"page_size": 2500, "unit": "utf16"})):
                samples = []
                for _ in range(20):
                    began = time.perf_counter()
                    reviewer.get("/annotations/", params={"document": document["id"], **params}).raise_for_status()
                    samples.append(time.perf_counter() - began)
                levels[f"{level}_{name}_p50_ms"] = latency_stats(samples)["p50_ms"]
        return levels

    chosen = set(args.only or PHASES)
    for name, label, run in (("bulk", "f_import_bulk_api", bulk_import), ("cli", "g_import_cli", cli_import),
                             ("list", "h_list_one_article_10_to_2000", list_flatness)):  # fmt: skip
        if name in chosen:
            phase(label, servers, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
