"""Writes of the verdict import (``importing_verdicts.py`` parses the file and calls these).

Two modes, one rule each:

* **Desk import** (an editor or admin of the target desk, over the API): the file carries no review decision.
  Every annotation arrives as *submitted* (a draft stays a draft), whatever state the file gives it, and waits
  in the review queue for an editor — the workflow's four eyes (``domain/workflow.py``) then apply as to any
  other verdict. Keeping an approved or published state would let an importer publish a verdict nobody else
  looked at, their own or one they attribute to a colleague. Authors are members of the target desk matched
  by username; anyone else is recorded as "imported, originally by NAME" on an annotation authored by the
  importer: no account is looked up outside the desk, bound or created.
* **Restore** (a site admin: ``manage.py import_verdicts`` or a superuser with ``restore=true``): moving a
  desk between instances losslessly. States and authors are restored as they were; an unknown username
  becomes an inactive account with no usable password and no membership (matched case-insensitively, so
  ``ADMIN`` never appears beside ``admin``).

Either way every annotation, evidence link and state change is written with its AuditEvent, whose actor is
the importer and whose comment names the file.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotations import access
from annotations.domain.vocabulary import REVIEWED_STATUSES, AnnotationStatus, Role
from annotations.domain.workflow import path_to
from annotations.models import Annotation, AuditEvent, Claim, Document, Membership, Project
from annotations.services.annotations import annotation_insert
from annotations.services.audit import audit_record
from annotations.services.errors import Forbidden, Invalid
from annotations.services.evidence import evidence_insert
from annotations.services.references import reference_enqueue


def verdict_import_check(*, project: Project, importer: AbstractBaseUser | None, restore: bool) -> None:
    """Who may import: restoring is for site admins (``importer`` None = a command); a desk import for the
    desk's editors and admins."""
    if importer is None:
        return
    if restore:
        if not access.can_restore_verdicts(importer):
            raise Forbidden("restoring review states and authors (restore=true) is for site admins")
        return
    access.require(importer, project, Role.EDITOR)


def imported_status(status: str) -> str:
    """The state an annotation arrives in through a desk import: a draft stays a draft, anything else is
    submitted for review (``path_to`` checks the state is one the workflow knows)."""
    steps = path_to(status)
    return AnnotationStatus.SUBMITTED.value if steps else AnnotationStatus.DRAFT.value


def verdict_author(*, project: Project, importer: AbstractBaseUser | None, username: str,
                   restore: bool) -> tuple[AbstractBaseUser, str, bool]:  # fmt: skip
    """(account, original author, account created) for a username in the file.

    Restore: the site's account with that username (see ``user_get_or_create_inactive``). Desk import: the
    desk member with exactly that username, else the importer with ``original_author`` = the name."""
    if restore:
        user, created = user_get_or_create_inactive(username=username)
        return user, "", created
    membership = Membership.objects.filter(project=project, user__username=username).select_related("user").first()
    if membership is not None:
        return membership.user, "", False
    return importer, username[:300], False


@transaction.atomic
def user_get_or_create_inactive(*, username: str) -> tuple[AbstractBaseUser, bool]:
    """Restore mode: the account with exactly this username, else the one account that differs only in case
    (so ``ADMIN`` never appears beside ``admin``), else a placeholder that is inactive, has no usable password
    and belongs to no desk. Several accounts differing only in case (and none exact) is an error."""
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    exact = user_model.objects.filter(**{field: username}).first()
    if exact is not None:
        return exact, False
    matches = list(user_model.objects.filter(**{f"{field}__iexact": username})[:5])
    if len(matches) == 1:
        return matches[0], False
    if matches:
        names = ", ".join(sorted(u.get_username() for u in matches))
        raise Invalid(f"username {username!r} matches several accounts that differ only in case ({names})")
    user = user_model(**{field: username}, is_active=False)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user, True


@transaction.atomic
def annotation_import(
    *,
    document: Document,
    author: AbstractBaseUser,
    start: int,
    end: int,
    quote: str,
    verdict: str,
    rationale: str,
    claim: Claim | None,
    evidence: list[tuple[dict, AbstractBaseUser]],
    status: str,
    version: int,
    importer: AbstractBaseUser | None,
    source: str,
    original_author: str = "",
    restore: bool = False,
) -> Annotation:
    """Write one imported annotation with its evidence and review state (see the module docstring)."""
    comment = f"imported from {source}" if source else "imported"
    if original_author:
        comment += f", originally by {original_author}"
    annotation = annotation_insert(
        document=document, author=author, start=start, end=end, quote=quote, verdict=verdict, rationale=rationale,
        claim=claim, actor=importer, comment=comment, original_author=original_author,
        imported_by=None if restore else importer,
    )  # fmt: skip
    for item, added_by in evidence:
        evidence_insert(annotation=annotation, added_by=added_by, actor=importer, comment=comment, **item)
    if not restore:
        status, version = imported_status(status), 1
    if (annotation.status, annotation.version) != (status, version):
        previous = annotation.status
        Annotation.objects.filter(pk=annotation.pk).update(status=status, version=version)
        annotation.status, annotation.version = status, version
        if previous != status:
            audit_record(annotation, AuditEvent.Action.TRANSITION, importer, changes={"status": [previous, status]},
                         comment=comment, from_status=previous, to_status=status)  # fmt: skip
            if status in REVIEWED_STATUSES:  # a restored desk's reviewed verdicts join its reference set
                reference_enqueue(annotation.pk)
    return annotation
