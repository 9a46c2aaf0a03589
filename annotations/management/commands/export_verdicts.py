import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations.domain.export_formats import FORMATS
from annotations.exporting import ExportRejected, export_chunks, export_count
from annotations.models import Project

DEFAULT_BASE_URL = "http://localhost:8000"  # used when neither --base-url nor SITE_URL is set


class Command(BaseCommand):
    help = (
        "Export a project's annotations with their verdicts: json, jsonl (lossless; import_verdicts reads it), csv, "
        "claimreview (schema.org, approved and published verdicts) or webannotation (W3C Web Annotation JSON-LD)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="Slug of the project to export.")
        parser.add_argument("--format", choices=list(FORMATS), default="jsonl", help="Output format (default jsonl).")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file (default: standard output).")
        parser.add_argument(
            "--status", action="append", metavar="STATUS", help="Only annotations with this status (repeatable)."
        )
        parser.add_argument("--document", type=int, metavar="ID", help="Only annotations of this document.")
        parser.add_argument("--author", metavar="USERNAME", help="Only annotations by this user.")
        parser.add_argument("--verdict", action="append", metavar="VERDICT", help="Only this verdict (repeatable).")
        parser.add_argument("--updated-since", metavar="ISO8601", help="Only annotations changed since then.")
        parser.add_argument("--q", metavar="TEXT", help="Only annotations whose quote contains TEXT.")
        parser.add_argument(
            "--base-url",
            default=settings.SITE_URL or DEFAULT_BASE_URL,
            help="Public address of this site, for ClaimReview urls and Web Annotation ids "
            f"(default: the SITE_URL setting, else {DEFAULT_BASE_URL}).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *args, **options):
        slug = options["project"]
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            raise CommandError(f"no project with slug {slug!r}")
        name = options["format"]
        filters = {
            key: value
            for key, value in {
                "document": options["document"],
                "author": options["author"],
                "verdict": options["verdict"],
                "updated_since": options["updated_since"],
                "q": options["q"],
            }.items()
            if value not in (None, [])
        }
        status = options["status"]
        if name in ("claimreview", "webannotation") and options["base_url"] == DEFAULT_BASE_URL:
            self.stderr.write(
                f"note: links point at {DEFAULT_BASE_URL}; set SITE_URL or pass --base-url (the public address)",
                style_func=self.style.NOTICE,
            )
        show = not options["no_progress"] and sys.stderr.isatty()
        written = 0
        try:
            total = export_count(name, project=project, filters=filters, status=status) if show else None
        except ExportRejected as exc:
            raise CommandError(str(exc)) from None
        with tqdm(total=total, desc=f"Exporting {name}", unit="annotation", disable=not show, file=sys.stderr) as bar:

            def on_progress(count: int) -> None:
                nonlocal written
                written += count
                bar.update(count)

            try:
                chunks = export_chunks(
                    name, project=project, base_url=options["base_url"], filters=filters, status=status,
                    on_progress=on_progress,
                )  # fmt: skip
            except ExportRejected as exc:
                raise CommandError(str(exc)) from None
            output: Path | None = options["output"]
            if output is None:
                for chunk in chunks:
                    self.stdout.write(chunk.decode("utf-8"), ending="")
            else:
                self._write_file(output, chunks)
        if options["output"] is None:  # the data went to standard output: report on standard error, unstyled
            self.stderr.write(f"{written} annotation(s) exported as {name}", style_func=str)
        else:
            self.stdout.write(self.style.SUCCESS(f"{written} annotation(s) exported as {name} to {options['output']}"))

    def _write_file(self, output: Path, chunks) -> None:
        """Write next to the target and rename at the end: a failed export never leaves half a file."""
        partial = output.with_name(output.name + ".partial")
        try:
            with open(partial, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(partial, output)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
