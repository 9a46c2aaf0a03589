from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotations import services
from annotations.importing import import_paths
from annotations.models import Role

DEMO_PROJECT = ("Demo desk", "demo")
# username → (role, is_staff, is_superuser). Development only: refused when DEBUG is off.
DEMO_USERS = {
    "reviewer": (Role.REVIEWER, False, False),
    "reviewer2": (Role.REVIEWER, False, False),
    "editor": (Role.EDITOR, True, False),
    "admin": (Role.ADMIN, True, True),
}
EDITOR_PERMISSIONS = ["view_document", "view_claim", "view_annotation", "change_annotation", "view_evidencelink"]


class Command(BaseCommand):
    help = "Development only: create the demo project, demo users and import seeds/."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=Path(settings.BASE_DIR) / "seeds")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates users with known passwords; it only runs with DEBUG=true")
        with transaction.atomic():
            project = services.project_create(name=DEMO_PROJECT[0], slug=DEMO_PROJECT[1])
            credentials = self._users(project)
        report = import_paths([options["seeds"]], project=project, imported_by=None, on_event=self._event)
        self.stdout.write(f"Seeds: {report.summary}")
        self.stdout.write(self.style.SUCCESS("Demo users (development only):"))
        for username, password in credentials:
            self.stdout.write(f"  {username:<10} password: {password}")
        if report.failed:
            raise CommandError("some seed files could not be imported")

    def _users(self, project):
        User = get_user_model()
        editor_permissions = list(
            Permission.objects.filter(content_type__app_label="annotations", codename__in=EDITOR_PERMISSIONS)
        )
        credentials = []
        for username, (role, is_staff, is_superuser) in DEMO_USERS.items():
            password = f"{username}-demo-pass"
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": is_staff, "is_superuser": is_superuser}
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            if role == Role.EDITOR:
                user.user_permissions.add(*editor_permissions)
            services.membership_set(project=project, user=user, role=role)
            credentials.append((username, password if created else f"{password}  (existing user, not reset)"))
        return credentials

    def _event(self, kind: str, message: str) -> None:
        (self.stderr if kind == "failed" else self.stdout).write(message)
