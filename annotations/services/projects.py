"""Desks (``Project``) and their members. Site admins create desks; desk admins manage members."""

import logging
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from annotations import access
from annotations.domain.vocabulary import Role
from annotations.models import AuditEvent, Membership, Project
from annotations.services.audit import audit_desk
from annotations.services.errors import Conflict, Forbidden, Invalid, NotFound
from annotations.services.validation import clean_url

logger = logging.getLogger(__name__)

PROJECT, MEMBERSHIP = AuditEvent.ObjectType.PROJECT, AuditEvent.ObjectType.MEMBERSHIP


NAME_MAX = Project._meta.get_field("name").max_length
SLUG_MAX = Project._meta.get_field("slug").max_length
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
RESERVED_SLUGS = frozenset({"new"})  # /projects/new/ is the page that creates a desk
TEXT_MAX = 20_000  # description and guidelines: a page of text, not a book


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise Invalid("the desk needs a name")
    if len(name) > NAME_MAX:
        raise Invalid(f"the desk's name is {len(name)} characters; at most {NAME_MAX}")
    return name


def _clean_text(value: str, what: str) -> str:
    value = str(value).replace("\r\n", "\n").strip()
    if "\x00" in value:
        raise Invalid(f"the {what} must not contain NUL characters")
    if len(value) > TEXT_MAX:
        raise Invalid(f"the {what} is {len(value):,} characters; at most {TEXT_MAX:,}")
    return value


def _publisher(name: str, url: str) -> dict:
    """The desk's public face in ClaimReview: an organisation's name (one line) and its http(s) site."""
    name = " ".join(str(name).split())
    if len(name) > 200:
        raise Invalid("the publisher's name has at most 200 characters")
    return {"publisher_name": name, "publisher_url": clean_url(url, what="publisher's web site", required=False)}


def clean_slug(slug: str) -> str:
    """A desk's slug: lowercase letters, digits and inner hyphens (it is in every link and export name)."""
    slug = str(slug).strip()
    if not slug:
        raise Invalid("the desk needs a slug (lowercase letters, digits and hyphens, e.g. politics-desk)")
    if len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
        raise Invalid(f"slug {slug[:120]!r}: use lowercase letters, digits and inner hyphens, at most {SLUG_MAX}")
    if slug in RESERVED_SLUGS:
        raise Invalid(f"the slug {slug!r} is reserved (a page of the site); choose another")
    return slug


@transaction.atomic
def project_create(
    *,
    name: str,
    slug: str,
    user: AbstractBaseUser | None = None,
    description: str = "",
    guidelines: str = "",
    publisher_name: str = "",
    publisher_url: str = "",
    blind_review: bool = False,
    exist_ok: bool = True,
) -> Project:
    """Create the desk ``slug`` (site admins, who then invite its members and admins; they are not made
    members themselves). ``user`` None: a command (the site itself). An existing slug returns that desk
    (``exist_ok``, for commands) or is a Conflict."""
    if user is not None and not access.can_create_projects(user):
        raise Forbidden("only site admins create desks")
    slug, name = clean_slug(slug), _clean_name(name)
    fields = {
        "name": name, "description": _clean_text(description, "description"),
        "guidelines": _clean_text(guidelines, "guidelines"), **_publisher(publisher_name, publisher_url),
        "blind_review": bool(blind_review),
    }  # fmt: skip
    project, created = Project.objects.get_or_create(slug=slug, defaults=fields)
    if not created:
        if not exist_ok:
            raise Conflict(f"a desk with the slug {slug!r} exists already: choose another slug")
        return project
    audit_desk(project.pk, PROJECT, project.pk, AuditEvent.Action.CREATE, user,
               changes={"name": [None, project.name], "slug": [None, project.slug]})  # fmt: skip
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    user: AbstractBaseUser | None,
    name: str | None = None,
    description: str | None = None,
    guidelines: str | None = None,
    publisher_name: str | None = None,
    publisher_url: str | None = None,
    blind_review: bool | None = None,
) -> Project:
    """Change a desk's name, description, guidelines or publisher (its admins; the slug stays: links and exports
    use it)."""
    _check_manager(user, project)
    current = Project.objects.select_for_update().get(pk=project.pk)  # not the form's copy
    fields = {}
    if name is not None:
        fields["name"] = _clean_name(name)
    if description is not None:
        fields["description"] = _clean_text(description, "description")
    if guidelines is not None:
        fields["guidelines"] = _clean_text(guidelines, "guidelines")
    if publisher_name is not None:
        fields["publisher_name"] = _publisher(publisher_name, "")["publisher_name"]
    if publisher_url is not None:
        fields["publisher_url"] = _publisher("", publisher_url)["publisher_url"]
    if blind_review is not None:
        fields["blind_review"] = bool(blind_review)
    changes = {key: [getattr(current, key), value] for key, value in fields.items() if getattr(current, key) != value}
    if changes:
        Project.objects.filter(pk=project.pk).update(**{key: value for key, (_, value) in changes.items()})
        audit_desk(project.pk, PROJECT, project.pk, AuditEvent.Action.UPDATE, user, changes=changes)
    project.refresh_from_db()
    return project


