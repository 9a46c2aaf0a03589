"""Every existing document gets its version 1: the text it was imported with (its only text so far)."""

from django.db import migrations

BATCH = 500


def fill_first_versions(apps, schema_editor):
    Document = apps.get_model("annotations", "Document")
    DocumentVersion = apps.get_model("annotations", "DocumentVersion")
    missing = Document.objects.exclude(versions__number=1).order_by("pk")
    rows = []
    for document in missing.only("pk", "body", "content_sha256", "imported_at", "imported_by_id").iterator(BATCH):
        rows.append(DocumentVersion(document_id=document.pk, number=1, body=document.body,
                                    content_sha256=document.content_sha256, created_at=document.imported_at,
                                    created_by_id=document.imported_by_id, reason="imported"))  # fmt: skip
        if len(rows) == BATCH:
            DocumentVersion.objects.bulk_create(rows, ignore_conflicts=True)  # re-runnable
            rows = []
    DocumentVersion.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0016_document_versions_and_anchoring")]

    operations = [migrations.RunPython(fill_first_versions, migrations.RunPython.noop)]
