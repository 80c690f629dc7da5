"""Drop claim_words_fts (migration 0009): it indexes the very expression claim_search_english (migration 0004)
already indexes, `to_tsvector('english', quote || ' ' || statement)`, so the planner never uses it for the claim
list's search (it picks claim_search_english), while every insert and every change of a claim's words computed
the tsvector and updated a GIN index twice: about a quarter of a CSV import's time in PostgreSQL."""

from django.db import migrations

RECREATE = (
    "CREATE INDEX IF NOT EXISTS claim_words_fts ON claims_claim USING gin "
    "(to_tsvector('english'::regconfig, quote || ' ' || statement))"
)


def run(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("claims", "0011_claim_kind_follows_speaker")]

    operations = [migrations.RunPython(run("DROP INDEX IF EXISTS claim_words_fts"), run(RECREATE))]
