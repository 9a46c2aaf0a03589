"""The one access layer: who sees and does what, decided from project roles.

Every page, API view, admin class, command and service fetches objects for a user through the
``*_for_user`` functions here (zulip's ``access_*``, healthchecks' ``authorize``) and asks the ``can_*``
rules before acting. Nothing else builds a Membership query for permissions.

The rules (the README's role table):

* A **member** of a desk (``Project``) sees everything in it; an outsider gets 404 for everything in it
  and never learns that it exists. A **superuser** (site admin) sees every desk and acts as its admin.
* **reviewer**: read the desk, import articles, annotate (own annotations and their evidence), accept or
  dismiss candidate claims, export.
* **editor**: everything a reviewer can, plus review (approve, request changes, reject, publish, retract,
  correct — never their own annotation: ``domain/workflow.py``), edit document metadata, assign documents,
  import verdicts (capped by the workflow), and the admin site (review queue, agreement, the desk's objects).
* **admin** (desk admin): everything an editor can, plus managing the desk's members and its name.
* **site admin** (superuser): create desks, manage every user, move a desk losslessly between
  instances (verdict import that restores states and authors).

``need`` is the lowest role an action requires: a member below it gets ``Forbidden`` (403), a non-member
``NotFound`` (404).
"""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from annotations.db import fetch_model
from annotations.domain.errors import Forbidden, NotFound
from annotations.domain.vocabulary import EDITABLE_STATUSES, Role
from annotations.models import (
    Annotation,
    Claim,
    Document,
    EvidenceLink,
    Membership,
    Project,
    ReferenceClaim,
    ReviewAssignment,
    UrlImport,
)

AnyUser = AbstractBaseUser | AnonymousUser


def _active(user: AnyUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_site_admin(user: AnyUser | None) -> bool:
    return _active(user) and bool(user.is_superuser)


def roles_at_least(need: Role | str) -> list[str]:
    return [role.value for role in Role if role.at_least(need)]


# ---- roles ------------------------------------------------------------------------------------------


def role_in(user: AnyUser | None, project: Project | int) -> Role | None:
    """The user's effective role in the project: their membership's, ADMIN for a superuser, None for others."""
    if not _active(user):
        return None
    if user.is_superuser:
        return Role.ADMIN
    project_id = project.pk if isinstance(project, Project) else project
    role = Membership.objects.filter(user=user, project_id=project_id).values_list("role", flat=True).first()
    return Role(role) if role else None


def roles_by_project(user: AnyUser | None) -> dict[int, Role]:
    """{project id: role} for every desk the user belongs to (superusers: every desk, as ADMIN)."""
    if not _active(user):
        return {}
    if user.is_superuser:
        return dict.fromkeys(Project.objects.values_list("pk", flat=True), Role.ADMIN)
    return {pk: Role(role) for pk, role in Membership.objects.filter(user=user).values_list("project_id", "role")}


def _check_role(role: Role | None, need: Role | str, what: str) -> Role:
    if role is None:
        raise NotFound(f"No such {what}.")
    if not role.at_least(need):
        raise Forbidden(
            f"this needs the {Role(need).label.lower()} role (or higher) in the desk; you are {role.label.lower()}"
        )
    return role


# ---- scoped querysets ----------------------------------------------------------------------------------


def scope(queryset: QuerySet, user: AnyUser | None, path: str, need: Role | str) -> QuerySet:
    """``queryset`` limited to objects whose project (reached through ``path``) the user has ``need`` in."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    prefix = f"{path}__" if path else ""
    conditions = {f"{prefix}memberships__user": user}
    if need != Role.REVIEWER:
        conditions[f"{prefix}memberships__role__in"] = roles_at_least(need)
    return queryset.filter(**conditions)


def projects_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[Project]:
    return scope(Project.objects.all(), user, "", need)


def documents_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[Document]:
    return scope(Document.objects.all(), user, "project", need)


def claims_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[Claim]:
    return scope(Claim.objects.all(), user, "document__project", need)


def annotations_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[Annotation]:
    """Annotations of the user's desks — in a blind desk, for its reviewers, without the verdicts of others on
    claims they have not judged yet (``not_blinded``)."""
    return scope(Annotation.objects.all(), user, "document__project", need).filter(not_blinded(user))


def not_blinded(user: AnyUser | None) -> Q:
    """Blind review, enforced where annotations are read (API, pages, exports, history): a reviewer of a blind
    desk sees another person's annotation only once they have submitted their own on the same claim (the same
    candidate Claim, or an overlapping span), or once it is published (it is public then). Their own, and
    everything for the desk's editors and admins and for site admins, as always."""
    if not _active(user) or user.is_superuser:
        return Q()
    editor_here = Membership.objects.filter(project=OuterRef("document__project"), user=user,
                                            role__in=roles_at_least(Role.EDITOR))  # fmt: skip
    mine = Annotation.objects.filter(document=OuterRef("document"), author=user).exclude(status="draft")
    judged_too = mine.filter(Q(claim=OuterRef("claim"), claim__isnull=False)
                             | Q(start__lt=OuterRef("end"), end__gt=OuterRef("start")))  # fmt: skip
    return (
        Q(document__project__blind_review=False) | Q(author=user) | Q(status__in=["published", "retracted"])
        | Exists(editor_here) | Exists(judged_too)
    )  # fmt: skip


