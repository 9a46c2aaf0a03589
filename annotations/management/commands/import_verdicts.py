from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations import services
from annotations.domain.errors import AppError
from annotations.importing_verdicts import import_verdict_lines
from annotations.models import Project


class Command(BaseCommand):
    help = (
        "Import verdicts from a JSON Lines export (export_verdicts --format jsonl) into a project. Documents are "
        "matched by content or created from the file; each file is imported completely or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="JSON Lines export file(s).")
        parser.add_argument("--project", required=True, help="Slug of the project to import into.")
        parser.add_argument(
            "--create-project", action="store_true", help="Create the project (named after the slug) if missing."
        )

    def handle(self, *args, **options):
        slug = options["project"]
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            if not options["create_project"]:
                raise CommandError(f"no project with slug {slug!r} (create it in the admin or pass --create-project)")
            project = services.project_create(name=slug.replace("-", " ").title(), slug=slug)
        done: list[str] = []
        for path in options["paths"]:
            try:
                with open(path, "rb") as handle:
                    report = import_verdict_lines(handle, project=project, source=str(path))
            except OSError as exc:
                raise CommandError(self._stopped(f"cannot read {path}: {exc.strerror or exc}", done)) from None
            except AppError as exc:  # a bad line (FILE:LINE: reason) or a refusal: nothing of this file was written
                raise CommandError(self._stopped(f"{exc} (nothing from this file was imported)", done)) from None
            self.stdout.write(self.style.SUCCESS(f"{path}: {report.summary}"))
            done.append(str(path))

    @staticmethod
    def _stopped(message: str, done: list[str]) -> str:
        return message + (f"; already imported: {', '.join(done)}" if done else "")
