"""The check after claims are inserted works out each source's, speaker's and account's cells once (a MATERIALIZED
common table expression) instead of in a fenced subquery the planner could compute again for every new claim. The
cells' expressions are as before: nothing is refilled."""

from django.db import migrations


def install_once(apps, schema_editor):
    from claims.exchange.stored_cells import install

    install(schema_editor.connection, refill=False)


class Migration(migrations.Migration):
    dependencies = [("claims", "0033_lender_slots")]

    # Backwards, the triggers stay as this one wrote them: the same cells, read the faster way.
    operations = [migrations.RunPython(install_once, migrations.RunPython.noop)]
