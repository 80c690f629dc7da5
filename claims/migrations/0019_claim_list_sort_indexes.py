"""Indexes for every sortable column of the claim list, each with the id that breaks ties (common.admin_lists makes
the tie-breaker follow the column's direction, so one index serves both). (status, id) and (claimed_on, id) replace
the single-column indexes, serving their filters and the date search as well; the excerpt is the first 80
characters of the quote, as the list shows it (a whole quote may be longer than a btree entry can be).

Built in the migration's transaction, not CONCURRENTLY: writes to claims wait for the builds (a few seconds at a
million claims)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0018_claim_undecided_duplicates")]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["status", "id"], name="claim_status_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["kind", "id"], name="claim_kind_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["claimed_on", "id"], name="claim_claimed_on_idx"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(
                django.db.models.functions.text.Left("quote", 80), models.F("id"), name="claim_excerpt_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="claim", name="claims_clai_status_b4f911_idx"),
        migrations.RemoveIndex(model_name="claim", name="claims_clai_claimed_081dd2_idx"),
    ]
