"""Indexes for the claim list's search on PostgreSQL (claims.search): full-text search on a claim's words,
trigram matching on names, aliases and source titles. SQLite searches without them."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS claim_words_fts ON claims_claim USING gin "
    "(to_tsvector('english'::regconfig, quote || ' ' || statement))",
    "CREATE INDEX IF NOT EXISTS agent_name_trgm ON sources_agent USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS agent_aliases_trgm ON sources_agent USING gin (aliases gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS source_title_trgm ON sources_source USING gin (title gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS claim_words_fts",
    "DROP INDEX IF EXISTS agent_name_trgm",
    "DROP INDEX IF EXISTS agent_aliases_trgm",
    "DROP INDEX IF EXISTS source_title_trgm",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("claims", "0008_stored_corroboration_counts"), ("sources", "0004_distinct_publishers")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
