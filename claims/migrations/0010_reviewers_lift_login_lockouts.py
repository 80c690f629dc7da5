"""Reviewers may see login lock-outs (django-axes access attempts) and lift one by deleting it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LIFT_LOCKOUTS = ["axes.view_accessattempt", "axes.delete_accessattempt"]


def grant(apps, schema_editor):
    # Permissions are normally made after migrate; the grant needs them now.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    for code in LIFT_LOCKOUTS:
        app_label, codename = code.split(".")
        reviewer.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Reviewer"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="axes", codename__in=[c.split(".")[1] for c in LIFT_LOCKOUTS])
        )


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0009_claim_search_indexes"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
