"""The triggers that keep a claim's cells lock the rows they read them from (claims.exchange.stored_cells,
LENDERS_LOCKED), so that a source renamed while a claim is written in it leaves no claim with the old title. The cells'
expressions are as 0031 wrote them: nothing is refilled."""

from django.db import migrations


def install_locks(apps, schema_editor):
    from claims.exchange.stored_cells import install

    install(schema_editor.connection, refill=False)


class Migration(migrations.Migration):
    dependencies = [("claims", "0031_stored_cells")]

    # Backwards, 0031's triggers would stay as this one wrote them: harmless (the locks only make writers wait).
    operations = [migrations.RunPython(install_locks, migrations.RunPython.noop)]
