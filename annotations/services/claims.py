"""Candidate claims: any member of the desk accepts or dismisses them."""

import functools

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from annotations import access
from annotations.db import fetch_model
from annotations.domain.vocabulary import AnchorState, ClaimOrigin, ClaimState
from annotations.models import Annotation, Claim, Document
from annotations.services.audit import audit_claim
from annotations.services.errors import Conflict, Invalid


@transaction.atomic
def claims_set_state_by_text(*, claim_id: int, state: str, user: AbstractBaseUser | None = None) -> Claim:
    """``claim_set_state`` for the claim and every other claim of its document with the same text (an entry of
    the grouped list stands for all its occurrences); occurrences that must stay accepted are left so. Returns
    the claim asked for."""
    if user is not None:
        access.claim_for_user(user, claim_id)
    claim = Claim.objects.get(pk=claim_id)
    same = Claim.objects.filter(document_id=claim.document_id, text=claim.text).exclude(pk=claim.pk)
    for other in same.values_list("pk", flat=True):
        try:
            with transaction.atomic():
                claim_set_state(claim_id=other, state=state, user=user)
        except Conflict:
            pass  # annotated: it stays accepted
    return claim_set_state(claim_id=claim_id, state=state, user=user)


@transaction.atomic
def claim_set_state(*, claim_id: int, state: str, user: AbstractBaseUser | None = None) -> Claim:
    """Accept or dismiss a candidate claim, or undo that (back to candidate); who and when are kept. ``user``
    must be a member of its desk (None: a command). A claim with annotations stays accepted."""
    if state not in ClaimState.values:
        raise Invalid(f"unknown claim state {state!r}; expected one of {', '.join(ClaimState.values)}")
    if user is not None:
        access.claim_for_user(user, claim_id)
    claim = Claim.objects.select_for_update().select_related("document").get(pk=claim_id)
    if claim.state != state:
        if claim.state == ClaimState.ACCEPTED and claim.annotations.exists():
            raise Conflict("this claim has annotations: it stays accepted (delete them first)")
        previous = claim.state
        claim.state = state
        claim.decided_by, claim.decided_at = (None, None) if state == ClaimState.CANDIDATE else (user, timezone.now())
        claim.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        audit_claim(claim, claim.document.project_id, user, changes={"state": [previous, state]})
    return claim


@transaction.atomic
def claim_get_or_create_accepted(*, document: Document, start: int, end: int) -> Claim:
    """The claim on exactly this span, or a person-made, accepted one (re-segmentation keeps those)."""
    claim = placed_claims(document).filter(start=start, end=end).first()
    return claim or Claim.objects.create(
        document=document, start=start, end=end, text=document.body[start:end], origin=ClaimOrigin.PERSON,
        state=ClaimState.ACCEPTED, document_version=document.version,
    )  # fmt: skip


def placed_claims(document: Document):
    """The document's claims on its current text (orphans of an earlier version keep a span of that text)."""
    return Claim.objects.filter(document=document).exclude(anchor_state=AnchorState.ORPHANED)


def placed_claim_at(document: Document, start: int, end: int, *, author: AbstractBaseUser) -> Claim | None:
    """The first of ``placed_claims`` with exactly this span (what a new annotation links to), row-locked (inside a
    transaction: two tabs at once, one waits), by one hand-written query: it runs on every span written
    (``db.fetch_model``). The claim carries ``_own_annotation``: the id of ``author``'s own (not imported)
    annotation of it, or None — read by the same query."""
    return fetch_model(Claim, _claim_sql("at"), [author.pk, "", document.pk, start, end, AnchorState.ORPHANED.value])


def claim_of_document_locked(document: Document, claim_id: int, *, author: AbstractBaseUser) -> Claim | None:
    """The document's claim ``claim_id``, row-locked (inside a transaction), with ``_own_annotation`` as
    ``placed_claim_at``'s; None if the document has none such."""
    return fetch_model(Claim, _claim_sql("by_id"), [author.pk, "", document.pk, claim_id])


def _for_update() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


@functools.cache
def _claim_sql(by: str) -> str:
    quote = connection.ops.quote_name
    field = {f.name: quote(f.column) for f in Claim._meta.concrete_fields}
    mark = {f.name: quote(f.column) for f in Annotation._meta.concrete_fields}
    # Identifiers come from the models; the values are parameters.
    own = (
        f"(SELECT a.{mark['id']} FROM {quote(Annotation._meta.db_table)} a WHERE a.{mark['claim']} = c.{field['id']} "  # noqa: S608
        f"AND a.{mark['author']} = %s AND a.{mark['original_author']} = %s ORDER BY a.{mark['id']} LIMIT 1)"
    )
    sql = f"SELECT c.*, {own} AS _own_annotation FROM {quote(Claim._meta.db_table)} c WHERE c.{field['document']} = %s "  # noqa: S608
    if by == "at":
        sql += (f"AND c.{field['start']} = %s AND c.{field['end']} = %s AND c.{field['anchor_state']} <> %s "
                f"ORDER BY c.{field['id']} LIMIT 1")  # fmt: skip
    else:
        sql += f"AND c.{field['id']} = %s"
    return sql + _for_update()
