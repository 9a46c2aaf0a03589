import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotations import selectors
from annotations.models import Project


class Command(BaseCommand):
    help = (
        "Export reviewers' check-worthiness feedback as training rows (JSON lines: text, label, sources, project, "
        "score): accepted claims are 1, dismissed claims 0, annotated spans 1. `train_checkworthiness --feedback "
        "FILE` and the encoder's training script add them to CT24."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", action="append", metavar="SLUG", help="Only this desk (repeatable).")
        parser.add_argument("-o", "--output", type=Path, help="Write to this file (default: standard output).")

    def handle(self, *args, **options):
        projects = [None]
        if options["project"]:
            found = {p.slug: p for p in Project.objects.filter(slug__in=options["project"])}
            missing = [slug for slug in options["project"] if slug not in found]
            if missing:
                raise CommandError(f"no project with slug {', '.join(map(repr, missing))}")
            projects = [found[slug] for slug in options["project"]]
        rows = [row for project in projects for row in selectors.checkworthiness_feedback(project=project)]
        lines = "".join(
            json.dumps(
                {"text": r.text, "label": r.label, "sources": list(r.sources), "project": r.project, "score": r.score},
                ensure_ascii=False,
            )
            + "\n"
            for r in rows
        )
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(lines, ending="")
        else:
            try:
                output.write_text(lines, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"{output}: cannot write ({error.strerror})") from None
        positives = sum(r.label for r in rows)
        self.stderr.write(f"{len(rows)} rows ({positives} check-worthy, {len(rows) - positives} not)")
