"""The span workload of issue 17 against a running server, over the public API; one JSON line per phase.

    python bench/load.py --base-url URL --token ADMIN_TOKEN --reviewer NAME --reviewer-token TOKEN \
        [--articles 200] [--server-pid PID ...]

``--token`` is a site admin's (it creates the desks and adds the reviewer); the spans are written and listed as
``--reviewer``, a plain member of the desk, as a newsroom's reviewers are. Phases: (a) create the desks; (b) import
N articles (the seed articles cycled, each made unique by a first line "Copy N."), once one per request and once
as one bulk request (to a second desk), each timed to every id known and to every document segmented; (c) 10
spans per article, each a sentence with a verdict, one POST each: the first half of the articles from 1 client,
the second half from 8 concurrent clients (p50/p95/p99/mean, spans/s); (d) 100 sequential GETs listing one
article's annotations; (e) export all annotations as JSONL, 3 runs. Each line carries the CPU seconds and peak
RSS/PSS of the server process trees given with --server-pid (psutil), the CPU seconds of this client process
(``client_cpu_s``: on a 2-core machine the client's CPU is CPU the server does not get) and the load average.

The span and list phases (c, d) send their requests with ``--client``: ``stdlib`` (default), one keep-alive
``http.client`` connection per client thread (~0.7 ms of client CPU per request on this machine kind), or
``httpx`` (~1.6 ms), as the other phases do.
Not part of the test run; stdlib + httpx + psutil (requirements-dev).
"""

import argparse
import contextlib
import http.client
import json
import os
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import psutil

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))


