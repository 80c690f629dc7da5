"""Suggestions learn per project: word associations and fitted weights belong to a project.

What was learned before projects goes into the project "main", where sources/migrations/0011 put the work it was
learned from; the fields are then required.
"""

import django.db.models.deletion
from django.db import migrations, models


def into_main(apps, schema_editor):
    WordAssociation = apps.get_model("claims", "WordAssociation")
    RankerFit = apps.get_model("claims", "RankerFit")
    if not (WordAssociation.objects.exists() or RankerFit.objects.exists()):
        return
    Project = apps.get_model("sources", "Project")
    main, _ = Project.objects.get_or_create(slug="main", defaults={"name": "Main"})
    WordAssociation.objects.filter(project__isnull=True).update(project=main)
    RankerFit.objects.filter(project__isnull=True).update(project=main)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0023_tag_project_required"),
        ("sources", "0012_project_required"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="wordassociation", name="word_association_one_per_pair"),
        migrations.AddField(
            model_name="rankerfit",
            name="project",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sources.project"
            ),
        ),
        migrations.AddField(
            model_name="wordassociation",
            name="project",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sources.project"
            ),
        ),
        migrations.RunPython(into_main, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="rankerfit",
            name="project",
            field=models.ForeignKey(
                blank=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sources.project"
            ),
        ),
        migrations.AlterField(
            model_name="wordassociation",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="sources.project"
            ),
        ),
        migrations.AddConstraint(
            model_name="wordassociation",
            constraint=models.UniqueConstraint(
                fields=("project", "first", "second"), name="word_association_one_per_pair"
            ),
        ),
    ]
