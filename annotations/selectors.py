"""Reads. Prefetching and SQL-computed columns live here; who may see what is ``access.py``'s, which every
selector starts from. Views never build querysets."""

import functools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Length, RowNumber

from annotations import access
from annotations.db import fetch_models, folded_contains
from annotations.domain.errors import Invalid, NotFound
from annotations.domain.vocabulary import (
    JUDGED_STATUSES,
    AnchoringStatus,
    AnchorState,
    AnnotationStatus,
    ClaimState,
    Role,
    SegmentationStatus,
)
from annotations.models import (
    Annotation,
    AuditEvent,
    Claim,
    Document,
    DocumentVersion,
    EvidenceLink,
    Membership,
    Project,
    ReviewAssignment,
)


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    """Desks the user sees (superusers: all), with their document counts."""
    return access.projects_visible(user).annotate(document_count=Count("documents", distinct=True))


def set_aside(document: Document) -> dict:
    """What the boilerplate rules set aside at import (kept in metadata): head, tail, rules and their length."""
    removed = (document.metadata or {}).get("boilerplate") or {}
    head, tail = removed.get("head", ""), removed.get("tail", "")
    return {"head": head, "tail": tail, "rules": removed.get("rules", []), "chars": len(head) + len(tail)}


def document_summary(user: AbstractBaseUser, document_id: int) -> Document:
    """A document the user sees, without its text (length in SQL): what a page polls for its status."""
    if not 0 < document_id < 2**63:
        raise NotFound("No such document.")
    document = (
        access.documents_visible(user).filter(pk=document_id).select_related("project").defer("body", "metadata")
        .annotate(body_length=Length("body")).first()
    )  # fmt: skip
    if document is None:
        raise NotFound("No such document.")
    return document


# ---- versions of a document's text ----------------------------------------------------------------------


def document_versions(document: Document) -> list[DocumentVersion]:
    """Every version of the document's text, oldest first, with who stored it (bodies not loaded)."""
    return list(
        DocumentVersion.objects.filter(document=document).select_related("created_by").defer("body")
        .annotate(length=Length("body")).order_by("number")
    )  # fmt: skip


def document_version(document: Document, number: int | None, *, name: str = "version") -> DocumentVersion:
    """One version of the document (None: the current one) with its text; an unknown number is Invalid
    naming ``name`` (the query parameter it came from)."""
    current = document.version
    if number is None:
        number = current
    if not 1 <= number <= current:
        raise Invalid(f"{name}: no version {number}; the document has versions 1 to {current}")
    row = DocumentVersion.objects.filter(document=document, number=number).select_related("created_by").first()
    if row is None and number == current:  # a document made without a version row: its text is the current one
        row = DocumentVersion(document=document, number=current, body=document.body,
                              content_sha256=document.content_sha256, created_at=document.imported_at)  # fmt: skip
    if row is None:
        raise Invalid(f"{name}: version {number} of this document is not stored")
    return row


def document_diff(document: Document, old: int, new: int) -> dict:
    """Word-level differences between two versions (``domain.diffing``): the operations and their counts."""
    from annotations.domain.diffing import diff_stats, word_diff

    before = document_version(document, old, name="from")
    after = document_version(document, new, name="to")
    ops = word_diff(before.body, after.body)
    return {"from": before, "to": after, "ops": ops, "stats": diff_stats(ops)}


@dataclass(frozen=True)
class AnchoringSummary:
    """What the annotate page says about a document that changed text: its current version, whether the
    annotations are still being placed, those whose words changed and those that could not be placed."""

    version: DocumentVersion | None
    placing: bool
    failed: bool
    changed: list[Annotation]
    orphaned: list[Annotation]