class Servers:
    """CPU seconds and peak memory of the server process trees (web master + workers, Celery + pool)."""

    def __init__(self, pids: list[int]):
        self.roots = [psutil.Process(pid) for pid in pids]
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def processes(self) -> list[psutil.Process]:
        found = []
        for root in self.roots:
            with contextlib.suppress(psutil.NoSuchProcess):
                found += [root, *root.children(recursive=True)]
        return found

    def cpu(self) -> float:
        """Every live process's CPU plus that of the children it has reaped: a gunicorn worker recycled after
        its ``max_requests`` moves into its master's ``children_*`` times instead of dropping out of the sum."""
        total = 0.0
        for process in self.processes():
            try:
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.NoSuchProcess:
                pass
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            rss = pss = 0
            for process in self.processes():
                try:
                    memory = process.memory_full_info()
                    rss += memory.rss
                    pss += getattr(memory, "pss", memory.rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def reset_peaks(self) -> None:
        self.peak_rss = self.peak_pss = 0


def latency_stats(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"n": len(ordered), "p50_ms": round(pick(0.5), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}  # fmt: skip


class Response:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise SystemExit(f"answered {self.status_code}: {self.text[:300]}")


class StdlibClient:
    """The few calls of httpx.Client the hot phases make, on one keep-alive ``http.client`` connection (one per
    thread): the load generator shares the machine's cores with the server, so its own CPU per request matters."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout: float = 120):
        url = urlsplit(base_url)
        self.prefix = url.path.rstrip("/")
        self.headers = {**headers, "Accept": "application/json"}
        self.connection = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)

    def request(self, method: str, path: str, params=None, json_body=None) -> Response:
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        headers, body = self.headers, None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {**headers, "Content-Type": "application/json"}
        try:
            self.connection.request(method, target, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            if method != "GET":
                raise  # a write is never sent twice: the server may have stored it
            self.connection.close()  # the server closed the kept-alive connection (a recycled worker): once more
            self.connection.request(method, target, body=body, headers=headers)
            response = self.connection.getresponse()
        return Response(response.status, response.read())

    def get(self, path: str, params=None) -> Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, json=None) -> Response:
        return self.request("POST", path, json_body=json)


def phase(name: str, servers: Servers | None, run) -> dict:
    if servers:
        servers.reset_peaks()
        cpu_before = servers.cpu()
    client_before = time.process_time()
    started = time.perf_counter()
    result = run()
    line = {"phase": name, "seconds": round(time.perf_counter() - started, 3), **result,
            "client_cpu_s": round(time.process_time() - client_before, 3)}  # fmt: skip
    if servers:
        time.sleep(0.3)  # one more memory sample
        line |= {"server_cpu_s": round(servers.cpu() - cpu_before, 3),
                 "server_peak_rss_mb": round(servers.peak_rss / 2**20, 1),
                 "server_peak_pss_mb": round(servers.peak_pss / 2**20, 1)}  # fmt: skip
    line["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(line), flush=True)
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True, help="API token of a site admin")
    parser.add_argument("--reviewer", required=True, help="username of the reviewer who writes the spans")
    parser.add_argument("--reviewer-token", required=True, help="their API token")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--server-pid", type=int, action="append", default=[], help="repeatable: gunicorn, celery")
    parser.add_argument("--segmentation-timeout", type=float, default=600)
    parser.add_argument("--client", choices=("stdlib", "httpx"), default="stdlib",
                        help="HTTP client of the span and list phases (default: stdlib http.client)")  # fmt: skip
    args = parser.parse_args()
    headers = {"Authorization": f"Token {args.token}"}
    api = httpx.Client(base_url=args.base_url.rstrip("/") + "/api/v1", headers=headers, timeout=120)
    reviewer_headers = {"Authorization": f"Token {args.reviewer_token}"}
    hot_client = StdlibClient if args.client == "stdlib" else httpx.Client
    as_reviewer = hot_client(base_url=str(api.base_url), headers=reviewer_headers, timeout=120)
    servers = Servers(args.server_pid) if args.server_pid else None
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    seeds = [path.read_text() for path in SEEDS]

    bulk_slug = f"{slug}-bulk"

    def create_desk() -> dict:
        for desk in (slug, bulk_slug):  # the bulk import goes to a desk of its own (same texts: no duplicates)
            response = api.post("/projects/", json={"name": f"Bench {desk}", "slug": desk})
            response.raise_for_status()
        api.post(f"/projects/{slug}/members/", json={"user": args.reviewer, "role": "reviewer"}).raise_for_status()
        return {"slug": slug, "bulk_slug": bulk_slug, "spans_by": f"{args.reviewer} (reviewer)"}

    phase("a_create_desk", servers, create_desk)

    def memory_by_process() -> dict:
        """PSS and RSS of each server process now (before and after the workload): what each part holds."""
        rows = []
        for root in servers.roots if servers else []:
            with contextlib.suppress(psutil.NoSuchProcess):
                for depth, process in [(0, root)] + [(1, child) for child in root.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                        memory = process.memory_full_info()
                        command = " ".join(process.cmdline()[1:4])
                        rows.append({"pid": process.pid, "role": ("main " if depth == 0 else "child ") + command,
                                     "pss_mb": round(getattr(memory, "pss", memory.rss) / 2**20, 1),
                                     "uss_mb": round(getattr(memory, "uss", memory.rss) / 2**20, 1),
                                     "rss_mb": round(memory.rss / 2**20, 1)})  # fmt: skip
        return {"processes": rows, "pss_total_mb": round(sum(row["pss_mb"] for row in rows), 1)}

    phase("a_memory_by_process_idle", servers, memory_by_process)  # warm, before the workload
    ids: list[int] = []

    def wait_segmented(desk: str, count: int) -> None:
        deadline = time.perf_counter() + args.segmentation_timeout
        while time.perf_counter() < deadline:
            rows, cursor = [], None
            while True:
                params = {"project": desk, "page_size": 1000, **({"cursor": cursor} if cursor else {})}
                page = api.get("/documents/", params=params).json()
                rows += page["results"]
                cursor = page["next"]
                if not cursor:
                    break
            if len(rows) == count and all(row["segmentation_status"] in ("done", "failed") for row in rows):
                return
            time.sleep(0.2)
        raise SystemExit(f"segmentation of {desk} not done after {args.segmentation_timeout:.0f} s")

    def article(n: int) -> dict:
        title, body = seeds[n % len(seeds)].split("\n", 1)
        return {"title": f"Copy {n}: {title}", "body": f"Copy {n}.\n\n{body}"}

    def import_one_per_request() -> dict:
        began = time.perf_counter()
        for n in range(args.articles):
            response = api.post("/documents/", json={"project": slug, **article(n)})
            response.raise_for_status()
            ids.append(response.json()["id"])
        ids_s = time.perf_counter() - began
        wait_segmented(slug, len(ids))
        return {"articles": len(ids), "ids_s": round(ids_s, 3),
                "segmented_s": round(time.perf_counter() - began, 3)}  # fmt: skip

    def import_bulk() -> dict:
        began = time.perf_counter()
        response = api.post("/documents/bulk", params={"project": bulk_slug},
                            json=[article(n) for n in range(args.articles)])  # fmt: skip
        response.raise_for_status()
        imported = response.json()["imported"]
        ids_s = time.perf_counter() - began
        if imported != args.articles:
            raise SystemExit(f"bulk import stored {imported} of {args.articles} articles: {response.text[:300]}")
        wait_segmented(bulk_slug, imported)
        return {"articles": imported, "ids_s": round(ids_s, 3),
                "segmented_s": round(time.perf_counter() - began, 3)}  # fmt: skip

    phase("b_import_one_per_request", servers, import_one_per_request)
    phase("b_import_bulk", servers, import_bulk)

    spans: dict[int, list[tuple[int, int, str]]] = {}
    for document_id in ids:
        claims = api.get(f"/documents/{document_id}/claims/", params={"order": "position", "page_size": 40}).json()
        spans[document_id] = [(c["start"], c["end"], c["text"]) for c in claims["results"][:10]]

    def post_span(document_id: int, span: tuple[int, int, str], client) -> float:
        start, end, text = span
        began = time.perf_counter()
        response = client.post("/annotations/", json={"document": document_id, "start": start, "end": end,
                                                       "exact": text, "verdict": "mostly_true"})  # fmt: skip
        elapsed = time.perf_counter() - began
        if response.status_code != 201:
            raise SystemExit(f"span create answered {response.status_code}: {response.text[:300]}")
        return elapsed

    half = len(ids) // 2

    def spans_one_client() -> dict:
        samples = [post_span(d, span, as_reviewer) for d in ids[:half] for span in spans[d]]
        return {"clients": 1, "client": args.client, **latency_stats(samples),
                "spans_per_s": round(len(samples) / sum(samples), 1)}  # fmt: skip

    phase("c_spans_1_client", servers, spans_one_client)

    def spans_eight_clients() -> dict:
        work = [(d, span) for d in ids[half:] for span in spans[d]]
        local = threading.local()

        def client():
            if not hasattr(local, "client"):
                local.client = hot_client(base_url=str(api.base_url), headers=reviewer_headers, timeout=120)
            return local.client

        began = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            samples = list(pool.map(lambda item: post_span(item[0], item[1], client()), work))
        wall = time.perf_counter() - began
        return {"clients": 8, "client": args.client, **latency_stats(samples),
                "spans_per_s": round(len(samples) / wall, 1)}  # fmt: skip

    phase("c_spans_8_clients", servers, spans_eight_clients)

    def list_one_article() -> dict:
        samples = []
        for _ in range(100):
            began = time.perf_counter()
            as_reviewer.get("/annotations/", params={"document": ids[0], "unit": "utf16"}).raise_for_status()
            samples.append(time.perf_counter() - began)
        return {"client": args.client, **latency_stats(samples)}

    phase("d_list_one_article", servers, list_one_article)

    def export_jsonl() -> dict:
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            with api.stream("GET", f"/projects/{slug}/export", params={"format": "jsonl"}) as response:
                first = None
                size = 0
                for chunk in response.iter_bytes():
                    first = first or time.perf_counter() - began
                    size += len(chunk)
            runs.append({"s": round(time.perf_counter() - began, 3), "first_byte_ms": round((first or 0) * 1000, 1),
                         "bytes": size})  # fmt: skip
        return {"runs": runs}

    phase("e_export_jsonl", servers, export_jsonl)

    phase("f_memory_by_process", servers, memory_by_process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
