import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the local superuser 'admin' with a random password and print the login; an existing "
        "one keeps its password (--reset gives it a new one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--reset", action="store_true", help="give an existing user a new random password")

    def handle(self, *args, username, reset, **options):
        user, created = get_user_model().objects.get_or_create(username=username)
        if not created and not reset:
            self.stdout.write(
                f"Local admin '{username}' already exists; its password is unchanged. "
                f"Reset it with: .venv/bin/python manage.py local_admin --reset "
                f"(or manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"Local admin login: {username} / {password}")