def anchoring_summary(user: AbstractBaseUser, document: Document) -> AnchoringSummary:
    """For a document at version 1 nothing (no query); else two queries: the current version, and the
    flagged annotations the user may see (blind review holds)."""
    if document.version == 1:
        return AnchoringSummary(version=None, placing=False, failed=False, changed=[], orphaned=[])
    flagged = list(
        access.annotations_visible(user).filter(document=document).exclude(anchor_state=AnchorState.OK)
        .select_related("author").order_by("start", "pk")
    )  # fmt: skip
    version = DocumentVersion.objects.filter(document=document, number=document.version).defer("body").first()
    return AnchoringSummary(
        version=version,
        placing=document.anchoring_status in (AnchoringStatus.PENDING, AnchoringStatus.RUNNING),
        failed=document.anchoring_status == AnchoringStatus.FAILED,
        changed=[a for a in flagged if a.anchor_state == AnchorState.CHANGED],
        orphaned=[a for a in flagged if a.anchor_state == AnchorState.ORPHANED],
    )


def desk_members(project: Project) -> QuerySet[Membership]:
    """A desk's members with their accounts, admins first, then editors, then reviewers, by username."""
    rank = Case(*(When(role=role, then=Value(n)) for n, role in enumerate(reversed(Role))), default=Value(9))
    return Membership.objects.filter(project=project).select_related("user").order_by(rank, "user__username")


def desk_member(project: Project, username: str) -> Membership:
    """One member of a desk by username (case aside); NotFound if they are not on it."""
    if "\x00" in username or len(username) > 150:
        raise NotFound(f"{username[:150]!r} is not a member of this desk")
    membership = desk_members(project).filter(user__username__iexact=username).first()
    if membership is None:
        raise NotFound(f"{username!r} is not a member of this desk")
    return membership


def checkworthy_q(threshold: float, prefix: str = "") -> Q:
    """``domain.vocabulary.is_checkworthy`` in SQL: accepted, or undecided candidates scoring at least
    ``threshold`` (``test_models`` checks that both agree on every state)."""
    return Q(**{f"{prefix}state": ClaimState.ACCEPTED}) | Q(
        **{f"{prefix}state": ClaimState.CANDIDATE, f"{prefix}score__gte": threshold}
    )


def document_list_annotations(threshold: float) -> dict:
    """SQL-computed columns of document lists: length and the number of check-worthy claims."""
    return {
        "body_length": Length("body"),
        "claim_count": Count("claims", filter=checkworthy_q(threshold, prefix="claims__")),
    }


def document_list(project: Project, *, threshold: float) -> QuerySet[Document]:
    """Documents of a project for list pages: length and claim counts computed in SQL, body not loaded."""
    return (
        Document.objects.filter(project=project)
        .defer("body", "metadata")
        .annotate(**document_list_annotations(threshold))
    )


def checkworthy_threshold() -> float:
    """The score from which a candidate claim counts as check-worthy (the model's, fixed at training); read from
    the artifact's metadata, so a web process never loads the model."""
    from annotations.domain.checkworthiness import default_info

    return default_info()["threshold"]


CLAIM_SHOWS = ("checkworthy", "accepted", "untouched", "dismissed", "open", "all")


