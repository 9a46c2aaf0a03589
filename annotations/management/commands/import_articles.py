import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotations import services
from annotations.domain.article_files import ArticleFileError, read_article_file
from annotations.importing import import_paths
from annotations.models import Document, Project


class Command(BaseCommand):
    help = "Import articles (.txt, .json, .jsonl, .html files or folders) into a project."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Files or folders (searched recursively).")
        parser.add_argument("--project", required=True, help="Slug of the project to import into.")
        parser.add_argument(
            "--create-project", action="store_true", help="Create the project (named after the slug) if missing."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not show a progress bar.")
        parser.add_argument(
            "--new-version-of", type=int, metavar="ID",
            help="Store the one article of the one file given as a new version of document ID (a corrected text; "
            "its annotations are re-anchored). A re-import of an article with the same source URL does this by itself.",
        )  # fmt: skip

    def handle(self, *paths: Path, **options):
        slug = options["project"]
        project = Project.objects.filter(slug=slug).first()
        if project is None:
            if not options["create_project"]:
                raise CommandError(f"no project with slug {slug!r} (create it in the admin or pass --create-project)")
            project = services.project_create(name=slug.replace("-", " ").title(), slug=slug)
        if options["new_version_of"] is not None:
            self._new_version(options["paths"], project, options["new_version_of"])
            return

        show_progress = not options["no_progress"] and sys.stderr.isatty()
        bar: tqdm | None = None

        def progress(items):
            nonlocal bar
            bar = tqdm(items, desc="Importing", unit="file", disable=not show_progress, file=sys.stderr)
            return bar

        articles = 0

        def on_event(kind: str, message: str) -> None:
            nonlocal articles
            articles += 1
            line = self.style.ERROR(f"error: {message}") if kind == "failed" else message
            stream = self.stderr if kind == "failed" else self.stdout
            if bar is not None and not bar.disable:
                bar.clear()
                if kind == "failed" or options["verbosity"] > 1:  # the bar shows the rest; -v 2 lists each article
                    stream.write(line)
                bar.set_postfix_str(f"{articles:,} articles", refresh=False)  # a JSON Lines file is one file
                bar.refresh()
            else:
                stream.write(line)

        report = import_paths(options["paths"], project=project, on_event=on_event, progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(self.style.SUCCESS(report.summary) if not report.failed else report.summary)
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) or record(s) could not be imported", returncode=1)

    def _new_version(self, paths: list[Path], project: Project, document_id: int) -> None:
        document = Document.objects.filter(pk=document_id, project=project).first()
        if document is None:
            raise CommandError(f"no document #{document_id} in project {project.slug!r}")
        records = [] if len(paths) != 1 else list(read_article_file(paths[0], max_bytes=settings.IMPORT_MAX_BYTES))
        errors = [str(r) for r in records if isinstance(r, ArticleFileError)]
        if errors:
            raise CommandError("; ".join(errors))
        if len(records) != 1:
            raise CommandError("--new-version-of takes one file holding one article")
        try:
            outcome = services.document_new_version(document=document, body=records[0].body, user=None,
                                                    reason=f"new version ({paths[0].name})")  # fmt: skip
        except services.AppError as exc:
            raise CommandError(str(exc)) from None
        if outcome.created:
            self.stdout.write(self.style.SUCCESS(f"#{document.pk}: stored version {outcome.version}"))
        else:
            self.stdout.write(f"#{document.pk}: the same text as version {outcome.version}; nothing stored")
