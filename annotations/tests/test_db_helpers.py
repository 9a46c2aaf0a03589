"""``db.fetch_model``: the hand-written lookups of the hot paths give the same objects the ORM gives."""

from django.db import connection

from annotations.db import fetch_model
from annotations.models import Document
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