def document_claims(
    document: Document,
    *,
    order: str = "score",
    include_dismissed: bool = False,
    threshold: float | None = None,
    show: str | None = None,
    q: str = "",
    distinct: bool = False,
    user: AbstractBaseUser | None = None,
) -> QuerySet[Claim]:
    """Candidate claims of a document, best first (``order="score"``) or in reading order, each with
    ``checkworthy`` computed by the one rule (``checkworthy_q``; ``with_occurrences`` adds how many claims share
    each one's text). ``show``: checkworthy (undecided or accepted, over the threshold), accepted,
    untouched (nobody decided), dismissed, open (all but dismissed) or all; None: ``include_dismissed``
    decides. ``q`` searches the text (case and accents aside). ``distinct`` keeps the first occurrence of
    each text. ``user``: ``my_annotation`` is the id of their annotation of the claim, if any."""
    threshold = checkworthy_threshold() if threshold is None else threshold
    # A total order (pk last): pages of an offset cursor neither repeat nor skip claims that tie.
    ordering = ["start", "end", "pk"] if order == "position" else [F("score").desc(nulls_last=True), "start", "end",
                                                                   "pk"]  # fmt: skip
    claims = document.claims.exclude(anchor_state=AnchorState.ORPHANED).select_related("decided_by")
    show = show or ("all" if include_dismissed else "open")
    if show == "checkworthy":
        claims = claims.filter(checkworthy_q(threshold))
    elif show == "accepted":
        claims = claims.filter(state=ClaimState.ACCEPTED)
    elif show == "untouched":
        claims = claims.filter(state=ClaimState.CANDIDATE)
    elif show == "dismissed":
        claims = claims.filter(state=ClaimState.DISMISSED)
    elif show == "open":
        claims = claims.exclude(state=ClaimState.DISMISSED)
    if q:
        claims = claims.filter(folded_contains(q, "text"))
    # CASE, not the bare condition: a NULL score would make it NULL rather than false.
    checkworthy = Case(
        When(checkworthy_q(threshold), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    claims = claims.annotate(checkworthy=checkworthy)
    if distinct:
        claims = claims.annotate(
            _nth=Window(RowNumber(), partition_by=[F("text")], order_by=[F("start").asc(), F("pk").asc()])
        )
        claims = claims.filter(_nth=1)
    if user is not None:
        mine = Annotation.objects.filter(claim=OuterRef("pk"), author=user, original_author="").order_by("pk")
        mine = mine.values("pk")[:1]
        claims = claims.annotate(my_annotation=Subquery(mine))
    return claims.order_by(*ordering)


def with_occurrences(document: Document, claims: list[Claim]) -> list[Claim]:
    """Set ``occurrences`` on each claim: how many claims of the whole document have its text, whatever the
    filter that found it. One query for a page of claims (not one per row, nor a window over 40,000)."""
    texts = {claim.text for claim in claims}
    counts = dict(
        Claim.objects.filter(document=document, text__in=texts).order_by().values("text").annotate(n=Count("pk"))
        .values_list("text", "n")
    ) if texts else {}  # fmt: skip
    for claim in claims:
        claim.occurrences = counts.get(claim.text, 1)
    return claims


def service_health() -> dict[str, str]:
    """``{"database": "ok" | reason, "broker": "ok" | "not configured" | reason}``, each check bounded."""
    from django.conf import settings
    from django.db import connection

    result = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        result["database"] = "ok"
    except Exception as exc:  # any failure is the answer, not a 500
        result["database"] = f"unavailable ({exc.__class__.__name__})"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        result["broker"] = "ok"  # none configured: tasks run in the web process
    else:
        from factcheck.celery import app

        try:
            with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=1)
            result["broker"] = "ok"
        except Exception as exc:
            result["broker"] = f"unavailable ({exc.__class__.__name__})"
    return result


def health_summary() -> dict:
    from django.db import connection

    return {
        "database": connection.vendor,
        "database_name": str(connection.settings_dict["NAME"]),
        "documents": Document.objects.count(),
    }


def annotations_for_user(user: AbstractBaseUser) -> QuerySet[Annotation]:
    """Annotations of the user's desks, with what the API shows (author, evidence) fetched up front."""
    return (
        access.annotations_visible(user)
        .select_related("author")
        .prefetch_related(
            Prefetch("evidence", queryset=EvidenceLink.objects.select_related("added_by").defer("link_snapshot"))
        )  # the archive copy is its own endpoint
    )


def document_annotations(user: AbstractBaseUser, document: Document) -> QuerySet[Annotation]:
    """``annotations_for_user`` of one document fetched with ``access.document_for_user_lean`` (the hot path of
    the annotate page's list): the same rows and prefetches, without the desk-membership joins."""
    return (
        access.annotations_of_document(user, document)
        .select_related("author")
        .prefetch_related(
            Prefetch("evidence", queryset=EvidenceLink.objects.select_related("added_by").defer("link_snapshot"))
        )
    )


def document_annotations_first_page(user: AbstractBaseUser, document: Document, size: int) -> list[Annotation] | None:
    """The first ``size + 1`` of ``document_annotations`` by (updated_at, id) — the annotate page's load — with their
    authors and evidence, by hand-written queries (the ORM's query building and prefetching cost several times
    what PostgreSQL spends on them): the annotations with their authors and whether each has links, then the links
    of those that have some (no second query when none has). None when blind review hides some of them from the
    user: then the ORM query with ``not_blinded`` applies. Each annotation's links are in ``evidence_links``."""
    if not access.sees_every_annotation_of(user, document):
        return None
    rows = fetch_models(Annotation, _annotation_page_sql(), [document.pk, size + 1])
    user_model = get_user_model()
    people: dict[int, AbstractBaseUser] = {}

    def person(pk: int, username: str) -> AbstractBaseUser:
        if pk not in people:
            people[pk] = user_model.from_db("default", ["id", user_model.USERNAME_FIELD], [pk, username])
        return people[pk]

    links: dict[int, list[EvidenceLink]] = {row.pk: [] for row in rows}
    with_links = [row.pk for row in rows if row._has_evidence]  # none: no second query
    if with_links:
        placeholders = ", ".join(["%s"] * len(with_links))
        for link in fetch_models(EvidenceLink, _evidence_sql() % placeholders, with_links):
            link.added_by = person(link.added_by_id, link._added_by_username)
            links[link.annotation_id].append(link)
    for row in rows:
        row.author = person(row.author_id, row._author_username)
        row.evidence_links = links[row.pk]
    return rows


@functools.cache
def _annotation_page_sql() -> str:
    from django.db import connection

    quote = connection.ops.quote_name
    user_model = get_user_model()
    users = quote(user_model._meta.db_table)
    username = quote(user_model._meta.get_field(user_model.USERNAME_FIELD).column)
    field = {f.name: quote(f.column) for f in Annotation._meta.concrete_fields}
    links = EvidenceLink._meta
    has_links = (f"EXISTS (SELECT 1 FROM {quote(links.db_table)} e "  # noqa: S608
                 f"WHERE e.{quote(links.get_field('annotation').column)} = a.{field['id']})")  # fmt: skip
    # Identifiers come from the models; the values are parameters.
    return (
        f"SELECT a.*, u.{username} AS _author_username, {has_links} AS _has_evidence "  # noqa: S608
        f"FROM {quote(Annotation._meta.db_table)} a "
        f"JOIN {users} u ON u.{quote(user_model._meta.pk.column)} = a.{field['author']} "
        f"WHERE a.{field['document']} = %s ORDER BY a.{field['updated_at']}, a.{field['id']} LIMIT %s"
    )


@functools.cache
def _evidence_sql() -> str:
    """Evidence links of some annotations (``%s``: their placeholders), without the archived page text, in the
    model's order, with the username of who added each."""
    from django.db import connection

    quote = connection.ops.quote_name
    user_model = get_user_model()
    username = quote(user_model._meta.get_field(user_model.USERNAME_FIELD).column)
    field = {f.name: quote(f.column) for f in EvidenceLink._meta.concrete_fields}
    columns = ", ".join(f"e.{column}" for name, column in field.items() if name != "link_snapshot")
    sql = (
        f"SELECT {columns}, u.{username} AS _added_by_username FROM {quote(EvidenceLink._meta.db_table)} e "  # noqa: S608
        f"JOIN {quote(user_model._meta.db_table)} u ON u.{quote(user_model._meta.pk.column)} = e.{field['added_by']} "
        f"WHERE e.{field['annotation']} IN (%s) "
    )
    return sql + f"ORDER BY e.{field['annotation']}, e.{field['added_at']}, e.{field['id']}"


def project_roles(user: AbstractBaseUser) -> list[tuple[Project, Role]]:
    """(desk, the user's role in it) for every desk the user sees, by name."""
    roles = access.roles_by_project(user)
    return [(project, roles[project.pk]) for project in Project.objects.filter(pk__in=roles).order_by("name")]


# ---- review & agreement ------------------------------------------------------------------------------


def _judged(document_ids) -> list[Annotation]:
    return list(
        Annotation.objects.filter(document_id__in=document_ids, status__in=JUDGED_STATUSES)
        .exclude(verdict="")
        .select_related("author")
        .only("id", "document_id", "author_id", "author__username", "original_author", "claim_id", "start", "end",
              "verdict")
    )  # fmt: skip


def writer(annotation: Annotation) -> str:
    """Who wrote a verdict, by name: its author, or for one imported from another desk its original author."""
    return annotation.original_author or annotation.author.get_username()


def units_of(annotations: list[Annotation]) -> dict[int, tuple]:
    """Which annotations judge the same claim: the one rule of ``domain.agreement.claim_units`` (the same
    Claim, one span inside the other, or sharing half of the longer), per document."""
    from annotations.domain.agreement import claim_units

    by_document: dict[int, list[Annotation]] = {}
    for a in annotations:
        by_document.setdefault(a.document_id, []).append(a)
    units: dict[int, tuple] = {}
    for document_id, items in by_document.items():
        for pk, unit in claim_units([(a.pk, a.start, a.end, a.claim_id) for a in items]).items():
            units[pk] = ("unit", document_id, unit)
    return units


def review_context(annotations: list[Annotation]) -> dict[int, dict]:
    """For each annotation: how many independent verdicts judge the same unit, and whether they disagree.
    Two queries whatever the number of annotations (used by the review queue page)."""
    from annotations.domain.agreement import is_disagreement

    judged = _judged({a.document_id for a in annotations})
    by_id = {a.pk: a for a in judged}
    for a in annotations:  # the annotations asked about count even if not judged yet
        by_id.setdefault(a.pk, a)
    units = units_of(list(by_id.values()))
    members: dict[tuple, list[Annotation]] = {}
    for pk, unit in units.items():
        members.setdefault(unit, []).append(by_id[pk])
    context = {}
    for a in annotations:
        peers = [p for p in members.get(units.get(a.pk), []) if writer(p) != writer(a) and p.verdict]
        verdicts = [a.verdict, *(p.verdict for p in peers)] if a.verdict else [p.verdict for p in peers]
        context[a.pk] = {
            "independent": len({writer(p) for p in peers}),
            "disagreement": bool(peers) and is_disagreement(verdicts),
            "peers": peers,
        }
    return context


def review_screen(annotation: Annotation) -> list[Annotation]:
    """Every verdict on the claim ``annotation`` judges (the same unit: ``units_of``), this one first, then by
    writer, each with its author and evidence fetched: what an editor compares side by side."""
    context = review_context([annotation])[annotation.pk]
    ids = [annotation.pk, *(p.pk for p in context["peers"])]
    rows = {a.pk: a for a in Annotation.objects.filter(pk__in=ids).select_related("author", "document")
            .prefetch_related(Prefetch("evidence", queryset=EvidenceLink.objects.defer("link_snapshot")))}  # fmt: skip
    others = sorted((rows[pk] for pk in ids[1:] if pk in rows), key=lambda a: (writer(a).casefold(), a.pk))
    return [rows[annotation.pk], *others]


def published_on_same_claim(annotation: Annotation) -> list[Annotation]:
    """Other published verdicts on the claim ``annotation`` judges (the one same-claim rule), row-locked: the
    caller may retract them in the same transaction."""
    published = list(
        Annotation.objects.select_for_update(of=("self",)).select_related("document")
        .filter(document_id=annotation.document_id, status=AnnotationStatus.PUBLISHED).exclude(pk=annotation.pk)
        .exclude(verdict="")
    )  # fmt: skip
    units = units_of([annotation, *published])
    return [other for other in published if units[other.pk] == units[annotation.pk]]


def annotation_has_disagreement(annotation: Annotation) -> bool:
    return review_context([annotation])[annotation.pk]["disagreement"]


AGREEMENT_MIN_UNITS = 10  # below this many shared units the statistics say more about chance than about the desk


def agreement_report(project: Project) -> dict:
    """Agreement statistics over every unit judged by two or more reviewers in the project, and per reviewer:
    how many units they judged and how many of those someone else judged too."""
    from annotations.domain.agreement import Judgement, project_report

    judged = _judged(Document.objects.filter(project=project).values("pk"))
    units = units_of(judged)
    judgements = [Judgement(unit=units[a.pk], rater=writer(a), verdict=a.verdict) for a in judged]
    report = project_report(judgements)
    raters_of: dict = {}
    for j in judgements:
        raters_of.setdefault(j.unit, set()).add(j.rater)
    per_reviewer: dict[str, dict[str, int]] = {}
    for raters in raters_of.values():
        for rater in raters:
            row = per_reviewer.setdefault(rater, {"units": 0, "shared": 0})
            row["units"] += 1
            row["shared"] += len(raters) > 1
    report["per_reviewer"] = [{"reviewer": name, **counts} for name, counts in sorted(per_reviewer.items())]
    report["enough_data"] = report["n_units"] >= AGREEMENT_MIN_UNITS
    report["min_units"] = AGREEMENT_MIN_UNITS
    return report


def my_queue(user: AbstractBaseUser) -> dict:
    """A reviewer's work: documents assigned to them, and their annotations sent back for changes or rejected,
    each with the latest word on it (``latest``: the last comment of its thread)."""
    sent_back = list(
        access.annotations_visible(user)
        .filter(author=user, status__in=[AnnotationStatus.CHANGES_REQUESTED, AnnotationStatus.REJECTED])
        .select_related("document")
        .order_by("-updated_at")
    )
    latest = {}
    events = (
        AuditEvent.objects.filter(annotation_id__in=[a.pk for a in sent_back], object_type="annotation")
        .exclude(comment="").select_related("actor").order_by("annotation_id", "-at", "-id")
    )  # fmt: skip
    for event in events:
        latest.setdefault(event.annotation_id, event)
    for annotation in sent_back:
        annotation.latest = latest.get(annotation.pk)
    return {
        "assignments": access.assignments_visible(user)
        .filter(reviewer=user)
        .select_related("document", "document__project", "assigned_by"),
        "changes_requested": [a for a in sent_back if a.status == AnnotationStatus.CHANGES_REQUESTED],
        "rejected": [a for a in sent_back if a.status == AnnotationStatus.REJECTED],
    }


PUBLIC_STATUSES = (AnnotationStatus.PUBLISHED, AnnotationStatus.RETRACTED)


def public_fact_check(annotation_id: int) -> Annotation:
    """A verdict as the public sees it: published (or retracted: its page says so), nothing else — drafts,
    reviews in progress and approved-but-unpublished verdicts are NotFound, to everyone."""
    if not 0 < annotation_id < 2**63:
        raise NotFound("No such fact-check.")
    annotation = (
        Annotation.objects.filter(pk=annotation_id, status__in=PUBLIC_STATUSES, verdict__gt="")
        .select_related("document__project")
        .prefetch_related("evidence")
        .first()
    )
    if annotation is None:
        raise NotFound("No such fact-check.")
    return annotation


def public_history(annotation: Annotation) -> list[AuditEvent]:
    """What the public page tells of a verdict's life: published, each correction (with the verdict before
    and after) and a retraction, oldest first."""
    return list(
        AuditEvent.objects.filter(annotation_id=annotation.pk, object_type=AuditEvent.ObjectType.ANNOTATION,
                                  action=AuditEvent.Action.TRANSITION, to_status__in=PUBLIC_STATUSES)
        .order_by("at", "id")
    )  # fmt: skip


def annotation_thread(annotation: Annotation) -> QuerySet[AuditEvent]:
    """The review thread of an annotation, oldest first: every review action that said something (request
    changes, reject, retract, correct, an approval over a disagreement) and every message."""
    return annotation_threads([annotation.pk])


def annotation_threads(annotation_ids: list[int]) -> QuerySet[AuditEvent]:
    """The review threads of several annotations in one query (``annotation_id`` tells them apart)."""
    return (
        AuditEvent.objects.filter(annotation_id__in=annotation_ids, object_type=AuditEvent.ObjectType.ANNOTATION)
        .filter(Q(action=AuditEvent.Action.COMMENT) | (Q(action=AuditEvent.Action.TRANSITION) & ~Q(comment="")))
        .select_related("actor")
        .order_by("at", "id")
    )


def inbox(user: AbstractBaseUser, *, limit: int = 200) -> dict:
    """The user's notifications, newest first (at most ``limit``), whether e-mail is on, and the unread count.
    Notifications of desks they left stay theirs to read; links lead to pages the access layer checks again."""
    from annotations.models import Notification, NotificationSettings

    rows = list(Notification.objects.filter(user=user).select_related("actor", "document", "annotation")
                .defer("document__body", "document__metadata")[:limit])  # fmt: skip
    settings_row = NotificationSettings.objects.filter(user=user).first()
    return {"notifications": rows, "email": settings_row.email if settings_row else True,
            "unread": sum(n.read_at is None for n in rows)}  # fmt: skip


def corrections_feed(project: Project, user: AbstractBaseUser | None = None) -> QuerySet:
    """The desk's history; for a reviewer of a blind desk, without the events of annotations hidden from them."""
    events = AuditEvent.objects.filter(project=project).select_related("actor")
    if user is not None and project.blind_review and not access.can_review(user, project):
        visible = access.annotations_visible(user).filter(document__project=project).values("pk")
        events = events.filter(Q(annotation_id__isnull=True) | Q(annotation_id__in=visible))
    return events


def deletions_since(user: AbstractBaseUser, since) -> QuerySet:
    """Annotation deletions after ``since`` in the user's projects (for incremental sync)."""
    return (
        AuditEvent.objects.filter(
            object_type=AuditEvent.ObjectType.ANNOTATION, action=AuditEvent.Action.DELETE, at__gt=since,
            project__in=access.projects_visible(user).values("pk"),
        )
        .order_by("at", "id")
    )  # fmt: skip


# ---- the desk dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    """What the desk page's search box and filters ask for (each empty: no filter)."""

    q: str = ""  # title, body, quote or rationale; case and accents aside
    status: str = ""  # documents with an annotation in this status
    verdict: str = ""  # documents with an annotation with this verdict
    assignee: str = ""  # documents assigned to this username
    progress: str = ""  # "done" | "open" | "pending" (segmentation not finished)

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.verdict, self.assignee, self.progress))


