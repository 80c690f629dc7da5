"""The cells a claim's CSV row repeats from its source and people, kept on the claim by PostgreSQL
(claims.exchange.stored_cells). Columns of PostgreSQL's alone: Django's models do not hold them."""

from django.conf import settings
from django.db import migrations

COLUMNS = (
    "cell_source_title",
    "cell_source_url",
    "cell_publisher",
    "cell_authors",
    "cell_published_on",
    "cell_pages",
    "cell_speaker",
    "cell_annotator",
)


def add_cells(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from claims.exchange.stored_cells import install

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE claims_claim " + ", ".join(f"ADD COLUMN IF NOT EXISTS {c} text" for c in COLUMNS))
    install(schema_editor.connection)


def drop_cells(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS claims_claim_cells ON claims_claim")
        cursor.execute("ALTER TABLE claims_claim " + ", ".join(f"DROP COLUMN IF EXISTS {c}" for c in COLUMNS))
        for name in (
            "claims_claim_cells",
            "claims_cells_source_changed",
            "claims_cells_authors_added",
            "claims_cells_authors_removed",
            "claims_cells_authors_changed",
            "claims_cells_inserted",
            "claims_cells_agent_renamed",
            "claims_cells_account_renamed",
        ):
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0030_source_id_index"),
        ("sources", "0013_source_url_unique_per_project"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(add_cells, drop_cells)]
