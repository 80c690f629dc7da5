"""Drop the recursive claims_organisation_root view.

Independence now finds the top organisation above a publisher with a fixed chain of joins
(sources.models.top_organisation), which Agent.clean keeps valid by capping chains at
MAX_PARENT_DEPTH. The recursive view was computed whole for every claim: 29 ms a claim at 1,000,000 claims.
"""

from importlib import import_module

from django.db import migrations

created = import_module("claims.migrations.0004_independence_suggestions")


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_claim_one_per_span_index")]

    operations = [
        migrations.RunSQL(created.DROP_ROOT_VIEW, created.CREATE_ROOT_VIEW),
        migrations.DeleteModel(name="OrganisationRoot"),
    ]
