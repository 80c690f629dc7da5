"""Projects: what this server holds goes into one project, "Main", whose members keep the roles they held.

Each person's global role group (Viewer, Annotator, Reviewer) becomes their role in Main (the highest one when
they held several), and the group is taken from them: a group held outside a project grants nothing any more
(sources/backends.py). The Manager role is made: the Reviewer's permissions and adding members to the project.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RANKED = ["Manager", "Reviewer", "Annotator", "Viewer"]  # the highest role first
MANAGE = [
    "view_project",
    "change_project",
    "view_membership",
    "add_membership",
    "change_membership",
    "delete_membership",
]


def into_main(apps, schema_editor):
    app_config = apps.get_app_config("sources")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Project = apps.get_model("sources", "Project")
    Membership = apps.get_model("sources", "Membership")
    reviewer = Group.objects.filter(name="Reviewer").first()
    manager, _ = Group.objects.get_or_create(name="Manager")
    if reviewer is not None:
        manager.permissions.add(*reviewer.permissions.all())
    manager.permissions.add(*Permission.objects.filter(content_type__app_label="sources", codename__in=MANAGE))
    for name in ("Viewer", "Annotator", "Reviewer"):
        Group.objects.get_or_create(name=name)
    main, _ = Project.objects.get_or_create(slug="main", defaults={"name": "Main"})
    for model in ("Source", "Agent", "HistoricalSource", "HistoricalAgent"):
        apps.get_model("sources", model).objects.filter(project__isnull=True).update(project=main)
    apps.get_model("claims", "Tag").objects.filter(project__isnull=True).update(project=main)
    groups = {group.name: group for group in Group.objects.filter(name__in=RANKED)}
    for name in RANKED:
        for user in groups[name].user_set.all():
            Membership.objects.get_or_create(project=main, user=user, defaults={"role": groups[name]})
            user.groups.remove(groups[name])


def back_to_global_roles(apps, schema_editor):
    Membership = apps.get_model("sources", "Membership")
    for membership in Membership.objects.select_related("role", "user"):
        if membership.role.name != "Manager":
            membership.user.groups.add(membership.role)
    apps.get_model("auth", "Group").objects.filter(name="Manager").delete()


class Migration(migrations.Migration):
    dependencies = [("sources", "0010_projects"), ("claims", "0022_tag_project")]

    operations = [migrations.RunPython(into_main, back_to_global_roles)]