def desk_documents(
    project: Project, filters: DashboardFilters, *, threshold: float, user: AbstractBaseUser | None = None
) -> QuerySet[Document]:
    """The desk's documents for the dashboard, newest first, filtered; length and check-worthy claims computed
    in SQL (a subquery each: no GROUP BY over the article text), body not loaded."""
    claims = Claim.objects.filter(checkworthy_q(threshold), document=OuterRef("pk")).order_by()
    claim_count = Subquery(claims.values("document").annotate(n=Count("pk")).values("n")[:1])
    documents = (
        Document.objects.filter(project=project)
        .defer("body", "metadata")
        .select_related("done_by")
        .annotate(body_length=Length("body"), claim_count=Coalesce(claim_count, 0))
        .order_by("-imported_at", "-pk")
    )
    seen = Annotation.objects.all() if user is None else access.annotations_visible(user)  # blind review
    annotations = seen.filter(document=OuterRef("pk"))
    if filters.q:
        in_annotations = annotations.filter(folded_contains(filters.q, "quote", "rationale"))
        documents = documents.filter(folded_contains(filters.q, "title", "body") | Exists(in_annotations))
    if filters.status:
        documents = documents.filter(Exists(annotations.filter(status=filters.status)))
    if filters.verdict:
        documents = documents.filter(Exists(annotations.filter(verdict=filters.verdict)))
    if filters.assignee:
        assigned = ReviewAssignment.objects.filter(document=OuterRef("pk"), reviewer__username__iexact=filters.assignee)
        documents = documents.filter(Exists(assigned))
    if filters.progress == "done":
        documents = documents.filter(done_at__isnull=False)
    elif filters.progress == "open":
        documents = documents.filter(done_at__isnull=True)
    elif filters.progress == "pending":
        documents = documents.exclude(segmentation_status=SegmentationStatus.DONE)
    return documents


