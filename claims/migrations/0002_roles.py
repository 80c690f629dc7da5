"""The three roles: Annotator, Reviewer and Viewer."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = [
    "sources.view_agent",
    "sources.view_source",
    "claims.view_claim",
    "claims.view_corroboration",
    "claims.view_tag",
    # Exporting is reading.
    "sources.export_agent",
    "sources.export_source",
    "claims.export_claim",
    "claims.export_corroboration",
]
ANNOTATE = VIEW + [
    "sources.add_agent",
    "claims.add_claim",
    "claims.change_claim",
    "claims.add_corroboration",
    "claims.change_corroboration",
    "claims.delete_corroboration",
    "claims.add_tag",
]
REVIEW = ANNOTATE + [
    "claims.review_claim",
    "claims.delete_claim",
    "sources.add_source",
    "sources.change_source",
    "sources.change_agent",
    "sources.import_agent",
    "sources.import_source",
    "claims.import_claim",
    "claims.import_corroboration",
]
ROLES = {"Viewer": VIEW, "Annotator": ANNOTATE, "Reviewer": REVIEW}


def create_roles(apps, schema_editor):
    # Permissions are normally made after migrate; the roles need them now.
    for app_label in ("sources", "claims"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sources", "0001_initial"),
        ("claims", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
