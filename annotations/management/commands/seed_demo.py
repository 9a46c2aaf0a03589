from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations import services
from annotations.importing import import_paths
from annotations.models import Annotation, Document, Role

DEMO_PROJECT = ("Demo desk", "demo")
# username → (role, is_staff, is_superuser). Development only: refused when DEBUG is off. Roles decide what
# each can do (annotations/access.py): no Django permissions are assigned.
DEMO_USERS = {
    "reviewer": (Role.REVIEWER, False, False),
    "reviewer2": (Role.REVIEWER, False, False),
    "editor": (Role.EDITOR, False, False),
    "admin": (Role.ADMIN, True, True),
}
# (author, quote found verbatim in a seed, verdict, rationale, evidence URL): submitted for the editor to review.
DEMO_ANNOTATIONS = [
    ("reviewer", "Maduro recently pleaded with Russian President Vladimir Putin for military aid", "mostly_true",
     "The Washington Post reported the letter; its delivery is unconfirmed.", "https://www.washingtonpost.com/"),
    ("reviewer2", "Maduro recently pleaded with Russian President Vladimir Putin for military aid", "false",
     "No primary source for the letter is linked.", ""),
    ("reviewer", "In 2018, two Russian strategic bombers with nuclear capabilities landed in Venezuela", "true",
     "Widely reported in December 2018 (Tu-160 bombers).", "https://www.reuters.com/"),
    ("reviewer2", "the U.S. deploys 11 warships and 15,000 troops to the Caribbean", "unverifiable",
     "Figures vary between outlets.", ""),
]  # fmt: skip


class Command(BaseCommand):
    help = "Development only: create the demo project, demo users and import seeds/."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=Path(settings.BASE_DIR) / "seeds")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with known passwords; it only runs with DEBUG=true")
        with transaction.atomic():
            project = services.project_create(
                name=DEMO_PROJECT[0], slug=DEMO_PROJECT[1],
                description="Claims about Russia and Venezuela in the news (two seed articles).",
                guidelines="Judge the claim as written, not the article. Cite at least one primary source; "
                "use Unverifiable when no source can settle it.",
            )  # fmt: skip
            credentials = self._users(project)
        report = import_paths([options["seeds"]], project=project, imported_by=None, on_event=self._event)
        self.stdout.write(f"Seeds: {report.summary}")
        self._annotations(project)
        self.stdout.write(self.style.SUCCESS("Demo users (development only):"))
        for username, password in credentials:
            self.stdout.write(f"  {username:<10} password: {password}")
        if report.failed:
            raise CommandError("some seed files could not be imported")

    def _users(self, project):
        User = get_user_model()
        credentials = []
        for username, (role, is_staff, is_superuser) in DEMO_USERS.items():
            password = f"{username}-demo-pass"
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": is_staff, "is_superuser": is_superuser}
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            services.membership_set(project=project, user=user, role=role)
            credentials.append((username, password if created else f"{password}  (existing user, not reset)"))
        return credentials

    def _annotations(self, project) -> None:
        """A few submitted verdicts (one pair disagreeing) so the review queue has work on a fresh start."""
        if Annotation.objects.filter(document__project=project).exists():
            return
        users = {u.username: u for u in get_user_model().objects.filter(username__in=DEMO_USERS)}
        documents = list(Document.objects.filter(project=project))
        created = 0
        for username, quote, verdict, rationale, url in DEMO_ANNOTATIONS:
            document = next((d for d in documents if quote in d.body), None)
            if document is None:
                continue
            start = document.body.index(quote)
            evidence = [{"url": url, "title": "Source", "stance": "context"}] if url else []
            annotation = services.annotation_create(
                document=document, author=users[username], start=start, end=start + len(quote), quote=quote,
                verdict=verdict, rationale=rationale, evidence=evidence,
            )  # fmt: skip
            services.annotation_submit(annotation_id=annotation.pk, user=users[username])
            created += 1
        self.stdout.write(f"Demo annotations: {created} submitted for review")

    def _event(self, kind: str, message: str) -> None:
        (self.stderr if kind == "failed" else self.stdout).write(message)
