"""One claim per span, in the database too.

Claim.clean() refuses a second claim on the same words with a message naming the first; this
unique index is the backstop for two saves at the same moment. It is raw SQL (valid on SQLite and
PostgreSQL) rather than a UniqueConstraint so that form validation does not report the rule twice.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("claims", "0004_independence_suggestions")]

    operations = [
        migrations.RunSQL(
            'CREATE UNIQUE INDEX claim_one_per_span ON claims_claim (source_id, start, "end")',
            "DROP INDEX claim_one_per_span",
        )
    ]
