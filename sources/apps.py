from django.apps import AppConfig


class SourcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sources"

    def ready(self):
        from sources import (
            lookups,  # noqa: F401  registers `ilike_contains` on text fields
            rules,  # noqa: F401  (registers the permissions made of others with django-rules)
        )
