"""Desks (``Project``) and their members. Site admins create desks; desk admins manage members."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations import access
from annotations.domain.vocabulary import Role
from annotations.models import AuditEvent, Membership, Project
from annotations.services.audit import audit_desk
from annotations.services.errors import Conflict, Forbidden, Invalid

PROJECT, MEMBERSHIP = AuditEvent.ObjectType.PROJECT, AuditEvent.ObjectType.MEMBERSHIP


@transaction.atomic
def project_create(*, name: str, slug: str, user: AbstractBaseUser | None = None) -> Project:
    """Create the desk ``slug`` (or return it if it exists). ``user`` None: a command (the site itself)."""
    if user is not None and not access.can_create_projects(user):
        raise Forbidden("only site admins create desks")
    project, created = Project.objects.get_or_create(slug=slug, defaults={"name": name})
    if created:
        audit_desk(project.pk, PROJECT, project.pk, AuditEvent.Action.CREATE, user,
                   changes={"name": [None, project.name], "slug": [None, project.slug]})  # fmt: skip
    return project


@transaction.atomic
def project_update(*, project: Project, user: AbstractBaseUser | None, name: str) -> Project:
    """Rename a desk (its admins; the slug stays: links and exports use it)."""
    _check_manager(user, project)
    name = " ".join(name.split())
    if not name:
        raise Invalid("the desk needs a name")
    before = Project.objects.filter(pk=project.pk).values_list("name", flat=True).get()  # not the form's copy
    Project.objects.filter(pk=project.pk).update(name=name[:200])
    project.refresh_from_db()
    if project.name != before:
        audit_desk(project.pk, PROJECT, project.pk, AuditEvent.Action.UPDATE, user,
                   changes={"name": [before, project.name]})  # fmt: skip
    return project


def _check_manager(actor: AbstractBaseUser | None, project: Project) -> None:
    if actor is not None and not access.can_manage_members(actor, project):
        access.require(actor, project, Role.REVIEWER)  # outsiders: 404
        raise Forbidden("only admins of this desk manage its members")


def _other_admins(project: Project, user: AbstractBaseUser) -> bool:
    return Membership.objects.filter(project=project, role=Role.ADMIN).exclude(user=user).exists()


@transaction.atomic
def membership_set(
    *, project: Project, user: AbstractBaseUser, role: str = Role.REVIEWER, actor: AbstractBaseUser | None = None
) -> Membership:
    """Add ``user`` to the desk with ``role``, or change their role. The last desk admin keeps the role."""
    if role not in Role.values:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    _check_manager(actor, project)
    current = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if current and current.role == Role.ADMIN and role != Role.ADMIN and not _other_admins(project, user):
        raise Conflict(f"{user} is the last admin of {project}: make someone else admin first")
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    if current is None or current.role != role:
        name = user.get_username()
        action = AuditEvent.Action.UPDATE if current else AuditEvent.Action.CREATE
        changes = {"user": [name, name] if current else [None, name], "role": [current.role if current else None, role]}
        audit_desk(project.pk, MEMBERSHIP, membership.pk, action, actor, changes=changes)
    return membership


@transaction.atomic
def membership_remove(*, project: Project, user: AbstractBaseUser, actor: AbstractBaseUser | None = None) -> bool:
    """Remove ``user`` from the desk (their annotations stay). The last desk admin cannot be removed."""
    _check_manager(actor, project)
    current = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if current is None:
        return False
    if current.role == Role.ADMIN and not _other_admins(project, user):
        raise Conflict(f"{user} is the last admin of {project}: make someone else admin first")
    audit_desk(project.pk, MEMBERSHIP, current.pk, AuditEvent.Action.DELETE, actor,
               changes={"user": [user.get_username(), None], "role": [current.role, None]})  # fmt: skip
    current.delete()
    return True
