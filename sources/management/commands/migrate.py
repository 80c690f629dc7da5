"""Django's migrate, with a clear message instead of a traceback when DATABASE_URL names a PostgreSQL database that
does not exist yet. (It lives in the first of our apps, which wins over django.core's command of the same name.)"""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import OperationalError, connections


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        try:
            return super().handle(*args, **options)
        except OperationalError as error:
            settings = connections[options["database"]].settings_dict
            if connections[options["database"]].vendor != "postgresql" or "does not exist" not in str(error):
                raise
            name, user = settings.get("NAME"), settings.get("USER") or "postgres"
            host, port = settings.get("HOST") or "localhost", settings.get("PORT") or 5432
            raise CommandError(
                f'The database "{name}" does not exist on {host}:{port}. Create it, then run migrate again:\n'
                f"    createdb -h {host} -p {port} -U {user} {name}"
            ) from error
