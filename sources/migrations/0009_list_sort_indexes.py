"""Indexes for every sortable column of the source and people lists, each with the id that breaks ties in the same
direction (common.admin_lists). Built in the migration's transaction, not CONCURRENTLY (a few thousand rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0008_source_page_starts_capture_pdf'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='agent',
            index=models.Index(fields=['name', 'id'], name='agent_name_idx'),
        ),
        migrations.AddIndex(
            model_name='agent',
            index=models.Index(fields=['kind', 'id'], name='agent_kind_idx'),
        ),
        migrations.AddIndex(
            model_name='agent',
            index=models.Index(fields=['wikidata_id', 'id'], name='agent_wikidata_id_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['published_on', '-title', 'id'], name='source_listed_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['published_on', 'id'], name='source_published_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['title', 'id'], name='source_title_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['language', 'id'], name='source_language_idx'),
        ),
        migrations.AddIndex(
            model_name='source',
            index=models.Index(fields=['retrieved_at', 'id'], name='source_retrieved_idx'),
        ),
    ]
