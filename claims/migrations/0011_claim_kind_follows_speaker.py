"""An empty kind follows the speaker (Claim.normalise); the database refuses a claim without a kind."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0010_reviewers_lift_login_lockouts'),
        ('sources', '0005_capture_source_path_encoding_confidence'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='claim',
            name='kind',
            field=models.CharField(blank=True, choices=[('direct_quote', 'direct quote'), ('paraphrase', 'paraphrase'), ('reported', 'reported'), ('author_assertion', "author's assertion")], help_text="Left empty, it follows the speaker: a direct quote when one is set, else the author's assertion.", max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalclaim',
            name='kind',
            field=models.CharField(blank=True, choices=[('direct_quote', 'direct quote'), ('paraphrase', 'paraphrase'), ('reported', 'reported'), ('author_assertion', "author's assertion")], help_text="Left empty, it follows the speaker: a direct quote when one is set, else the author's assertion.", max_length=20),
        ),
        migrations.AddConstraint(
            model_name='claim',
            constraint=models.CheckConstraint(condition=models.Q(('kind', ''), _negated=True), name='claim_kind_given', violation_error_message='A claim needs a kind (clean() gives it the one its speaker implies).'),
        ),
        # SQLite rebuilds the table for the changes above and drops the raw-SQL index of 0005; build it again.
        migrations.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS claim_one_per_span ON claims_claim (source_id, start, "end")',
            migrations.RunSQL.noop,
        ),
    ]
