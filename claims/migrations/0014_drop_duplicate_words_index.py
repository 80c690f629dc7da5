"""Drop claim_words_fts: it indexes the same expression as claim_search_english (migration 0004), which the search
and the suggestions both use. Every change to a claim row that is not a HOT update (a stored count moving is one)
wrote both GIN indexes; one of them was half of the cost of storing a link's counts (issue 11)."""

from django.db import migrations

DROP = "DROP INDEX IF EXISTS claim_words_fts"
CREATE = (
    "CREATE INDEX IF NOT EXISTS claim_words_fts ON claims_claim USING gin "
    "(to_tsvector('english'::regconfig, quote || ' ' || statement))"
)


def run(statement):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("claims", "0013_history_reasons_of_any_length")]

    operations = [migrations.RunPython(run(DROP), run(CREATE))]