def references_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[ReferenceClaim]:
    """The already-checked claims ("Checked before?") of the user's desks, live ones only. In a blind desk its
    reviewers see only what is public there (published verdicts, imported fact-checks) and their own verdicts:
    an approved-but-unpublished verdict of a colleague is exactly what blind review hides."""
    rows = scope(ReferenceClaim.objects.filter(retired_at__isnull=True), user, "project", need)
    if not _active(user) or user.is_superuser:
        return rows
    editor_here = Membership.objects.filter(project=OuterRef("project"), user=user,
                                            role__in=roles_at_least(Role.EDITOR))  # fmt: skip
    return rows.filter(
        Q(project__blind_review=False) | Q(source="claimreview") | Q(status="published")
        | Q(annotation__author=user) | Exists(editor_here)
    )  # fmt: skip


def reference_for_user(user: AnyUser | None, reference_id: int, *, need: Role | str = Role.REVIEWER) -> ReferenceClaim:
    """One live reference the user may see (``references_visible``), else NotFound."""
    if not (isinstance(reference_id, int) and 0 < reference_id < 2**63):
        raise NotFound("No such already-checked claim.")
    row = references_visible(user, need=need).select_related("project", "annotation").filter(pk=reference_id).first()
    if row is None:
        raise NotFound("No such already-checked claim.")
    return row


def assignments_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet[ReviewAssignment]:
    return scope(ReviewAssignment.objects.all(), user, "document__project", need)


def users_visible(user: AnyUser | None, *, need: Role | str = Role.REVIEWER) -> QuerySet:
    """People the user may see by name: members of the desks where the user has ``need`` (superusers: all)."""
    users = get_user_model().objects.all()
    if is_site_admin(user):
        return users
    projects = projects_visible(user, need=need).values("pk")
    return users.filter(memberships__project__in=projects).distinct()


# ---- one object for a user ---------------------------------------------------------------------------


def _fetch(queryset: QuerySet, user: AnyUser | None, path: str, what: str, need: Role | str, **lookup):
    """One object and the user's role in its desk, in one query; NotFound/Forbidden as ``_check_role``."""
    obj, role = None, None
    if "pk" in lookup and not (isinstance(lookup["pk"], int) and 0 < lookup["pk"] < 2**63):
        _check_role(None, need, what)  # not an id the database could hold: no such object
    if _active(user) and user.is_superuser:
        obj = queryset.filter(**lookup).first()
        role = Role.ADMIN if obj is not None else None
    elif _active(user):
        mine = Membership.objects.filter(user=user, project=OuterRef(path or "pk")).values("role")[:1]
        obj = queryset.annotate(_access_role=Subquery(mine)).filter(_access_role__isnull=False, **lookup).first()
        role = Role(obj._access_role) if obj is not None else None
    _check_role(role, need, what)
    obj._access_for = user.pk  # whose role ``_access_role`` is (``require_on``)
    return obj


def project_for_user(user: AnyUser | None, slug: str, *, need: Role | str = Role.REVIEWER) -> Project:
    """The desk ``slug`` if the user has ``need`` in it; NotFound (outsiders) or Forbidden (lower role)."""
    if not isinstance(slug, str) or "\x00" in slug:
        raise NotFound("No such project.")
    return _fetch(Project.objects.all(), user, "", "project", need, slug=slug)


