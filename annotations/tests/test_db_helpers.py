"""``db.fetch_model``: the hand-written lookups of the hot paths give the same objects the ORM gives;
``db.insert_with_dependents`` writes what the ORM would, in one statement on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotations.db import fetch_model, insert_with_dependents
from annotations.models import Annotation, AuditEvent, Claim, Document
from annotations.tests.factories import DocumentFactory


def test_a_hand_written_lookup_gives_the_orms_object_with_converted_values_and_extra_columns(project):
    made = DocumentFactory(project=project, metadata={"source": "api", "boilerplate": {"head": "Menu"}})
    quote = connection.ops.quote_name
    table = quote(Document._meta.db_table)
    # Columns in another order than the model's, one left out, one extra.
    sql = (f"SELECT {quote('title')}, {quote('metadata')}, d.{quote('id')}, {quote('imported_at')}, "  # noqa: S608
           f"{quote('project_id')}, 42 AS answer FROM {table} d WHERE d.{quote('id')} = %s")  # fmt: skip

    found = fetch_model(Document, sql, [made.pk])
    orm = Document.objects.get(pk=made.pk)

    assert (found.pk, found.title, found.project_id, found.imported_at) == (orm.pk, orm.title, orm.project_id,
                                                                            orm.imported_at)  # fmt: skip
    assert found.metadata == {"source": "api", "boilerplate": {"head": "Menu"}}  # JSON decoded, as the ORM does
    assert found.answer == 42
    assert "body" in found.get_deferred_fields()  # not selected: loaded only if asked for
    assert found.body == orm.body
    assert fetch_model(Document, sql, [made.pk + 1000]) is None


def _span_and_events(document, reviewer):
    annotation = Annotation(document=document, author=reviewer, start=4, end=16, quote=document.body[4:16],
                            document_version=document.version)  # fmt: skip
    created = AuditEvent(project_id=document.project_id, document_id=document.pk, object_type="annotation",
                         action="create", actor=reviewer, at=timezone.now(),
                         changes={"verdict": [None, "true"]})  # fmt: skip
    claim_row = AuditEvent(project_id=document.project_id, document_id=document.pk, object_type="claim",
                           object_id=7, action="update", actor=reviewer, at=timezone.now(), changes={})  # fmt: skip
    return annotation, created, claim_row


def test_a_row_its_dependents_and_an_update_are_written_together_with_the_new_key_in_the_dependents(document, reviewer):
    claim = Claim.objects.create(document=document, start=4, end=16, text=document.body[4:16])
    annotation, created, claim_row = _span_and_events(document, reviewer)
    annotation.claim = claim

    insert_with_dependents(annotation, [(created, ("annotation_id", "object_id")), (claim_row, ())],
                           update=(Claim, claim.pk, {"state": "accepted", "decided_by": reviewer}))  # fmt: skip

    stored = Annotation.objects.get(pk=annotation.pk)
    assert (stored.quote, stored.claim_id, stored.created_at is not None) == (document.body[4:16], claim.pk, True)
    events = list(AuditEvent.objects.filter(document_id=document.pk).order_by("id").values_list(
        "pk", "annotation_id", "object_id", "object_type", "changes"))  # fmt: skip
    assert events == [
        (created.pk, annotation.pk, annotation.pk, "annotation", {"verdict": [None, "true"]}),
        (claim_row.pk, None, 7, "claim", {}),
    ]  # in the order given, keys drawn in that order
    assert (created.annotation_id, created.object_id) == (annotation.pk, annotation.pk)
    claim.refresh_from_db()
    assert (claim.state, claim.decided_by_id) == ("accepted", reviewer.pk)


def test_a_dependent_the_database_refuses_leaves_nothing_written(document, reviewer):
    annotation, created, _ = _span_and_events(document, reviewer)
    created.action = None  # NOT NULL: the database refuses the audit row, after the annotation was written

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_with_dependents(annotation, [(created, ("annotation_id", "object_id"))])

    assert not Annotation.objects.filter(document=document).exists()
    assert not AuditEvent.objects.filter(document_id=document.pk).exists()
