"""The triggers that keep a claim's cells take the locks of what they read them from and of what they change
(claims.exchange.stored_cells, LENDERS_LOCKED), so that a source renamed while a claim is written in it leaves no claim
with the old title. The cells' expressions are as 0031 wrote them: nothing is refilled."""

from django.db import migrations


def install_locks(apps, schema_editor):
    from claims.exchange.stored_cells import install

    install(schema_editor.connection, refill=False)


class Migration(migrations.Migration):
    dependencies = [("claims", "0031_stored_cells")]

    # Backwards, the triggers stay as this one wrote them: harmless (the locks only make writers wait).
    operations = [migrations.RunPython(install_locks, migrations.RunPython.noop)]
