"""The model a link is called by everyone: Corroboration becomes Link (its table claims_link, its history
claims_historicallink), and the count of independent voices is named so (independent_sources becomes
independent_voices). The permissions keep their holders: their codenames are renamed, not made anew."""

from django.db import migrations, models

ACTIONS = ["add", "change", "delete", "view"]
RENAMED = {
    **{f"{action}_corroboration": (f"{action}_link", f"Can {action} link") for action in ACTIONS},
    **{f"{action}_historicalcorroboration": (f"{action}_historicallink", f"Can {action} historical link") for action in ACTIONS},
    "import_corroboration": ("import_link", "Can import links"),
    "export_corroboration": ("export_link", "Can export links"),
}


def rename_permissions(apps, schema_editor, renamed=RENAMED):
    Permission = apps.get_model("auth", "Permission")
    for old, (new, name) in renamed.items():
        Permission.objects.filter(content_type__app_label="claims", codename=old).update(codename=new, name=name)


def rename_permissions_back(apps, schema_editor):
    back = {
        **{f"{action}_link": (f"{action}_corroboration", f"Can {action} corroboration link") for action in ACTIONS},
        **{
            f"{action}_historicallink": (f"{action}_historicalcorroboration", f"Can {action} historical corroboration link")
            for action in ACTIONS
        },
        "import_link": ("import_corroboration", "Can import links"),
        "export_link": ("export_corroboration", "Can export links"),
    }
    rename_permissions(apps, schema_editor, renamed=back)


INDEXES_RENAMED = [
    op
    for name, fields in {"claim_independent_idx": ["independent_voices", "id"]}.items()
    for op in (
        migrations.RemoveIndex(model_name="claim", name=name),
        migrations.AddIndex(model_name="claim", index=models.Index(fields=fields, name=name)),
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0020_stored_export_lists"),
    ]

    operations = [
        migrations.RenameModel("Corroboration", "Link"),
        migrations.RenameModel("HistoricalCorroboration", "HistoricalLink"),
        migrations.AlterModelOptions(
            name="link",
            options={"permissions": [("import_link", "Can import links"), ("export_link", "Can export links")], "verbose_name": "link"},
        ),
        migrations.AlterModelOptions(
            name="historicallink",
            options={"get_latest_by": ("history_date", "history_id"), "ordering": ("-history_date", "-history_id"), "verbose_name": "historical link", "verbose_name_plural": "historical links"},
        ),
        migrations.RenameField("claim", "independent_sources", "independent_voices"),
        # The indexes on the column follow it in the database; in Django's state they are named by field.
        migrations.SeparateDatabaseAndState(state_operations=INDEXES_RENAMED),
        migrations.RunPython(rename_permissions, rename_permissions_back),
        # SQLite renames a column by rebuilding the table, which drops the index written in raw SQL (0005).
        migrations.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS claim_one_per_span ON claims_claim (source_id, start, "end")',
            migrations.RunSQL.noop,
        ),
    ]