def document_for_user(
    user: AnyUser | None, document_id: int, *, need: Role | str = Role.REVIEWER, for_update: bool = False
) -> Document:
    queryset = Document.objects.select_related("project")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return _fetch(queryset, user, "project", "document", need, pk=document_id)


NOT_FETCHED = object()


def document_for_user_lean(
    user: AnyUser | None, document_id: int, *, need: Role | str = Role.REVIEWER, fetched=NOT_FETCHED
) -> Document:
    """``document_for_user`` for the API's hot paths (a span written, one article's annotations listed): the
    document, the user's role in its desk and whether the desk reviews blind, in one hand-written query —
    building that query with the ORM costs more CPU than PostgreSQL spends answering it. No ``Project`` object
    comes with it (``document.project`` would be one more query); ``require_on`` and
    ``annotations_of_document`` use what it brought. NotFound/Forbidden as ``document_for_user``. ``fetched``: that
    row (or None: no such document), already read for this user and document by ``user_and_document_for_token``."""
    if not (isinstance(document_id, int) and 0 < document_id < 2**63) or not _active(user):
        _check_role(None, need, "document")
    document = fetched
    if document is NOT_FETCHED:
        document = fetch_model(Document, _document_and_role_sql(), [user.pk, document_id])
    role = None
    if document is not None:
        role = Role.ADMIN if user.is_superuser else Role(document._access_role) if document._access_role else None
    _check_role(role, need, "document")
    document._access_role, document._access_for = role.value, user.pk
    return document


@functools.cache
def _document_and_role_sql() -> str:
    from django.db import connection

    quote = connection.ops.quote_name
    document, project, membership = (quote(m._meta.db_table) for m in (Document, Project, Membership))
    # Identifiers come from the models; the values are parameters.
    return (
        f"SELECT d.*, p.{quote('blind_review')} AS _blind_review, (SELECT m.{quote('role')} FROM {membership} m "  # noqa: S608
        f"WHERE m.{quote('user_id')} = %s AND m.{quote('project_id')} = d.{quote('project_id')}) AS _access_role "
        f"FROM {document} d JOIN {project} p ON p.{quote('id')} = d.{quote('project_id')} WHERE d.{quote('id')} = %s"
    )


def user_and_document_for_token(key: str, document_id: int):
    """The API token's user and, in the same query, the row ``document_for_user_lean`` reads of one document for
    them (a hot path handed both costs one query, not two): ``(user, document or None)``, for
    ``document_for_user_lean(user, document_id, fetched=document)``, which applies the access rules; None: no such
    token. The caller applies the token rules (an inactive user)."""
    if not (isinstance(key, str) and isinstance(document_id, int) and 0 < document_id < 2**63):
        return None
    from annotations.db import fetch_pair

    return fetch_pair(get_user_model(), Document, _token_and_document_sql(), [document_id, key])


@functools.cache
def _token_and_document_sql() -> str:
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from annotations.db import columns_of

    quote = connection.ops.quote_name
    user_model = get_user_model()
    document, project, membership = (quote(m._meta.db_table) for m in (Document, Project, Membership))
    users, tokens = quote(user_model._meta.db_table), quote(Token._meta.db_table)
    user_pk = quote(user_model._meta.pk.column)
    # Identifiers come from the models; the values are parameters.
    return (
        f"SELECT {columns_of(user_model, 'u', connection)}, {columns_of(Document, 'd', connection)}, "  # noqa: S608
        f"p.{quote('blind_review')} AS _blind_review, (SELECT m.{quote('role')} FROM {membership} m "
        f"WHERE m.{quote('user_id')} = u.{user_pk} AND m.{quote('project_id')} = d.{quote('project_id')}) "
        f"AS _access_role FROM {tokens} t JOIN {users} u ON u.{user_pk} = t.{quote('user_id')} "
        f"LEFT JOIN {document} d ON d.{quote('id')} = %s "
        f"LEFT JOIN {project} p ON p.{quote('id')} = d.{quote('project_id')} WHERE t.{quote('key')} = %s"
    )


