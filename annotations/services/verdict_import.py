"""Writes of the verdict import (``importing_verdicts.py`` parses the file and calls these).

Two modes, one rule each:

* **Desk import** (an editor or admin of the target desk, over the API): review states pass through the
  same workflow as in the app. A state is kept only if the importer could have taken every step to it
  (``domain/workflow.py``: never approving or publishing their own verdict); otherwise the annotation
  arrives as *submitted* (a draft stays a draft). Authors are members of the target desk matched by
  username; anyone else is recorded as "imported, originally by NAME" on an annotation authored by the
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
from annotations.domain.vocabulary import AnnotationStatus, Role
from annotations.domain.workflow import WorkflowError, check_transition, path_to
from annotations.models import Annotation, AuditEvent, Claim, Document, Membership, Project
from annotations.services.annotations import annotation_insert
from annotations.services.audit import audit_record
from annotations.services.errors import Forbidden
from annotations.services.evidence import evidence_insert


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


def imported_status(status: str, *, author: AbstractBaseUser, importer: AbstractBaseUser, project: Project) -> str:
    """The state an annotation may arrive in when ``importer`` imports it into the desk: ``status`` if the
    workflow lets the importer take every step to it, else submitted (drafts stay drafts)."""
    role = access.role_in(importer, project)
    current = AnnotationStatus.DRAFT.value
    try:
        for action in path_to(status):
            if action == "submit":  # the author's step: the file says they submitted it
                current = check_transition(action, current, role=None, is_author=True)
            else:
                current = check_transition(action, current, role=role, is_author=importer.pk == author.pk,
                                           comment="imported")  # fmt: skip
    except WorkflowError:
        return AnnotationStatus.SUBMITTED.value
    return status


def desk_member(project: Project, username: str) -> AbstractBaseUser | None:
    """The member of ``project`` with exactly this username, or None (nothing outside the desk is read)."""
    membership = Membership.objects.filter(project=project, user__username=username).select_related("user").first()
    return membership.user if membership else None


@transaction.atomic
def user_get_or_create_inactive(*, username: str) -> tuple[AbstractBaseUser, bool]:
    """Restore mode: the account with this username (case-insensitively), or a placeholder that is inactive,
    has no usable password and belongs to no desk."""
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    matches = list(user_model.objects.filter(**{f"{field}__iexact": username})[:2])
    exact = [u for u in matches if u.get_username() == username]
    if exact or len(matches) == 1:
        return (exact or matches)[0], False
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
    )  # fmt: skip
    for item, added_by in evidence:
        evidence_insert(annotation=annotation, added_by=added_by, actor=importer, comment=comment, **item)
    if not restore:
        status = imported_status(status, author=author, importer=importer, project=document.project)
    if (annotation.status, annotation.version) != (status, version):
        previous = annotation.status
        Annotation.objects.filter(pk=annotation.pk).update(status=status, version=version)
        annotation.status, annotation.version = status, version
        if previous != status:
            audit_record(annotation, AuditEvent.Action.TRANSITION, importer, changes={"status": [previous, status]},
                         comment=comment, from_status=previous, to_status=status)  # fmt: skip
    return annotation
