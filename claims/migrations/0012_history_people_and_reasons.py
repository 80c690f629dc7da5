"""Every history record names a person and a reason (common.history): records written before that get the system
user claimtrail-system and a reason saying they were recorded before people and reasons were kept."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import migrations
from django.db.models import Q

SYSTEM_USERNAME = "claimtrail-system"
BEFORE = "Recorded before people and reasons were kept"
HISTORIES = [
    ("sources", "HistoricalAgent"),
    ("sources", "HistoricalSource"),
    ("claims", "HistoricalClaim"),
    ("claims", "HistoricalCorroboration"),
]


def fill_people_and_reasons(apps, schema_editor):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    users = apps.get_model(app_label, model_name)
    system, _ = users.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"password": make_password(None), "is_active": False}
    )
    for app, name in HISTORIES:
        records = apps.get_model(app, name).objects
        records.filter(history_user__isnull=True).update(history_user=system)
        records.filter(Q(history_change_reason__isnull=True) | Q(history_change_reason="")).update(
            history_change_reason=BEFORE
        )


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("sources", "0005_capture_source_path_encoding_confidence"),
        ("claims", "0011_claim_kind_follows_speaker"),
    ]

    operations = [migrations.RunPython(fill_people_and_reasons, migrations.RunPython.noop)]
