import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import services
from annotations.importing import import_paths
from annotations.models import Project


class Command(BaseCommand):
    help = "Import articles (.txt, .json, .jsonl, .html files or folders) into a project."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Files or folders (searched recursively).")
        parser.add_argument("--project", required=True, help="Slug of the project to import into.")
        parser.add_argument(
            "--create-project", action="store_true", help="Create the project (named after the slug) if missing."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")

    def handle(self, *paths: Path, **options):
        slug = options["project"]
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            if not options["create_project"]:
                raise CommandError(f"no project with slug {slug!r} (create it in the admin or pass --create-project)")
            project = services.project_create(name=slug.replace("-", " ").title(), slug=slug)

        show_progress = not options["no_progress"] and sys.stderr.isatty()
        bar: tqdm | None = None

        def progress(items):
            nonlocal bar
            bar = tqdm(items, desc="Importing", unit="file", disable=not show_progress, file=sys.stderr)
            return bar

        def on_event(kind: str, message: str) -> None:
            line = self.style.ERROR(f"error: {message}") if kind == "failed" else message
            stream = self.stderr if kind == "failed" else self.stdout
            if bar is not None and not bar.disable:
                bar.clear()
                stream.write(line)
                bar.refresh()
            else:
                stream.write(line)

        report = import_paths(options["paths"], project=project, on_event=on_event, progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(self.style.SUCCESS(report.summary) if not report.failed else report.summary)
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) or record(s) could not be imported", returncode=1)
