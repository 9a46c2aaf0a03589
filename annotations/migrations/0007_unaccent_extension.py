"""PostgreSQL's ``unaccent`` extension, for accent-insensitive search (``annotations/db.py``). A trusted
extension since PostgreSQL 13: the database's owner may create it. SQLite gets the function in Python."""

from django.db import migrations


def create_unaccent(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0006_project_description_guidelines")]

    operations = [migrations.RunPython(create_unaccent, migrations.RunPython.noop, elidable=False)]