def require_on(user: AnyUser | None, fetched: Document | Project, need: Role | str) -> Role:
    """``require`` for a document or desk fetched for this same user by a ``*_for_user`` function: its role came
    with it (no second query); anything else, or another user: looked up."""
    known = getattr(fetched, "_access_role", None)
    if known and getattr(fetched, "_access_for", None) == getattr(user, "pk", None) and _active(user):
        return _check_role(Role(known), need, "project")
    return require(user, fetched if isinstance(fetched, Project) else fetched.project_id, need)


def annotations_of_project(user: AnyUser | None, project: Project) -> QuerySet[Annotation]:
    """``annotations_visible`` within one desk fetched with ``project_for_user`` (an export): membership is
    settled, so only a reviewer of a blind desk needs the ``not_blinded`` condition — the plain query lets
    PostgreSQL stream the rows in order instead of sorting them all first."""
    role = require_on(user, project, Role.REVIEWER)
    return _blind_for(user, role, project.blind_review, Annotation.objects.filter(document__project=project))


def annotations_of_document(user: AnyUser | None, document: Document) -> QuerySet[Annotation]:
    """The annotations of one document the user may see (``annotations_visible`` narrowed to it), for a document
    fetched with ``document_for_user_lean``: its desk membership is settled, so only a reviewer of a blind desk
    needs the ``not_blinded`` condition."""
    role = require_on(user, document, Role.REVIEWER)
    return _blind_for(user, role, _desk_is_blind(document), Annotation.objects.filter(document_id=document.pk))


def sees_every_annotation_of(user: AnyUser | None, document: Document) -> bool:
    """Whether ``annotations_of_document`` is every annotation of the document for this user (a document fetched
    with ``document_for_user_lean``): True unless blind review hides colleagues' verdicts from them."""
    role = require_on(user, document, Role.REVIEWER)
    return not _hides_others(user, role, _desk_is_blind(document))


def _desk_is_blind(document: Document) -> bool:
    """Whether the document's desk reviews blind (brought by ``document_for_user_lean``, else one query)."""
    blind = getattr(document, "_blind_review", None)
    if blind is None:
        blind = Project.objects.filter(pk=document.project_id, blind_review=True).exists()
    return blind


def _hides_others(user: AnyUser | None, role: Role, blind: bool) -> bool:
    return blind and not role.at_least(Role.EDITOR) and not user.is_superuser


def _blind_for(user: AnyUser | None, role: Role, blind: bool, annotations: QuerySet[Annotation]) -> QuerySet:
    """``annotations`` of one desk as ``user`` (``role`` there) sees them: a reviewer of a blind desk does not see
    the others' verdicts yet (``not_blinded``); everyone else sees them all."""
    if _hides_others(user, role, blind):
        return annotations.filter(not_blinded(user))
    return annotations


def claim_for_user(user: AnyUser | None, claim_id: int, *, need: Role | str = Role.REVIEWER) -> Claim:
    return _fetch(Claim.objects.select_related("document"), user, "document__project", "claim", need, pk=claim_id)


def annotation_for_user(
    user: AnyUser | None, annotation_id: int, *, need: Role | str = Role.REVIEWER, for_update: bool = False
) -> Annotation:
    """The annotation if the user may see it (``need`` in its desk). ``for_update`` row-locks it (inside a
    transaction), so a service can check its state and change it without a race."""
    queryset = Annotation.objects.select_related("document").filter(not_blinded(user))
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return _fetch(queryset, user, "document__project", "annotation", need, pk=annotation_id)


def evidence_for_user(user: AnyUser | None, evidence_id: int, *, need: Role | str = Role.REVIEWER) -> EvidenceLink:
    queryset = EvidenceLink.objects.select_related("annotation__document", "added_by")
    return _fetch(queryset, user, "annotation__document__project", "evidence link", need, pk=evidence_id)


def url_import_for_user(user: AnyUser | None, job_id: int, *, need: Role | str = Role.REVIEWER) -> UrlImport:
    queryset = UrlImport.objects.select_related("document", "project")
    return _fetch(queryset, user, "project", "URL import", need, pk=job_id)


# ---- what a user may do --------------------------------------------------------------------------------


def can_create_projects(user: AnyUser | None) -> bool:
    """Site admins create desks."""
    return is_site_admin(user)


