"""Each claim keeps its source's project (claims.models.Claim.project), so that one project's claims are listed,
sorted and counted from the claims' own indexes; its history records get the column too, filled the same way."""

import django.db.models.deletion
from django.db import migrations, models

FILL = [
    "UPDATE claims_claim SET project_id = "
    "(SELECT s.project_id FROM sources_source s WHERE s.id = claims_claim.source_id)",
    "UPDATE claims_historicalclaim SET project_id = "
    "(SELECT s.project_id FROM sources_source s WHERE s.id = claims_historicalclaim.source_id)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0024_learning_per_project"),
        ("sources", "0013_source_url_unique_per_project"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="project",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="sources.project",
            ),
        ),
        migrations.AddField(
            model_name="historicalclaim",
            name="project",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="sources.project",
            ),
        ),
        *(migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in FILL),
    ]
