from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotations import services
from annotations.domain.errors import AppError
from annotations.models import Project


class Command(BaseCommand):
    help = (
        "Import fact-checks from schema.org ClaimReview JSON-LD (our claimreview export, or a public feed: one "
        'ClaimReview, an array, @graph or a DataFeed) into a desk\'s reference set ("Checked before?"). '
        "Deduplicated by url; a bad item is reported with its position and the others still import."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="ClaimReview JSON-LD file(s).")
        parser.add_argument("--desk", "--project", dest="desk", required=True, help="Slug of the desk.")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["desk"]).first()
        if project is None:
            raise CommandError(f"no desk with slug {options['desk']!r}")
        failed = 0
        for path in options["paths"]:
            try:
                size = path.stat().st_size
                if size > settings.IMPORT_MAX_BYTES:
                    raise CommandError(f"{path}: {size:,} bytes, over the {settings.IMPORT_MAX_BYTES:,}-byte limit")
                data = path.read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
            try:
                report = services.claimreviews_import(project=project, user=None, data=data, source=str(path))
            except AppError as exc:
                raise CommandError(str(exc)) from None
            for result in report.results:
                if result["status"] == "failed":
                    self.stderr.write(f"error: {path}: item {result['item']}: {result['detail']}")
            failed += report.failed
            self.stdout.write(self.style.SUCCESS(
                f"{path}: {report.imported} imported, {report.duplicates} duplicates, {report.failed} failed"
            ))  # fmt: skip
        if failed:
            raise CommandError(f"{failed} item(s) could not be imported (see above)")