def _check_manager(actor: AbstractBaseUser | None, project: Project) -> None:
    if actor is not None and not access.can_manage_members(actor, project):
        access.require(actor, project, Role.REVIEWER)  # outsiders: 404
        raise Forbidden("only admins of this desk manage its members")


def _other_admins(project: Project, user: AbstractBaseUser) -> bool:
    """Whether the desk has an admin besides ``user``. Locks the desk's admin rows first (inside the caller's
    transaction): two admins demoting each other at once cannot leave the desk with none."""
    admins = list(Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN).values_list(
        "user_id", flat=True))  # fmt: skip
    return any(pk != user.pk for pk in admins)


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


@dataclass(frozen=True)
class Invitation:
    membership: Membership
    account_created: bool  # a new account for an e-mail address: they were sent a link to set a password
    resent: bool = False  # already invited and without a password yet: the link was sent again


def _find_user(identifier: str, actor: AbstractBaseUser | None):
    """The account a username or e-mail address names (case aside), or None; two accounts sharing the
    address is an error the inviter must resolve by username. By username, only people the inviter already
    sees (members of their desks; site admins: everyone): a desk admin cannot probe for accounts nor add a
    stranger by guessing a name, and learns their address only by knowing it."""
    users = get_user_model()._default_manager
    known = users.all() if actor is None else access.users_visible(actor)
    by_name = known.filter(username__iexact=identifier)
    if "@" not in identifier:
        return by_name.first()
    exact = by_name.first()
    if exact is not None:
        return exact
    matches = list(users.filter(email__iexact=identifier)[:2])
    if len(matches) > 1:
        raise Invalid(f"several accounts use {identifier}; invite by username instead")
    return matches[0] if matches else None


def _create_invited_account(email: str):
    """A new account for ``email`` with no password, named after the address's local part (sam, sam2, …).
    Two invitations at once may pick the same name: the loser tries the next one."""
    users = get_user_model()._default_manager
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[:100] or "member"
    n = 1
    while True:
        candidate = base if n == 1 else f"{base}{n}"
        if not users.filter(username__iexact=candidate).exists():
            try:
                with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                    user = users.create_user(username=candidate, email=email)
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                    return user
            except IntegrityError:
                pass
        n += 1


@transaction.atomic
def membership_invite(
    *, project: Project, actor: AbstractBaseUser | None, identifier: str, role: str = Role.REVIEWER, site_url: str = ""
) -> Invitation:
    """Add the person a username or e-mail address names to the desk with ``role`` (desk admins).

    An e-mail address without an account gets one (no password yet) and, once this commits, an e-mail with a
    link to choose a password (``site_url`` is the site's address for that link). Someone already on the desk is
    a Conflict: change their role instead."""
    _check_manager(actor, project)
    identifier = " ".join(str(identifier).split())
    if not identifier:
        raise Invalid("say whom to invite: a username or an e-mail address")
    if role not in Role.values:
        raise Invalid(f"unknown role {role!r}; expected one of {', '.join(Role.values)}")
    user, created = _find_user(identifier, actor), False
    if user is None:
        if "@" not in identifier:
            raise NotFound(f"nobody called {identifier!r} is on a desk of yours; invite them by e-mail address")
        try:
            validate_email(identifier)
        except ValidationError:
            raise Invalid(f"{identifier!r} is not a valid e-mail address") from None
        user, created = _create_invited_account(identifier), True
    elif not user.is_active:
        raise Conflict(f"the account {user.get_username()!r} is deactivated; a site admin can reactivate it")
    current = Membership.objects.filter(project=project, user=user).first()
    if current is not None and not user.has_usable_password() and user.email:
        # Invited before and never chose a password (the link expired, the e-mail got lost): send it again.
        transaction.on_commit(lambda: _send_invitation(user, project, actor, site_url))
        return Invitation(membership=current, account_created=False, resent=True)
    if current is not None:
        raise Conflict(
            f"{user.get_username()} is already on this desk as {Role(current.role).label.lower()}; "
            "change their role instead",
            current={"username": user.get_username(), "role": current.role},
        )
    membership = membership_set(project=project, user=user, role=role, actor=actor)
    if created:
        transaction.on_commit(lambda: _send_invitation(user, project, actor, site_url))
    return Invitation(membership=membership, account_created=created)


def _send_invitation(user, project: Project, actor, site_url: str) -> None:
    """The e-mail of a new account: who invited them to which desk, and the link to choose a password."""
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
    })  # fmt: skip
    base = settings.SITE_URL or site_url
    if not settings.SITE_URL and "*" in settings.ALLOWED_HOSTS:
        # The request's Host header could be anyone's: a link built from it could hand the account to them.
        logger.error("not sending the invitation to %s: set SITE_URL (ALLOWED_HOSTS accepts any host)", user.email)
        return
    inviter = actor.get_username() if actor is not None else "The site's administrators"
    body = (
        f"{inviter} invited you to the fact-checking desk “{project.name}” on factcheck.\n\n"
        f"Your username is {user.get_username()}. Choose a password here (the link works once, for a few days):\n"
        f"{base.rstrip('/')}{path}\n"
    )
    try:
        send_mail(f"You are invited to {project.name}", body, None, [user.email])
    except Exception:  # the membership stands; a site admin can send a password reset instead
        logger.exception("could not send the invitation e-mail to %s", user.email)
