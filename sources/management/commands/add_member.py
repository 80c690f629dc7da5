"""python manage.py add_member SLUG USERNAME ROLE: give a person a role in a project (again: change it)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from sources.management.projects import project_named
from sources.models import Membership
from sources.services import save_membership


class Command(BaseCommand):
    help = (
        "Make USERNAME a member of the project SLUG with ROLE (viewer, annotator, reviewer or manager); "
        "a member already in the project gets the new role."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="SLUG")
        parser.add_argument("username", metavar="USERNAME")
        parser.add_argument("role", metavar="ROLE", help=", ".join(Membership.Role.values))

    def handle(self, *args, slug: str, username: str, role: str, **options):
        project = project_named(slug)
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"There is no user “{username}”.")
        label = dict(Membership.Role.choices).get(role.lower())
        if label is None:
            raise CommandError(f"There is no role “{role}”; the roles are: {', '.join(Membership.Role.values)}.")
        group = Group.objects.filter(name=label).first()
        if group is None:
            raise CommandError(f"The group {label} is missing; run manage.py migrate, which creates it.")
        membership = Membership.objects.filter(project=project, user=user).select_related("role").first()
        before = None if membership is None else membership.role
        membership = membership or Membership(project=project, user=user)
        membership.role = group
        save_membership(membership, user=None)
        was = f" (was {before.name})" if before is not None and before.pk != group.pk else ""
        self.stdout.write(f"{username} is {label} in {project.slug}{was}.")
