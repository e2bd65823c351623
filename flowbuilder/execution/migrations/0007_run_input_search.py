"""A GIN index (jsonb_path_ops) on the run input for business-key search (execution.search), PostgreSQL
only: SQLite, the embedded default, has no GIN and searches the text."""

from django.db import migrations

INDEX = "run_input_items_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON execution_run USING gin (input_items jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("execution", "0006_run_admission")]

    operations = [migrations.RunPython(create, drop)]
