"""Benchmark verdict exports: seed N annotations into a throwaway project, then time every format.

    DEBUG=true DATABASE_URL=postgres://… python manage.py bench_export --count 100000
    python manage.py bench_export --cleanup          # delete the throwaway project and its users

Each format runs through the generator the API streams (``exporting.export_chunks``), then once
through the Django test client reading the API's StreamingHttpResponse. Reported per run: seconds,
rows/s, output size, resident-memory growth (sampled from /proc/self/statm while streaming) and,
in a separate pass, the tracemalloc peak of Python allocations. Target: 100,000 annotations in
≤ 5 s with ≤ 50 MB growth.
"""

import gc
import json
import os
import time
import tracemalloc
from collections.abc import Callable, Iterable
from itertools import cycle

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from annotations.domain.export_formats import FORMATS
from annotations.domain.spans import quote_selector
from annotations.domain.text import content_sha256
from annotations.domain.verdicts import Verdict
from annotations.exporting import export_chunks, export_count
from annotations.models import (
    Annotation,
    AnnotationStatus,
    Document,
    EvidenceLink,
    Membership,
    Project,
    Role,
    SegmentationStatus,
    Stance,
)

SLUG = "bench-export"
USER_PREFIX = "bench-export-"
PER_DOCUMENT = 100
BATCH = 5000
TARGET_SECONDS, TARGET_MB = 5.0, 50.0
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SENTENCES = [
    "The minister said unemployment fell to {n}.{m} percent last year, the lowest since 1969.",
    "Critics replied that café owners 😀 saw prices rise by {n} % in {m} months.",
    "According to the report, {n} thousand jobs were created in Zoë's region — mostly part-time.",
    "She claimed the budget “doubled” to €{n}.{m} billion, which the treasury disputes.",
    "Naïve estimates put the cost at {n} million, while the audit office found {m} times more.",
]
STATUSES = [AnnotationStatus.APPROVED, AnnotationStatus.SUBMITTED, AnnotationStatus.DRAFT, AnnotationStatus.PUBLISHED]


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except OSError:  # not Linux: fall back to the peak, which only ever grows
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Command(BaseCommand):
    help = "Seed N annotations into the throwaway project 'bench-export' and time every export format."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000, help="Annotations to seed (default 100,000).")
        parser.add_argument("--formats", default=",".join(FORMATS), help="Comma-separated formats to time.")
        parser.add_argument("--reseed", action="store_true", help="Delete and seed again even if the data is there.")
        parser.add_argument("--cleanup", action="store_true", help="Delete the throwaway project and users, then stop.")
        parser.add_argument("--no-client", action="store_true", help="Skip the runs through the Django test client.")
        parser.add_argument("--no-tracemalloc", action="store_true", help="Skip the tracemalloc passes.")
        parser.add_argument("--json", action="store_true", help="Print the results as JSON as well.")

    def handle(self, *args, **options):
        if options["cleanup"]:
            self.stdout.write(self.cleanup())
            return
        names = [n.strip() for n in options["formats"].split(",") if n.strip()]
        unknown = [n for n in names if n not in FORMATS]
        if unknown:
            raise CommandError(f"unknown format(s) {', '.join(unknown)}; valid: {', '.join(FORMATS)}")
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        project = self.seeded_project(options["count"], reseed=options["reseed"])
        db = connection.vendor + (f" {connection.pg_version // 10000}" if connection.vendor == "postgresql" else "")
        self.stdout.write(f"database: {db}; annotations: {options['count']:,}")
        results = []
        self.warm_up(project)
        for name in names:
            rows = export_count(name, project=project)
            results.append(self.run(name, "generator", rows, lambda n=name: self.generator(project, n), options))
            if not options["no_client"]:
                results.append(self.run(name, "test client", rows, lambda n=name: self.client_stream(n), options))
        self.report(results)
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))

    # ---- seeding ------------------------------------------------------------------------------

    def seeded_project(self, count: int, *, reseed: bool) -> Project:
        project = Project.objects.filter(slug=SLUG).first()
        if project is not None and not reseed:
            have = Annotation.objects.filter(document__project=project).count()
            if have == count:
                self.stdout.write(f"reusing {have:,} annotations in project {SLUG!r} (--reseed to seed again)")
                return project
        if project is not None:
            self.stdout.write(self.cleanup())
        started = time.perf_counter()
        project = self.seed(count)
        self.stdout.write(f"seeded {count:,} annotations in {time.perf_counter() - started:.1f} s")
        return project

    @transaction.atomic
    def seed(self, count: int) -> Project:
        project = Project.objects.create(slug=SLUG, name="Export benchmark (throwaway; bench_export --cleanup)")
        user_model = get_user_model()
        users = []
        for i in range(1, 6):
            user = user_model(username=f"{USER_PREFIX}{i}")
            user.set_unusable_password()
            users.append(user)
        users = user_model.objects.bulk_create(users)
        Membership.objects.bulk_create(
            [
                Membership(project=project, user=u, role=Role.EDITOR if i == 0 else Role.REVIEWER)
                for i, u in enumerate(users)
            ]
        )
        documents, spans = [], []
        for d in range((count + PER_DOCUMENT - 1) // PER_DOCUMENT):
            parts, offsets, position = [], [], 0
            for s in range(min(PER_DOCUMENT, count - d * PER_DOCUMENT)):
                sentence = SENTENCES[(d + s) % len(SENTENCES)].format(n=d % 97 + s, m=s % 10)
                sentence = f"{sentence} (item {d}-{s})"
                offsets.append((position, position + len(sentence)))
                parts.append(sentence)
                position += len(sentence) + 1
            body = " ".join(parts)
            documents.append(
                Document(
                    project=project, title=f"Benchmark article {d}", body=body, content_sha256=content_sha256(body),
                    source_url=f"https://news.example.com/bench/{d}", author="Bench Writer",
                    segmentation_status=SegmentationStatus.DONE, segmenter_version="bench", metadata={},
                )
            )  # fmt: skip
            spans.append(offsets)
        documents = Document.objects.bulk_create(documents, batch_size=500)
        verdicts, statuses, authors = cycle(list(Verdict)), cycle(STATUSES), cycle(users)
        stances = cycle(list(Stance))
        pending: list[Annotation] = []
        for document, offsets in zip(documents, spans, strict=True):
            for start, end in offsets:
                selector = quote_selector(document.body, start, end)
                pending.append(
                    Annotation(
                        document=document, author=next(authors), start=start, end=end, quote=selector.exact,
                        prefix=selector.prefix, suffix=selector.suffix, verdict=next(verdicts),
                        rationale=f"Checked against the official series; see the sources ({start}).",
                        status=next(statuses),
                    )
                )  # fmt: skip
            if len(pending) >= BATCH:
                self._save(pending, stances)
                pending = []
        if pending:
            self._save(pending, stances)
        return project

    @staticmethod
    def _save(annotations: list[Annotation], stances: Iterable) -> None:
        created = Annotation.objects.bulk_create(annotations, batch_size=BATCH)
        links = []
        for i, annotation in enumerate(created):
            for k in range(i % 3):  # 0, 1 or 2 evidence links: 1 on average
                links.append(
                    EvidenceLink(
                        annotation_id=annotation.pk, url=f"https://stats.example.gov/series/{annotation.pk}/{k}",
                        title=f"Official series {k}", stance=next(stances), added_by_id=annotation.author_id,
                    )
                )  # fmt: skip
        EvidenceLink.objects.bulk_create(links, batch_size=BATCH)

    def cleanup(self) -> str:
        project = Project.objects.filter(slug=SLUG).first()
        users = get_user_model().objects.filter(username__startswith=USER_PREFIX)
        if project is None and not users.exists():
            return f"nothing to clean up: no project {SLUG!r}"
        with transaction.atomic():
            if project is not None:
                annotations = Annotation.objects.filter(document__project=project)
                EvidenceLink.objects.filter(
                    annotation__in=annotations
                ).delete()  # nothing points at evidence: one DELETE
                ids = list(annotations.values_list("pk", flat=True))
                for i in range(0, len(ids), BATCH):
                    Annotation.objects.filter(pk__in=ids[i : i + BATCH]).delete()
                project.delete()
            deleted_users, _ = users.delete()
        return f"deleted project {SLUG!r} and its data, and {deleted_users} bench user(s)"

    # ---- measuring ----------------------------------------------------------------------------

    def generator(self, project: Project, name: str):
        return export_chunks(name, project=project, base_url="https://bench.example.org")

    def client_stream(self, name: str):
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=f"{USER_PREFIX}1"))
        url = reverse("api-project-export", kwargs={"slug": SLUG}) + f"?format={name}"
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return response.streaming_content

    def warm_up(self, project: Project) -> None:
        first = Document.objects.filter(project=project).order_by("pk").values_list("pk", flat=True).first()
        for name in FORMATS:
            for _ in export_chunks(name, project=project, base_url="https://x.example", filters={"document": first}):
                pass

    def run(self, name: str, via: str, rows: int, make: Callable[[], Iterable[bytes]], options) -> dict:
        gc.collect()
        before = peak = rss_bytes()
        size = 0
        first_byte = None
        started = time.perf_counter()
        for chunks, chunk in enumerate(make(), start=1):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            if chunks % 8 == 0:
                peak = max(peak, rss_bytes())
        seconds = time.perf_counter() - started
        peak = max(peak, rss_bytes())
        result = {
            "format": name,
            "via": via,
            "rows": rows,
            "seconds": round(seconds, 3),
            "first_byte_s": round(first_byte or 0.0, 3),
            "rows_per_s": round(rows / seconds) if seconds else None,
            "output_mb": round(size / 1e6, 1),
            "rss_growth_mb": round((peak - before) / 1e6, 1),
        }
        if not options["no_tracemalloc"]:
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            for _chunk in make():
                pass
            result["tracemalloc_peak_mb"] = round((tracemalloc.get_traced_memory()[1] - base) / 1e6, 1)
            tracemalloc.stop()
        return result

    def report(self, results: list[dict]) -> None:
        header = f"{'format':<14}{'via':<13}{'rows':>8}{'seconds':>9}{'rows/s':>10}{'1st byte':>9}{'out MB':>8}"
        header += f"{'RSS +MB':>9}{'tracemalloc MB':>16}  target"
        self.stdout.write(header)
        for r in results:
            ok = r["seconds"] <= TARGET_SECONDS * max(1, r["rows"] / 100_000) and r["rss_growth_mb"] <= TARGET_MB
            self.stdout.write(
                f"{r['format']:<14}{r['via']:<13}{r['rows']:>8,}{r['seconds']:>9.2f}{r['rows_per_s'] or 0:>10,}"
                f"{r['first_byte_s']:>9.2f}{r['output_mb']:>8.1f}{r['rss_growth_mb']:>9.1f}"
                f"{r.get('tracemalloc_peak_mb', float('nan')):>16.1f}  {'ok' if ok else 'MISSED'}"
            )
