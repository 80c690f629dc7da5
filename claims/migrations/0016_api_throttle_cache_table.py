"""The database cache's table (settings.CACHES): the API's throttle counts, shared by every worker and host.

Django makes it with `createcachetable`; here `migrate` does, so every setup (make run, make serve, a deploy)
has it without a step of its own. The command creates only what is missing, so running it again is harmless."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("claims", "0015_link_covering_indexes")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