@dataclass
class DocumentProgress:
    """What the dashboard shows of one document's work, computed for a page of documents at once."""

    by_status: dict[str, int] = field(default_factory=dict)
    reviewers: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)

    @property
    def annotations(self) -> int:
        return sum(self.by_status.values())

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """(status, label, count) in workflow order, statuses with annotations only."""
        return [(s.value, s.label, self.by_status[s.value]) for s in AnnotationStatus if self.by_status.get(s.value)]


def documents_progress(document_ids: list[int]) -> dict[int, DocumentProgress]:
    """Annotations by status, who wrote them and who is assigned, for these documents: three queries
    whatever their number."""
    progress = {pk: DocumentProgress() for pk in document_ids}
    counts = (
        Annotation.objects.filter(document_id__in=document_ids)
        .values_list("document_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for document_id, status, n in counts:
        progress[document_id].by_status[status] = n
    writers = (
        Annotation.objects.filter(document_id__in=document_ids)
        .values_list("document_id", "author__username")
        .distinct()
        .order_by("author__username")
    )
    for document_id, username in writers:
        progress[document_id].reviewers.append(username)
    assigned = (
        ReviewAssignment.objects.filter(document_id__in=document_ids)
        .values_list("document_id", "reviewer__username")
        .order_by("reviewer__username")
    )
    for document_id, username in assigned:
        progress[document_id].assignees.append(username)
    return progress


# ---- check-worthiness feedback: reviewers' decisions as training rows, and the desk's accept rate by score ---


@dataclass(frozen=True)
class FeedbackRow:
    text: str
    label: int  # 1 check-worthy (accepted, or annotated), 0 not (dismissed)
    sources: tuple[str, ...]  # "accepted", "dismissed", "annotated"
    project: str
    score: float | None  # the model's stored score of the claim (None for an annotation's own span)


def checkworthiness_feedback(*, project: Project | None = None) -> list[FeedbackRow]:
    """Training rows from reviewers' work: accepted claims (1), dismissed claims (0) and annotated spans (1),
    one row per desk and text (a text both dismissed and annotated counts as check-worthy: someone checked it)."""
    claims = Claim.objects.filter(state__in=[ClaimState.ACCEPTED, ClaimState.DISMISSED])
    annotations = Annotation.objects.all()
    if project is not None:
        claims = claims.filter(document__project=project)
        annotations = annotations.filter(document__project=project)
    rows: dict[tuple[str, str], dict] = {}

    def add(slug: str, text: str, label: int, source: str, score: float | None) -> None:
        text = " ".join(text.split())
        if not text:
            return
        row = rows.setdefault((slug, text), {"label": 0, "sources": set(), "score": None})
        row["label"] = max(row["label"], label)
        row["sources"].add(source)
        if score is not None:
            row["score"] = score

    decided = claims.values_list("document__project__slug", "text", "state", "score").order_by("pk")
    for slug, text, state, score in decided:
        add(slug, text, int(state == ClaimState.ACCEPTED), str(state), score)
    annotated = annotations.values_list("document__project__slug", "quote", "claim__score").order_by("pk")
    for slug, quote, score in annotated:
        add(slug, quote, 1, "annotated", score)
    return [
        FeedbackRow(
            text=text, label=row["label"], sources=tuple(sorted(row["sources"])), project=slug, score=row["score"]
        )
        for (slug, text), row in sorted(rows.items())
    ]


@dataclass(frozen=True)
class ScoreBand:
    low: float
    high: float
    accepted: int
    dismissed: int

    @property
    def decided(self) -> int:
        return self.accepted + self.dismissed

    @property
    def accept_rate(self) -> float | None:
        return self.accepted / self.decided if self.decided else None

    @property
    def accept_percent(self) -> int | None:
        return None if self.accept_rate is None else round(100 * self.accept_rate)


def claim_decisions_by_score(project: Project, *, bands: int = 5) -> list[ScoreBand]:
    """The desk's accepted and dismissed machine claims by score band (0–0.2, …, 0.8–1): how often reviewers
    keep what the model ranks high. One query."""
    from django.db.models import FloatField
    from django.db.models.functions import Floor, Least

    from annotations.domain.vocabulary import ClaimOrigin

    band = Least(Floor(F("score") * Value(float(bands))), Value(float(bands - 1)), output_field=FloatField())
    counts = (
        Claim.objects.filter(
            document__project=project,
            origin=ClaimOrigin.MACHINE,
            score__isnull=False,
            state__in=[ClaimState.ACCEPTED, ClaimState.DISMISSED],
        )
        .annotate(band=band)
        .values_list("band", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table = {(int(b), state): n for b, state, n in counts}
    return [
        ScoreBand(
            low=i / bands,
            high=(i + 1) / bands,
            accepted=table.get((i, ClaimState.ACCEPTED), 0),
            dismissed=table.get((i, ClaimState.DISMISSED), 0),
        )
        for i in range(bands)
    ]
