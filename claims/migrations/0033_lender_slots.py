"""The triggers that keep a claim's cells lock their lenders by slot (common.locks.LENDER_SLOTS), not one lock a
lender: a transaction naming more than some 7,000 sources and people (seeding or importing a million claims of
10,000 sources) overflowed PostgreSQL's lock table. The cells' expressions are as 0031 wrote them: nothing is
refilled."""

from django.db import migrations


def install_slots(apps, schema_editor):
    from claims.exchange.stored_cells import install

    install(schema_editor.connection, refill=False)


class Migration(migrations.Migration):
    dependencies = [("claims", "0032_stored_cells_locks")]

    # Backwards, the triggers stay as this one wrote them: harmless (the slots only make some writers wait longer).
    operations = [migrations.RunPython(install_slots, migrations.RunPython.noop)]