def can_manage_members(user: AnyUser | None, project: Project | int) -> bool:
    """Desk admins (and site admins) add, change and remove the desk's members."""
    role = role_in(user, project)
    return role is not None and role.at_least(Role.ADMIN)


@dataclass(frozen=True)
class DeskAbilities:
    """What a page shows a user of one desk, from one role lookup (the rules are the ``can_*`` above/below)."""

    role: Role | None
    can_review: bool
    can_manage_members: bool
    can_edit_documents: bool  # metadata and a corrected text (``can_edit_document``)


def desk_abilities(user: AnyUser | None, project: Project, *, fetched: object = None) -> DeskAbilities:
    """For rendering only (services check again): the role comes with the object a ``*_for_user`` fetched
    (the desk itself, or ``fetched``: one of its documents), else one query."""
    known = getattr(fetched if fetched is not None else project, "_access_role", None)
    role = Role(known) if known else role_in(user, project)
    return DeskAbilities(
        role=role,
        can_review=role is not None and role.at_least(Role.EDITOR),
        can_manage_members=role is not None and role.at_least(Role.ADMIN),
        can_edit_documents=_edits_documents(role),
    )


def can_review(user: AnyUser | None, project: Project | int) -> bool:
    role = role_in(user, project)
    return role is not None and role.at_least(Role.EDITOR)


def can_edit_document(user: AnyUser | None, project: Project | int) -> bool:
    """Editors and admins of the desk change a document: its metadata, and its text (a new version, which moves
    everyone's annotations). Reviewers import articles, but a new version of one is an editor's decision."""
    return _edits_documents(role_in(user, project))


def _edits_documents(role: Role | None) -> bool:
    return role is not None and role.at_least(Role.EDITOR)


def can_place_annotation(user: AnyUser | None, annotation: Annotation, *, role: Role | None = None) -> bool:
    """Who places an annotation by hand on the current text when re-anchoring could not (an orphan): its author,
    while it is theirs to edit, and the desk's editors (a published verdict on deleted words is theirs to
    settle). ``role``: the user's role in the desk when the caller knows it already (a page of many)."""
    if can_edit_content(user, annotation) and annotation.status in EDITABLE_STATUSES:
        return True
    if role is not None:
        return role.at_least(Role.EDITOR)
    return can_edit_document(user, annotation.document.project_id)


def can_see_agreement(user: AnyUser | None, project: Project) -> bool:
    """The agreement statistics are every member's, except in a blind desk: there they are its editors'."""
    role = role_in(user, project)
    return role is not None and (not project.blind_review or role.at_least(Role.EDITOR))


def can_restore_verdicts(user: AnyUser | None) -> bool:
    """Moving a desk losslessly (review states and authors as they were) is a site-admin operation."""
    return is_site_admin(user)


def can_use_admin(user: AnyUser | None) -> bool:
    """The admin site is for site admins and for editors and admins of at least one desk (no hand-picked
    Django permissions, no Staff tick needed)."""
    if not _active(user):
        return False
    return (
        bool(user.is_superuser) or Membership.objects.filter(user=user, role__in=roles_at_least(Role.EDITOR)).exists()
    )


def is_author(user: AnyUser | None, annotation: Annotation) -> bool:
    """Whether ``user`` counts as the annotation's author for the four-eyes rule: its author, the person who
    imported it into the desk (``imported_by``: they vouched for it), or, for a verdict from another desk, the
    person its ``original_author`` names (case aside). None of them may review it."""
    if not _active(user):
        return False
    if user.pk in (annotation.author_id, annotation.imported_by_id):
        return True
    return bool(annotation.original_author) and annotation.original_author.casefold() == user.get_username().casefold()


def can_edit_content(user: AnyUser | None, annotation: Annotation) -> bool:
    """Whether ``user`` may change the annotation's verdict, rationale, span or evidence (state aside): its
    author, unless it was imported from another desk (someone else's words: reviewed here, not edited)."""
    return _active(user) and annotation.author_id == user.pk and not annotation.original_author


def require(user: AnyUser | None, project: Project | int, need: Role | str) -> Role:
    """Raise NotFound/Forbidden unless the user has ``need`` in the project; returns their role."""
    return _check_role(role_in(user, project), need, "project")
