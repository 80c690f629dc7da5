"""python manage.py create_project SLUG --name NAME [--description TEXT]: a new project, for scripted set-up."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sources.models import Project
from sources.services import save_project


class Command(BaseCommand):
    help = "Create a project (its slug is its short name in commands: --project SLUG). Add people with add_member."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("--name", required=True, help="the project's name, as the admin shows it")
        parser.add_argument("--description", default="", help="what the project is about")

    def handle(self, *args, slug: str, name: str, description: str, **options):
        project = Project(slug=slug, name=name, description=description)
        try:
            save_project(project, user=None)
        except ValidationError as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            raise CommandError(f"Project not created: {problems}") from error
        self.stdout.write(f"Created project {project.slug} “{project.name}”.")
